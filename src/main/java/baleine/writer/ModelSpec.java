package baleine.writer;

import baleine.model.deepseek.DeepseekConfig;
import baleine.model.llama.LlamaConfig;

/** The shape of a model to generate: an architecture's hyper-parameters plus the vocabulary size. */
public sealed interface ModelSpec {
    int vocab();

    int layers();

    ModelSpec withLayers(int layers);

    record Deepseek(DeepseekConfig config, int vocab) implements ModelSpec {
        public int layers() {
            return config.layers();
        }

        public ModelSpec withLayers(int layers) {
            DeepseekConfig c = config;
            return new Deepseek(new DeepseekConfig(c.hidden(), layers, c.heads(), c.qLoraRank(), c.kvLoraRank(), c.nopeDim(),
                    c.ropeDim(), c.vDim(), c.intermediate(), c.moeIntermediate(), c.routedExperts(), c.sharedExperts(), c.topK(),
                    c.groups(), c.topkGroup(), c.scoring(), c.normTopK(), c.routedScale(), Math.min(c.firstDense(), layers),
                    c.moeLayerFreq(), c.eps(), c.ropeTheta(), c.yarn(), c.contextLength()), vocab);
        }

        /** V3-style routing (sigmoid scores with a correction bias) rather than V2's softmax. */
        public boolean v3() {
            return config.scoring() == baleine.model.blocks.Router.Scoring.SIGMOID;
        }
    }

    /** Llama 3 ({@code qwen2 == false}) or Qwen2 dense decoder. */
    record Dense(LlamaConfig config, int vocab, boolean qwen2, boolean tiedEmbeddings) implements ModelSpec {
        public int layers() {
            return config.layers();
        }

        public ModelSpec withLayers(int layers) {
            LlamaConfig c = config;
            return new Dense(new LlamaConfig(c.hidden(), layers, c.heads(), c.kvHeads(), c.headDim(), c.intermediate(), c.eps(),
                    c.ropeTheta(), c.ropeScaling(), c.qkvBias(), c.contextLength()), vocab, qwen2, tiedEmbeddings);
        }
    }
}
