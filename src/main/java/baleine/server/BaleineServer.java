package baleine.server;

import baleine.api.Baleine;
import baleine.generation.JsonMatcher;
import baleine.generation.SamplingParams;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The OpenAI- and DeepSeek-compatible HTTP server: the JDK's HttpServer with one virtual thread per
 * exchange (no framework to learn, nothing to configure, enough for loopback and LAN use). Paths are
 * served under {@code /v1}, at the root (DeepSeek style) and under {@code /beta}. Generation runs on the
 * {@link Scheduler}'s thread; each exchange only drains its own event queue.
 */
public final class BaleineServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The most bytes of a request body read and dropped so that its client gets an error's status (see {@link #drain}). */
    private static final long DRAIN_LIMIT = 64L << 20;

    private final ServerConfig config;
    private final HttpServer http;
    private final Metrics metrics = new Metrics();
    private final CompletableFuture<Baleine> loading;
    private volatile Scheduler scheduler;
    private volatile RequestParser parser;
    private volatile String modelId;
    private final long created = System.currentTimeMillis() / 1000;
    private final OllamaApi ollama = new OllamaApi(this);
    private final OpenAiResponses responses = new OpenAiResponses(this);

    /** Starts listening at once ({@code /health} answers 503 until {@code loader} has loaded the model). */
    public BaleineServer(ServerConfig config, Supplier<Baleine> loader) throws IOException {
        this.config = config;
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/", this::handle);
        http.start();
        this.loading = CompletableFuture.supplyAsync(() -> {
            Baleine model = loader.get();
            modelId = config.alias() != null ? config.alias() : model.name();
            try {
                Baleine.checkContext(config.contextPerSlot(), model.model().contextLength());
            } catch (IllegalArgumentException e) {
                model.close();
                throw e;
            }
            int ctx = config.contextPerSlot() == 0 ? model.contextLength() : config.contextPerSlot();
            parser = new RequestParser(model, modelId);
            long bytesPerToken = model.model().newCache(1).bytesPerToken();
            long cacheTokens = config.cacheTokens() > 0 ? config.cacheTokens()
                    : config.cacheBytes() > 0 ? config.cacheBytes() / bytesPerToken : 2L * config.parallel() * ctx;
            scheduler = new Scheduler(model, config.parallel(), ctx, cacheTokens, config.maxQueue(), metrics);
            return model;
        }, Executors.newVirtualThreadPerTaskExecutor());
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /**
     * Once the model is loaded, sends this server a chat completion and a streamed one of its own ({@link RequestWarmUp});
     * returns whether both were answered. Clients may already send requests meanwhile.
     */
    public boolean warmUpRequests() {
        awaitLoaded();
        return RequestWarmUp.run(config.host(), port(), config.apiKey());
    }

    /** Blocks until the model is loaded; rethrows what went wrong. */
    public Baleine awaitLoaded() {
        return loading.join();
    }

    public String modelId() {
        return modelId;
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        boolean ollamaRoute = path.startsWith("/api/"); // Ollama's clients read an error as {"error": "message"}
        try {
            cors(ex);
            String method = ex.getRequestMethod();
            if (method.equals("OPTIONS")) {
                ex.sendResponseHeaders(204, -1);
                return;
            }
            if (path.equals("/health")) {
                health(ex);
                return;
            }
            authenticate(ex);
            if (!loading.isDone() || loading.isCompletedExceptionally()) {
                throw new ApiException(503, "server_error", null, "model_loading",
                        loading.isCompletedExceptionally() ? "the model failed to load" : "the model is still loading; retry shortly");
            }
            String route = path.replaceFirst("^/(v1|beta)(?=/)", "");
            checkMethod(ex, method, path, route);
            switch (route) {
                case "/chat/completions" -> generate(ex, true);
                case "/completions" -> generate(ex, false);
                case "/models" -> models(ex);
                case "/metrics" -> text(ex, 200, "text/plain; version=0.0.4",
                        metrics.render(scheduler.running(), scheduler.queued(), scheduler.kvTokens(), scheduler.kvCapacity()));
                case "/tokenize" -> tokenize(ex);
                case "/api/chat" -> ollama.chat(ex, body(ex));
                case "/api/generate" -> ollama.generate(ex, body(ex));
                case "/api/tags" -> json(ex, 200, ollama.tags());
                case "/api/ps" -> json(ex, 200, ollama.ps());
                case "/api/version" -> json(ex, 200, JSON.createObjectNode().put("version", Baleine.VERSION));
                case "/api/show" -> json(ex, 200, ollama.show(body(ex)));
                case "/detokenize" -> detokenize(ex);
                default -> model(ex, route.substring("/models/".length())); // checkMethod let only /models/ID through
            }
        } catch (ApiException e) {
            error(ex, e, ollamaRoute);
        } catch (RuntimeException | Error e) { // an Error too (out of memory, stack overflow): the client gets its answer
            System.err.println("baleine: " + ex.getRequestMethod() + " " + path + " failed: " + e);
            error(ex, ApiException.internal("", e), ollamaRoute);
        } finally {
            ex.close();
        }
    }

    /** The routes, by path, with the method each takes (and {@code /models/ID}, GET). */
    private static final Map<String, String> METHODS = Map.ofEntries(Map.entry("/chat/completions", "POST"),
            Map.entry("/completions", "POST"), Map.entry("/models", "GET"), Map.entry("/metrics", "GET"),
            Map.entry("/tokenize", "POST"), Map.entry("/detokenize", "POST"), Map.entry("/api/chat", "POST"),
            Map.entry("/api/generate", "POST"), Map.entry("/api/tags", "GET"), Map.entry("/api/ps", "GET"),
            Map.entry("/api/version", "GET"), Map.entry("/api/show", "POST"));

    /** Refuses an unknown path (404) and a known one asked with another method (405, with the method to use in {@code Allow}). */
    private static void checkMethod(HttpExchange ex, String method, String path, String route) {
        String allowed = route.startsWith("/models/") ? "GET" : METHODS.get(route);
        if (allowed == null) {
            throw new ApiException(404, "invalid_request_error", null, "not_found", "no route for " + method + " " + path);
        }
        if (!allowed.equals(method)) {
            ex.getResponseHeaders().set("Allow", allowed + ", OPTIONS");
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", path + " takes " + allowed + ", not " + method);
        }
    }

    private void health(HttpExchange ex) throws IOException {
        if (loading.isCompletedExceptionally()) {
            json(ex, 503, JSON.createObjectNode().put("status", "error").put("message", "the model failed to load"));
        } else if (!loading.isDone()) {
            json(ex, 503, JSON.createObjectNode().put("status", "loading model"));
        } else {
            json(ex, 200, JSON.createObjectNode().put("status", "ok"));
        }
    }

    private void authenticate(HttpExchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String given = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).strip() : null;
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "authentication_error", null, "invalid_api_key",
                    given == null ? "missing API key: send Authorization: Bearer KEY" : "invalid API key");
        }
    }

    private void cors(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin != null && (config.corsOrigins().contains("*") || config.corsOrigins().contains(origin))) {
            var h = ex.getResponseHeaders();
            h.set("Access-Control-Allow-Origin", origin);
            h.set("Vary", "Origin");
            h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            h.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        }
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        InputStream in = ex.getRequestBody();
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxBodyBytes() + 1));
        if (bytes.length > config.maxBodyBytes()) {
            throw new ApiException(413, "invalid_request_error", null, "body_too_large",
                    "the request body is larger than " + config.maxBodyBytes() + " bytes");
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw ApiException.badRequest("the request body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(malformed(e));
        }
    }

    /**
     * Reads and drops what is left of a request body (up to {@link #DRAIN_LIMIT} bytes) before an error goes out — an
     * oversized body's 413, or a 401, 404 or 405 answered before the body is read: the JDK's server drains only 64 KiB,
     * then closes a connection with unread bytes, and the reset that close sends could reach the client before the
     * response did ("header parser received no bytes" instead of the status).
     */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long left = DRAIN_LIMIT;
        for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
            left -= n;
        }
    }

    /** Jackson's reason and where, without its notes on the parser's source (which name internals, not the body). */
    private static String malformed(JsonProcessingException e) {
        String reason = e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source:[^]]*][^)]*\\)", "");
        var at = e.getLocation();
        return "malformed JSON" + (at != null && at.getLineNr() > 0 ? " at line " + at.getLineNr() + ", column " + at.getColumnNr() : "")
                + ": " + reason;
    }

    private void generate(HttpExchange ex, boolean chat) throws IOException {
        JsonNode body = body(ex);
        List<RequestParser.Parsed> prompts = chat ? List.of(parser.chat(body)) : parser.completions(body);
        List<Job> jobs = submitChoices(prompts);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        new OpenAiGeneration(ex, responses, prompts, jobs, id, chat, config.keepAliveMillis()).answer();
    }

    /** Checks the prompt against the context and queues the request (429 when the queue is full). */
    Job submit(RequestParser.Parsed p) {
        return submit(p, p.params(), p.constraint(), p.topLogprobs());
    }

    /**
     * Queues each prompt's choices ({@code best_of} candidates, if more), prompt after prompt, all or none: a prompt's
     * choices share it (the later ones find its blocks cached once the first has read it), the seed is {@code seed + i}
     * for choice i of a prompt when one is given.
     */
    private List<Job> submitChoices(List<RequestParser.Parsed> prompts) {
        List<Job> jobs = new ArrayList<>();
        try {
            for (RequestParser.Parsed p : prompts) {
                // candidates beyond n are ranked by their tokens' log-probabilities: those are kept even when not asked for
                int topLogprobs = p.candidates() > p.n() ? Math.max(p.topLogprobs(), 0) : p.topLogprobs();
                Long seed = p.params().seed();
                for (int i = 0; i < p.candidates(); i++) {
                    jobs.add(submit(p, seed == null ? p.params() : p.params().withSeed(seed + i),
                            p.constraint() == null || i == 0 ? p.constraint() : p.constraint().copy(), topLogprobs));
                }
            }
        } catch (ApiException e) {
            jobs.forEach(j -> j.cancel.set(true));
            throw e;
        }
        return jobs;
    }

    private Job submit(RequestParser.Parsed p, SamplingParams params, JsonMatcher constraint, int topLogprobs) {
        int ctx = scheduler.contextPerSlot();
        if (p.prompt().length >= ctx) {
            throw new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded",
                    "the prompt has " + p.prompt().length + " tokens but the context holds " + ctx
                            + " tokens per request; shorten it or start the server with a larger --ctx-size");
        }
        Job job = new Job(p.prompt(), params, p.reasoning(), topLogprobs, constraint, p.scoresPrompt());
        scheduler.submit(job);
        return job;
    }

    private void models(HttpExchange ex) throws IOException {
        ObjectNode o = JSON.createObjectNode().put("object", "list");
        o.putArray("data").add(modelEntry());
        json(ex, 200, o);
    }

    private void model(HttpExchange ex, String id) throws IOException {
        if (!id.equals(modelId)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found", "model '" + id + "' is not served here");
        }
        json(ex, 200, modelEntry());
    }

    private ObjectNode modelEntry() {
        return JSON.createObjectNode().put("id", modelId).put("object", "model").put("created", created).put("owned_by", "baleine");
    }

    private void tokenize(HttpExchange ex) throws IOException {
        JsonNode b = body(ex);
        if (!b.path("content").isTextual()) {
            throw ApiException.invalid("content", "content must be a string");
        }
        int[] ids = loading.join().tokenizer().tokenizer().encode(b.get("content").asText(), b.path("add_special").asBoolean(false));
        ObjectNode o = JSON.createObjectNode();
        ArrayNode a = o.putArray("tokens");
        for (int id : ids) {
            a.add(id);
        }
        json(ex, 200, o);
    }

    private void detokenize(HttpExchange ex) throws IOException {
        JsonNode b = body(ex);
        JsonNode t = b.path("tokens");
        if (!t.isArray()) {
            throw ApiException.invalid("tokens", "tokens must be an array of token ids");
        }
        var tok = loading.join().tokenizer().tokenizer();
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = t.get(i).asInt(-1);
            if (!t.get(i).isInt() || ids[i] < 0 || ids[i] >= tok.vocabSize()) {
                throw ApiException.invalid("tokens", "token " + t.get(i) + " is not in the vocabulary of " + tok.vocabSize());
            }
        }
        json(ex, 200, JSON.createObjectNode().put("content", tok.decode(ids)));
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode err = JSON.createObjectNode();
        err.put("message", e.getMessage()).put("type", e.type);
        if (e.param != null) {
            err.put("param", e.param);
        } else {
            err.putNull("param");
        }
        err.put("code", e.code);
        return err;
    }

    /** The error as OpenAI's clients read it ({@code {"error": {"message", "type", "param", "code"}}}), or Ollama's. */
    private static void error(HttpExchange ex, ApiException e, boolean ollamaRoute) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        if (ollamaRoute) {
            o.put("error", e.getMessage());
        } else {
            o.set("error", errorBody(e));
        }
        if (e.status == 429) {
            ex.getResponseHeaders().set("Retry-After", "1");
        }
        try {
            drain(ex.getRequestBody());
            json(ex, e.status, o);
        } catch (IOException | IllegalStateException alreadySent) {
            // headers already went out (a stream): nothing more to say
        }
    }

    Baleine model() {
        return loading.join();
    }

    RequestParser parser() {
        return parser;
    }

    /** Tokens of context each request has. */
    int contextPerSlot() {
        return scheduler.contextPerSlot();
    }

    static void json(HttpExchange ex, int status, JsonNode n) throws IOException {
        text(ex, status, "application/json", JSON.writeValueAsString(n));
    }

    private static void text(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** Refuses new requests, lets running ones finish (cancelling after a grace period), then stops. */
    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        http.stop(1);
        if (loading.isDone() && !loading.isCompletedExceptionally()) {
            loading.join().close();
        }
    }
}
