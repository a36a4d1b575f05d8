package baleine.writer;

import baleine.format.ModelFormatException;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SplitGgufTest {
    @Test
    void splitModelLoadsFromItsFirstShardAndMatchesTheSingleFile(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelPresets.ALL.get("tiny-qwen2");
        RandomModelWriter.writeGguf(spec, GgmlType.Q8_0, 2, dir.resolve("single.gguf"));
        List<TensorData> tensors = RandomModelWriter.ggufTensors(spec, RandomTensors.of(spec, 2), true);
        int half = tensors.size() / 2;
        for (int shard = 0; shard < 2; shard++) {
            GgufWriter w = new GgufWriter();
            if (shard == 0) {
                RandomModelWriter.metadata(spec, w);
            }
            w.putUint32("split.no", shard).putUint32("split.count", 2).putUint32("split.tensors.count", tensors.size());
            for (TensorData t : shard == 0 ? tensors.subList(0, half) : tensors.subList(half, tensors.size())) {
                w.tensor(t, RandomModelWriter.ggufType(t, GgmlType.Q8_0));
            }
            w.write(dir.resolve("m-%05d-of-00002.gguf".formatted(shard + 1)));
        }
        float[][] split = CrossFormatTest.logits(dir.resolve("m-00001-of-00002.gguf"));
        float[][] single = CrossFormatTest.logits(dir.resolve("single.gguf"));
        assertThat(split).isDeepEqualTo(single);

        Files.delete(dir.resolve("m-00002-of-00002.gguf"));
        assertThatThrownBy(() -> Architectures.load(dir.resolve("m-00001-of-00002.gguf")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("m-00002-of-00002.gguf is missing");
    }

    @Test
    void v3ShapedModelReports576CachedValuesPerTokenPerLayer(@TempDir Path dir) throws Exception {
        ModelSpec.Deepseek tiny = (ModelSpec.Deepseek) ModelPresets.ALL.get("tiny-deepseek-v3");
        var c = tiny.config();
        var v3Attention = new baleine.model.deepseek.DeepseekConfig(c.hidden(), 2, 2, c.qLoraRank(), 512, 128, 64, 128,
                c.intermediate(), c.moeIntermediate(), c.routedExperts(), c.sharedExperts(), c.topK(), c.groups(), c.topkGroup(),
                c.scoring(), c.normTopK(), c.routedScale(), 1, 1, c.eps(), c.ropeTheta(), c.yarn(), 64);
        RandomModelWriter.writeGguf(new ModelSpec.Deepseek(v3Attention, 256), GgmlType.F32, 1, dir.resolve("v3.gguf"));
        try (DecoderModel m = Architectures.load(dir.resolve("v3.gguf"))) {
            assertThat(m.info().kvValuesPerToken()).isEqualTo(576);
            assertThat(m.newCache().valuesPerToken()).isEqualTo(2 * 576);
            assertThat(m.info().activeParameters()).isLessThan(m.info().totalParameters());
        }
    }
}
