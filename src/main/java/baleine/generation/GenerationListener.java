package baleine.generation;

/** Receives generated text as it is produced; reasoning and answer arrive separately. */
public interface GenerationListener {
    default void onReasoning(String text) {
    }

    void onContent(String text);

    /** Every sampled token id, before it is decoded. */
    default void onToken(int id) {
    }

    /** The log-probabilities of a generated token, when they were asked for (before its text arrives). */
    default void onLogprob(Sequence.TokenLogprob logprob) {
    }

    /** The prompt tokens' log-probabilities ({@link Sequence#scorePrompt}), once the prompt is evaluated. */
    default void onPromptLogprobs(java.util.List<Sequence.TokenLogprob> logprobs) {
    }

    GenerationListener NONE = text -> {
    };
}
