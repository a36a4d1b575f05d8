package baleine.server;

import baleine.chat.ToolCalls;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import baleine.generation.AnyJsonObjectTest;

import static baleine.server.ServerFixture.chat;
import static baleine.server.ServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

class ServerApiTest {
    static ServerFixture f;

    @BeforeAll
    static void start() {
        f = ServerFixture.standard();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void healthModelsAndAllThreeRoots() {
        assertThat(json(f.get("/health")).path("status").asText()).isEqualTo("ok");
        for (String root : List.of("/v1", "", "/beta")) {
            HttpResponse<String> r = f.post(root + "/chat/completions", chat("Hi", "\"max_tokens\":2,\"seed\":1"));
            assertThat(r.statusCode()).as(root + ": " + r.body()).isEqualTo(200);
        }
        JsonNode models = json(f.get("/v1/models"));
        assertThat(models.path("object").asText()).isEqualTo("list");
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("demo");
        assertThat(f.get("/models/demo").statusCode()).isEqualTo(200);
    }

    @Test
    void nonStreamingChatHasTheOpenAiShapeAndDeepSeekUsage() {
        JsonNode r = json(f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":6,\"seed\":3")));
        assertThat(r.path("object").asText()).isEqualTo("chat.completion");
        assertThat(r.path("id").asText()).startsWith("chatcmpl-");
        JsonNode choice = r.path("choices").get(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").has("content")).isTrue();
        assertThat(choice.path("message").path("reasoning_content").asText()).isNotEmpty(); // the demo template opens <think>
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        JsonNode u = r.path("usage");
        assertThat(u.path("completion_tokens").asInt()).isEqualTo(6);
        assertThat(u.path("total_tokens").asInt()).isEqualTo(u.path("prompt_tokens").asInt() + 6);
        assertThat(u.path("completion_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(6);
        assertThat(u.path("prompt_cache_hit_tokens").asInt() + u.path("prompt_cache_miss_tokens").asInt()).isEqualTo(u.path("prompt_tokens").asInt());
        assertThat(u.path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(u.path("prompt_cache_hit_tokens").asInt());
    }

    @Test
    void streamingFramesAreExactSseWithOneUsageChunkBeforeDone() {
        HttpResponse<String> r = f.post("/v1/chat/completions",
                chat("Hello", "\"max_tokens\":5,\"seed\":3,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        String body = r.body();
        assertThat(body).endsWith("data: [DONE]\n\n");
        List<String> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            assertThat(block).matches("(?s)(data: .*|: keep-alive)");
            if (block.startsWith("data: ")) {
                events.add(block.substring(6));
            }
        }
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode usage = json(events.get(events.size() - 2));
        assertThat(usage.path("choices")).isEmpty();
        assertThat(usage.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
        for (String e : events.subList(0, events.size() - 2)) {
            JsonNode c = json(e);
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.has("usage") && c.get("usage").isNull()).as(e).isTrue();
        }
        JsonNode last = json(events.get(events.size() - 3));
        assertThat(last.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(json(events.getFirst()).path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
    }

    private static HttpResponse<String> assertError(HttpResponse<String> r, int status, String fragment) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = json(r).path("error");
        assertThat(e.path("message").asText()).contains(fragment);
        assertThat(e.has("type")).isTrue();
        assertThat(e.has("code")).isTrue();
        assertThat(e.has("param")).isTrue();
        return r;
    }

    @Test
    void everyErrorPathHasItsStatusAndAnErrorBody() {
        assertError(f.post("/v1/chat/completions", "{\"messages\": ["), 400, "malformed JSON at line 1, column 15: Unexpected end-of-input");
        assertThat(f.post("/v1/chat/completions", "{\"messages\": [").body()).doesNotContain("Source", "StreamReadFeature");
        assertError(f.post("/v1/chat/completions", "[1,2]"), 400, "JSON object");
        assertError(f.post("/v1/chat/completions", chat("x", "\"top_p\":1.5")), 422, "top_p");
        assertError(f.post("/v1/chat/completions", chat("x", "\"temperature\":\"hot\"")), 422, "temperature must be a number");
        assertError(f.post("/v1/chat/completions", chat("x", "\"frobnicate\":true")), 422, "unknown parameter 'frobnicate'");
        assertError(f.post("/v1/chat/completions", chat("x", "\"n\":17")), 422, "n must be an integer from 1 to 16");
        assertError(f.post("/v1/chat/completions", chat("x", "\"repeat_last_n\":\"all\"")), 422, "repeat_last_n must be an integer");
        assertError(f.post("/v1/chat/completions", chat("x", "\"repeat_last_n\":-2")), 422, "repeat_last_n must be -1");
        assertError(f.post("/v1/chat/completions", chat("x", "\"n\":1.5")), 422, "n must be an integer");
        assertError(f.post("/v1/chat/completions", chat("x", "\"response_format\":{\"type\":\"json_schema\"}")), 422, "needs a schema");
        assertError(f.post("/v1/chat/completions", chat("x", "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}}}}}")), 422, "'uniqueItems' is not supported");
        assertError(f.post("/v1/chat/completions", chat("x", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"bad name\"}}]")), 422, "function names");
        assertError(f.post("/v1/chat/completions", chat("x", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}")), 422, "not among the tools");
        String unsupported = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}}}";
        assertError(f.post("/v1/chat/completions", chat("x", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"strict\":true,"
                + "\"parameters\":" + unsupported + "}}],\"tool_choice\":\"required\"")), 422, "'uniqueItems' is not supported");
        assertThat(f.post("/v1/chat/completions", chat("x", "\"max_tokens\":2,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                + "\"parameters\":" + unsupported + "}}],\"tool_choice\":\"required\"")).statusCode()).as("not strict: any object").isEqualTo(200);
        assertError(f.post("/v1/chat/completions", chat("x", "\"stop\":[" + "\"a\",".repeat(16) + "\"b\"]")), 422, "at most 16");
        assertError(f.post("/v1/chat/completions", chat("x", "\"thinking\":{\"type\":\"maybe\"}")), 422, "thinking.type");
        assertError(f.post("/v1/chat/completions", "{\"messages\":[]}"), 422, "non-empty");
        assertError(f.post("/v1/chat/completions", "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 404, "not served here");
        assertError(f.post("/v1/chat/completions", chat("x".repeat(2 << 20), "")), 413, "larger than");
        assertError(f.post("/v1/chat/completions", chat("word ".repeat(3000), "")), 400, "tokens per request");
        assertError(f.get("/v1/nothing"), 404, "no route");
        HttpResponse<String> wrongMethod = f.get("/v1/chat/completions");
        assertError(wrongMethod, 405, "/v1/chat/completions takes POST, not GET");
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST, OPTIONS");
        HttpResponse<String> ollamaWrongMethod = f.post("/api/tags", "{}");
        assertThat(ollamaWrongMethod.statusCode()).isEqualTo(405);
        assertThat(json(ollamaWrongMethod).path("error").asText()).isEqualTo("/api/tags takes GET, not POST");
        assertError(f.post("/v1/chat/completions", chat("x", "\"reasoning_effort\":\"extreme\"")), 422, "low, medium or high");
    }

    @Test
    void thinkingDisabledPrefixLogprobsAndStop() {
        JsonNode plain = json(f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":5,\"seed\":1,\"thinking\":{\"type\":\"disabled\"}")));
        JsonNode msg = plain.path("choices").get(0).path("message");
        assertThat(msg.has("reasoning_content")).isFalse();
        assertThat(msg.path("content").asText()).isNotEmpty();

        String prefix = "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"</think>Sure,\",\"prefix\":true}],\"max_tokens\":3,\"seed\":1}";
        JsonNode cont = json(f.post("/beta/chat/completions", prefix));
        assertThat(cont.path("choices").get(0).path("message").has("reasoning_content")).isFalse();

        JsonNode budget = json(f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":12,\"seed\":1,\"reasoning_budget\":2,\"logit_bias\":{\"1\":-100}")))
                .path("choices").get(0).path("message");
        assertThat(budget.path("reasoning_content").asText()).isNotEmpty();
        assertThat(budget.path("content").asText()).isNotEmpty();
        assertThat(f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":2,\"reasoning_effort\":\"low\"")).statusCode()).isEqualTo(200);

        JsonNode lp = json(f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":3,\"seed\":1,\"logprobs\":true,\"top_logprobs\":2")));
        JsonNode content = lp.path("choices").get(0).path("logprobs").path("content");
        assertThat(content).hasSize(3);
        assertThat(content.get(0).path("logprob").asDouble()).isLessThanOrEqualTo(0);
        assertThat(content.get(0).path("top_logprobs")).hasSize(2);
        assertThat(content.get(0).path("top_logprobs").get(0).path("logprob").asDouble())
                .isGreaterThanOrEqualTo(content.get(0).path("top_logprobs").get(1).path("logprob").asDouble());

        String sse = f.post("/v1/chat/completions", chat("Hello", "\"max_tokens\":4,\"seed\":1,\"stream\":true,\"logprobs\":true,\"top_logprobs\":1")).body();
        int streamed = 0;
        for (String block : sse.split("\n\n")) {
            if (block.startsWith("data: {")) {
                streamed += json(block.substring(6)).path("choices").path(0).path("logprobs").path("content").size();
            }
        }
        assertThat(streamed).isEqualTo(4); // every generated token's log-probability arrives with its text
    }

    @Test
    void jsonObjectModeAlwaysYieldsValidJson() throws Exception {
        int close = json(f.post("/tokenize", "{\"content\":\"}\"}")).path("tokens").get(0).asInt();
        for (int seed = 1; seed <= 5; seed++) {
            JsonNode r = json(f.post("/v1/chat/completions", chat("Give me JSON", "\"max_tokens\":200,\"seed\":" + seed
                    + ",\"temperature\":1.0,\"thinking\":{\"type\":\"disabled\"},\"response_format\":{\"type\":\"json_object\"},"
                    + "\"logit_bias\":{\"" + close + "\":3}")));
            JsonNode choice = r.path("choices").get(0);
            String content = choice.path("message").path("content").asText();
            if (choice.path("finish_reason").asText().equals("stop")) {
                assertThat(ServerFixture.JSON.readTree(content).isObject()).as(content).isTrue();
            } else {
                assertThat(AnyJsonObjectTest.prefix(content)).as(content).isTrue();
            }
        }
    }

    static final String WEATHER = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather of a city\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";

    @Test
    void toolCallsBothWays() throws Exception {
        int close = json(f.post("/tokenize", "{\"content\":\"}\"}")).path("tokens").get(0).asInt();
        String forced = chat("Weather in Paris?", WEATHER + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
                + "\"max_tokens\":100,\"seed\":1,\"logit_bias\":{\"" + close + "\":3}");
        JsonNode r = json(f.post("/v1/chat/completions", forced));
        JsonNode choice = r.path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode call = choice.path("message").path("tool_calls").get(0);
        assertThat(choice.path("message").path("content").isNull()).isTrue();
        assertThat(call.path("id").asText()).startsWith("call_");
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        JsonNode arguments = ServerFixture.JSON.readTree(call.path("function").path("arguments").asText());
        assertThat(arguments.isObject()).isTrue();
        assertThat(arguments.properties()).allSatisfy(p -> { // held to the parameters' schema
            assertThat(p.getKey()).isEqualTo("city");
            assertThat(p.getValue().isTextual()).isTrue();
        });

        String required = chat("Weather or time?", WEATHER.replace("}}}]", "}}},{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]")
                + ",\"tool_choice\":\"required\",\"max_tokens\":100,\"seed\":1,\"logit_bias\":{\"" + close + "\":3}");
        JsonNode any = json(f.post("/v1/chat/completions", required)).path("choices").get(0);
        assertThat(any.path("finish_reason").asText()).as(any.toString()).isEqualTo("tool_calls");
        assertThat(any.path("message").path("tool_calls").get(0).path("function").path("name").asText()).isIn("get_weather", "get_time");

        String sse = f.post("/v1/chat/completions", forced.replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"")).body();
        assertThat(sse).contains("\"tool_calls\":[{\"index\":0,\"id\":\"call_", "\"name\":\"get_weather\"", "\"finish_reason\":\"tool_calls\"");

        String history = "{\"model\":\"demo\"," + WEATHER + ",\"max_tokens\":3,\"seed\":1,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"22 C, sunny\"}]}";
        HttpResponse<String> h = f.post("/v1/chat/completions", history);
        assertThat(h.statusCode()).as(h.body()).isEqualTo(200);
    }

    @Test
    void ollamaNativeApi() {
        assertThat(json(f.get("/api/tags")).path("models").get(0).path("name").asText()).isEqualTo("demo");
        assertThat(json(f.get("/api/ps")).path("models")).hasSize(1);
        assertThat(json(f.post("/api/show", "{\"model\":\"demo\"}")).path("template").asText()).contains("<｜Assistant｜>");

        JsonNode whole = json(f.post("/api/chat", "{\"model\":\"demo\",\"stream\":false,\"think\":false,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"num_predict\":4,\"seed\":1}}"));
        assertThat(whole.path("done").asBoolean()).isTrue();
        assertThat(whole.path("eval_count").asInt()).isEqualTo(4);
        assertThat(whole.path("message").path("content").asText()).isNotEmpty();

        String ndjson = f.post("/api/chat", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"options\":{\"num_predict\":3,\"seed\":1}}").body();
        String[] lines = ndjson.strip().split("\n");
        assertThat(json(lines[lines.length - 1]).path("done").asBoolean()).isTrue();
        assertThat(json(lines[0]).path("done").asBoolean()).isFalse();
        assertThat(json(lines[0]).path("message").path("thinking").asText()).isNotEmpty(); // the demo template opens <think>

        JsonNode gen = json(f.post("/api/generate", "{\"model\":\"demo\",\"prompt\":\"Once\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"num_predict\":3,\"seed\":2}}"));
        assertThat(gen.path("response").asText()).isNotEmpty();
        var unsupported = f.post("/api/chat", "{\"model\":\"demo\",\"messages\":[],\"options\":{\"mirostat\":1}}");
        assertThat(unsupported.statusCode()).isEqualTo(422);
        assertThat(json(unsupported.body()).path("error").asText()).contains("option 'mirostat' is not supported"); // Ollama's shape
        assertThat(json(f.post("/api/show", "{\"model\":\"other\"}").body()).path("error").asText()).contains("'other' is not served here");
        assertThat(json(f.get("/api/version")).path("version").asText()).isEqualTo(baleine.api.Baleine.VERSION);

        assertThat(f.post("/api/generate", "{\"model\":\"demo\",\"prompt\":\"Once\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"num_predict\":2,\"repeat_penalty\":1.3,\"repeat_last_n\":32}}").statusCode()).isEqualTo(200);
        assertThat(json(f.post("/api/chat", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"What is this?\","
                + "\"images\":[\"iVBORw0KGgo=\"]}]}").body()).path("error").asText()).contains("this model reads text only");
        assertThat(json(f.post("/api/generate", "{\"model\":\"demo\",\"prompt\":\"What is this?\",\"images\":[\"iVBORw0KGgo=\"]}").body())
                .path("error").asText()).contains("this model reads text only");
        // num_ctx: the request's context (generation stops where it is full), at most the server's
        JsonNode small = json(f.post("/api/generate", "{\"model\":\"demo\",\"prompt\":\"Once\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"num_predict\":100,\"seed\":2,\"num_ctx\":12,\"temperature\":0.9}}"));
        assertThat(small.path("prompt_eval_count").asInt() + small.path("eval_count").asInt()).as(small.toString()).isEqualTo(12);
        assertThat(small.path("done_reason").asText()).isEqualTo("length");
        var tooSmall = f.post("/api/generate", "{\"model\":\"demo\",\"prompt\":\"Once upon a time there was\",\"raw\":true,"
                + "\"options\":{\"num_ctx\":2}}");
        assertThat(tooSmall.statusCode()).isEqualTo(400);
        assertThat(json(tooSmall.body()).path("error").asText()).contains("but num_ctx is 2");
        var tooLarge = f.post("/api/chat", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"num_ctx\":999999}}");
        assertThat(json(tooLarge.body()).path("error").asText()).contains("above this server's context of 2048 tokens");

        // tools, and a history with a call (arguments as an object, as Ollama writes them) and its result
        JsonNode tooled = json(f.post("/api/chat", "{\"model\":\"demo\",\"stream\":false," + WEATHER + ",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
                + "{\"role\":\"tool\",\"content\":\"22 C, sunny\",\"tool_name\":\"get_weather\"}],\"options\":{\"num_predict\":3,\"seed\":1}}"));
        assertThat(tooled.path("done").asBoolean()).as(tooled.toString()).isTrue();
    }

    @Test
    void ollamaToolCallsCarryTheirArgumentsAsObjects() {
        JsonNode calls = OllamaApi.toolCalls(List.of(new ToolCalls.Call("get_weather", "{\"city\": \"Paris\"}")));
        assertThat(calls.toString()).isEqualTo("[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]");
        assertThat(OllamaApi.toolCalls(List.of())).isNull();
        assertThat(OllamaApi.toolCalls(List.of(new ToolCalls.Call("f", "{\"city\": ")))).as("not JSON: left in the text").isNull();
        assertThat(OllamaApi.toolCalls(List.of(new ToolCalls.Call("f", "[1]")))).as("not an object").isNull();
    }

    @Test
    void jsonSchemaModeYieldsInstancesOfTheSchema() throws Exception {
        jsonSchemaAnswers("{\"type\":\"object\",\"required\":[\"answer\",\"n\"],\"properties\":{\"answer\":{\"enum\":[\"yes\",\"no\"]},"
                + "\"n\":{\"type\":\"integer\"}}}", false);
        // as Pydantic writes an optional field and a nested definition
        jsonSchemaAnswers("{\"$defs\":{\"Answer\":{\"enum\":[\"yes\",\"no\"],\"title\":\"Answer\"}},\"type\":\"object\","
                + "\"required\":[\"answer\",\"n\"],\"properties\":{\"answer\":{\"$ref\":\"#/$defs/Answer\"},"
                + "\"n\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}],\"default\":null}}}", true);
    }

    private void jsonSchemaAnswers(String schema, boolean nullableN) throws Exception {
        int stopped = 0;
        for (int seed = 1; seed <= 6; seed++) {
            JsonNode r = json(f.post("/v1/chat/completions", chat("Answer", "\"max_tokens\":120,\"seed\":" + seed
                    + ",\"thinking\":{\"type\":\"disabled\"},\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                    + "{\"name\":\"a\",\"schema\":" + schema + "}}")));
            JsonNode choice = r.path("choices").get(0);
            if (choice.path("finish_reason").asText().equals("stop")) {
                stopped++;
                JsonNode answer = ServerFixture.JSON.readTree(choice.path("message").path("content").asText());
                assertThat(answer.path("answer").asText()).isIn("yes", "no");
                assertThat(answer.path("n").isIntegralNumber() || (nullableN && answer.path("n").isNull())).as(answer.toString()).isTrue();
            }
        }
        assertThat(stopped).isPositive();
    }

    @Test
    void severalChoicesComeWholeOrStreamedEachWithItsIndex() {
        JsonNode r = json(f.post("/v1/chat/completions", chat("Hi", "\"n\":3,\"max_tokens\":5,\"seed\":7,\"thinking\":{\"type\":\"disabled\"}")));
        JsonNode choices = r.path("choices");
        assertThat(choices).hasSize(3);
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            assertThat(choices.get(i).path("index").asInt()).isEqualTo(i);
            assertThat(choices.get(i).path("finish_reason").asText()).isEqualTo("length");
            tokens += 5;
        }
        assertThat(r.path("usage").path("completion_tokens").asInt()).isEqualTo(tokens);
        // choice i samples with seed + i: the same request with n = 1 and seed 8 gives choice 1's text
        JsonNode second = json(f.post("/v1/chat/completions", chat("Hi", "\"max_tokens\":5,\"seed\":8,\"thinking\":{\"type\":\"disabled\"}")));
        assertThat(second.path("choices").get(0).path("message").path("content").asText())
                .isEqualTo(choices.get(1).path("message").path("content").asText());

        String sse = f.post("/v1/completions", "{\"prompt\":\"Once\",\"n\":2,\"max_tokens\":4,\"seed\":3,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}").body();
        int[] finished = new int[2];
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode chunk = json(line.substring(6));
            if (chunk.path("usage").isObject()) {
                assertThat(chunk.path("usage").path("completion_tokens").asInt()).isEqualTo(8);
            }
            for (JsonNode c : chunk.path("choices")) {
                int i = c.path("index").asInt();
                text[i].append(c.path("text").asText());
                finished[i] += c.path("finish_reason").isNull() ? 0 : 1;
            }
        }
        assertThat(finished).containsExactly(1, 1);
        JsonNode whole = json(f.post("/v1/completions", "{\"prompt\":\"Once\",\"n\":2,\"max_tokens\":4,\"seed\":3}"));
        assertThat(text[0].toString()).isEqualTo(whole.path("choices").get(0).path("text").asText());
        assertThat(text[1].toString()).isEqualTo(whole.path("choices").get(1).path("text").asText());
    }

    @Test
    void bestOfReturnsTheCandidatesWithTheHighestLogProbabilityPerToken() {
        JsonNode all = json(f.post("/v1/completions", "{\"prompt\":\"Once\",\"n\":3,\"max_tokens\":4,\"seed\":5,\"logprobs\":0}"));
        String bestText = null;
        double bestMean = Double.NEGATIVE_INFINITY;
        for (JsonNode c : all.path("choices")) {
            double sum = 0;
            for (JsonNode lp : c.path("logprobs").path("token_logprobs")) {
                sum += lp.asDouble();
            }
            double mean = sum / c.path("logprobs").path("token_logprobs").size();
            if (mean > bestMean) {
                bestMean = mean;
                bestText = c.path("text").asText();
            }
        }
        JsonNode best = json(f.post("/v1/completions", "{\"prompt\":\"Once\",\"best_of\":3,\"max_tokens\":4,\"seed\":5}"));
        assertThat(best.path("choices")).hasSize(1);
        assertThat(best.path("choices").get(0).path("text").asText()).isEqualTo(bestText);
        assertThat(best.path("choices").get(0).path("logprobs").isNull()).as("not asked for").isTrue();
        assertThat(best.path("usage").path("completion_tokens").asInt()).as("every candidate's tokens").isEqualTo(12);
        assertError(f.post("/v1/completions", "{\"prompt\":\"x\",\"n\":3,\"best_of\":2}"), 422, "best_of must be an integer from n (3)");
        assertError(f.post("/v1/completions", "{\"prompt\":\"x\",\"best_of\":2,\"stream\":true}"), 422, "cannot be streamed");
    }

    @Test
    void completionsTokenizeAndDetokenize() {
        JsonNode c = json(f.post("/v1/completions", "{\"prompt\":\"Once upon\",\"max_tokens\":4,\"seed\":2,\"echo\":true}"));
        assertThat(c.path("object").asText()).isEqualTo("text_completion");
        assertThat(c.path("choices").get(0).path("text").asText()).startsWith("Once upon");
        JsonNode t = json(f.post("/tokenize", "{\"content\":\"Hello whales\"}"));
        assertThat(t.path("tokens").size()).isGreaterThan(1);
        JsonNode d = json(f.post("/detokenize", "{\"tokens\":" + t.path("tokens") + "}"));
        assertThat(d.path("content").asText()).isEqualTo("Hello whales");
        assertError(f.post("/detokenize", "{\"tokens\":[999999]}"), 422, "not in the vocabulary");
        assertError(f.post("/v1/completions", "{\"prompt\":\"x\",\"suffix\":\"y\"}"), 422, "fill-in-the-middle");
    }

    @Test
    void corsAllowListAndMetrics() {
        HttpResponse<String> pre = f.send(HttpRequest.newBuilder(URI.create(f.url("/v1/chat/completions")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://allowed.example").build());
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://allowed.example");
        HttpResponse<String> other = f.get("/v1/models", "Origin", "http://evil.example");
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        String metrics = f.get("/metrics").body();
        assertThat(metrics).contains("baleine_requests_running", "baleine_requests_queued", "baleine_prompt_tokens_total",
                "baleine_generated_tokens_total", "baleine_prompt_cache_hit_tokens_total", "baleine_kv_cache_usage_ratio",
                "baleine_generation_tokens_per_second");
    }

    @Test
    void sixteenConcurrentGreedyStreamsEqualTheSameRequestsOneAtATime() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            bodies.add(chat("Question number " + i + " about whales", "\"max_tokens\":12,\"temperature\":0,\"stream\":true"));
        }
        List<String> sequential = new ArrayList<>();
        for (String b : bodies) {
            sequential.add(text(f.post("/v1/chat/completions", b).body()));
        }
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<String>> futures = new ArrayList<>();
        for (String b : bodies) {
            futures.add(pool.submit((Callable<String>) () -> text(f.post("/v1/chat/completions", b).body())));
        }
        for (int i = 0; i < 16; i++) {
            assertThat(futures.get(i).get()).as("request " + i).isEqualTo(sequential.get(i));
        }
        pool.shutdown();
    }

    /** All reasoning and content deltas of an SSE body, concatenated. */
    static String text(String sse) {
        StringBuilder sb = new StringBuilder();
        for (String block : sse.split("\n\n")) {
            if (block.startsWith("data: {")) {
                JsonNode c = json(block.substring(6));
                for (JsonNode ch : c.path("choices")) {
                    sb.append(ch.path("delta").path("reasoning_content").asText("")).append(ch.path("delta").path("content").asText(""));
                }
            }
        }
        return sb.toString();
    }

    @Test
    void aRunningRequestAlreadySharesItsPromptBlocks() throws Exception {
        String prompt = "A running request shares what it has read. ".repeat(30);
        var first = f.client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url("/v1/chat/completions")))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat(prompt, "\"max_tokens\":300,\"stream\":true,\"seed\":4,\"logit_bias\":{\"1\":-100}"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(first.body()));
        String line;
        while ((line = lines.readLine()) != null && !line.contains("reasoning_content")) {
            // wait until the first request has read its prompt and started answering
        }
        JsonNode second = json(f.post("/v1/chat/completions", chat(prompt, "\"max_tokens\":2,\"seed\":1")));
        assertThat(second.path("usage").path("prompt_cache_hit_tokens").asInt()).isGreaterThanOrEqualTo(256);
        lines.close();
    }

    @Test
    void repeatedLongPromptHitsThePrefixCache() {
        String prompt = "Tell me about the songs of whales. ".repeat(20);
        f.post("/v1/chat/completions", chat(prompt, "\"max_tokens\":2,\"seed\":1"));
        JsonNode again = json(f.post("/v1/chat/completions", chat(prompt, "\"max_tokens\":2,\"seed\":1")));
        assertThat(again.path("usage").path("prompt_cache_hit_tokens").asInt()).isGreaterThan(100);
    }
}
