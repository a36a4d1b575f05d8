package baleine.server;

import baleine.api.Baleine;
import baleine.chat.ChatPrompt;
import baleine.chat.ChatTemplate;
import baleine.chat.ToolCallMatcher;
import baleine.chat.ToolCalls;
import baleine.generation.JsonMatcher;
import baleine.generation.SamplingParams;
import baleine.generation.SchemaMatcher;
import baleine.generation.Sequence;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads OpenAI / DeepSeek request bodies into a prompt and sampling parameters. Every documented field
 * is either honoured or refused with 422; unknown fields are refused too, so nothing is silently ignored.
 */
final class RequestParser {
    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "temperature", "top_p", "top_k", "min_p",
            "max_tokens", "max_completion_tokens", "stop", "stream", "stream_options", "frequency_penalty", "presence_penalty",
            "repetition_penalty", "repeat_last_n", "logit_bias", "seed", "logprobs", "top_logprobs", "n", "response_format", "tools",
            "tool_choice", "thinking", "reasoning_effort", "reasoning_budget", "user", "parallel_tool_calls");
    private static final Set<String> COMPLETION_FIELDS = Set.of("model", "prompt", "suffix", "temperature", "top_p", "top_k",
            "min_p", "max_tokens", "stop", "stream", "stream_options", "frequency_penalty", "presence_penalty", "repetition_penalty",
            "repeat_last_n", "logit_bias", "seed", "logprobs", "n", "echo", "user", "best_of");

    /**
     * What a request asks for, ready for the scheduler.
     *
     * @param n          choices asked for, each generated as a request of its own
     * @param candidates answers generated to pick the n choices from, the best per token first ({@code best_of}; n if not given)
     * @param constraint what the answer must follow (JSON, a schema, a forced call), or null for free text
     * @param tools      tool calls are looked for in the answer (tools were offered)
     * @param forcedCall the answer is a call, {@code NAME} {@link ToolCalls#ARGUMENTS_FENCE} {@code ARGUMENTS} (tool_choice
     *                   named a function, or required one)
     */
    record Parsed(int[] prompt, SamplingParams params, int n, int candidates, Sequence.Reasoning reasoning, int topLogprobs, boolean stream,
                  boolean includeUsage, String echo, JsonMatcher constraint, boolean tools, boolean forcedCall) {
        /** The prompt tokens' log-probabilities are wanted too: OpenAI's echo with logprobs. */
        boolean scoresPrompt() {
            return echo != null && topLogprobs >= 0;
        }

        Parsed withParams(SamplingParams params) {
            return new Parsed(prompt, params, n, candidates, reasoning, topLogprobs, stream, includeUsage, echo, constraint, tools, forcedCall);
        }
    }

    /** tool_choice "none" and "required", as {@link #toolChoice} returns them: no function has these names (spaces). */
    private static final String NO_TOOL = " none", ANY_TOOL = " required";
    /** Most choices ({@code n}) one request may ask for: each is a request of its own in the queue. */
    static final int MAX_CHOICES = 16;
    /** Most prompts one {@code /completions} request may carry (each is answered by n requests of its own in the queue). */
    static final int MAX_PROMPTS = 64;

    private final Baleine model;
    private final String modelId;

    RequestParser(Baleine model, String modelId) {
        this.model = model;
        this.modelId = modelId;
    }

    Parsed chat(JsonNode body) {
        checkFields(body, CHAT_FIELDS);
        checkModel(body);
        List<ToolCalls.Tool> tools = tools(body.path("tools"));
        String choice = toolChoice(body.path("tool_choice"), tools);
        boolean offerTools = !tools.isEmpty() && !NO_TOOL.equals(choice);
        boolean forcing = choice != null && !choice.equals(NO_TOOL);
        if (body.hasNonNull("parallel_tool_calls") && !body.get("parallel_tool_calls").isBoolean()) {
            throw ApiException.invalid("parallel_tool_calls", "parallel_tool_calls must be true or false");
        }
        boolean oneCall = !body.path("parallel_tool_calls").asBoolean(true);
        JsonNode rf = body.path("response_format");
        String format = rf.isMissingNode() || rf.isNull() ? "text" : rf.path("type").asText("");
        if (!format.equals("text") && !format.equals("json_object") && !format.equals("json_schema")) {
            throw ApiException.invalid("response_format", "response_format.type must be text, json_object or json_schema");
        }
        SchemaMatcher.Node schema = null;
        if (format.equals("json_schema")) {
            JsonNode js = rf.path("json_schema").path("schema");
            if (!js.isObject()) {
                throw ApiException.invalid("response_format.json_schema.schema", "json_schema needs a schema object");
            }
            try {
                schema = SchemaMatcher.compile(js);
            } catch (IllegalArgumentException e) {
                throw ApiException.unsupported("response_format.json_schema.schema", e.getMessage());
            }
        }
        JsonNode msgs = body.path("messages");
        if (!msgs.isArray() || msgs.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        String prefix = null;
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            String role = m.path("role").asText("");
            if (!Set.of("system", "user", "assistant", "tool").contains(role)) {
                throw ApiException.invalid("messages[" + i + "].role", "role must be system, user, assistant or tool, got '" + role + "'");
            }
            String content = content(m.path("content"), "messages[" + i + "].content");
            if (m.path("prefix").asBoolean(false)) {
                if (i != msgs.size() - 1 || !role.equals("assistant")) {
                    throw ApiException.invalid("messages[" + i + "].prefix", "prefix: true is only allowed on the last message, an assistant one");
                }
                prefix = content;
                continue;
            }
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", role);
            msg.put("content", content);
            if (m.hasNonNull("tool_calls") && m.get("tool_calls").size() > 0) {
                if (!role.equals("assistant")) {
                    throw ApiException.invalid("messages[" + i + "].tool_calls", "only assistant messages carry tool_calls");
                }
                msg.put("content", null); // DeepSeek's templates read a tool-call turn as an assistant message without content
                msg.put("tool_calls", toolCalls(m.get("tool_calls"), "messages[" + i + "].tool_calls"));
            }
            if (role.equals("tool") && m.hasNonNull("tool_call_id")) {
                msg.put("tool_call_id", m.get("tool_call_id").asText());
            }
            messages.add(msg);
        }
        Boolean thinking = null;
        JsonNode t = body.path("thinking");
        if (!t.isMissingNode() && !t.isNull()) {
            String type = t.path("type").asText("");
            if (!type.equals("enabled") && !type.equals("disabled")) {
                throw ApiException.invalid("thinking.type", "thinking.type must be enabled or disabled, got '" + type + "'");
            }
            thinking = type.equals("enabled");
        }
        ChatTemplate template = model.chatTemplate().orElseThrow(() -> ApiException.invalid("messages",
                "this model has no chat template; start the server with --chat-template FILE or use /v1/completions"));
        if (offerTools) {
            Map<String, Object> system = new LinkedHashMap<>();
            system.put("role", "system");
            system.put("content", ToolCalls.describe(tools));
            messages.addFirst(system);
        }
        if (forcing) {
            if (prefix != null) {
                throw ApiException.invalid("tool_choice", "a forced tool call cannot be combined with prefix completion");
            }
            prefix = ToolCalls.FORCED_PREFIX;
            thinking = Boolean.FALSE; // the call is the answer: no reasoning block before it
        }
        ChatPrompt prompt;
        try {
            prompt = ChatPrompt.build(template, model.tokenizer().tokenizer(), messages, thinking, prefix);
        } catch (ChatTemplate.TemplateException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
        int topLogprobs = logprobs(body);
        SamplingParams params = sampling(body, 1).withReasoningBudget(reasoningBudget(body));
        if (oneCall && offerTools) { // the answer stops where its first call ends
            params = params.withStop(Stream.concat(params.stop().stream(), Stream.of(ToolCalls.CALL_END)).toList());
        }
        JsonMatcher constraint = forcing ? new ToolCallMatcher(forcedArguments(body.path("tools"), choice))
                : schema != null ? new SchemaMatcher(schema) : format.equals("json_object") ? new SchemaMatcher(SchemaMatcher.ANY_OBJECT) : null;
        int n = choices(body);
        return new Parsed(prompt.ids(), params, n, n, prompt.insideThink() ? Sequence.Reasoning.OPEN : Sequence.Reasoning.AUTO,
                topLogprobs, stream(body), includeUsage(body), null, constraint, offerTools && !forcing, forcing);
    }

    /**
     * The functions a forced call may name ({@code choice}: one, or {@link #ANY_TOOL}) and what their arguments are
     * held to: the function's parameters schema where it can be (see {@link SchemaMatcher}), else any JSON object,
     * unless the function asks for {@code strict} adherence: then the schema's unsupported part is refused.
     */
    private static Map<String, SchemaMatcher.Node> forcedArguments(JsonNode tools, String choice) {
        Map<String, SchemaMatcher.Node> out = new LinkedHashMap<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode f = tools.get(i).path("function");
            String name = f.path("name").asText();
            if (!choice.equals(ANY_TOOL) && !choice.equals(name)) {
                continue;
            }
            SchemaMatcher.Node arguments = SchemaMatcher.ANY_OBJECT;
            if (f.path("parameters").isObject()) {
                try {
                    arguments = SchemaMatcher.compile(f.get("parameters"));
                } catch (IllegalArgumentException e) {
                    if (f.path("strict").asBoolean(false)) {
                        throw ApiException.unsupported("tools[" + i + "].function.parameters", e.getMessage());
                    }
                }
            }
            out.put(name, arguments);
        }
        return out;
    }

    /** A {@code /completions} request whose prompt is a single one (Ollama's generate, built from its own string). */
    Parsed completion(JsonNode body) {
        List<Parsed> all = completions(body);
        if (all.size() != 1) {
            throw ApiException.invalid("prompt", "prompt must be a single prompt here");
        }
        return all.getFirst();
    }

    /**
     * A {@code /completions} request, one entry per prompt: {@code prompt} is a string, an array of strings, an array
     * of token ids, or an array of such arrays, as OpenAI's (token ids are taken as they are: no BOS added). Each prompt
     * gets its n choices; they share the rest of the request.
     */
    List<Parsed> completions(JsonNode body) {
        checkFields(body, COMPLETION_FIELDS);
        checkModel(body);
        List<int[]> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        prompts(body.path("prompt"), ids, texts);
        if (ids.size() > MAX_PROMPTS) {
            throw ApiException.invalid("prompt", "at most " + MAX_PROMPTS + " prompts per request, got " + ids.size());
        }
        String suffix = body.hasNonNull("suffix") ? body.get("suffix").asText() : null;
        if (suffix != null && texts.contains(null)) {
            throw ApiException.invalid("suffix", "suffix needs text prompts, not token ids");
        }
        for (int i = 0; i < ids.size(); i++) { // text prompts are tokenized once, checked and with their suffix
            if (texts.get(i) != null) {
                ids.set(i, model.encodeRaw(suffix == null ? texts.get(i) : fim(texts.get(i), suffix)));
            }
        }
        int top = -1;
        if (body.hasNonNull("logprobs")) {
            top = body.get("logprobs").asInt(-1);
            if (top < 0 || top > 20) {
                throw ApiException.invalid("logprobs", "logprobs must be between 0 and 20");
            }
        }
        boolean echo = body.path("echo").asBoolean(false);
        int n = choices(body), candidates = candidates(body, n);
        SamplingParams params = sampling(body, echo ? 0 : 1);
        boolean stream = stream(body), includeUsage = includeUsage(body);
        List<Parsed> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String shown = !echo ? null : texts.get(i) != null ? texts.get(i) : model.tokenizer().tokenizer().decode(ids.get(i));
            out.add(new Parsed(ids.get(i), params, n, candidates, Sequence.Reasoning.OFF, top, stream, includeUsage, shown, null, false, false));
        }
        return out;
    }

    /**
     * {@code prompt}'s prompts, side by side in the two lists: a text prompt as its text (its ids null, to be
     * tokenized), a token-id prompt as its ids (its text null).
     */
    private void prompts(JsonNode prompt, List<int[]> ids, List<String> texts) {
        String forms = "prompt must be a string, an array of strings, an array of token ids or an array of arrays of token ids";
        if (prompt.isTextual()) {
            texts.add(prompt.asText());
            ids.add(null);
        } else if (!prompt.isArray() || prompt.isEmpty()) {
            throw ApiException.invalid("prompt", forms);
        } else if (prompt.get(0).isTextual()) {
            for (JsonNode e : prompt) {
                if (!e.isTextual()) {
                    throw ApiException.invalid("prompt", forms + " (not a mix)");
                }
                texts.add(e.asText());
                ids.add(null);
            }
        } else if (prompt.get(0).isArray()) {
            for (int i = 0; i < prompt.size(); i++) {
                ids.add(tokenIds(prompt.get(i), "prompt[" + i + "]", forms));
                texts.add(null);
            }
        } else {
            ids.add(tokenIds(prompt, "prompt", forms));
            texts.add(null);
        }
    }

    private int[] tokenIds(JsonNode array, String param, String forms) {
        if (!array.isArray() || array.isEmpty()) {
            throw ApiException.invalid(param, array.isArray() ? param + " has no tokens" : forms + " (not a mix)");
        }
        int vocab = model.model().vocabSize();
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.isInt() || t.asInt() < 0 || t.asInt() >= vocab) {
                throw ApiException.invalid(param, param + "[" + i + "] = " + t + " is not a token id of this model (0 to " + (vocab - 1) + ")");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static final java.util.regex.Pattern TOOL_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private static List<ToolCalls.Tool> tools(JsonNode tools) {
        List<ToolCalls.Tool> out = new ArrayList<>();
        if (tools.isMissingNode() || tools.isNull()) {
            return out;
        }
        if (!tools.isArray()) {
            throw ApiException.invalid("tools", "tools must be an array");
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            JsonNode f = t.path("function");
            if (!t.path("type").asText().equals("function") || !f.isObject()) {
                throw ApiException.invalid("tools[" + i + "]", "each tool must be {type: function, function: {name, description, parameters}}");
            }
            String name = f.path("name").asText("");
            if (!TOOL_NAME.matcher(name).matches()) {
                throw ApiException.invalid("tools[" + i + "].function.name", "function names are 1 to 64 of a-z, A-Z, 0-9, _ and -; got '" + name + "'");
            }
            out.add(new ToolCalls.Tool(name, f.path("description").asText(""),
                    f.has("parameters") ? f.get("parameters").toString() : "{\"type\": \"object\", \"properties\": {}}"));
        }
        return out;
    }

    /** null: auto; {@link #NO_TOOL}; {@link #ANY_TOOL} (the answer must call a function); or the name of the function it must call. */
    private static String toolChoice(JsonNode c, List<ToolCalls.Tool> tools) {
        if (c.isMissingNode() || c.isNull() || c.asText().equals("auto")) {
            return null;
        }
        if (c.asText().equals("none")) {
            return NO_TOOL;
        }
        if (tools.isEmpty()) {
            throw ApiException.invalid("tool_choice", "tool_choice needs tools");
        }
        if (c.asText().equals("required")) {
            return ANY_TOOL;
        }
        String name = c.path("function").path("name").asText("");
        if (tools.stream().noneMatch(t -> t.name().equals(name))) {
            throw ApiException.invalid("tool_choice", "tool_choice names '" + name + "', which is not among the tools");
        }
        return name;
    }

    /** An assistant message's tool calls, in the shape DeepSeek's templates read (arguments as a JSON string). */
    private static List<Map<String, Object>> toolCalls(JsonNode calls, String where) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode c : calls) {
            JsonNode f = c.path("function");
            if (!f.path("name").isTextual()) {
                throw ApiException.invalid(where, "each tool call needs function.name");
            }
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", f.get("name").asText());
            function.put("arguments", f.path("arguments").isTextual() ? f.get("arguments").asText() : f.path("arguments").toString());
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("id", c.path("id").asText(""));
            call.put("type", "function");
            call.put("function", function);
            out.add(call);
        }
        return out;
    }

    /** DeepSeek's fill-in-the-middle format, when the vocabulary has its tokens. */
    private String fim(String prefix, String suffix) {
        var tok = model.tokenizer().tokenizer();
        String begin = "<｜fim▁begin｜>", hole = "<｜fim▁hole｜>", end = "<｜fim▁end｜>";
        if (tok.idOf(begin).isEmpty() || tok.idOf(hole).isEmpty() || tok.idOf(end).isEmpty()) {
            throw ApiException.unsupported("suffix", "this model's vocabulary has no fill-in-the-middle tokens");
        }
        return begin + prefix + hole + suffix + end;
    }

    private void checkModel(JsonNode body) {
        if (body.hasNonNull("model") && !body.get("model").asText().equals(modelId)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "model '" + body.get("model").asText() + "' is not served here; this server serves '" + modelId + "'");
        }
    }

    private static void checkFields(JsonNode body, Set<String> known) {
        if (!body.isObject()) {
            throw ApiException.badRequest("the request body must be a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiException.unsupported(f, "unknown parameter '" + f + "'");
            }
        }
    }

    /** {@code best_of}: n to {@link #MAX_CHOICES} answers to pick the n best from; not streamed (the best are known at the end). */
    private static int candidates(JsonNode body, int n) {
        JsonNode b = body.path("best_of");
        if (b.isMissingNode() || b.isNull()) {
            return n;
        }
        if (!b.canConvertToExactIntegral() || b.asInt() < n || b.asInt() > MAX_CHOICES) {
            throw ApiException.invalid("best_of", "best_of must be an integer from n (" + n + ") to " + MAX_CHOICES + ", got " + b);
        }
        if (b.asInt() > n && stream(body)) {
            throw ApiException.invalid("best_of", "best_of above n cannot be streamed: the best answers are known at the end");
        }
        return b.asInt();
    }

    /** Choices asked for ({@code n}): 1 to {@link #MAX_CHOICES}. */
    private static int choices(JsonNode body) {
        JsonNode n = body.path("n");
        if (n.isMissingNode() || n.isNull()) {
            return 1;
        }
        if (!n.canConvertToExactIntegral() || n.asInt() < 1 || n.asInt() > MAX_CHOICES) {
            throw ApiException.invalid("n", "n must be an integer from 1 to " + MAX_CHOICES + ", got " + n);
        }
        return n.asInt();
    }

    private static String content(JsonNode c, String where) {
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isNull() || c.isMissingNode()) {
            return "";
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text")) {
                    throw ApiException.unsupported(where, "content part type '" + part.path("type").asText() + "' is not supported (text only)");
                }
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.invalid(where, "content must be a string or an array of text parts");
    }

    /** Reasoning tokens allowed: {@code reasoning_budget}, or {@code reasoning_effort} low / medium / high (1024 / 4096 / no limit). */
    private static int reasoningBudget(JsonNode body) {
        if (body.hasNonNull("reasoning_budget") && body.hasNonNull("reasoning_effort")) {
            throw ApiException.invalid("reasoning_budget", "give reasoning_budget or reasoning_effort, not both");
        }
        if (body.hasNonNull("reasoning_budget")) {
            JsonNode b = body.get("reasoning_budget");
            if (!b.canConvertToInt() || b.asInt() < -1) {
                throw ApiException.invalid("reasoning_budget", "reasoning_budget must be -1 (no limit) or a number of tokens >= 0");
            }
            return b.asInt();
        }
        if (!body.hasNonNull("reasoning_effort")) {
            return -1;
        }
        return switch (body.get("reasoning_effort").asText()) {
            case "low" -> 1024;
            case "medium" -> 4096;
            case "high" -> -1;
            default -> throw ApiException.invalid("reasoning_effort", "reasoning_effort must be low, medium or high");
        };
    }

    private static int logprobs(JsonNode body) {
        boolean on = body.path("logprobs").asBoolean(false);
        if (body.hasNonNull("top_logprobs")) {
            int top = body.get("top_logprobs").asInt(-1);
            if (!on) {
                throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
            }
            if (top < 0 || top > 20) {
                throw ApiException.invalid("top_logprobs", "top_logprobs must be between 0 and 20");
            }
            return top;
        }
        return on ? 0 : -1;
    }

    private static boolean stream(JsonNode body) {
        return body.path("stream").asBoolean(false);
    }

    private static boolean includeUsage(JsonNode body) {
        JsonNode so = body.path("stream_options");
        if (!so.isMissingNode() && !so.isNull() && !body.path("stream").asBoolean(false)) {
            throw ApiException.invalid("stream_options", "stream_options is only allowed with stream: true");
        }
        return so.path("include_usage").asBoolean(false);
    }

    /** {@code leastTokens}: the smallest max_tokens allowed (0 for a completion that echoes its prompt: it may only score it). */
    private SamplingParams sampling(JsonNode b, int leastTokens) {
        SamplingParams p = model.defaults().withMaxTokens(Math.min(4096, model.contextLength()));
        if (b.hasNonNull("temperature")) p = p.withTemperature(number(b, "temperature", 0, 2));
        if (b.hasNonNull("top_p")) p = p.withTopP(number(b, "top_p", Float.MIN_VALUE, 1));
        if (b.hasNonNull("top_k")) p = p.withTopK((int) number(b, "top_k", 0, Integer.MAX_VALUE));
        if (b.hasNonNull("min_p")) p = p.withMinP(number(b, "min_p", 0, 1));
        if (b.hasNonNull("frequency_penalty")) p = p.withFrequencyPenalty(number(b, "frequency_penalty", -2, 2));
        if (b.hasNonNull("presence_penalty")) p = p.withPresencePenalty(number(b, "presence_penalty", -2, 2));
        if (b.hasNonNull("repetition_penalty")) p = p.withRepetitionPenalty(number(b, "repetition_penalty", Float.MIN_VALUE, 100));
        if (b.hasNonNull("repeat_last_n")) { // llama.cpp's server takes it too
            if (!b.get("repeat_last_n").canConvertToExactIntegral()) {
                throw ApiException.invalid("repeat_last_n", "repeat_last_n must be an integer");
            }
            p = p.withRepeatLastN(b.get("repeat_last_n").asInt());
        }
        String maxKey = b.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (b.hasNonNull(maxKey)) p = p.withMaxTokens((int) number(b, maxKey, leastTokens, Integer.MAX_VALUE));
        if (b.hasNonNull("seed")) {
            if (!b.get("seed").canConvertToLong()) {
                throw ApiException.invalid("seed", "seed must be an integer");
            }
            p = p.withSeed(b.get("seed").asLong());
        }
        if (b.hasNonNull("stop")) p = p.withStop(stops(b.get("stop")));
        if (b.hasNonNull("logit_bias")) p = p.withLogitBias(logitBias(b.get("logit_bias")));
        try {
            return p.validate(model.model().vocabSize());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
    }

    private static float number(JsonNode b, String key, double min, double max) {
        JsonNode v = b.get(key);
        if (!v.isNumber()) {
            throw ApiException.invalid(key, key + " must be a number");
        }
        double d = v.asDouble();
        if (d < min || d > max || Double.isNaN(d)) {
            String range = max == Integer.MAX_VALUE ? "at least " + fmt(min) : "between " + fmt(min) + " and " + fmt(max);
            throw ApiException.invalid(key, key + " must be " + range + ", got " + v.asText());
        }
        return (float) d;
    }

    private static String fmt(double d) {
        return d == Float.MIN_VALUE ? "0 (exclusive)" : d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static List<String> stops(JsonNode s) {
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            for (JsonNode v : s) {
                if (!v.isTextual()) {
                    throw ApiException.invalid("stop", "stop must be a string or an array of strings");
                }
                out.add(v.asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        }
        if (out.size() > 16) {
            throw ApiException.invalid("stop", "at most 16 stop strings");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "stop strings must not be empty");
        }
        return out;
    }

    private static Map<Integer, Float> logitBias(JsonNode n) {
        if (!n.isObject()) {
            throw ApiException.invalid("logit_bias", "logit_bias must map token ids to biases");
        }
        Map<Integer, Float> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                out.put(Integer.parseInt(e.getKey()), (float) e.getValue().asDouble());
            } catch (NumberFormatException ex) {
                throw ApiException.invalid("logit_bias", "logit_bias keys must be token ids, got '" + e.getKey() + "'");
            }
        }
        return out;
    }
}
