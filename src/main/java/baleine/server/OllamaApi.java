package baleine.server;

import baleine.chat.ToolCalls;
import baleine.generation.GenerationResult;
import baleine.model.ModelInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Ollama's native API ({@code /api/chat}, {@code /api/generate} with NDJSON streaming, {@code /api/tags},
 * {@code /api/show}, {@code /api/ps}) over the same scheduler, tools included. Requests are translated into the OpenAI
 * shape and go through the same validation, so unknown fields and options are refused there too.
 */
final class OllamaApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Ollama option → OpenAI-style field. */
    private static final Map<String, String> OPTIONS = Map.ofEntries(Map.entry("temperature", "temperature"), Map.entry("top_p", "top_p"),
            Map.entry("top_k", "top_k"), Map.entry("min_p", "min_p"), Map.entry("num_predict", "max_tokens"), Map.entry("seed", "seed"),
            Map.entry("stop", "stop"), Map.entry("repeat_penalty", "repetition_penalty"), Map.entry("repeat_last_n", "repeat_last_n"),
            Map.entry("presence_penalty", "presence_penalty"), Map.entry("frequency_penalty", "frequency_penalty"));
    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "stream", "options", "format", "think", "keep_alive", "tools");
    private static final Set<String> GENERATE_FIELDS = Set.of("model", "prompt", "system", "stream", "options", "format", "think",
            "keep_alive", "raw", "images");

    private final BaleineServer server;

    OllamaApi(BaleineServer server) {
        this.server = server;
    }

    void chat(HttpExchange ex, JsonNode body) throws IOException {
        ObjectNode req = translate(body, CHAT_FIELDS);
        for (JsonNode m : body.path("messages")) {
            if (m.path("images").size() > 0) {
                throw ApiException.unsupported("messages.images", "this model reads text only; send the messages without images");
            }
        }
        req.set("messages", body.path("messages"));
        if (body.hasNonNull("tools")) { // Ollama's tools are OpenAI's; so are its history's calls, with arguments as objects
            req.set("tools", body.get("tools"));
        }
        run(ex, withContext(server.parser().chat(req), body), body, true);
    }

    void generate(HttpExchange ex, JsonNode body) throws IOException {
        ObjectNode req = translate(body, GENERATE_FIELDS);
        if (!body.path("prompt").isTextual()) {
            throw ApiException.invalid("prompt", "prompt must be a string");
        }
        if (body.path("images").size() > 0) {
            throw ApiException.unsupported("images", "this model reads text only; send the prompt without images");
        }
        if (body.path("raw").asBoolean(false)) {
            if (body.has("system") || body.has("think")) {
                throw ApiException.invalid("raw", "raw prompts take neither system nor think");
            }
            req.remove("thinking");
            req.put("prompt", body.get("prompt").asText());
            run(ex, withContext(server.parser().completion(req), body), body, false);
            return;
        }
        var messages = req.putArray("messages");
        if (body.hasNonNull("system")) {
            messages.addObject().put("role", "system").put("content", body.get("system").asText());
        }
        messages.addObject().put("role", "user").put("content", body.get("prompt").asText());
        run(ex, withContext(server.parser().chat(req), body), body, false);
    }

    /** The common fields, in the OpenAI shape; {@code keep_alive} is accepted (the model stays loaded anyway). */
    private ObjectNode translate(JsonNode body, Set<String> known) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiException.unsupported(f, "unknown parameter '" + f + "'");
            }
        }
        ObjectNode req = JSON.createObjectNode();
        if (body.hasNonNull("model")) {
            req.set("model", body.get("model"));
        }
        JsonNode options = body.path("options");
        for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> o = it.next();
            if (o.getKey().equals("num_ctx")) {
                continue; // see withContext
            }
            String mapped = OPTIONS.get(o.getKey());
            if (mapped == null) {
                throw ApiException.unsupported("options." + o.getKey(), "option '" + o.getKey() + "' is not supported (supported: "
                        + String.join(", ", Stream.concat(OPTIONS.keySet().stream(), Stream.of("num_ctx")).sorted().toList()) + ")");
            }
            req.set(mapped, o.getValue());
        }
        if (options.has("repeat_penalty") && !options.has("repeat_last_n")) {
            req.put("repeat_last_n", 64); // the window Ollama applies its repeat_penalty over
        }
        JsonNode format = body.path("format");
        if (format.isObject()) { // a JSON schema
            ObjectNode rf = req.putObject("response_format").put("type", "json_schema");
            rf.putObject("json_schema").put("name", "format").set("schema", format);
        } else if (!format.isMissingNode() && !format.isNull()) {
            if (!format.asText().equals("json")) {
                throw ApiException.invalid("format", "format must be \"json\" or a JSON schema");
            }
            req.putObject("response_format").put("type", "json_object");
        }
        if (body.has("think")) {
            req.putObject("thinking").put("type", body.path("think").asBoolean() ? "enabled" : "disabled");
        }
        return req;
    }

    /**
     * Ollama's {@code num_ctx}: the request's context, at most the server's per request. Generation stops where
     * the context is full; a prompt that does not fit is refused (Ollama would drop its beginning unsaid).
     */
    private RequestParser.Parsed withContext(RequestParser.Parsed p, JsonNode body) {
        JsonNode numCtx = body.path("options").path("num_ctx");
        if (numCtx.isMissingNode() || numCtx.isNull()) {
            return p;
        }
        if (!numCtx.canConvertToExactIntegral() || numCtx.asInt() < 1) {
            throw ApiException.invalid("options.num_ctx", "num_ctx must be a positive integer, got " + numCtx);
        }
        int ctx = numCtx.asInt(), most = server.contextPerSlot();
        if (ctx > most) {
            throw ApiException.unsupported("options.num_ctx", "num_ctx " + ctx + " is above this server's context of " + most
                    + " tokens per request; start it with a larger --ctx-size");
        }
        if (p.prompt().length >= ctx) {
            throw new ApiException(400, "invalid_request_error", "options.num_ctx", "context_length_exceeded",
                    "the prompt has " + p.prompt().length + " tokens but num_ctx is " + ctx + "; raise num_ctx or shorten the prompt");
        }
        return p.withParams(p.params().withMaxTokens(Math.min(p.params().maxTokens(), ctx - p.prompt().length)));
    }

    private void run(HttpExchange ex, RequestParser.Parsed p, JsonNode body, boolean chat) throws IOException {
        Job job = server.submit(p);
        boolean stream = body.path("stream").asBoolean(true); // Ollama streams unless told not to
        ToolCalls tools = p.tools() ? new ToolCalls() : null;
        StringBuilder content = new StringBuilder(), thinking = new StringBuilder(), raw = new StringBuilder(); // raw: all answer text
        OutputStream out = null;
        if (stream) {
            ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
            ex.sendResponseHeaders(200, 0);
            out = ex.getResponseBody();
        }
        try {
            while (true) {
                Event e = job.events.take();
                switch (e) {
                    case Event.Failed f -> {
                        if (out == null) {
                            throw f.error();
                        }
                        line(out, JSON.createObjectNode().put("error", f.error().getMessage()));
                        return;
                    }
                    case Event.Logprob ignored -> {
                        // Ollama's API carries no log-probabilities, and its requests never ask for them
                    }
                    case Event.PromptLogprobs ignored -> {
                        // nor for the prompt's (echo with logprobs is OpenAI's /completions)
                    }
                    case Event.Reasoning r -> {
                        thinking.append(r.text());
                        if (out != null) {
                            line(out, piece(chat, "", r.text()));
                        }
                    }
                    case Event.Content c -> {
                        String visible = tools != null ? tools.accept(c.text()) : c.text();
                        content.append(visible); // always a prefix of raw
                        raw.append(c.text());
                        if (out != null && !visible.isEmpty()) {
                            line(out, piece(chat, visible, ""));
                        }
                    }
                    case Event.Done d -> {
                        ArrayNode toolCalls = null;
                        if (tools != null) {
                            toolCalls = toolCalls(tools.finish().calls());
                            String rest = toolCalls == null ? raw.substring(content.length()) : ""; // calls Ollama cannot carry stay text
                            content.append(rest);
                            if (out != null && !rest.isEmpty()) {
                                line(out, piece(chat, rest, ""));
                            }
                        }
                        if (out != null && toolCalls != null) {
                            ObjectNode c = piece(chat, "", "");
                            ((ObjectNode) c.get("message")).set("tool_calls", toolCalls);
                            line(out, c);
                        }
                        ObjectNode last = out != null ? piece(chat, "", "") : piece(chat, content.toString(), thinking.toString());
                        if (out == null && toolCalls != null) {
                            ((ObjectNode) last.get("message")).set("tool_calls", toolCalls);
                        }
                        finish(last, d.result());
                        if (out != null) {
                            line(out, last);
                        } else {
                            BaleineServer.json(ex, 200, last);
                        }
                        return;
                    }
                }
            }
        } catch (IOException gone) {
            job.cancel.set(true);
        } catch (InterruptedException e) {
            job.cancel.set(true);
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Calls in Ollama's shape, {@code {"function": {"name", "arguments": {...}}}} with the arguments as an object;
     * null when there are none, or when some call's arguments are not a JSON object (its clients read a map).
     */
    static ArrayNode toolCalls(List<ToolCalls.Call> calls) {
        if (calls.isEmpty()) {
            return null;
        }
        ArrayNode a = JSON.createArrayNode();
        for (ToolCalls.Call c : calls) {
            JsonNode arguments;
            try {
                arguments = JSON.readTree(c.arguments());
            } catch (IOException notJson) {
                return null;
            }
            if (arguments == null || !arguments.isObject()) {
                return null;
            }
            a.addObject().putObject("function").put("name", c.name()).set("arguments", arguments);
        }
        return a;
    }

    private ObjectNode piece(boolean chat, String content, String thinking) {
        ObjectNode o = JSON.createObjectNode().put("model", server.modelId()).put("created_at", Instant.now().toString());
        if (chat) {
            ObjectNode m = o.putObject("message").put("role", "assistant").put("content", content);
            if (!thinking.isEmpty()) {
                m.put("thinking", thinking);
            }
        } else {
            o.put("response", content);
            if (!thinking.isEmpty()) {
                o.put("thinking", thinking);
            }
        }
        return o.put("done", false);
    }

    private static void finish(ObjectNode o, GenerationResult r) {
        o.put("done", true).put("done_reason", r.finishReason().equals("cancelled") ? "stop" : r.finishReason())
                .put("total_duration", r.promptNanos() + r.generationNanos()).put("load_duration", 0)
                .put("prompt_eval_count", r.promptTokens() - r.cachedPromptTokens()).put("prompt_eval_duration", r.promptNanos())
                .put("eval_count", r.tokens().size()).put("eval_duration", r.generationNanos());
    }

    private static void line(OutputStream out, JsonNode n) throws IOException {
        out.write((JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    ObjectNode tags() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("models").add(entry());
        return o;
    }

    ObjectNode ps() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("models").add(entry().put("size_vram", 0).put("expires_at", "0001-01-01T00:00:00Z"));
        return o;
    }

    ObjectNode show(JsonNode body) {
        String name = body.path("model").asText(body.path("name").asText(""));
        if (!name.equals(server.modelId())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found", "model '" + name + "' is not served here");
        }
        ModelInfo i = server.model().model().info();
        ObjectNode o = JSON.createObjectNode();
        o.put("template", server.model().chatTemplate().map(t -> t.source()).orElse(""));
        o.set("details", details());
        ObjectNode info = o.putObject("model_info");
        info.put("general.architecture", i.architecture()).put("general.parameter_count", i.totalParameters())
                .put("context_length", i.contextLength()).put("embedding_length", i.hidden()).put("block_count", i.layers());
        return o;
    }

    private ObjectNode entry() {
        ModelInfo i = server.model().model().info();
        ObjectNode m = JSON.createObjectNode().put("name", server.modelId()).put("model", server.modelId())
                .put("modified_at", Instant.now().toString()).put("size", i.weightBytes()).put("digest", "");
        m.set("details", details());
        return m;
    }

    private ObjectNode details() {
        ModelInfo i = server.model().model().info();
        return JSON.createObjectNode().put("format", i.format().startsWith("GGUF") ? "gguf" : "safetensors").put("family", i.architecture())
                .put("parameter_size", String.format("%.1fB", i.totalParameters() / 1e9)).put("quantization_level", i.quantization());
    }
}
