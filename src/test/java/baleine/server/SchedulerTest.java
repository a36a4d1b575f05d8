package baleine.server;

import baleine.api.Baleine;
import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.generation.GenerationResult;
import baleine.generation.FakeMatcher;
import baleine.generation.JsonMatcher;
import baleine.generation.SamplingParams;
import baleine.generation.Sequence;
import baleine.writer.DemoModel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class SchedulerTest {
    /** An Error in a step (here out of memory) fails the requests of that step; the loop lives and serves the next. */
    @Test
    void anErrorInAStepFailsItsRequestsAndTheNextAreServed() throws Exception {
        AtomicInteger steps = new AtomicInteger();
        try (Baleine model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()));
             Scheduler scheduler = new Scheduler(model, 2, 256, 512, 4, new Metrics(), (batch, logits) -> {
                 if (steps.getAndIncrement() == 0) {
                     throw new OutOfMemoryError("Java heap space");
                 }
                 model.model().forwardInto(batch, logits);
             })) {
            int[] prompt = model.tokenizer().tokenizer().encode("Hello");
            Job first = new Job(prompt, SamplingParams.greedy(3), Sequence.Reasoning.OFF, 0, null, false);
            scheduler.submit(first);
            Event failed = first.events.poll(30, TimeUnit.SECONDS);
            assertThat(failed).isInstanceOf(Event.Failed.class);
            ApiException error = ((Event.Failed) failed).error();
            assertThat(error.status).isEqualTo(500);
            assertThat(error.getMessage()).startsWith("generation failed: out of memory (Java heap space); give the server more heap");

            Job second = new Job(prompt, SamplingParams.greedy(3), Sequence.Reasoning.OFF, 0, null, false);
            scheduler.submit(second);
            Event e = last(second);
            assertThat(e).isInstanceOf(Event.Done.class);
            assertThat(((Event.Done) e).result().tokens()).hasSize(3);
            assertThat(scheduler.running()).isZero();
        }
    }

    /** A request whose own sampling fails (here its answer constraint) gets the error alone; the request beside it finishes. */
    @Test
    void aFailureInOneRequestsSamplingFailsThatRequestOnly() throws Exception {
        try (Baleine model = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()));
             Scheduler scheduler = new Scheduler(model, 2, 256, 512, 4, new Metrics())) {
            assertFailsAlone(scheduler, model, new IllegalArgumentException("the pattern x takes too many steps to match"), 400,
                    "takes too many steps");
            assertFailsAlone(scheduler, model, new StackOverflowError(), 500, "nests deeper than its JSON constraint can follow");
        }
    }

    private static void assertFailsAlone(Scheduler scheduler, Baleine model, Throwable failure, int status, String message) throws Exception {
        JsonMatcher failing = new FakeMatcher(b -> {
            if (failure instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) failure;
        });
        int[] prompt = model.tokenizer().tokenizer().encode("Hello");
        Job bad = new Job(prompt, SamplingParams.greedy(3), Sequence.Reasoning.OFF, 0, failing, false);
        Job good = new Job(prompt, SamplingParams.greedy(3), Sequence.Reasoning.OFF, 0, null, false);
        scheduler.submit(bad);
        scheduler.submit(good);
        Event failed = last(bad);
        assertThat(failed).isInstanceOf(Event.Failed.class);
        assertThat(((Event.Failed) failed).error().status).isEqualTo(status);
        assertThat(((Event.Failed) failed).error().getMessage()).contains(message);
        assertThat(last(good)).isInstanceOf(Event.Done.class);
    }

    /**
     * A request decoding alone drafts by prompt lookup and gets the tokens it gets without (the guesses checked in
     * its step's pass, the rejected ones cut from its paged cache); requests running together answer alike too, and
     * a prompt repeated finds the blocks the drafting request published.
     */
    @Test
    void aRequestDecodingAloneDraftsAndAnswersAsWithout() throws Exception {
        Path file = DemoModel.ensure(DemoModel.cacheDirectory());
        try (Baleine plain = Baleine.load(file);
             Baleine drafting = Baleine.load(file, new Baleine.Options(0, Optional.empty(), WeightMemory.MAP, CacheType.F32, 4));
             Scheduler reference = new Scheduler(plain, 2, 512, 2048, 4, new Metrics());
             Scheduler scheduler = new Scheduler(drafting, 2, 512, 2048, 4, new Metrics())) {
            int[] prompt = plain.tokenizer().tokenizer().encode("Tell me about whales");
            GenerationResult expected = answer(reference, new Job(prompt, SamplingParams.greedy(200), Sequence.Reasoning.OFF, 2, null, false));
            GenerationResult alone = answer(scheduler, new Job(prompt, SamplingParams.greedy(200), Sequence.Reasoning.OFF, 2, null, false));
            assertThat(alone.tokens()).isEqualTo(expected.tokens());
            assertThat(alone.content()).isEqualTo(expected.content());
            assertThat(alone.acceptedDrafts()).isPositive();
            assertThat(alone.cachedPromptTokens()).isZero();
            Job first = new Job(prompt, SamplingParams.greedy(200), Sequence.Reasoning.OFF, 2, null, false);
            Job second = new Job(prompt, SamplingParams.greedy(200), Sequence.Reasoning.OFF, 2, null, false);
            scheduler.submit(first);
            scheduler.submit(second);
            for (Job j : new Job[]{first, second}) {
                Event e = last(j);
                assertThat(e).isInstanceOf(Event.Done.class);
                assertThat(((Event.Done) e).result().tokens()).isEqualTo(expected.tokens());
            }
        }
    }

    private static GenerationResult answer(Scheduler scheduler, Job job) throws InterruptedException {
        scheduler.submit(job);
        Event e = last(job);
        assertThat(e).isInstanceOf(Event.Done.class);
        return ((Event.Done) e).result();
    }

    /** The job's last event: its Done or Failed. */
    private static Event last(Job job) throws InterruptedException {
        Event e;
        do {
            e = job.events.poll(30, TimeUnit.SECONDS);
        } while (e != null && !(e instanceof Event.Done) && !(e instanceof Event.Failed));
        return e;
    }
}
