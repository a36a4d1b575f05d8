package baleine.generation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PromptLookupTest {
    @Test
    void draftsWhatFollowedTheMostRecentEarlierOccurrenceOfTheLongestRecurringNgram() {
        // "5 6" occurred twice before; "4 5 6" once, followed by 7 8 9: the longer n-gram wins
        List<Integer> context = List.of(5, 6, 1, 1, 4, 5, 6, 7, 8, 9, 5, 6, 2, 4, 5, 6);
        assertThat(PromptLookup.draft(context, 3)).containsExactly(7, 8, 9);
        assertThat(PromptLookup.draft(context, 2)).containsExactly(7, 8);
        // only "5 6" recurs: the most recent occurrence before the end, followed by 2 4 5 6
        assertThat(PromptLookup.draft(List.of(5, 6, 1, 5, 6, 2, 4, 3, 5, 6), 8)).containsExactly(2, 4, 3, 5, 6);
    }

    @Test
    void draftsNothingWhenNoNgramRecursOrNoneIsWanted() {
        assertThat(PromptLookup.draft(List.of(1, 2, 3, 4, 5, 6), 4)).isEmpty();
        assertThat(PromptLookup.draft(List.of(1, 2, 3, 1, 2), 0)).isEmpty();
        assertThat(PromptLookup.draft(List.of(7, 1, 7), 4)).isEmpty(); // a single token is not enough
        assertThat(PromptLookup.draft(List.of(9), 4)).isEmpty();
    }

    @Test
    void aRunOfOneTokenDraftsItsContinuation() {
        assertThat(PromptLookup.draft(List.of(3, 3, 3), 4)).containsExactly(3);
        assertThat(PromptLookup.draft(List.of(1, 2, 1, 2, 1, 2), 4)).containsExactly(1, 2);
    }
}
