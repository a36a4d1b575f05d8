package baleine.generation;

import java.util.List;

/**
 * Prompt-lookup drafting (vLLM's "ngram" speculation): where the last few tokens of the context occurred
 * before, the tokens that followed them then are a guess at what follows now. Answers that quote their
 * prompt, edit code or repeat themselves are full of such runs.
 */
final class PromptLookup {
    /** Longest and shortest n-gram looked up; a single token matches too often to be worth a guess. */
    static final int MAX_NGRAM = 4, MIN_NGRAM = 2;

    private PromptLookup() {
    }

    /**
     * Up to {@code max} tokens that followed the most recent earlier occurrence of the context's last n tokens
     * (n from {@link #MAX_NGRAM} down to {@link #MIN_NGRAM}, the longest that occurs); none when no n-gram recurs.
     *
     * @param context the tokens so far, the last one included
     */
    static int[] draft(List<Integer> context, int max) {
        int len = context.size();
        if (max <= 0) {
            return new int[0];
        }
        for (int n = Math.min(MAX_NGRAM, len - 1); n >= MIN_NGRAM; n--) {
            for (int start = len - n - 1; start >= 0; start--) {
                if (matches(context, start, len - n, n)) {
                    int from = start + n, count = Math.min(max, len - from);
                    int[] draft = new int[count];
                    for (int i = 0; i < count; i++) {
                        draft[i] = context.get(from + i);
                    }
                    return draft;
                }
            }
        }
        return new int[0];
    }

    private static boolean matches(List<Integer> context, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            if (!context.get(a + i).equals(context.get(b + i))) {
                return false;
            }
        }
        return true;
    }
}
