package baleine.model.blocks;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RouterTest {
    @Test
    void sigmoidWithBiasPicksGroupsByTheirTwoBestBiasedScoresAndWeighsByUnbiasedScores() {
        // 8 experts in 4 groups of 2; keep 2 groups, then 2 experts
        float[] logits = {2.0f, -2.0f, 0.5f, 0.4f, 1.5f, -3f, -1f, -1f};
        float[] bias = {0f, 0f, 0f, 0f, 0f, 0f, 3f, 0f};
        Router r = new Router(Router.Scoring.SIGMOID, bias, 4, 2, 2, true, 2.5f);
        Router.Choice c = r.route(logits);
        // biased group sums: g0 = s(2)+s(-2) = 1.0, g1 = s(.5)+s(.4) = 1.22, g2 = s(1.5)+s(-3) = 0.86, g3 = 3+2 s(-1) = 3.54
        // keep g3 and g1; best biased experts: 6 (3.27), then 2 (0.62)
        assertThat(c.experts()).containsExactly(6, 2);
        double s6 = sigmoid(-1), s2 = sigmoid(0.5);
        assertThat(c.weights()[0]).isCloseTo((float) (s6 / (s6 + s2) * 2.5), within(1e-6f));
        assertThat(c.weights()[1]).isCloseTo((float) (s2 / (s6 + s2) * 2.5), within(1e-6f));
    }

    @Test
    void softmaxGroupLimitedUsesGroupMaximaAndDoesNotNormalise() {
        float[] logits = {1f, 0.9f, 0.8f, 3f, 0.1f, 0.2f};
        Router r = new Router(Router.Scoring.SOFTMAX, null, 3, 1, 2, false, 16f);
        Router.Choice c = r.route(logits);
        // group maxima: g0 = 1, g1 = 3, g2 = 0.2 -> only g1 {2, 3} survives
        assertThat(c.experts()).containsExactly(3, 2);
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l);
        }
        assertThat(c.weights()[0]).isCloseTo((float) (Math.exp(3) / z * 16), within(1e-5f));
        assertThat(c.weights()[1]).isCloseTo((float) (Math.exp(0.8) / z * 16), within(1e-5f));
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
