package baleine.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WarmUpTest {
    private static final long S = 1_000_000_000L;
    private static final long COMPILED = 20L << 10, STILL_WARMING = 200L << 10; // heap per token

    @Test
    void aRepetitionAlwaysWarmsUpFirst() {
        WarmUp w = new WarmUp(0);
        assertThat(w.done(0)).isFalse();
        w.record(COMPILED * 32, 32, 5 * S);
        assertThat(w.done(5 * S)).isTrue();
        assertThat(w.repetitions()).isEqualTo(1);
    }

    @Test
    void compiledKernelsEndItAfterTheAskedSecondsFromTheFirstRepetition() {
        WarmUp w = new WarmUp(3);
        w.record(STILL_WARMING * 32, 32, 10 * S); // the first: its clock starts when it ends
        w.record(COMPILED * 32, 32, 11 * S);
        assertThat(w.done(12 * S)).isFalse();
        assertThat(w.done(13 * S)).isTrue();
    }

    @Test
    void kernelsStillWarmingKeepItGoingUpToTenTimesAsLong() {
        WarmUp w = new WarmUp(3);
        w.record(COMPILED * 32, 32, 0);
        w.record(STILL_WARMING * 32, 32, 4 * S);
        assertThat(w.done(4 * S)).isFalse();
        assertThat(w.done(29 * S)).isFalse();
        assertThat(w.done(30 * S)).isTrue(); // the cap: a JIT that never settles does not hold the bench forever
        w.record(COMPILED * 32, 32, 6 * S);
        assertThat(w.done(6 * S)).isTrue(); // settled again: done as soon as the asked seconds have passed
    }

    @Test
    void anEmptyRepetitionCountsAsSettled() {
        WarmUp w = new WarmUp(0);
        w.record(0, 0, 0);
        assertThat(w.done(0)).isTrue();
    }
}
