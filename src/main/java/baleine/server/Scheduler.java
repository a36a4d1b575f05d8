package baleine.server;

import baleine.api.Baleine;
import baleine.cache.KvCache;
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
 * that running answers keep flowing. Each slot keeps its KV cache after a request: a new request goes to
 * the free slot sharing the longest prefix with its prompt (a prefix-cache hit), else to the least
 * recently used one.
 */
final class Scheduler implements AutoCloseable {
    /** Prompt tokens evaluated per step over all sequences. */
    static final int PREFILL_BUDGET = 64;

    private final Baleine model;
    private final List<Slot> slots = new ArrayList<>();
    private final BlockingQueue<Job> queue;
    private final Metrics metrics;
    private final Thread loop;
    private volatile boolean running = true;

    private static final class Slot {
        final KvCache cache;
        final List<Integer> tokens = new ArrayList<>();
        long lastUsed;
        Job job;
        Sequence sequence;

        Slot(KvCache cache) {
            this.cache = cache;
        }
    }

    Scheduler(Baleine model, int parallel, int contextPerSlot, int maxQueue, Metrics metrics) {
        this.model = model;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, maxQueue));
        for (int i = 0; i < parallel; i++) {
            slots.add(new Slot(model.model().newCache(contextPerSlot)));
        }
        this.loop = Thread.ofPlatform().name("baleine-scheduler").daemon().start(this::run);
    }

    int contextPerSlot() {
        return slots.getFirst().cache.contextLength();
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

    synchronized long kvTokens() {
        return slots.stream().mapToLong(s -> s.cache.length()).sum();
    }

    long kvCapacity() {
        return (long) slots.size() * contextPerSlot();
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
            } catch (RuntimeException e) {
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
        Slot best = null;
        int bestShared = -1;
        for (Slot s : slots) {
            if (s.job != null) {
                continue;
            }
            int shared = Sequence.commonPrefix(s.tokens, job.prompt);
            if (shared > bestShared || (shared == bestShared && s.lastUsed < best.lastUsed)) {
                best = s;
                bestShared = shared;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no free slot"); // only this thread admits, after checking
        }
        Slot slot = best;
        try {
            slot.sequence = new Sequence(model.tokenizer().tokenizer(), model.tokenizer().endOfGeneration(), job.prompt, slot.cache,
                    slot.tokens, job.params, job.reasoning, job.topLogprobs, listener(job), job.cancel);
            if (job.jsonObject) {
                slot.sequence.constrainToJson(JsonConstraint.forObject(model.tokenizer().tokenizer()));
            }
            slot.job = job;
        } catch (RuntimeException e) {
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
        };
    }

    /** One batched forward pass over every sequence that can advance; false when there was none. */
    private boolean step() {
        List<Slot> active = new ArrayList<>();
        List<baleine.model.DecoderModel.Step> steps = new ArrayList<>();
        synchronized (this) {
            int budget = PREFILL_BUDGET;
            for (Slot s : slots) {
                if (s.job == null) {
                    continue;
                }
                if (s.job.cancel.get()) {
                    s.sequence.abort();
                    finish(s);
                    continue;
                }
                if (!s.job.hasRoom()) {
                    continue; // its client is slow: let it drain first
                }
                int prefill = s.sequence.promptRemaining();
                if (prefill > 0 && budget <= 0) {
                    continue;
                }
                int[] input = s.sequence.nextInput(prefill > 0 ? budget : 1);
                if (prefill > 0) {
                    budget -= input.length;
                }
                active.add(s);
                steps.add(new DecoderModel.Step(input, s.cache));
            }
        }
        if (active.isEmpty()) {
            return false;
        }
        float[][] logits = model.model().forward(steps, false);
        synchronized (this) {
            for (int i = 0; i < active.size(); i++) {
                Slot s = active.get(i);
                s.sequence.accept(logits[i]);
                if (s.sequence.finished()) {
                    finish(s);
                }
            }
        }
        return true;
    }

    private void finish(Slot s) {
        GenerationResult r = s.sequence.result();
        metrics.promptTokens.addAndGet(r.promptTokens());
        metrics.cachedPromptTokens.addAndGet(r.cachedPromptTokens());
        metrics.generatedTokens.addAndGet(r.tokens().size());
        metrics.promptNanos.addAndGet(r.promptNanos());
        metrics.generationNanos.addAndGet(r.generationNanos());
        s.job.send(new Event.Done(r, s.sequence.reasoningTokens(), s.sequence.logprobs()));
        s.job = null;
        s.sequence = null;
        s.lastUsed = System.nanoTime();
    }

    /** A failed step leaves caches in an unknown state: empty them and fail their requests. */
    private synchronized void failAll(RuntimeException e) {
        for (Slot s : slots) {
            if (s.job != null) {
                s.job.events.offer(new Event.Failed(new ApiException(500, "server_error", null, "internal_error",
                        "generation failed: " + e.getMessage())));
                s.job = null;
                s.sequence = null;
            }
            s.cache.truncate(0);
            s.tokens.clear();
        }
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
