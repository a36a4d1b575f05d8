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
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static baleine.tensor.Species.B;
import static baleine.tensor.Species.F;
import static baleine.tensor.Species.I;

/**
 * Q4_K decoding with a whole 256-column super-block per loop step: the four rows' factors decoded, then the block's
 * four 64-column steps written out, each at the block's start plus constants. C2 then checks a row's bounds about
 * once per block and keeps the addresses in general registers, where {@link FourRowDot#q4_k} (one 64-column step per
 * loop step) checks them at each of its eight row loads: 0.70-0.77x its time, same operations in the same order, so
 * the same bits.
 *
 * <p>C1 cannot compile a method this large ("out of virtual registers" at tier 3, every Vector API call being
 * inlined). That is harmless where the JVM then profiles it in the interpreter and goes to C2, but when C2's queue
 * is long HotSpot's first compile of a method is tier 2, and a tier-2 method that tier 3 refuses stays at tier 2,
 * its vectors boxed, for good. So the kernel is used only where that cannot happen: C2 alone
 * ({@code -XX:-TieredCompilation}) or tier 2 never chosen for a long queue ({@code -XX:Tier3DelayOn=100000}, which
 * the launcher passes, with a compile command that lowers this method's compile thresholds), and on 16 float lanes
 * (the nibble lookup, {@link FusedDot#NIBBLE_LOOKUP}).
 *
 * <p>Until C2 has compiled it, the interpreter runs it, some hundred times slower than C1's code of the step kernel:
 * used from the first token, it made a cold 64-token {@code generate} 1-2.5 s slower. So products keep the step
 * kernel until {@link #ready}: a background thread, started with the first Q4_K product, runs both kernels on one
 * block until this one is the faster three times in a row (within a minute, or never).
 */
final class SuperBlockDot {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final boolean ENABLED = FusedDot.NIBBLE_LOOKUP && largeMethodsReachC2();
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean ready;

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

    /** Whether the kernel is on and compiled: until then {@link FourRowDot#q4_k} does its work. */
    static boolean ready() {
        if (ENABLED && !ready && !STARTED.get() && STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("baleine-q4_k-warm-up").start(SuperBlockDot::warmUp);
        }
        return ready;
    }

    private static void warmUp() {
        int cols = 256; // one block: few loop back-edges, so C2 compiles the method whole rather than a loop of it (OSR)
        long rowBytes = GgmlType.Q4_K.bytesFor(cols);
        Random rnd = new Random(1);
        MemorySegment rows = Arena.ofAuto().allocate(4 * rowBytes);
        for (long i = 0; i < rows.byteSize(); i++) {
            rows.set(ValueLayout.JAVA_BYTE, i, (byte) (i % rowBytes < 4 ? 0x30 : rnd.nextInt())); // finite d, dmin
        }
        float[] x = new float[cols], out = VectorMath.outBuffer(4);
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int wins = 0; wins < 3; ) {
            if (System.nanoTime() > deadline) {
                return; // never compiled well (or the machine is starved): the step kernel stays
            }
            // the fastest of four calls each: a call preempted by the model's threads does not decide
            long mine = Long.MAX_VALUE, step = Long.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                long t0 = System.nanoTime();
                q4_k(rows, 0, rowBytes, x, 0, cols, out);
                long t1 = System.nanoTime();
                FourRowDot.q4_k(rows, 0, rowBytes, x, 0, cols, out);
                mine = Math.min(mine, t1 - t0);
                step = Math.min(step, System.nanoTime() - t1);
            }
            if (mine < step) {
                wins++;
            } else { // interpreted still, or C2 at work: leave the cores to the model meanwhile
                wins = 0;
                LockSupport.parkNanos(20_000_000);
            }
        }
        ready = true;
    }

    /** {@code out[k] = row(off + k * stride) . x[xOff .. xOff + n)} for k in 0..3, as {@link FourRowDot#q4_k}. */
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
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
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
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
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
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
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
                    a0 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h0).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l0).reinterpretAsFloats().fma(xl, a0));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o1 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a1 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h1).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l1).reinterpretAsFloats().fma(xl, a1));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o2 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a2 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h2).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l2).reinterpretAsFloats().fma(xl, a2));
                    v = (IntVector) ByteVector.fromMemorySegment(B, s, o3 + q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                    a3 = v.lanewise(VectorOperators.LSHR, 4).selectFrom(h3).reinterpretAsFloats().fma(xh, v.and(0x0F).selectFrom(l3).reinterpretAsFloats().fma(xl, a3));
                }
            }
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, VectorMath.LANES);
        a2.intoArray(out, 2 * VectorMath.LANES);
        a3.intoArray(out, 3 * VectorMath.LANES);
        VectorMath.sumLanesInPlace(out, 4);
    }

}
