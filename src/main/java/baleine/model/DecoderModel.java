package baleine.model;

import baleine.cache.CacheType;
import baleine.cache.ContiguousKvCache;
import baleine.cache.KvCache;
import baleine.cache.LayerCache;
import baleine.format.TensorStore;
import baleine.model.blocks.Moe;
import baleine.model.blocks.RmsNorm;
import baleine.tensor.KernelWarmUp;
import baleine.tensor.MatMul;
import baleine.tensor.VectorMath;
import baleine.tensor.Weight;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A decoder-only transformer: embedding, pre-norm layers, final norm, LM head. Architectures differ
 * only in the attention and feed-forward blocks they plug into each {@link Layer}.
 */
public final class DecoderModel implements AutoCloseable {
    /**
     * The most tokens one pass evaluates (longer inputs are cut into passes): 128 for dense models, longer for MoE
     * models ({@link #passSize(int, int)}). Dense models gain nothing from longer passes (Qwen shape Q4_0 pp512:
     * 401 -> 399 tok/s at 512) and their peak memory grows (108% -> 117% of weights + KV).
     */
    static final int DENSE_PASS = 128, MOE_PASS = 512;
    /** The tokens a pass aims to give each routed expert. */
    private static final int TOKENS_PER_EXPERT = 32;

    private final Weight embedding;
    private final List<Layer> layers;
    private final RmsNorm finalNorm;
    private final Weight lmHead;
    private final int contextLength;
    private final TensorStore store;
    private final int passSize;
    private ModelInfo info;
    private CacheType cacheType = CacheType.F32;

    public DecoderModel(Weight embedding, List<Layer> layers, RmsNorm finalNorm, Weight lmHead, int contextLength, TensorStore store) {
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.contextLength = contextLength;
        this.store = store;
        int pass = DENSE_PASS;
        for (Layer l : layers) {
            if (l.ffn() instanceof Moe moe) {
                pass = Math.max(pass, passSize(moe.experts().size(), moe.router().topK()));
            }
        }
        this.passSize = pass;
    }

    /**
     * The pass for a MoE layer of {@code experts} routed experts, {@code active} per token: a pass of n tokens gives
     * each expert about n active / experts of them, and an expert's rows are converted once per pass for all its
     * tokens, so passes long enough for {@link #TOKENS_PER_EXPERT} each (a power of two, 128 to 512) make prompts
     * faster. V2-Lite shape (64 experts, 6 active) Q8_0 pp1024 on two threads, alternating: passes of 128 198 tok/s,
     * 512 232-239, 1024 225-239 (peak RSS 98%, 103%, 110% of weights + KV); pp512 Q4_0 +23-29%, BF16 +20-53%. The
     * V3-shape bench model (8 experts, 2 active: 32 tokens each at 128) read 1% and 21% lower at 512 (two pairs).
     */
    static int passSize(int experts, int active) {
        int wanted = TOKENS_PER_EXPERT * experts / Math.max(1, active);
        return Math.clamp(Integer.highestOneBit(Math.max(1, wanted - 1)) << 1, DENSE_PASS, MOE_PASS);
    }

    /** The most tokens one forward pass evaluates: longer inputs (and steps) go through in passes of this size. */
    public int passSize() {
        return passSize;
    }

    void setInfo(ModelInfo info) {
        this.info = info;
    }

    public ModelInfo info() {
        return info;
    }

    /** The element type of the caches made from now on (f32 unless set). */
    public CacheType cacheType() {
        return cacheType;
    }

    public void setCacheType(CacheType type) {
        this.cacheType = type;
    }

    public int vocabSize() {
        return lmHead.rows;
    }

    public int contextLength() {
        return contextLength;
    }

    public long embeddingParameters() {
        return embedding.elements();
    }

    /** Parameters of the LM head, 0 when it is tied to the embedding. */
    public long headParameters() {
        return lmHead.name.equals(embedding.name) ? 0 : lmHead.elements();
    }

    public long headBytes() {
        return lmHead.bytes();
    }

    public List<Layer> layers() {
        return layers;
    }

    public KvCache newCache() {
        return newCache(contextLength);
    }

    public KvCache newCache(int contextLength) {
        return new ContiguousKvCache(newLayerCaches(), Math.min(contextLength, this.contextLength));
    }

    /** Empty per-layer storage in this model's layout (for a private cache or a shared block pool). */
    public List<LayerCache> newLayerCaches() {
        List<LayerCache> caches = new ArrayList<>();
        for (Layer l : layers) {
            caches.add(l.attention().newCache(cacheType));
        }
        return caches;
    }

    /**
     * Rounds of short passes on scratch caches (a 23-token prompt, whose batches of eight leave a four, a two and a
     * one, then steps of one to {@code sequences} sequences of a token each: each batch size up to four has kernels of
     * its own) until {@code seconds} have passed, at least one round; the results are dropped. The JIT compiles the
     * kernels meanwhile (a first 64-token prompt otherwise runs at about half speed, a kernel first met in a server's
     * step stalls it for about a second, and a chat's first answer waited seconds for the JIT) and the weights are
     * paged in, so the first requests run at full speed. Results never depend on it: the kernels give the same bits
     * compiled or not.
     */
    public void warmUp(double seconds, int sequences) {
        warmUp(seconds, sequences, () -> false);
    }

    /**
     * {@link #warmUp(double, int)} that also ends when {@code stop} says so, asked after each pass; the passes follow
     * {@link #warmUpKernels}, which asks it after each kind of matrix.
     */
    public void warmUp(double seconds, int sequences, BooleanSupplier stop) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        if (!warmUpKernels(stop)) {
            return;
        }
        int prompt = Math.max(1, Math.min(23, contextLength / 4)), steps = Math.max(1, Math.min(4, contextLength / 8));
        int[] tokens = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            tokens[i] = (int) ((i * 7919L + 1) % vocabSize());
        }
        int most = Math.max(1, sequences);
        float[][] logits = new float[most][vocabSize()];
        do {
            List<KvCache> caches = new ArrayList<>();
            for (int k = 0; k < most; k++) { // sequence k joins the steps of k + 1 sequences and more
                caches.add(newCache(prompt + (most - k) * steps + 1));
                forward(tokens, caches.get(k), false);
                if (stop.getAsBoolean()) {
                    return;
                }
            }
            for (int i = 0; i < steps; i++) {
                List<Step> step = new ArrayList<>();
                for (KvCache c : caches) {
                    step.add(new Step(new int[]{tokens[i]}, c));
                    forwardInto(step, logits);
                    if (stop.getAsBoolean()) {
                        return;
                    }
                }
            }
        } while (System.nanoTime() < end);
    }

    /**
     * Gets the decoding kernels of this model's matrices compiled ({@link KernelWarmUp}: about a second per kind
     * interpreted, each kind's call a fraction of a row), so that a first pass on a cold JVM does not run them
     * interpreted over whole rows: a cold {@code generate} with a Qwen-shape Q4_K_M model of 28 layers 9.1-12.2 s
     * -> 7.2-8.1. Results never depend on it. Asks {@code stop} after each kind; returns false if that ended it.
     */
    public boolean warmUpKernels(BooleanSupplier stop) {
        List<Weight> matrices = new ArrayList<>(List.of(lmHead));
        for (Layer l : layers) {
            matrices.addAll(l.attention().matrices());
            matrices.addAll(l.ffn().matrices());
        }
        return KernelWarmUp.decoding(matrices, stop);
    }

    /** Tokens of one sequence to evaluate after what its cache already holds. */
    public record Step(int[] tokens, KvCache cache) {
    }

    /**
     * Runs {@code tokens} at the positions after those already in {@code cache}, appends them to it and
     * returns the logits of every position ({@code allLogits}) or of the last one only.
     */
    public float[][] forward(int[] tokens, KvCache cache, boolean allLogits) {
        return forward(List.of(new Step(tokens, cache)), allLogits);
    }

    /**
     * Evaluates several sequences in one pass: their rows share every matrix product (each weight row is
     * read once for the whole batch), while attention runs per sequence over its own cache. Returns, in
     * order, the logits of every position of every step ({@code allLogits}) or of each step's last token.
     * Results do not depend on what else is in the batch.
     */
    public float[][] forward(List<Step> steps, boolean allLogits) {
        return forward(steps, allLogits, null, null);
    }

    /**
     * As {@code forward(steps, false)}, the logits of each step's last token written into {@code logits}
     * (one row per step, {@link #vocabSize()} wide): a generation loop passes the same rows token after
     * token instead of receiving new ones.
     */
    public void forwardInto(List<Step> steps, float[][] logits) {
        requireRows(logits, steps.size(), "steps");
        forward(steps, false, logits, null);
    }

    /**
     * As {@code forward(steps, true)}, the logits of every position written into {@code logits} (a row per token,
     * in order): drafted tokens are checked pass after pass into the same rows.
     */
    public void forwardAllInto(List<Step> steps, float[][] logits) {
        requireRows(logits, steps.stream().mapToInt(s -> s.tokens().length).sum(), "tokens");
        forward(steps, true, logits, null);
    }

    /** Receives a pass's logits a few positions at a time: rows [0, count) of {@code logits}, valid during the call only. */
    @FunctionalInterface
    public interface LogitsSink {
        void accept(float[][] logits, int count);
    }

    /** Positions whose logits {@link #forwardScored} hands over at a time. */
    static final int SINK_ROWS = 32;

    /**
     * As {@code forward(steps, true)}, every position's logits, but handed to {@code sink} in order, {@link #SINK_ROWS}
     * positions at a time, not returned: a long prompt's every logit (scoring it) without a row per position in memory,
     * in passes as long as any prompt's.
     */
    public void forwardScored(List<Step> steps, LogitsSink sink) {
        forward(steps, true, null, sink);
    }

    /** A caller's logits buffer holds {@code rows} rows of {@link #vocabSize()}, one per step or token ({@code what}). */
    private void requireRows(float[][] logits, int rows, String what) {
        if (logits.length < rows || logits[0].length != vocabSize()) {
            throw new IllegalArgumentException(rows + " " + what + " need as many rows of " + vocabSize() + " logits");
        }
    }

    private float[][] forward(List<Step> steps, boolean allLogits, float[][] into, LogitsSink sink) {
        int n = 0;
        for (Step s : steps) {
            if (s.tokens().length == 0) {
                throw new IllegalArgumentException("no tokens to evaluate");
            }
            for (int t : s.tokens()) {
                if (t < 0 || t >= embedding.rows) {
                    throw new IllegalArgumentException("token id " + t + " is outside the vocabulary of " + embedding.rows + " tokens");
                }
            }
            n += s.tokens().length;
        }
        for (Step s : steps) {
            s.cache().reserve(s.tokens().length);
        }
        if (n > passSize) {
            float[][] logits = forwardInChunks(steps, allLogits, sink);
            if (into == null) {
                return logits;
            }
            for (int i = 0; i < logits.length; i++) {
                System.arraycopy(logits[i], 0, into[i], 0, logits[i].length);
            }
            return into;
        }
        try (Activations.Scope pass = Activations.open()) {
            return forwardPass(steps, n, allLogits, into, sink);
        }
    }

    /** One pass of at most {@link #passSize} tokens; its activations are reused, layer after layer. */
    private float[][] forwardPass(List<Step> steps, int n, boolean allLogits, float[][] into, LogitsSink sink) {
        int hidden = embedding.cols;
        float[][] h = Activations.take(n, hidden);
        int row = 0;
        for (Step s : steps) {
            for (int t : s.tokens()) {
                embedding.decodeRow(t, h[row++]);
            }
        }
        for (int l = 0; l < layers.size(); l++) {
            try (Activations.Scope layerScope = Activations.open()) {
                forwardLayer(layers.get(l), l, steps, h, n);
            }
        }
        List<float[]> out = new ArrayList<>();
        int end = 0;
        for (Step s : steps) {
            int len = s.tokens().length;
            s.cache().commit(len);
            for (int t = allLogits ? end : end + len - 1; t < end + len; t++) {
                finalNorm.apply(h[t], 0);
                out.add(h[t]);
            }
            end += len;
        }
        float[][] last = out.toArray(new float[0][]);
        if (sink != null) {
            float[][] rows = new float[Math.min(SINK_ROWS, last.length)][lmHead.rows];
            for (int from = 0; from < last.length; from += rows.length) {
                int count = Math.min(rows.length, last.length - from);
                MatMul.apply(lmHead, Arrays.copyOfRange(last, from, from + count), rows, count);
                sink.accept(rows, count);
            }
            return new float[0][];
        }
        float[][] logits = into != null ? into : new float[last.length][lmHead.rows]; // never from the activations
        MatMul.apply(lmHead, last, logits, last.length);
        return logits;
    }

    private void forwardLayer(Layer layer, int l, List<Step> steps, float[][] h, int n) {
        int hidden = h[0].length;
        float[][] xn = layer.attnNorm().applyCopy(h, n);
        int first = 0;
        for (Step s : steps) {
            int len = s.tokens().length;
            float[][] a = layer.attention().forward(Arrays.copyOfRange(xn, first, first + len), len, s.cache(), l);
            for (int t = 0; t < len; t++) {
                VectorMath.axpy(1f, a[t], 0, h[first + t], 0, hidden);
            }
            first += len;
        }
        float[][] f = layer.ffn().forward(layer.ffnNorm().applyCopy(h, n), n);
        addInto(h, f, n, hidden);
    }

    /**
     * Long inputs go through in consecutive passes of at most {@link #passSize} tokens (llama.cpp's
     * micro-batches): a long step is cut into pieces, pieces of different steps share passes. Activations
     * stay a few tens of MB however long the prompt, and since results do not depend on the batch, the
     * logits are those of one pass.
     */
    private float[][] forwardInChunks(List<Step> steps, boolean allLogits, LogitsSink sink) {
        List<float[]> out = new ArrayList<>();
        List<Step> pass = new ArrayList<>();
        List<Boolean> lastPiece = new ArrayList<>();
        int size = 0;
        for (Step s : steps) {
            int[] tokens = s.tokens();
            for (int from = 0; from < tokens.length; from += passSize) {
                int to = Math.min(tokens.length, from + passSize);
                if (size + to - from > passSize) {
                    runPass(pass, lastPiece, allLogits, sink, out);
                    size = 0;
                }
                pass.add(new Step(Arrays.copyOfRange(tokens, from, to), s.cache()));
                lastPiece.add(to == tokens.length);
                size += to - from;
            }
        }
        runPass(pass, lastPiece, allLogits, sink, out);
        return out.toArray(new float[0][]);
    }

    private void runPass(List<Step> pass, List<Boolean> lastPiece, boolean allLogits, LogitsSink sink, List<float[]> out) {
        float[][] logits = forward(pass, allLogits, null, sink);
        if (allLogits) {
            out.addAll(Arrays.asList(logits));
        } else {
            for (int i = 0; i < pass.size(); i++) { // one row per piece: keep those that end a step
                if (lastPiece.get(i)) {
                    out.add(logits[i]);
                }
            }
        }
        pass.clear();
        lastPiece.clear();
    }

    private static void addInto(float[][] h, float[][] delta, int n, int hidden) {
        for (int t = 0; t < n; t++) {
            VectorMath.axpy(1f, delta[t], 0, h[t], 0, hidden);
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
