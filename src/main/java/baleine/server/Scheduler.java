package baleine.server;

import baleine.api.Baleine;
import baleine.cache.BlockPool;
import baleine.cache.PagedKvCache;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.JsonConstraint;
import baleine.generation.Sequence;
import baleine.model.DecoderModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: one thread steps every active sequence together (one batched forward pass per
 * step), admits queued requests into free slots between steps, and evaluates long prompts in chunks so
 * that running answers keep flowing. KV caches live in one shared {@link BlockPool}: a new request starts
 * from the longest prefix of whole blocks any running or finished request left there (a prefix-cache hit).
 */
final class Scheduler implements AutoCloseable {
    /**
     * Prompt tokens evaluated per step over all sequences while some sequence is decoding, so that its tokens keep
     * coming; with none decoding, prompts go through a whole pass at a time ({@link DecoderModel#passSize}: MoE
     * models convert each expert's weights once per pass, so longer passes give a long prompt's first token sooner).
     */
    static final int PREFILL_BUDGET = 64;

    private final Baleine model;
    private final List<Slot> slots = new ArrayList<>();
    private final BlockingQueue<Job> queue;
    private final Metrics metrics;
    private final BlockPool pool;
    private final int contextPerSlot;
    private final Thread loop;
    private final float[][] logits; // a row per slot, or per token of a drafting request's step, reused step after step
    /**
     * A request scoring its prompt (echo with logprobs) steps alone, every position's logits handed over as they come
     * ({@link DecoderModel#forwardScored}), taking turns with the other requests' steps.
     */
    private boolean scoredLast;
    private final Forward forward;
    private volatile boolean running = true;

    /** The batched forward pass ({@link DecoderModel#forwardInto}); tests put a failing one in its place. */
    @FunctionalInterface
    interface Forward {
        void run(List<DecoderModel.Step> steps, float[][] logits);
    }

    /** A running request: its cache (a view of the shared block pool), tokens and generation. */
    private static final class Slot {
        Job job;
        PagedKvCache cache;
        List<Integer> tokens;
        Sequence sequence;

        /** Closes the cache's view (blocks published before stay cached) and leaves the slot free. */
        void free() {
            cache.close();
            job = null;
            sequence = null;
            cache = null;
            tokens = null;
        }
    }

    /**
     * @param cacheTokens tokens the shared KV cache holds; raised to {@code parallel x contextPerSlot} so that
     *                    running requests can always grow (cached prefixes are evicted for them)
     */
    Scheduler(Baleine model, int parallel, int contextPerSlot, long cacheTokens, int maxQueue, Metrics metrics) {
        this(model, parallel, contextPerSlot, cacheTokens, maxQueue, metrics, model.model()::forwardInto);
    }

    Scheduler(Baleine model, int parallel, int contextPerSlot, long cacheTokens, int maxQueue, Metrics metrics, Forward forward) {
        this.model = model;
        this.forward = forward;
        this.metrics = metrics;
        this.contextPerSlot = contextPerSlot;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, maxQueue));
        int perRequest = (contextPerSlot + BlockPool.BLOCK - 1) / BlockPool.BLOCK;
        long blocks = Math.max((long) parallel * perRequest, (cacheTokens + BlockPool.BLOCK - 1) / BlockPool.BLOCK);
        this.pool = new BlockPool(model.model()::newLayerCaches, Math.toIntExact(blocks));
        for (int i = 0; i < parallel; i++) {
            slots.add(new Slot());
        }
        this.logits = new float[Math.max(parallel, 1 + model.draftTokens())][model.model().vocabSize()];
        this.loop = Thread.ofPlatform().name("baleine-scheduler").daemon().start(this::run);
    }

    int contextPerSlot() {
        return contextPerSlot;
    }

    /** Queues a job, or refuses it with 429 when the queue is full. */
    void submit(Job job) {
        if (!running) {
            throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down");
        }
        if (!queue.offer(job)) {
            metrics.rejected.incrementAndGet();
            throw new ApiException(429, "rate_limit_error", null, "queue_full",
                    "the request queue is full (" + queue.size() + " waiting); retry later");
        }
        metrics.requests.incrementAndGet();
    }

    synchronized int running() {
        return (int) slots.stream().filter(s -> s.job != null).count();
    }

    int queued() {
        return queue.size();
    }

    /** Tokens of KV cache in use by running requests or kept for reuse. */
    synchronized long kvTokens() {
        return (long) (pool.usedBlocks() + pool.idleBlocks()) * BlockPool.BLOCK;
    }

    long kvCapacity() {
        return (long) pool.blocks() * BlockPool.BLOCK;
    }

    private void run() {
        while (running || busy()) {
            try {
                admit();
                if (!step()) {
                    if (freeSlot()) {
                        Job next = queue.poll(50, TimeUnit.MILLISECONDS);
                        if (next != null) {
                            start(next);
                        }
                    } else {
                        Thread.sleep(2); // every running sequence waits for its client to read
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) { // an Error too (out of memory, stack overflow): the loop must outlive it
                failAll(e);
            }
        }
    }

    private synchronized boolean busy() {
        return slots.stream().anyMatch(s -> s.job != null);
    }

    private void admit() {
        Job job;
        while (freeSlot() && (job = queue.poll()) != null) {
            start(job);
        }
    }

    private synchronized boolean freeSlot() {
        return slots.stream().anyMatch(s -> s.job == null);
    }

    private synchronized void start(Job job) {
        if (job.cancel.get()) {
            return;
        }
        Slot slot = slots.stream().filter(s -> s.job == null).findFirst()
                .orElseThrow(() -> new IllegalStateException("no free slot")); // only this thread admits, after checking
        List<Integer> tokens = new ArrayList<>();
        // shares the longest cached prefix, unless every prompt token's logits are wanted
        PagedKvCache cache = pool.attach(job.scoresPrompt ? new int[0] : job.prompt, contextPerSlot, tokens);
        try {
            slot.sequence = new Sequence(model.tokenizer().tokenizer(), model.tokenizer().endOfGeneration(), job.prompt, cache,
                    tokens, job.params, job.reasoning, job.topLogprobs, listener(job), job.cancel);
            if (job.scoresPrompt) {
                slot.sequence.scorePrompt();
            }
            if (job.constraint != null) {
                slot.sequence.constrainToJson(JsonConstraint.of(model.tokenizer().tokenizer(), job.constraint));
            }
            slot.job = job;
            slot.cache = cache;
            slot.tokens = tokens;
        } catch (RuntimeException e) {
            cache.close();
            job.send(new Event.Failed(ApiException.badRequest(e.getMessage())));
        }
    }

    private static GenerationListener listener(Job job) {
        return new GenerationListener() {
            @Override
            public void onReasoning(String text) {
                job.send(new Event.Reasoning(text));
            }

            @Override
            public void onContent(String text) {
                job.send(new Event.Content(text));
            }

            @Override
            public void onLogprob(Sequence.TokenLogprob logprob) {
                job.send(new Event.Logprob(logprob));
            }

            @Override
            public void onPromptLogprobs(List<Sequence.TokenLogprob> logprobs) {
                job.send(new Event.PromptLogprobs(List.copyOf(logprobs)));
            }
        };
    }

    /**
     * One batched forward pass over every sequence that can advance; false when there was none. A sequence decoding
     * alone (no other request running) drafts up to {@link Baleine#draftTokens()} tokens by prompt lookup, checked
     * in the same pass; under load the batch already shares each weight row's read among the requests.
     */
    private boolean step() {
        List<Slot> active = new ArrayList<>();
        List<DecoderModel.Step> steps = new ArrayList<>();
        boolean scoring;
        synchronized (this) {
            List<Slot> ready = new ArrayList<>();
            for (Slot s : slots) {
                if (s.job == null) {
                    continue;
                }
                if (s.job.cancel.get()) {
                    s.sequence.abort();
                    finish(s);
                    continue;
                }
                if (s.job.hasRoom()) { // else its client is slow: let it drain first
                    ready.add(s);
                }
            }
            Slot scorer = ready.stream().filter(Scheduler::scoringPrompt).findFirst().orElse(null);
            scoring = scorer != null && (!scoredLast || ready.stream().allMatch(Scheduler::scoringPrompt));
            scoredLast = scoring;
            if (scoring) {
                int chunk = anyDecoding() ? PREFILL_BUDGET : model.model().passSize();
                active.add(scorer);
                steps.add(new DecoderModel.Step(scorer.sequence.nextInput(chunk), scorer.cache));
            } else {
                collectSteps(ready, active, steps);
            }
        }
        if (active.isEmpty()) {
            return false;
        }
        boolean drafted = !scoring && active.size() == 1 && active.getFirst().sequence.drafted() > 0;
        if (scoring) {
            Sequence scored = active.getFirst().sequence;
            model.model().forwardScored(steps, scored::scoreRows);
        } else if (drafted) {
            model.model().forwardAllInto(steps, logits);
        } else {
            forward.run(steps, logits);
        }
        synchronized (this) {
            for (int i = 0; i < active.size(); i++) {
                Slot s = active.get(i);
                try {
                    if (scoring) {
                        s.sequence.acceptScored();
                    } else if (drafted) {
                        s.sequence.accept(logits);
                    } else {
                        s.sequence.accept(logits[i]);
                    }
                } catch (RuntimeException | StackOverflowError e) { // this request's sampling or constraint failed: the others go on
                    fail(s, requestFailure(e));
                    continue;
                }
                pool.publish(s.cache, s.tokens); // full blocks become shareable at once, even while running
                if (s.sequence.finished()) {
                    finish(s);
                }
            }
        }
        return true;
    }

    /** Whether the slot's next step evaluates prompt tokens whose logits are all wanted. */
    private static boolean scoringPrompt(Slot s) {
        return s.job.scoresPrompt && s.sequence.promptRemaining() > 0;
    }

    /**
     * The next step of every ready sequence but those scoring their prompt: prompt chunks within the step's budget, a
     * token for each one decoding (and the guesses of one decoding alone).
     */
    private void collectSteps(List<Slot> ready, List<Slot> active, List<DecoderModel.Step> steps) {
        int budget = anyDecoding() ? PREFILL_BUDGET : model.model().passSize();
        boolean alone = running() == 1;
        for (Slot s : ready) {
            int prefill = s.sequence.promptRemaining();
            if (scoringPrompt(s) || (prefill > 0 && budget <= 0)) {
                continue;
            }
            int draft = alone ? Math.min(model.draftTokens(), s.job.draftRoom()) : 0;
            int[] input = s.sequence.nextInput(prefill > 0 ? budget : 1, draft);
            if (prefill > 0) {
                budget -= input.length;
            }
            active.add(s);
            steps.add(new DecoderModel.Step(input, s.cache));
        }
    }

    private boolean anyDecoding() {
        for (Slot s : slots) {
            if (s.job != null && s.sequence.promptRemaining() == 0) {
                return true;
            }
        }
        return false;
    }

    private void finish(Slot s) {
        GenerationResult r = s.sequence.result();
        metrics.promptTokens.addAndGet(r.promptTokens());
        metrics.cachedPromptTokens.addAndGet(r.cachedPromptTokens());
        metrics.generatedTokens.addAndGet(r.tokens().size());
        metrics.promptNanos.addAndGet(r.promptNanos());
        metrics.generationNanos.addAndGet(r.generationNanos());
        s.job.send(new Event.Done(r, s.sequence.reasoningTokens(), s.sequence.logprobs()));
        pool.publish(s.cache, s.tokens);
        s.free();
    }

    /**
     * A failed step leaves the running sequences in an unknown state: fail their requests and free their blocks.
     * Queued requests go on.
     */
    private synchronized void failAll(Throwable e) {
        System.err.println("baleine: a generation step failed, its requests get an error: " + e);
        for (Slot s : slots) {
            if (s.job != null) {
                fail(s, ApiException.internal("generation failed: ", e));
            }
        }
    }

    /**
     * The error for a request whose own sampling failed: what it asked for cannot be done (400), its answer nests
     * deeper than its JSON constraint's matchers can recurse, or a failure of ours (500).
     */
    private static ApiException requestFailure(Throwable e) {
        if (e instanceof IllegalArgumentException) {
            return ApiException.badRequest(e.getMessage());
        }
        return ApiException.internal("generation failed: ", e instanceof StackOverflowError
                ? new IllegalStateException("the answer nests deeper than its JSON constraint can follow") : e);
    }

    /** Ends a running request with an error and frees its slot (its blocks not published for reuse). */
    private void fail(Slot s, ApiException error) {
        s.job.events.offer(new Event.Failed(error));
        s.free();
    }

    /** Stops admitting; running requests finish (or are cancelled after {@code graceMillis}). */
    @Override
    public void close() {
        running = false;
        Job j;
        while ((j = queue.poll()) != null) {
            j.events.offer(new Event.Failed(new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down")));
        }
        try {
            loop.join(10_000);
            if (loop.isAlive()) {
                synchronized (this) {
                    slots.stream().filter(s -> s.job != null).forEach(s -> s.job.cancel.set(true));
                }
                loop.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.interrupt();
    }
}
