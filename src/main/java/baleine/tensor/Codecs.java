package baleine.tensor;

import baleine.tensor.quant.Fp16Codecs;
import baleine.tensor.quant.KQuantCodecs;
import baleine.tensor.quant.LegacyQuantCodecs;

/** The codec of every weight type Baleine computes with. */
final class Codecs {
    static final BlockCodec F32 = new Fp16Codecs.F32();
    static final BlockCodec F16 = new Fp16Codecs.F16();
    static final BlockCodec BF16 = new Fp16Codecs.BF16();
    static final BlockCodec Q4_0 = new LegacyQuantCodecs.Q4_0();
    static final BlockCodec Q4_1 = new LegacyQuantCodecs.Q4_1();
    static final BlockCodec Q5_0 = new LegacyQuantCodecs.Q5_0();
    static final BlockCodec Q5_1 = new LegacyQuantCodecs.Q5_1();
    static final BlockCodec Q8_0 = new LegacyQuantCodecs.Q8_0();
    static final BlockCodec Q4_K = new KQuantCodecs.Q4_K();
    static final BlockCodec Q5_K = new KQuantCodecs.Q5_K();
    static final BlockCodec Q6_K = new KQuantCodecs.Q6_K();

    private Codecs() {
    }
}
