package baleine.cli;

import baleine.generation.SamplingParams;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sampling flags; any flag not given keeps the model card's default. */
final class SamplingOptions {
    @Option(names = "--temperature", description = "0 = greedy")
    Float temperature;

    @Option(names = "--top-k", description = "0 = off")
    Integer topK;

    @Option(names = "--top-p")
    Float topP;

    @Option(names = "--min-p")
    Float minP;

    @Option(names = "--repeat-penalty")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "the repeat penalty's window: the last N tokens (-1: the whole context, the default; 0: off)")
    Integer repeatLastN;

    @Option(names = "--presence-penalty")
    Float presencePenalty;

    @Option(names = "--frequency-penalty")
    Float frequencyPenalty;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS", description = "add BIAS to token ID's logit (repeatable)")
    Map<Integer, Float> logitBias = new HashMap<>();

    @Option(names = "--seed", description = "same seed, same output")
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
