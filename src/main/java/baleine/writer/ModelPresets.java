package baleine.writer;

import baleine.model.blocks.Router;
import baleine.model.deepseek.DeepseekConfig;
import baleine.model.llama.LlamaConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** Named model shapes for the random-weight writer: tiny ones for tests, real-shaped ones for benchmarks. */
public final class ModelPresets {
    public static final Map<String, ModelSpec> ALL = new LinkedHashMap<>();

    static {
        ALL.put("tiny-deepseek-v3", new ModelSpec.Deepseek(new DeepseekConfig(64, 3, 4, 48, 32, 16, 16, 24, 160, 32, 16, 1, 4, 4, 2,
                Router.Scoring.SIGMOID, true, 2.5f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(4, 32, 32, 1, 1, 1), 128), 1024));
        ALL.put("tiny-deepseek-v2-lite", new ModelSpec.Deepseek(new DeepseekConfig(64, 2, 4, 0, 32, 16, 8, 16, 128, 32, 8, 2, 2, 1, 1,
                Router.Scoring.SOFTMAX, false, 1f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(40, 4096, 32, 1, 0.707, 0.707), 163840), 512));
        ALL.put("tiny-deepseek-v2", new ModelSpec.Deepseek(new DeepseekConfig(64, 2, 4, 32, 32, 16, 8, 16, 128, 32, 16, 2, 4, 4, 2,
                Router.Scoring.SOFTMAX, false, 16f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(40, 4096, 32, 1, 0.707, 0.707), 163840), 512));
        ALL.put("tiny-qwen2", new ModelSpec.Dense(new LlamaConfig(64, 2, 4, 2, 16, 128, 1e-6f, 10000, null, true, 4096), 1024, true, false));
        ALL.put("tiny-llama3", new ModelSpec.Dense(new LlamaConfig(256, 2, 8, 2, 32, 256, 1e-5f, 10000,
                new LlamaConfig.Llama3Scaling(8, 1, 4, 32), false, 131072), 512, false, false));
        // benchmark shapes (4 layers by default; --layers changes it)
        ALL.put("deepseek-v2-lite-shape", new ModelSpec.Deepseek(new DeepseekConfig(2048, 4, 16, 0, 512, 128, 64, 128, 10944, 1408, 64, 2, 6,
                1, 1, Router.Scoring.SOFTMAX, false, 1f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(40, 4096, 32, 1, 0.707, 0.707), 163840), 102400));
        ALL.put("qwen2-1.5b-shape", new ModelSpec.Dense(new LlamaConfig(1536, 4, 12, 2, 128, 8960, 1e-6f, 10000, null, true, 131072),
                151936, true, false));
        ALL.put("deepseek-v3-shape", new ModelSpec.Deepseek(new DeepseekConfig(7168, 2, 128, 1536, 512, 128, 64, 128, 18432, 2048, 8, 1, 2,
                2, 1, Router.Scoring.SIGMOID, true, 2.5f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(40, 4096, 32, 1, 1, 1), 163840), 32768));
    }

    private ModelPresets() {
    }
}
