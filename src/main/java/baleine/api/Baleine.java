package baleine.api;

import baleine.cache.CacheType;
import baleine.chat.ChatTemplate;
import baleine.format.ModelFormatException;
import baleine.format.TensorStore;
import baleine.format.WeightMemory;
import baleine.format.gguf.GgufMetadata;
import baleine.format.gguf.GgufStore;
import baleine.format.hf.HfStore;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.Generator;
import baleine.generation.SamplingParams;
import baleine.generation.Sequence;
import baleine.generation.TokenScores;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tokenizer.TokenizerConfig;
import baleine.tokenizer.Tokenizers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loaded model, ready to chat: weights, tokenizer, chat template and the model card's sampling
 * defaults. Load once, then open as many independent {@link Conversation}s as needed.
 *
 * <pre>{@code
 * try (Baleine model = Baleine.load(Path.of("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"))) {
 *     Conversation chat = model.newConversation();
 *     chat.send("Why is the sky blue?", model.defaults(), text -> System.out.print(text));
 * }
 * }</pre>
 */
public final class Baleine implements AutoCloseable {
    /** This release's version, as the CLI, the server and the hub client report it. */
    public static final String VERSION = "0.1.0";

    private final DecoderModel model;
    private final TokenizerConfig tokenizer;
    private final Optional<ChatTemplate> template;
    private final SamplingParams defaults;
    private final int contextLength;
    private final String name;
    private final int draftTokens;

    private Baleine(DecoderModel model, TokenizerConfig tokenizer, Optional<String> templateOverride, SamplingParams defaults,
                    int contextLength, String name, int draftTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = templateOverride.or(tokenizer::chatTemplate)
                .map(src -> new ChatTemplate(src, tokenizer.bosToken(), tokenizer.eosToken()));
        this.defaults = defaults;
        this.contextLength = contextLength;
        this.name = name;
        this.draftTokens = draftTokens;
    }

    /**
     * Options for {@link #load(Path, Options)}: context size (0: the model's own), a chat template to use instead
     * of the model's, where the weights live ({@link WeightMemory#AUTO}: huge pages when they fit), and the
     * element type of the KV cache ({@link CacheType#F32}; f16 and bf16 halve its memory, q8_0 takes 28%, each rounding
     * what it holds), and how many tokens generation guesses per pass by prompt lookup (0: none; up to
     * {@link Generator#MAX_DRAFT}; the answers are the same, they come faster where the guesses stand).
     */
    public record Options(int contextLength, Optional<String> chatTemplate, WeightMemory memory, CacheType cacheType, int draftTokens) {
        public Options(int contextLength, Optional<String> chatTemplate, WeightMemory memory, CacheType cacheType) {
            this(contextLength, chatTemplate, memory, cacheType, 0);
        }

        public Options(int contextLength, Optional<String> chatTemplate) {
            this(contextLength, chatTemplate, WeightMemory.AUTO);
        }

        public Options(int contextLength, Optional<String> chatTemplate, WeightMemory memory) {
            this(contextLength, chatTemplate, memory, CacheType.F32);
        }

        public static Options defaults() {
            return new Options(0, Optional.empty(), WeightMemory.AUTO, CacheType.F32, 0);
        }
    }

    public static Baleine load(Path path) {
        return load(path, Options.defaults());
    }

    public static Baleine load(Path path, Options options) {
        Generator.checkDraft(options.draftTokens());
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString().replaceFirst("\\.gguf$", "");
        if (HfStore.isModelDirectory(path)) {
            HfStore store = HfStore.open(path, options.memory());
            TokenizerConfig tokenizer = beforeTheWeights(store, () -> {
                checkContext(options.contextLength(), Architectures.checkSupported(store));
                return Tokenizers.fromHuggingFace(path);
            });
            DecoderModel m = Architectures.loadHf(store);
            m.setCacheType(options.cacheType());
            try {
                return new Baleine(m, tokenizer, options.chatTemplate(), hfDefaults(path),
                        context(m, options), name, options.draftTokens());
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path + " is a directory without config.json; give a GGUF file or a Hugging Face model directory");
        }
        if (!Files.exists(path)) {
            throw new ModelFormatException("model not found: " + path);
        }
        GgufStore store = GgufStore.open(path, options.memory());
        TokenizerConfig tokenizer = beforeTheWeights(store, () -> {
            checkContext(options.contextLength(), Architectures.checkSupported(store));
            return Tokenizers.fromGguf(store.metadata(), path.toString());
        });
        DecoderModel m = Architectures.loadGguf(store);
        m.setCacheType(options.cacheType());
        try {
            return new Baleine(m, tokenizer, options.chatTemplate(),
                    ggufDefaults(store.metadata()), context(m, options), store.metadata().optString("general.name").orElse(name),
                    options.draftTokens());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * What {@code check} finds from a model's metadata (its architecture supported, the context asked for within
     * its own, its tokenizer read), before a weight is read: such a file fails at once, not after loading gigabytes.
     * The store is closed if it fails.
     */
    private static TokenizerConfig beforeTheWeights(TensorStore store, java.util.function.Supplier<TokenizerConfig> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** A context size asked for: positive (or 0, the default) and at most the model's {@code most}, refused rather than cut down. */
    public static void checkContext(int asked, int most) {
        if (asked < 0) {
            throw new IllegalArgumentException("context size must be positive, got " + asked);
        }
        if (asked > most) {
            throw new IllegalArgumentException("context size " + asked + " is more than this model's " + most
                    + " tokens; give at most " + most);
        }
    }

    /** The context the model is used with: the one asked for, which {@link #checkContext} held to the file's, or the default. */
    private static int context(DecoderModel m, Options o) {
        return o.contextLength() == 0 ? Math.min(m.contextLength(), 32768) : o.contextLength();
    }

    /** {@code generation_config.json}'s temperature / top_p / top_k when the model card sets them. */
    static SamplingParams hfDefaults(Path dir) {
        SamplingParams p = SamplingParams.defaults();
        Path gc = dir.resolve("generation_config.json");
        if (!Files.isRegularFile(gc)) {
            return p;
        }
        try {
            JsonNode n = new ObjectMapper().readTree(gc.toFile());
            if (n.path("temperature").isNumber()) {
                p = p.withTemperature((float) n.path("temperature").asDouble());
            }
            if (n.path("top_p").isNumber()) {
                p = p.withTopP((float) n.path("top_p").asDouble());
            }
            if (n.path("top_k").isNumber()) {
                p = p.withTopK(n.path("top_k").asInt());
            }
            if (n.has("temperature") || n.has("top_p")) {
                p = p.withMinP(0f).withTopK(n.path("top_k").asInt(0));
            }
            return p;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + gc + ": " + e.getMessage());
        }
    }

    /** GGUF {@code general.sampling.*} keys when present; DeepSeek-R1 models get their model card's 0.6 / 0.95. */
    static SamplingParams ggufDefaults(GgufMetadata m) {
        SamplingParams p = SamplingParams.defaults();
        String name = m.optString("general.name").orElse("") + " " + m.optString("general.basename").orElse("");
        if (name.contains("R1")) {
            p = p.withTemperature(0.6f).withTopP(0.95f).withTopK(0).withMinP(0f);
        }
        if (m.has("general.sampling.temp")) {
            p = p.withTemperature((float) m.real("general.sampling.temp"));
        }
        if (m.has("general.sampling.top_p")) {
            p = p.withTopP((float) m.real("general.sampling.top_p"));
        }
        if (m.has("general.sampling.top_k")) {
            p = p.withTopK((int) m.integer("general.sampling.top_k"));
        }
        return p;
    }

    public String name() {
        return name;
    }

    public DecoderModel model() {
        return model;
    }

    public TokenizerConfig tokenizer() {
        return tokenizer;
    }

    public Optional<ChatTemplate> chatTemplate() {
        return template;
    }

    /** The model card's sampling settings (or llama.cpp's defaults when it publishes none). */
    public SamplingParams defaults() {
        return defaults;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Tokens guessed per pass by prompt lookup ({@link Options#draftTokens()}; 0: none). */
    public int draftTokens() {
        return draftTokens;
    }

    Generator generator() {
        return new Generator(model, tokenizer.tokenizer(), tokenizer.endOfGeneration(), draftTokens);
    }

    /** A new conversation with its own cache and history. */
    public Conversation newConversation() {
        ChatTemplate t = template.orElseThrow(() -> new ModelFormatException(name
                + " has no chat template; pass one with --chat-template FILE (Options.chatTemplate) or use raw completion"));
        return new Conversation(this, t);
    }

    /** Tokens of a raw prompt (no chat template): BOS first when the tokenizer asks for it. */
    public int[] encodeRaw(String prompt) {
        int[] ids = tokenizer.tokenizer().encode(prompt, false);
        var bos = tokenizer.tokenizer().bos();
        if (tokenizer.addBosToPrompts() && bos.isPresent() && (ids.length == 0 || ids[0] != bos.getAsInt())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos.getAsInt();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /** Raw completion of {@code prompt} (no chat template, no reasoning split). */
    public GenerationResult complete(String prompt, SamplingParams params, GenerationListener listener, AtomicBoolean cancel) {
        return generator().generate(encodeRaw(prompt), model.newCache(contextLength), new ArrayList<>(), params,
                Sequence.Reasoning.OFF, null, listener, cancel);
    }

    /**
     * The log-probability of each token of {@code text} (as {@link #encodeRaw} cuts it, BOS first where the model's
     * prompts have one) given the tokens before it; the first entry is NaN ({@link TokenScores}). Summed over a
     * continuation's tokens, the likelihood of that continuation after the rest.
     */
    public float[] score(String text) {
        return TokenScores.of(model, encodeRaw(text));
    }

    @Override
    public void close() {
        model.close();
    }
}
