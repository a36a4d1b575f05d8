package baleine.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Main-memory read bandwidth, measured the way decoding reads weights: every worker sums its share of a
 * buffer larger than the caches with vector loads, as four streams (the decode kernels read four rows at
 * once), from 2 MiB huge pages where the machine has them (the fastest the weights can be read). The
 * roofline of decoding is this bandwidth divided by the weight bytes one token reads.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final long PIECE = 1 << 20;
    private static volatile int sink; // keeps the sums alive

    private MemoryBandwidth() {
    }

    /** Best of {@code passes} parallel reads of a {@code bytes}-byte buffer, in bytes per second. */
    public static double measure(long bytes, int passes) {
        long pieces = Math.max(1, bytes / PIECE);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = HugePages.unavailable().isEmpty() ? HugePages.allocate(pieces * PIECE, arena) : arena.allocate(pieces * PIECE, 4096);
            buffer.fill((byte) 1); // maps every page before the clock starts
            double best = 0;
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                Parallel.forRange((int) pieces, 1, (from, to) -> sink += sum(buffer, from * PIECE, to * PIECE));
                best = Math.max(best, pieces * PIECE / ((System.nanoTime() - t0) / 1e9));
            }
            return best;
        }
    }

    /** Sums [from, to) as four streams a quarter apart, the way the decode kernels read four rows at once. */
    private static int sum(MemorySegment s, long from, long to) {
        int step = I.vectorByteSize();
        long quarter = (to - from) / 4 / step * step;
        IntVector a0 = IntVector.zero(I), a1 = a0, a2 = a0, a3 = a0;
        for (long o = from; o < from + quarter; o += step) {
            a0 = IntVector.fromMemorySegment(I, s, o, ByteOrder.LITTLE_ENDIAN).add(a0);
            a1 = IntVector.fromMemorySegment(I, s, o + quarter, ByteOrder.LITTLE_ENDIAN).add(a1);
            a2 = IntVector.fromMemorySegment(I, s, o + 2 * quarter, ByteOrder.LITTLE_ENDIAN).add(a2);
            a3 = IntVector.fromMemorySegment(I, s, o + 3 * quarter, ByteOrder.LITTLE_ENDIAN).add(a3);
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
