package baleine.server;

import baleine.generation.GenerationResult;
import baleine.generation.Sequence;

import java.util.List;

/** What the scheduler sends to the thread answering one request. */
sealed interface Event {
    record Reasoning(String text) implements Event {
    }

    record Content(String text) implements Event {
    }

    record Logprob(Sequence.TokenLogprob logprob) implements Event {
    }

    /** The prompt tokens' log-probabilities (the first has none: NaN), before the answer's first token. */
    record PromptLogprobs(List<Sequence.TokenLogprob> logprobs) implements Event {
    }

    record Done(GenerationResult result, int reasoningTokens, List<Sequence.TokenLogprob> logprobs) implements Event {
    }

    record Failed(ApiException error) implements Event {
    }
}
