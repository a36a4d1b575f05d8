package baleine.writer;

import baleine.format.gguf.GgufValueType;
import baleine.model.blocks.Router;
import baleine.model.deepseek.DeepseekConfig;
import baleine.tensor.GgmlType;
import baleine.tokenizer.PreTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --demo} model: DeepSeek-V3's architecture (MLA, sigmoid-routed MoE with groups and a
 * correction bias, YaRN) at toy size with random weights, plus a byte-level BPE tokenizer trained here on
 * a few paragraphs and a chat template of our own, all in one GGUF file. Its text is random.
 */
public final class DemoModel {
    /** Versioned with what the writer puts in it, so that a file cached by an older build is written again (v2: general.file_type). */
    public static final String FILE_NAME = "baleine-demo-v2.gguf";

    static final List<String> SPECIAL = List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
            "<think>", "</think>");

    /** DeepSeek-V3-style template: BOS, system prompts, user/assistant turns, and an open think block to answer in. */
    static final String CHAT_TEMPLATE = """
            {{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}{% endif %}{% endfor %}\
            {% for m in messages %}{% if m['role'] == 'user' %}<｜User｜>{{ m['content'] }}\
            {% elif m['role'] == 'assistant' %}<｜Assistant｜>{{ m['content'] }}<｜end▁of▁sentence｜>{% endif %}{% endfor %}\
            {% if add_generation_prompt %}<｜Assistant｜>{% if thinking is not defined or thinking %}<think>
            {% endif %}{% endif %}""";

    private static final String CORPUS = """
            Baleine runs DeepSeek models on the Java virtual machine. The whale is the largest animal that has ever lived;
            it sings to other whales across whole oceans, and its songs change from one year to the next. A model reads
            tokens, attends to what came before, and predicts what comes next. Multi-head latent attention keeps a small
            latent vector for every token instead of full keys and values, so long conversations stay cheap. Mixture of
            experts routes each token to a few experts out of many, so a large model costs little per token. Hello! How
            are you today? I am fine, thank you. What would you like to talk about? Let me think about that for a moment.
            The answer is 42, but the question is harder. Java, Python, Rust and C all have their place; this one is Java.
            """;

    private DemoModel() {
    }

    /** {@code -Dbaleine.home}, else {@code $BALEINE_HOME}, else {@code $XDG_CACHE_HOME/baleine}, else {@code ~/.cache/baleine}. */
    public static Path cacheDirectory() {
        String home = System.getProperty("baleine.home", System.getenv("BALEINE_HOME"));
        if (home != null && !home.isBlank()) {
            return Path.of(home);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("baleine");
    }

    /** The demo model's file, written on first use. */
    public static Path ensure(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "demo", ".tmp");
        try {
            write(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    static void write(Path file) throws IOException {
        DeepseekConfig c = new DeepseekConfig(64, 3, 4, 48, 32, 16, 16, 24, 160, 32, 16, 1, 4, 4, 2, Router.Scoring.SIGMOID, true,
                2.5f, 1, 1, 1e-6f, 10000, new DeepseekConfig.Yarn(4, 1024, 32, 1, 1, 1), 4096);
        ModelSpec spec = new ModelSpec.Deepseek(c, tokens(0).size());
        RandomModelWriter.writeGguf(spec, GgmlType.Q8_0, 2026, file, true, w -> {
            w.put("general.name", "baleine-demo (random weights)");
            addTokenizer(w, spec.vocab());
        });
    }

    /** The demo vocabulary: special tokens, 256 bytes, learned merges, then unused tokens up to {@code size}. */
    private static List<String> tokens(int size) {
        BpeTrainer.Result bpe = trained();
        List<String> tokens = new ArrayList<>(SPECIAL);
        tokens.addAll(bpe.vocabulary());
        for (int i = tokens.size(); i < size; i++) {
            tokens.add("<unused_" + i + ">");
        }
        return tokens;
    }

    private static BpeTrainer.Result trained() {
        return BpeTrainer.train(CORPUS, new PreTokenizer(PreTokenizer.forGgufPreType("deepseek-v3")), 250);
    }

    /**
     * Adds the demo tokenizer and chat template to a GGUF being written, padded with unused tokens to
     * {@code vocabSize} (at least the demo vocabulary), so that any random-weight model can chat.
     */
    public static void addTokenizer(GgufWriter w, int vocabSize) {
        BpeTrainer.Result bpe = trained();
        List<String> tokens = tokens(vocabSize);
        if (tokens.size() > vocabSize) {
            throw new IllegalArgumentException("the demo tokenizer needs a vocabulary of at least " + tokens.size() + " tokens");
        }
        List<Long> types = new ArrayList<>();
        int learned = SPECIAL.size() + bpe.vocabulary().size();
        for (int i = 0; i < tokens.size(); i++) {
            types.add(i < SPECIAL.size() ? 3L : i < learned ? 1L : 5L);
        }
        w.put("tokenizer.ggml.model", "gpt2").put("tokenizer.ggml.pre", "deepseek-v3")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, bpe.merges())
                .putUint32("tokenizer.ggml.bos_token_id", 0).putUint32("tokenizer.ggml.eos_token_id", 1)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .put("tokenizer.chat_template", CHAT_TEMPLATE);
    }
}
