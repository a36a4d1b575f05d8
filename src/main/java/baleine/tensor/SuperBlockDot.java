package baleine.tensor;

import com.sun.management.HotSpotDiagnosticMXBean;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;

/**
 * K-quant decoding kernels that take a whole 256-column super-block per step, its parts written out at the block's
 * start plus constants, where {@link FourRowDot}'s step through it in loops: C2 then checks a row's bounds about
 * once per block and keeps the addresses in general registers. Same operations in the same order, so the same
 * bits. Q4_K ({@link #q4_k}: four rows, the block's four 64-column steps in one loop step) takes 0.70-0.77x the
 * time of {@link FourRowDot#q4_k}; Q6_K ({@link #q6_kBlockPair}: its two-row block method with the halves and lane groups
 * written out) 0.79-0.83x that of {@link FourRowDot#q6_k}; times two vectors (a batch of two), Q4_K
 * ({@link #q4_kPair}) 0.75-0.78x the time of {@link PairDot#q4_k}, Q6_K ({@link #q6_kBlockPairTimesTwo}) 0.77-0.87x
 * that of {@link PairDot#q6_k}. Q5_K in Q4_K's form was not kept: in a model C2
 * compiled it past its inlining budget, with boxed vectors ({@link FourRowDot#q5_k} takes half a block per loop
 * step instead, which C1 compiles).
 *
 * <p>C1 cannot compile methods this large ("out of virtual registers" at tier 3, every Vector API call being
 * inlined). That is harmless where the JVM then profiles them in the interpreter and goes to C2, but when C2's
 * queue is long HotSpot's first compile of a method is tier 2, and a tier-2 method that tier 3 refuses stays at
 * tier 2, its vectors boxed, for good. So these kernels are used only where that cannot happen: C2 alone
 * ({@code -XX:-TieredCompilation}) or tier 2 never chosen for a long queue ({@code -XX:Tier3DelayOn=100000}, which
 * the launcher passes, with a compile command that lowers these methods' compile thresholds), and on 16 float lanes
 * (where they were measured; Q4_K's nibble lookup, {@link FusedDot#NIBBLE_LOOKUP}, needs them).
 *
 * <p>Until C2 has compiled a kernel, the interpreter runs it, some hundred times slower than C1's code of the step
 * kernel: used from the first token, Q4_K's made a cold 64-token {@code generate} 1-2.5 s slower. So products keep
 * the step kernel until {@link #ready}: a background thread, started with a type's first product, runs both kernels
 * on one block until this one is the faster three times in a row (within a minute, or never).
 */
final class SuperBlockDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final boolean ENABLED = FusedDot.NIBBLE_LOOKUP && largeMethodsReachC2();
    private static final Switch Q4_K = new Switch(GgmlType.Q4_K, false), Q6_K = new Switch(GgmlType.Q6_K, false),
            Q4_K_PAIR = new Switch(GgmlType.Q4_K, true), Q6_K_PAIR = new Switch(GgmlType.Q6_K, true);

    private SuperBlockDot() {
    }

    /** Whether this JVM takes a method that C1 refuses to C2: see the class comment. */
    static boolean largeMethodsReachC2() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return !Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue())
                    || Long.parseLong(vm.getVMOption("Tier3DelayOn").getValue()) >= 1000;
        } catch (RuntimeException | LinkageError e) { // not HotSpot: no such options
            return false;
        }
    }

    /** Whether {@code type}'s kernel here (Q4_K or Q6_K) is on and compiled: until then the step kernel works. */
    static boolean ready(GgmlType type) {
        return ENABLED && (type == GgmlType.Q4_K ? Q4_K : Q6_K).ready();
    }

    /** Whether {@code type}'s kernel here for two vectors (Q4_K or Q6_K) is on and compiled: until then PairDot's works. */
    static boolean pairReady(GgmlType type) {
        return ENABLED && (type == GgmlType.Q4_K ? Q4_K_PAIR : Q6_K_PAIR).ready();
    }

    /** One type's kernel: off until a background timing finds it compiled (see the class comment). */
    private static final class Switch {
        private final GgmlType type;
        private final boolean pair;
        private final AtomicBoolean started = new AtomicBoolean();
        private volatile boolean ready;

        Switch(GgmlType type, boolean pair) {
            this.type = type;
            this.pair = pair;
        }

        boolean ready() {
            if (!ready && !started.get() && started.compareAndSet(false, true)) {
                String name = "baleine-" + type.name().toLowerCase(Locale.ROOT) + (pair ? "-pair" : "") + "-warm-up";
                Thread.ofPlatform().daemon().name(name).start(this::warmUp);
            }
            return ready;
        }

        private void warmUp() {
            int cols = 256; // one block: few loop back-edges, so C2 compiles the method whole rather than a loop of it (OSR)
            long rowBytes = type.bytesFor(cols);
            Random rnd = new Random(1);
            MemorySegment rows = Arena.ofAuto().allocate(4 * rowBytes);
            for (long i = 0; i < rows.byteSize(); i++) {
                rows.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            }
            for (long r = 0; r < 4; r++) { // finite scales: Q4_K's d and dmin open its block, Q6_K's d closes it
                if (type == GgmlType.Q4_K) {
                    rows.set(ValueLayout.JAVA_INT_UNALIGNED, r * rowBytes, 0x30303030);
                } else {
                    rows.set(ValueLayout.JAVA_SHORT_UNALIGNED, (r + 1) * rowBytes - 2, (short) 0x3030);
                }
            }
            float[] x = new float[cols], x1 = new float[cols], out = VectorMath.outBuffer(8);
            for (int i = 0; i < cols; i++) {
                x[i] = (float) rnd.nextGaussian();
                x1[i] = (float) rnd.nextGaussian();
            }
            // the kernel here (mine) and the step kernel it replaces
            boolean q4 = type == GgmlType.Q4_K;
            Runnable mine, step;
            if (pair) {
                mine = q4 ? () -> q4_kPair(rows, 0, rowBytes, x, x1, 0, cols, out) : () -> PairDot.q6_k(rows, 0, rowBytes, x, x1, 0, cols, out, true);
                step = q4 ? () -> PairDot.q4_k(rows, 0, rowBytes, x, x1, 0, cols, out) : () -> PairDot.q6_k(rows, 0, rowBytes, x, x1, 0, cols, out, false);
            } else {
                mine = q4 ? () -> q4_k(rows, 0, rowBytes, x, 0, cols, out) : () -> FourRowDot.q6_k(rows, 0, rowBytes, x, 0, cols, out, true);
                step = q4 ? () -> FourRowDot.q4_k(rows, 0, rowBytes, x, 0, cols, out) : () -> FourRowDot.q6_k(rows, 0, rowBytes, x, 0, cols, out, false);
            }
            long deadline = System.nanoTime() + 60_000_000_000L, pause = 20_000_000;
            for (int wins = 0; wins < 3; ) {
                if (System.nanoTime() > deadline) {
                    return; // never compiled well (or the machine is starved): the step kernel stays
                }
                // the fastest of four calls each: a call preempted by the model's threads does not decide
                long mineNs = Long.MAX_VALUE, stepNs = Long.MAX_VALUE;
                for (int i = 0; i < 4; i++) {
                    long t0 = System.nanoTime();
                    mine.run();
                    long t1 = System.nanoTime();
                    step.run();
                    mineNs = Math.min(mineNs, t1 - t0);
                    stepNs = Math.min(stepNs, System.nanoTime() - t1);
                }
                if (mineNs < stepNs) {
                    wins++;
                } else { // interpreted still, or C2 at work: leave the cores to the model, longer each time
                    wins = 0;
                    LockSupport.parkNanos(pause);
                    pause = Math.min(2 * pause, 320_000_000);
                }
            }
            ready = true;
        }
    }

    /** Q4_K, {@code out[k] = row(off + k * stride) . x[xOff .. xOff + n)} for k in 0..3, as {@link FourRowDot#q4_k}. */
    static void q4_k(MemorySegment s, long off, long stride, float[] x, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int xb = xOff + 256 * blk;
            long o0 = off + 144L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
            }
            // the four 64-column steps written out: as a loop over them, C2's code took 1.16-1.26x the time
            {
                int lo = 0, hi = 1; // step 0: sub-blocks 0 and 1, columns 0..63
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + l;
                    long q = 16 + l;
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
                }
            }
            {
                int lo = 2, hi = 3; // step 1: sub-blocks 2 and 3, columns 64..127
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 + l;
                    long q = 48 + l;
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
                }
            }
            {
                int lo = 4, hi = 5; // step 2: sub-blocks 4 and 5, columns 128..191
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 128 + l;
                    long q = 80 + l;
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
                }
            }
            {
                int lo = 6, hi = 7; // step 3: sub-blocks 6 and 7, columns 192..255
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 192 + l;
                    long q = 112 + l;
                    FloatVector xl = FloatVector.fromArray(F, x, i), xh = FloatVector.fromArray(F, x, i + 32);
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

    /**
     * Q4_K, four rows times two vectors, as {@link PairDot#q4_k} (same order, same bits) with {@link #q4_k}'s whole
     * super-block per loop step; {@code out} as there: the rows' dots with {@code x0}, then with {@code x1}.
     */
    static void q4_kPair(MemorySegment s, long off, long stride, float[] x0, float[] x1, int xOff, int n, float[] out) {
        float[] k = KQuantFactors.scratch();
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        for (int blk = 0, blocks = n / 256; blk < blocks; blk++) {
            int xb = xOff + 256 * blk;
            long o0 = off + 144L * blk, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride;
            for (int r = 0; r < 4; r++) {
                KQuantFactors.sixBitScales(s, o0 + r * stride, k, 16 * r);
            }
            {
                int lo = 0, hi = 1; // step 0, columns 0..63
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + l;
                    long q = 16 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v;
                    FloatVector w, h;
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l0).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats();
                    a0 = h.fma(uh, w.fma(ul, a0));
                    b0 = h.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l1).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats();
                    a1 = h.fma(uh, w.fma(ul, a1));
                    b1 = h.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l2).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats();
                    a2 = h.fma(uh, w.fma(ul, a2));
                    b2 = h.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l3).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats();
                    a3 = h.fma(uh, w.fma(ul, a3));
                    b3 = h.fma(vh, w.fma(vl, b3));
                }
            }
            {
                int lo = 2, hi = 3; // step 1, columns 64..127
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 64 + l;
                    long q = 48 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v;
                    FloatVector w, h;
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l0).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats();
                    a0 = h.fma(uh, w.fma(ul, a0));
                    b0 = h.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l1).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats();
                    a1 = h.fma(uh, w.fma(ul, a1));
                    b1 = h.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l2).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats();
                    a2 = h.fma(uh, w.fma(ul, a2));
                    b2 = h.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l3).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats();
                    a3 = h.fma(uh, w.fma(ul, a3));
                    b3 = h.fma(vh, w.fma(vl, b3));
                }
            }
            {
                int lo = 4, hi = 5; // step 2, columns 128..191
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 128 + l;
                    long q = 80 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v;
                    FloatVector w, h;
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l0).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats();
                    a0 = h.fma(uh, w.fma(ul, a0));
                    b0 = h.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l1).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats();
                    a1 = h.fma(uh, w.fma(ul, a1));
                    b1 = h.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l2).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats();
                    a2 = h.fma(uh, w.fma(ul, a2));
                    b2 = h.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l3).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats();
                    a3 = h.fma(uh, w.fma(ul, a3));
                    b3 = h.fma(vh, w.fma(vl, b3));
                }
            }
            {
                int lo = 6, hi = 7; // step 3, columns 192..255
                IntVector l0 = FusedDot.NIBBLES.fma(k[lo], k[8 + lo]).reinterpretAsInts();
                IntVector h0 = FusedDot.NIBBLES.fma(k[hi], k[8 + hi]).reinterpretAsInts();
                IntVector l1 = FusedDot.NIBBLES.fma(k[16 + lo], k[24 + lo]).reinterpretAsInts();
                IntVector h1 = FusedDot.NIBBLES.fma(k[16 + hi], k[24 + hi]).reinterpretAsInts();
                IntVector l2 = FusedDot.NIBBLES.fma(k[32 + lo], k[40 + lo]).reinterpretAsInts();
                IntVector h2 = FusedDot.NIBBLES.fma(k[32 + hi], k[40 + hi]).reinterpretAsInts();
                IntVector l3 = FusedDot.NIBBLES.fma(k[48 + lo], k[56 + lo]).reinterpretAsInts();
                IntVector h3 = FusedDot.NIBBLES.fma(k[48 + hi], k[56 + hi]).reinterpretAsInts();
                for (int l = 0; l < 32; l += F.length()) {
                    int i = xb + 192 + l;
                    long q = 112 + l;
                    FloatVector ul = FloatVector.fromArray(F, x0, i), uh = FloatVector.fromArray(F, x0, i + 32);
                    FloatVector vl = FloatVector.fromArray(F, x1, i), vh = FloatVector.fromArray(F, x1, i + 32);
                    IntVector v;
                    FloatVector w, h;
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l0).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats();
                    a0 = h.fma(uh, w.fma(ul, a0));
                    b0 = h.fma(vh, w.fma(vl, b0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l1).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats();
                    a1 = h.fma(uh, w.fma(ul, a1));
                    b1 = h.fma(vh, w.fma(vl, b1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l2).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats();
                    a2 = h.fma(uh, w.fma(ul, a2));
                    b2 = h.fma(vh, w.fma(vl, b2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    w = v.selectFrom(l3).reinterpretAsFloats();
                    h = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats();
                    a3 = h.fma(uh, w.fma(ul, a3));
                    b3 = h.fma(vh, w.fma(vl, b3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        b0.intoArray(out, 4 * VectorMath.LANES);
        b1.intoArray(out, 5 * VectorMath.LANES);
        b2.intoArray(out, 6 * VectorMath.LANES);
        b3.intoArray(out, 7 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 8);
    }

    /**
     * One super-block of rows {@code o0} and {@code o1}, as {@link FourRowDot}'s pair method with its two halves and
     * two lane groups written out at constant offsets; factors at {@code k[kOff ..]} and {@code k[kOff + 32 ..]},
     * added to the accumulators in lanes {@code out[first * LANES ..]} and the next.
     */
    static void q6_kBlockPair(MemorySegment s, long o0, long o1, float[] x, int xb, float[] k, int kOff, float[] out, int first) {
        FloatVector a0 = FloatVector.fromArray(F, out, first * VectorMath.LANES);
        FloatVector a1 = FloatVector.fromArray(F, out, (first + 1) * VectorMath.LANES);
        { // columns 0..15 (and +32, +64, +96): half 0, lanes 0..15 of its 32
            int i = xb, f0 = kOff, f1 = f0 + 32;
            FloatVector x1 = FloatVector.fromArray(F, x, i), x2 = FloatVector.fromArray(F, x, i + 32);
            FloatVector x3 = FloatVector.fromArray(F, x, i + 64), x4 = FloatVector.fromArray(F, x, i + 96);
            IntVector lowA0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) lowA0.and(0x0F).or(high0.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]).fma(x1, a0);
            a0 = ((FloatVector) lowB0.and(0x0F).or(high0.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]).fma(x2, a0);
            a0 = ((FloatVector) lowA0.lanewise(VectorOperators.LSHR, 4).or(high0.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]).fma(x3, a0);
            a0 = ((FloatVector) lowB0.lanewise(VectorOperators.LSHR, 4).or(high0.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]).fma(x4, a0);
            IntVector lowA1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a1 = ((FloatVector) lowA1.and(0x0F).or(high1.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]).fma(x1, a1);
            a1 = ((FloatVector) lowB1.and(0x0F).or(high1.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]).fma(x2, a1);
            a1 = ((FloatVector) lowA1.lanewise(VectorOperators.LSHR, 4).or(high1.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]).fma(x3, a1);
            a1 = ((FloatVector) lowB1.lanewise(VectorOperators.LSHR, 4).or(high1.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]).fma(x4, a1);
        }
        { // columns 16..31 (and +32, +64, +96): half 0, lanes 16..31 of its 32
            int i = xb + 16, f0 = kOff + 1, f1 = f0 + 32;
            FloatVector x1 = FloatVector.fromArray(F, x, i), x2 = FloatVector.fromArray(F, x, i + 32);
            FloatVector x3 = FloatVector.fromArray(F, x, i + 64), x4 = FloatVector.fromArray(F, x, i + 96);
            IntVector lowA0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 144, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) lowA0.and(0x0F).or(high0.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]).fma(x1, a0);
            a0 = ((FloatVector) lowB0.and(0x0F).or(high0.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]).fma(x2, a0);
            a0 = ((FloatVector) lowA0.lanewise(VectorOperators.LSHR, 4).or(high0.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]).fma(x3, a0);
            a0 = ((FloatVector) lowB0.lanewise(VectorOperators.LSHR, 4).or(high0.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]).fma(x4, a0);
            IntVector lowA1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 144, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a1 = ((FloatVector) lowA1.and(0x0F).or(high1.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]).fma(x1, a1);
            a1 = ((FloatVector) lowB1.and(0x0F).or(high1.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]).fma(x2, a1);
            a1 = ((FloatVector) lowA1.lanewise(VectorOperators.LSHR, 4).or(high1.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]).fma(x3, a1);
            a1 = ((FloatVector) lowB1.lanewise(VectorOperators.LSHR, 4).or(high1.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]).fma(x4, a1);
        }
        { // columns 128..143 (and +32, +64, +96): half 1, lanes 0..15 of its 32
            int i = xb + 128, f0 = kOff + 8, f1 = f0 + 32;
            FloatVector x1 = FloatVector.fromArray(F, x, i), x2 = FloatVector.fromArray(F, x, i + 32);
            FloatVector x3 = FloatVector.fromArray(F, x, i + 64), x4 = FloatVector.fromArray(F, x, i + 96);
            IntVector lowA0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) lowA0.and(0x0F).or(high0.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]).fma(x1, a0);
            a0 = ((FloatVector) lowB0.and(0x0F).or(high0.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]).fma(x2, a0);
            a0 = ((FloatVector) lowA0.lanewise(VectorOperators.LSHR, 4).or(high0.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]).fma(x3, a0);
            a0 = ((FloatVector) lowB0.lanewise(VectorOperators.LSHR, 4).or(high0.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]).fma(x4, a0);
            IntVector lowA1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a1 = ((FloatVector) lowA1.and(0x0F).or(high1.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]).fma(x1, a1);
            a1 = ((FloatVector) lowB1.and(0x0F).or(high1.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]).fma(x2, a1);
            a1 = ((FloatVector) lowA1.lanewise(VectorOperators.LSHR, 4).or(high1.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]).fma(x3, a1);
            a1 = ((FloatVector) lowB1.lanewise(VectorOperators.LSHR, 4).or(high1.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]).fma(x4, a1);
        }
        { // columns 144..159 (and +32, +64, +96): half 1, lanes 16..31 of its 32
            int i = xb + 144, f0 = kOff + 9, f1 = f0 + 32;
            FloatVector x1 = FloatVector.fromArray(F, x, i), x2 = FloatVector.fromArray(F, x, i + 32);
            FloatVector x3 = FloatVector.fromArray(F, x, i + 64), x4 = FloatVector.fromArray(F, x, i + 96);
            IntVector lowA0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high0 = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 176, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) lowA0.and(0x0F).or(high0.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]).fma(x1, a0);
            a0 = ((FloatVector) lowB0.and(0x0F).or(high0.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]).fma(x2, a0);
            a0 = ((FloatVector) lowA0.lanewise(VectorOperators.LSHR, 4).or(high0.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]).fma(x3, a0);
            a0 = ((FloatVector) lowB0.lanewise(VectorOperators.LSHR, 4).or(high0.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]).fma(x4, a0);
            IntVector lowA1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high1 = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 176, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a1 = ((FloatVector) lowA1.and(0x0F).or(high1.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]).fma(x1, a1);
            a1 = ((FloatVector) lowB1.and(0x0F).or(high1.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]).fma(x2, a1);
            a1 = ((FloatVector) lowA1.lanewise(VectorOperators.LSHR, 4).or(high1.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]).fma(x3, a1);
            a1 = ((FloatVector) lowB1.lanewise(VectorOperators.LSHR, 4).or(high1.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]).fma(x4, a1);
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
    }

    /**
     * {@link PairDot}'s Q6_K block of rows {@code o0} and {@code o1} times two vectors, as {@link #q6_kBlockPair}:
     * its halves and lane groups written out; added to both vectors' accumulators in {@code out}.
     */
    static void q6_kBlockPairTimesTwo(MemorySegment s, long o0, long o1, float[] x0, float[] x1, int xb, float[] k, int kOff, float[] out, int first) {
        FloatVector a0 = FloatVector.fromArray(F, out, first * VectorMath.LANES);
        FloatVector a1 = FloatVector.fromArray(F, out, (first + 1) * VectorMath.LANES);
        FloatVector b0 = FloatVector.fromArray(F, out, (4 + first) * VectorMath.LANES);
        FloatVector b1 = FloatVector.fromArray(F, out, (5 + first) * VectorMath.LANES);
        { // columns 0..15 (and +32, +64, +96): half 0, lanes 0..15 of its 32
            int i = xb, f0 = kOff, f1 = f0 + 32;
            FloatVector u1 = FloatVector.fromArray(F, x0, i), u2 = FloatVector.fromArray(F, x0, i + 32);
            FloatVector u3 = FloatVector.fromArray(F, x0, i + 64), u4 = FloatVector.fromArray(F, x0, i + 96);
            FloatVector v1 = FloatVector.fromArray(F, x1, i), v2 = FloatVector.fromArray(F, x1, i + 32);
            FloatVector v3 = FloatVector.fromArray(F, x1, i + 64), v4 = FloatVector.fromArray(F, x1, i + 96);
            IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]);
            a0 = w.fma(u1, a0);
            b0 = w.fma(v1, b0);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]);
            a0 = w.fma(u2, a0);
            b0 = w.fma(v2, b0);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]);
            a0 = w.fma(u3, a0);
            b0 = w.fma(v3, b0);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]);
            a0 = w.fma(u4, a0);
            b0 = w.fma(v4, b0);
            lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o1, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            high = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]);
            a1 = w.fma(u1, a1);
            b1 = w.fma(v1, b1);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]);
            a1 = w.fma(u2, a1);
            b1 = w.fma(v2, b1);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]);
            a1 = w.fma(u3, a1);
            b1 = w.fma(v3, b1);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]);
            a1 = w.fma(u4, a1);
            b1 = w.fma(v4, b1);
        }
        { // columns 16..31 (and +32, +64, +96): half 0, lanes 16..31 of its 32
            int i = xb + 16, f0 = kOff + 1, f1 = f0 + 32;
            FloatVector u1 = FloatVector.fromArray(F, x0, i), u2 = FloatVector.fromArray(F, x0, i + 32);
            FloatVector u3 = FloatVector.fromArray(F, x0, i + 64), u4 = FloatVector.fromArray(F, x0, i + 96);
            FloatVector v1 = FloatVector.fromArray(F, x1, i), v2 = FloatVector.fromArray(F, x1, i + 32);
            FloatVector v3 = FloatVector.fromArray(F, x1, i + 64), v4 = FloatVector.fromArray(F, x1, i + 96);
            IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 144, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]);
            a0 = w.fma(u1, a0);
            b0 = w.fma(v1, b0);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]);
            a0 = w.fma(u2, a0);
            b0 = w.fma(v2, b0);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]);
            a0 = w.fma(u3, a0);
            b0 = w.fma(v3, b0);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]);
            a0 = w.fma(u4, a0);
            b0 = w.fma(v4, b0);
            lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            high = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 144, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]);
            a1 = w.fma(u1, a1);
            b1 = w.fma(v1, b1);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]);
            a1 = w.fma(u2, a1);
            b1 = w.fma(v2, b1);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]);
            a1 = w.fma(u3, a1);
            b1 = w.fma(v3, b1);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]);
            a1 = w.fma(u4, a1);
            b1 = w.fma(v4, b1);
        }
        { // columns 128..143 (and +32, +64, +96): half 1, lanes 0..15 of its 32
            int i = xb + 128, f0 = kOff + 8, f1 = f0 + 32;
            FloatVector u1 = FloatVector.fromArray(F, x0, i), u2 = FloatVector.fromArray(F, x0, i + 32);
            FloatVector u3 = FloatVector.fromArray(F, x0, i + 64), u4 = FloatVector.fromArray(F, x0, i + 96);
            FloatVector v1 = FloatVector.fromArray(F, x1, i), v2 = FloatVector.fromArray(F, x1, i + 32);
            FloatVector v3 = FloatVector.fromArray(F, x1, i + 64), v4 = FloatVector.fromArray(F, x1, i + 96);
            IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]);
            a0 = w.fma(u1, a0);
            b0 = w.fma(v1, b0);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]);
            a0 = w.fma(u2, a0);
            b0 = w.fma(v2, b0);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]);
            a0 = w.fma(u3, a0);
            b0 = w.fma(v3, b0);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]);
            a0 = w.fma(u4, a0);
            b0 = w.fma(v4, b0);
            lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 96, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            high = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]);
            a1 = w.fma(u1, a1);
            b1 = w.fma(v1, b1);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]);
            a1 = w.fma(u2, a1);
            b1 = w.fma(v2, b1);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]);
            a1 = w.fma(u3, a1);
            b1 = w.fma(v3, b1);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]);
            a1 = w.fma(u4, a1);
            b1 = w.fma(v4, b1);
        }
        { // columns 144..159 (and +32, +64, +96): half 1, lanes 16..31 of its 32
            int i = xb + 144, f0 = kOff + 9, f1 = f0 + 32;
            FloatVector u1 = FloatVector.fromArray(F, x0, i), u2 = FloatVector.fromArray(F, x0, i + 32);
            FloatVector u3 = FloatVector.fromArray(F, x0, i + 64), u4 = FloatVector.fromArray(F, x0, i + 96);
            FloatVector v1 = FloatVector.fromArray(F, x1, i), v2 = FloatVector.fromArray(F, x1, i + 32);
            FloatVector v3 = FloatVector.fromArray(F, x1, i + 64), v4 = FloatVector.fromArray(F, x1, i + 96);
            IntVector lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector high = (IntVector) ByteVector.fromMemorySegment(B, s, o0 + 176, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            FloatVector w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0], k[f0 + 16]);
            a0 = w.fma(u1, a0);
            b0 = w.fma(v1, b0);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 2], k[f0 + 18]);
            a0 = w.fma(u2, a0);
            b0 = w.fma(v2, b0);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 4], k[f0 + 20]);
            a0 = w.fma(u3, a0);
            b0 = w.fma(v3, b0);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f0 + 6], k[f0 + 22]);
            a0 = w.fma(u4, a0);
            b0 = w.fma(v4, b0);
            lowA = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 80, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            lowB = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 112, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            high = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + 176, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            w = ((FloatVector) lowA.and(0x0F).or(high.and(0x03).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1], k[f1 + 16]);
            a1 = w.fma(u1, a1);
            b1 = w.fma(v1, b1);
            w = ((FloatVector) lowB.and(0x0F).or(high.and(0x0C).lanewise(VectorOperators.LSHL, 2)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 2], k[f1 + 18]);
            a1 = w.fma(u2, a1);
            b1 = w.fma(v2, b1);
            w = ((FloatVector) lowA.lanewise(VectorOperators.LSHR, 4).or(high.and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 4], k[f1 + 20]);
            a1 = w.fma(u3, a1);
            b1 = w.fma(v3, b1);
            w = ((FloatVector) lowB.lanewise(VectorOperators.LSHR, 4).or(high.lanewise(VectorOperators.ASHR, 2).and(0x30)).convertShape(VectorOperators.I2F, F, 0)).fma(k[f1 + 6], k[f1 + 22]);
            a1 = w.fma(u4, a1);
            b1 = w.fma(v4, b1);
        }
        a0.intoArray(out, first * VectorMath.LANES);
        a1.intoArray(out, (first + 1) * VectorMath.LANES);
        b0.intoArray(out, (4 + first) * VectorMath.LANES);
        b1.intoArray(out, (5 + first) * VectorMath.LANES);
    }
}
