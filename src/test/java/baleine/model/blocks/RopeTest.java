package baleine.model.blocks;

import baleine.model.deepseek.DeepseekConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RopeTest {
    @Test
    void yarnCorrectionRangeForV3IsTenToTwentyThree() {
        assertThat(Math.floor(Rope.correctionDim(32, 64, 10000, 4096))).isEqualTo(10);
        assertThat(Math.ceil(Rope.correctionDim(1, 64, 10000, 4096))).isEqualTo(23);
    }

    @Test
    void v3SoftmaxScaleUnderYarnIsAbout0_135234() {
        double m = Rope.yarnMscale(40, 1.0);
        assertThat(m * m / Math.sqrt(192)).isCloseTo(0.135234, within(1e-6));
    }

    @Test
    void rotationKeepsNormsAndPairsAsDeclared() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] inter = x.clone(), halves = x.clone();
        Rope.standard(8, 10000, Rope.Pairing.INTERLEAVED).apply(inter, 0, 3);
        Rope.standard(8, 10000, Rope.Pairing.HALVES).apply(halves, 0, 3);
        // pair 0 rotates by angle 3 in both layouts: (x0, x1) interleaved, (x0, x4) halves
        assertThat(inter[0]).isCloseTo((float) (Math.cos(3) - 2 * Math.sin(3)), within(1e-5f));
        assertThat(halves[0]).isCloseTo((float) (Math.cos(3) - 5 * Math.sin(3)), within(1e-5f));
        assertThat(norm(inter)).isCloseTo(norm(x), within(1e-4));
        assertThat(norm(halves)).isCloseTo(norm(x), within(1e-4));
    }

    @Test
    void headsRotatedTogetherMatchHeadsRotatedOneByOne() {
        java.util.Random r = new java.util.Random(7);
        Rope[] ropes = {Rope.standard(64, 10000, Rope.Pairing.INTERLEAVED), Rope.standard(64, 1000000, Rope.Pairing.HALVES),
                Rope.yarn(64, 10000, Rope.Pairing.INTERLEAVED, 40, 4096, 32, 1, 1.2)};
        for (Rope rope : ropes) {
            for (int pos : new int[]{0, 1, 17, 4095, 100_000}) {
                // five heads of 64 at offset 3 and stride 96 (as MLA's rope part follows each head's no-rope part)
                float[] together = new float[3 + 5 * 96];
                for (int i = 0; i < together.length; i++) {
                    together[i] = (float) r.nextGaussian();
                }
                float[] alone = together.clone();
                rope.applyHeads(together, 3, 5, 96, pos);
                for (int h = 0; h < 5; h++) {
                    rope.apply(alone, 3 + 96 * h, pos);
                }
                assertThat(together).isEqualTo(alone);
            }
        }
    }

    @Test
    void llama3FactorsKeepShortWavelengthsAndDivideLongOnes() {
        float[] f = Rope.llama3Factors(64, 500000, 8, 1, 4, 8192);
        assertThat(f[0]).isEqualTo(1f);
        assertThat(f[f.length - 1]).isEqualTo(8f);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
