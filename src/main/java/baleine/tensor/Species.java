package baleine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the weight kernels: floats at the machine's preferred width, and bytes, shorts and
 * ints that widen to (or match) exactly one float vector. A float vector of fewer than 8 lanes (128-bit
 * NEON or SSE) would need 32-bit byte vectors, which do not exist: there the fused kernels stand aside
 * ({@link #FUSED} is false) and weights are decoded row by row into floats instead.
 */
final class Species {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final boolean FUSED = F.length() >= 8;
    static final VectorSpecies<Byte> B = FUSED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : ByteVector.SPECIES_64;
    static final VectorSpecies<Short> S = FUSED ? VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16)) : ShortVector.SPECIES_64;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private Species() {
    }
}
