package baleine.conformance;

import baleine.cache.CacheType;
import baleine.chat.ChatTemplate;
import baleine.format.ModelFormatException;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.tokenizer.Tokenizer;
import baleine.tokenizer.TokenizerConfig;
import baleine.tokenizer.Tokenizers;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the logit, tokenizer and chat-template cases of a conformance folder ({@code manifest.json}, see the fixtures' README) and reports
 * one line per failing case and a final {@code N passed, M failed}. A GGUF case passes when it or its
 * twin (the same tokens against the other reference: llama.cpp's output or the float64 evaluation of the
 * stored weights) is within tolerance.
 */
public final class ConformanceRunner {
    public enum Kind { LOGITS, TOKENIZER, TEMPLATE }

    /** {@code passed}: within tolerance itself or through its twin; {@code withinOwnTolerance}: itself. */
    public record CaseResult(String name, boolean passed, boolean withinOwnTolerance, String detail) {
    }

    public record Report(List<CaseResult> results) {
        public long passed() {
            return results.stream().filter(CaseResult::passed).count();
        }

        public long failed() {
            return results.size() - passed();
        }
    }

    private final Path dir;
    private final PrintStream out;
    private final CacheType cacheType;

    public ConformanceRunner(Path dir, PrintStream out) {
        this(dir, out, CacheType.F32);
    }

    /**
     * Evaluating the models with their KV cache in {@code cacheType}: the references were computed with an f32 cache,
     * so with another type cases may miss their tolerance; their top-1 agreement shows whether choices change.
     */
    public ConformanceRunner(Path dir, PrintStream out, CacheType cacheType) {
        this.dir = dir;
        this.out = out;
        this.cacheType = cacheType;
    }

    public Report run(Kind only) {
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + dir.resolve("manifest.json") + ": " + e.getMessage());
        }
        List<CaseResult> results = new ArrayList<>();
        if (only == null || only == Kind.LOGITS) {
            results.addAll(runLogits(manifest.path("logit_cases")));
        }
        JsonNode tokenizerCases = manifest.path("tokenizer_cases");
        if ((only == null || only == Kind.TOKENIZER) && tokenizerCases.isObject()) {
            results.addAll(runTokenizer(tokenizerCases));
        }
        if ((only == null || only == Kind.TEMPLATE) && manifest.path("chat_template_cases").size() > 0) {
            results.addAll(runTemplates(manifest.path("chat_template_cases"), tokenizerCases));
        }
        return new Report(results);
    }

    private TokenizerConfig tokenizer(JsonNode tokenizerCases) {
        return Tokenizers.fromHuggingFace(dir.resolve(tokenizerCases.path("tokenizer").asText()),
                dir.resolve(tokenizerCases.path("tokenizer_config").asText()));
    }

    private List<CaseResult> runTokenizer(JsonNode tc) {
        List<CaseResult> results = new ArrayList<>();
        Tokenizer tok;
        try {
            tok = tokenizer(tc).tokenizer();
        } catch (RuntimeException e) {
            for (int i = 0; i < tc.path("cases").size(); i++) {
                results.add(new CaseResult("tokenizer/" + i, false, false, "error: " + e.getMessage()));
            }
            return results;
        }
        int i = 0;
        for (JsonNode c : tc.path("cases")) {
            String name = "tokenizer/" + i++ + (c.path("add_special_tokens").asBoolean() ? "/special" : "");
            String text = c.path("text").asText();
            int[] expected = tokens(c.path("ids"));
            try {
                int[] ids = tok.encode(text, c.path("add_special_tokens").asBoolean());
                boolean ok = Arrays.equals(ids, expected);
                results.add(new CaseResult(name, ok, ok, ok ? "exact" : "ids differ for " + quote(text) + ": expected "
                        + Arrays.toString(expected) + ", got " + Arrays.toString(ids)));
            } catch (RuntimeException e) {
                results.add(new CaseResult(name, false, false, "error on " + quote(text) + ": " + e.getMessage()));
            }
        }
        return results;
    }

    private List<CaseResult> runTemplates(JsonNode cases, JsonNode tokenizerCases) {
        List<CaseResult> results = new ArrayList<>();
        TokenizerConfig tc = tokenizerCases.isObject() ? tokenizer(tokenizerCases) : null;
        ObjectMapper json = new ObjectMapper();
        int i = 0;
        for (JsonNode c : cases) {
            String name = "template/" + i++;
            try {
                String source = c.has("chat_template") ? Files.readString(dir.resolve(c.path("chat_template").asText()))
                        : tc.chatTemplate().orElseThrow(() -> new IllegalStateException("tokenizer_config has no chat_template"));
                ChatTemplate template = new ChatTemplate(source, c.path("bos_token").asText(tc == null ? "" : tc.bosToken()),
                        c.path("eos_token").asText(tc == null ? "" : tc.eosToken()));
                List<Map<String, Object>> messages = json.convertValue(c.path("messages"), new TypeReference<>() {
                });
                String text = template.render(messages, c.path("add_generation_prompt").asBoolean(), Map.of());
                String expected = c.path("text").asText();
                if (!text.equals(expected)) {
                    results.add(new CaseResult(name, false, false, "text differs: expected " + quote(expected) + ", got " + quote(text)));
                    continue;
                }
                if (c.path("ids").isArray()) {
                    int[] ids = tc.tokenizer().encode(text, false);
                    if (!Arrays.equals(ids, tokens(c.path("ids")))) {
                        results.add(new CaseResult(name, false, false, "ids differ: expected " + c.path("ids") + ", got " + Arrays.toString(ids)));
                        continue;
                    }
                }
                results.add(new CaseResult(name, true, true, "exact"));
            } catch (IOException | RuntimeException e) {
                results.add(new CaseResult(name, false, false, "error: " + e.getMessage()));
            }
        }
        return results;
    }

    private static String quote(String s) {
        String q = s.length() > 120 ? s.substring(0, 120) + "..." : s;
        return "\"" + q.replace("\n", "\\n") + "\"";
    }

    private record Evaluated(LogitComparison comparison, String error) {
    }

    private List<CaseResult> runLogits(JsonNode cases) {
        Map<String, List<JsonNode>> byModel = new LinkedHashMap<>();
        for (JsonNode c : cases) {
            byModel.computeIfAbsent(c.path("model").asText(), k -> new ArrayList<>()).add(c);
        }
        Map<String, Evaluated> evaluated = new HashMap<>();
        for (Map.Entry<String, List<JsonNode>> e : byModel.entrySet()) {
            evaluateModel(e.getKey(), e.getValue(), evaluated);
        }
        List<CaseResult> results = new ArrayList<>();
        for (JsonNode c : cases) {
            String name = c.path("name").asText();
            Evaluated self = evaluated.get(name);
            boolean own = within(c, self);
            boolean ok = own;
            String twinName = twin(name);
            JsonNode twinCase = null;
            if (!ok && twinName != null) {
                for (JsonNode t : cases) {
                    if (t.path("name").asText().equals(twinName)) {
                        twinCase = t;
                    }
                }
                ok = twinCase != null && within(twinCase, evaluated.get(twinName));
            }
            results.add(new CaseResult(name, ok, own, describe(c, self)));
        }
        return results;
    }

    private void evaluateModel(String modelPath, List<JsonNode> cases, Map<String, Evaluated> evaluated) {
        try (DecoderModel model = Architectures.load(dir.resolve(modelPath))) {
            model.setCacheType(cacheType);
            Map<String, float[][]> logitsByTokens = new HashMap<>();
            for (JsonNode c : cases) {
                int[] tokens = tokens(c.path("tokens"));
                float[][] logits = logitsByTokens.computeIfAbsent(Arrays.toString(tokens),
                        k -> model.forward(tokens, model.newCache(), true));
                int vocab = c.path("vocab_size").asInt();
                float[] reference = readFloats(dir.resolve(c.path("logits").asText()), tokens.length * vocab);
                if (logits[0].length != vocab) {
                    evaluated.put(c.path("name").asText(), new Evaluated(null, "vocabulary " + logits[0].length + " != " + vocab));
                } else {
                    evaluated.put(c.path("name").asText(), new Evaluated(LogitComparison.of(logits, reference, vocab), null));
                }
            }
        } catch (RuntimeException ex) {
            for (JsonNode c : cases) {
                evaluated.put(c.path("name").asText(), new Evaluated(null, ex.getClass().getSimpleName() + ": " + ex.getMessage()));
            }
        }
    }

    private static boolean within(JsonNode c, Evaluated e) {
        JsonNode tol = c.path("suggested_tolerance");
        return e != null && e.comparison() != null
                && e.comparison().within(tol.path("max_abs_logprob_diff").asDouble(), tol.path("min_top1_agreement").asDouble(1));
    }

    private static String describe(JsonNode c, Evaluated e) {
        if (e == null || e.comparison() == null) {
            return "error: " + (e == null ? "not evaluated" : e.error());
        }
        JsonNode tol = c.path("suggested_tolerance");
        return String.format("max |dlogprob| %.3g (tolerance %s), top-1 agreement %.3f (minimum %s)",
                e.comparison().maxAbsLogprobDiff(), tol.path("max_abs_logprob_diff").asText(),
                e.comparison().top1Agreement(), tol.path("min_top1_agreement").asText());
    }

    /** {@code model/gguf-x/llama.cpp/s0} and {@code model/gguf-x/exact/s0} are twins. */
    static String twin(String name) {
        if (name.contains("/llama.cpp/")) {
            return name.replace("/llama.cpp/", "/exact/");
        }
        if (name.contains("/exact/")) {
            return name.replace("/exact/", "/llama.cpp/");
        }
        return null;
    }

    private static int[] tokens(JsonNode array) {
        int[] t = new int[array.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = array.get(i).asInt();
        }
        return t;
    }

    private static float[] readFloats(Path path, int count) {
        try {
            byte[] bytes = Files.readAllBytes(path);
            if (bytes.length != 4L * count) {
                throw new ModelFormatException(path + " holds " + bytes.length + " bytes, expected " + 4L * count);
            }
            float[] f = new float[count];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new ModelFormatException("cannot read reference logits " + path + ": " + e.getMessage());
        }
    }

    /** Prints failing cases, notes and the summary line; returns whether everything run passed. */
    public boolean print(Report report, boolean verbose) {
        for (CaseResult r : report.results()) {
            if (!r.passed()) {
                out.println("FAIL " + r.name() + ": " + r.detail());
            } else if (verbose) {
                out.println("pass " + r.name() + ": " + r.detail());
            }
        }
        out.println(report.passed() + " passed, " + report.failed() + " failed");
        return report.failed() == 0;
    }
}
