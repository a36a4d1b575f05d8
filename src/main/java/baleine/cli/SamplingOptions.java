package baleine.cli;

import baleine.generation.SamplingParams;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sampling flags; any flag not given keeps the model card's default. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", description = "randomness of sampling: 0 = greedy (default: the model's generation config, else 0.8)")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "sample among the K likeliest tokens; 0 = off (default: the model's, else 40)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "sample among the likeliest tokens whose probabilities sum to P (nucleus); 1 = off (default: the model's, else 0.95)")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "drop tokens less likely than P times the likeliest; 0 = off (default 0.05; 0 where the model's generation config sets its sampling)")
    Float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "divide the logits of tokens seen in the window (--repeat-last-n) by this (negative ones multiplied); 1 = off (default)")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "the repeat penalty's window: the last N tokens (-1: the whole context, the default; 0: off)")
    Integer repeatLastN;

    @Option(names = "--presence-penalty", paramLabel = "X", description = "subtract this from the logit of every token already in the answer, as OpenAI's; 0 = off (default)")
    Float presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "X", description = "subtract this times its count from the logit of every token already in the answer, as OpenAI's; 0 = off (default)")
    Float frequencyPenalty;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS", description = "add BIAS to token ID's logit (repeatable)")
    Map<Integer, Float> logitBias = new HashMap<>();

    @Option(names = "--seed", paramLabel = "N", description = "same seed, same output")
    Long seed;

    @Option(names = {"-n", "--max-tokens"}, description = "tokens to generate at most (default ${DEFAULT-VALUE})", defaultValue = "512")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop when the answer produces TEXT (repeatable, not printed)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--reasoning-budget", defaultValue = "-1", description = "reasoning tokens before the think block is closed for the model (-1: no limit)")
    int reasoningBudget;

    SamplingParams apply(SamplingParams d) {
        SamplingParams p = d.withMaxTokens(maxTokens).withStop(stop).withLogitBias(logitBias).withReasoningBudget(reasoningBudget);
        if (temperature != null) p = p.withTemperature(temperature);
        if (topK != null) p = p.withTopK(topK);
        if (topP != null) p = p.withTopP(topP);
        if (minP != null) p = p.withMinP(minP);
        if (repeatPenalty != null) p = p.withRepetitionPenalty(repeatPenalty);
        if (repeatLastN != null) p = p.withRepeatLastN(repeatLastN);
        if (presencePenalty != null) p = p.withPresencePenalty(presencePenalty);
        if (frequencyPenalty != null) p = p.withFrequencyPenalty(frequencyPenalty);
        if (seed != null) p = p.withSeed(seed);
        return p;
    }
}
