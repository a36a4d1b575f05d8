package baleine.server;

import baleine.generation.JsonMatcher;
import baleine.generation.SamplingParams;
import baleine.generation.Sequence;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request waiting for or holding a slot. The scheduler writes {@link Event}s into a bounded queue
 * that the request's own thread drains; when it is nearly full the sequence simply waits a step.
 */
final class Job {
    static final int EVENT_CAPACITY = 256;

    final int[] prompt;
    final SamplingParams params;
    final Sequence.Reasoning reasoning;
    final int topLogprobs;
    final JsonMatcher constraint;
    /** The prompt tokens' log-probabilities are reported too ({@link Sequence#scorePrompt}: echo with logprobs). */
    final boolean scoresPrompt;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>(EVENT_CAPACITY);
    final AtomicBoolean cancel = new AtomicBoolean();
    final long enqueuedNanos = System.nanoTime();

    /** {@code constraint}: what the answer must follow, or null; {@code scoresPrompt}: echo with logprobs. */
    Job(int[] prompt, SamplingParams params, Sequence.Reasoning reasoning, int topLogprobs, JsonMatcher constraint, boolean scoresPrompt) {
        this.scoresPrompt = scoresPrompt;
        this.constraint = constraint;
        this.prompt = prompt;
        this.params = params;
        this.reasoning = reasoning;
        this.topLogprobs = topLogprobs;
    }

    /** Room for what one step can send: a token's log-probabilities, text, and the end. */
    boolean hasRoom() {
        return events.remainingCapacity() >= 8;
    }

    /**
     * Tokens that may be drafted after the next one while the events of every token of the step, up to three each
     * (reasoning, content, a log-probability), and the last event still fit.
     */
    int draftRoom() {
        return Math.max(0, (events.remainingCapacity() - 1) / 3 - 1);
    }

    /** Never blocks: the room was checked before stepping. */
    void send(Event e) {
        if (!events.offer(e)) {
            throw new IllegalStateException("event queue overflow");
        }
    }
}
