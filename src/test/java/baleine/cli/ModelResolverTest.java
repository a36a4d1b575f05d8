package baleine.cli;

import baleine.format.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelResolverTest {
    @Test
    void repositoryIdsResolveInTheHuggingFaceCache(@TempDir Path home) throws Exception {
        Path hub = home.resolve("hf").resolve("hub");
        Path full = hub.resolve("models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B");
        Files.createDirectories(full.resolve("refs"));
        Files.writeString(full.resolve("refs/main"), "abc123\n");
        Files.createDirectories(full.resolve("snapshots/abc123"));
        Files.writeString(full.resolve("snapshots/abc123/config.json"), "{}");
        Path gguf = hub.resolve("models--someone--R1-GGUF/snapshots/r1");
        Files.createDirectories(gguf);
        Files.writeString(gguf.resolve("R1-Q4_K_M.gguf"), "");
        Files.writeString(gguf.resolve("R1-Q8_0.gguf"), "");

        ModelResolver r = new ModelResolver(Map.of("HF_HOME", home.resolve("hf").toString()));
        assertThat(r.resolve("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")).isEqualTo(full.resolve("snapshots/abc123"));
        assertThat(r.resolve("someone/R1-GGUF:q8_0")).isEqualTo(gguf.resolve("R1-Q8_0.gguf"));
        assertThatThrownBy(() -> r.resolve("someone/R1-GGUF")).hasMessageContaining("several GGUF files").hasMessageContaining("R1-Q4_K_M.gguf");
        assertThatThrownBy(() -> r.resolve("deepseek-ai/DeepSeek-V3")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not in the Hugging Face cache").hasMessageContaining(hub.toString())
                .hasMessageContaining("./baleine pull deepseek-ai/DeepSeek-V3");
        assertThat(new ModelResolver(Map.of("HF_HUB_CACHE", hub.toString())).resolve("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"))
                .isEqualTo(full.resolve("snapshots/abc123"));
    }
}
