package baleine.server;

import baleine.api.Baleine;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static baleine.server.ServerFixture.json;
import static baleine.server.ServerFixture.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /v1/completions} with OpenAI's other prompt forms (arrays of strings, token ids, arrays of token ids), echo
 * streamed, and echo with logprobs scoring the prompt's tokens (as lm-evaluation-harness's loglikelihood asks).
 */
class CompletionPromptsTest {
    static ServerFixture f;
    static Baleine model;

    @BeforeAll
    static void start() {
        f = ServerFixture.standard();
        model = f.server.awaitLoaded();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static JsonNode complete(String prompt, String extra) {
        HttpResponse<String> r = f.post("/v1/completions", "{\"prompt\":" + prompt + "," + extra + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static String ids(String text) {
        return Arrays.stream(model.encodeRaw(text)).mapToObj(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }

    @Test
    void eachPromptOfAnArrayGetsItsOwnChoicesNumberedPromptAfterPrompt() {
        String settings = "\"max_tokens\":3,\"seed\":4,\"n\":2";
        JsonNode once = complete("\"Once\"", settings), upon = complete("\"Upon a\"", settings);
        JsonNode both = complete("[\"Once\",\"Upon a\"]", settings);
        JsonNode choices = both.path("choices");
        assertThat(choices).hasSize(4);
        for (int i = 0; i < 4; i++) {
            JsonNode alone = (i < 2 ? once : upon).path("choices").get(i % 2);
            assertThat(choices.get(i).path("index").asInt()).isEqualTo(i);
            assertThat(choices.get(i).path("text").asText()).isEqualTo(alone.path("text").asText());
        }
        assertThat(both.path("usage").path("prompt_tokens").asInt()).as("each prompt read once")
                .isEqualTo(once.path("usage").path("prompt_tokens").asInt() + upon.path("usage").path("prompt_tokens").asInt());
        assertThat(both.path("usage").path("completion_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void tokenIdsAreThePromptAsTheyAre() {
        String settings = "\"max_tokens\":3,\"seed\":6";
        JsonNode text = complete("\"Once upon\"", settings);
        JsonNode tokens = complete(ids("Once upon"), settings + ",\"echo\":true");
        String echoed = model.tokenizer().tokenizer().decode(model.encodeRaw("Once upon"));
        String answer = text.path("choices").get(0).path("text").asText();
        assertThat(tokens.path("choices").get(0).path("text").asText()).isEqualTo(echoed + answer);
        assertThat(tokens.path("usage").path("prompt_tokens").asInt()).isEqualTo(model.encodeRaw("Once upon").length);

        JsonNode lists = complete("[" + ids("Once upon") + "," + ids("Upon a") + "]", settings);
        assertThat(lists.path("choices")).hasSize(2);
        assertThat(lists.path("choices").get(0).path("text").asText()).isEqualTo(answer);
        assertThat(lists.path("choices").get(1).path("text").asText())
                .isEqualTo(complete("\"Upon a\"", settings).path("choices").get(0).path("text").asText());
    }

    @Test
    void echoIsStreamedFirst() {
        String settings = "\"max_tokens\":4,\"seed\":2,\"echo\":true";
        String whole = complete("[\"Once\",\"Upon a\"]", settings).path("choices").get(1).path("text").asText();
        String sse = f.post("/v1/completions", "{\"prompt\":[\"Once\",\"Upon a\"],\"stream\":true," + settings + "}").body();
        StringBuilder second = new StringBuilder();
        String first = null;
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode c = json(line.substring(6)).path("choices").get(0);
            if (c.path("index").asInt() == 1) {
                first = first == null ? c.path("text").asText() : first;
                second.append(c.path("text").asText());
            }
        }
        assertThat(first).isEqualTo("Upon a");
        assertThat(second.toString()).isEqualTo(whole);
    }

    /** log p(token | row's position) from a row of logits, in doubles. */
    private static double logprob(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[token] - max - Math.log(sum);
    }

    private static final String LONG = "Once upon a time, far out at sea where the water is as blue as the bluest cornflower, a whale sang";

    @Test
    void echoWithLogprobsScoresEveryPromptTokenAsOneForwardPassDoes() {
        int[] ids = model.encodeRaw(LONG);
        assertThat(ids.length).as("more than one sink's rows").isGreaterThan(32);
        JsonNode r = complete(quote(LONG), "\"max_tokens\":2,\"seed\":1,\"echo\":true,\"logprobs\":2");
        JsonNode lp = r.path("choices").get(0).path("logprobs");
        assertThat(lp.path("tokens")).hasSize(ids.length + 2);
        assertThat(lp.path("token_logprobs").get(0).isNull()).as("nothing predicts the first token").isTrue();
        assertThat(lp.path("top_logprobs").get(0).isNull()).isTrue();
        float[][] logits = model.model().forward(ids, model.model().newCache(ids.length + 1), true);
        for (int i = 1; i < ids.length; i++) {
            assertThat(lp.path("token_logprobs").get(i).asDouble()).as("prompt token " + i)
                    .isCloseTo(logprob(logits[i - 1], ids[i]), org.assertj.core.data.Offset.offset(1e-4));
            JsonNode top = lp.path("top_logprobs").get(i);
            assertThat(top.size()).isBetween(1, 2); // two tokens may decode to the same text
            double best = Double.NEGATIVE_INFINITY;
            for (JsonNode v : top) {
                best = Math.max(best, v.asDouble());
            }
            assertThat(best).isGreaterThanOrEqualTo(lp.path("token_logprobs").get(i).asDouble() - 1e-6);
        }
        JsonNode plain = complete(quote(LONG), "\"max_tokens\":2,\"seed\":1,\"logprobs\":2").path("choices").get(0);
        assertThat(r.path("choices").get(0).path("text").asText()).isEqualTo(LONG + plain.path("text").asText());
        for (int k = 0; k < 2; k++) {
            assertThat(lp.path("token_logprobs").get(ids.length + k).asDouble()).as("answer token " + k)
                    .isCloseTo(plain.path("logprobs").path("token_logprobs").get(k).asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(r.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt()).as("evaluated whole").isZero();

        float[] api = model.score(LONG); // the embeddable API's scores of the same text
        assertThat(api).hasSize(ids.length);
        assertThat(api[0]).isNaN();
        for (int i = 1; i < ids.length; i++) {
            assertThat(api[i]).as("Baleine.score, token " + i).isEqualTo((float) lp.path("token_logprobs").get(i).asDouble());
        }

        JsonNode only = complete(quote(LONG), "\"max_tokens\":0,\"echo\":true,\"logprobs\":2").path("choices").get(0);
        assertThat(only.path("text").asText()).as("the prompt alone, as OpenAI's max_tokens 0 with echo").isEqualTo(LONG);
        assertThat(only.path("finish_reason").asText()).isEqualTo("length");
        assertThat(only.path("logprobs").path("token_logprobs")).hasSize(ids.length);
        for (int i = 1; i < ids.length; i++) {
            assertThat(only.path("logprobs").path("token_logprobs").get(i).asDouble())
                    .isEqualTo(lp.path("token_logprobs").get(i).asDouble());
        }
    }

    /**
     * lm-evaluation-harness's loglikelihood request ({@code local-completions}: token ids, echo, logprobs 1, max_tokens
     * 1) and what it reads from the answer: the continuation's log-likelihood as the sum of {@code
     * token_logprobs[ctxlen:-1]}, and whether it is greedy (each of its tokens the likeliest in {@code top_logprobs}).
     */
    @Test
    void lmEvaluationHarnessLoglikelihoodContract() {
        int[] context = model.encodeRaw("Once upon a time"), continuation = model.tokenizer().tokenizer().encode(" there was a whale", false);
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(context), Arrays.stream(continuation)).toArray();
        String ids = Arrays.stream(all).mapToObj(String::valueOf).collect(Collectors.joining(",", "[[", "]]"));
        JsonNode lp = complete(ids, "\"model\":\"demo\",\"temperature\":0,\"max_tokens\":1,\"logprobs\":1,\"seed\":1234,\"echo\":true")
                .path("choices").get(0).path("logprobs");
        float[][] logits = model.model().forward(all, model.model().newCache(all.length + 1), true);
        double expected = 0, sum = 0;
        boolean greedy = true, greedyExpected = true;
        for (int i = context.length; i < all.length; i++) {
            expected += logprob(logits[i - 1], all[i]);
            int best = 0;
            for (int v = 1; v < logits[i - 1].length; v++) {
                best = logits[i - 1][v] > logits[i - 1][best] ? v : best;
            }
            greedyExpected &= best == all[i];
            double token = lp.path("token_logprobs").get(i).asDouble();
            sum += token;
            double top = lp.path("top_logprobs").get(i).elements().next().asDouble();
            greedy &= token == top;
        }
        assertThat(lp.path("token_logprobs")).hasSize(all.length + 1); // [ctxlen:-1] drops the answer's entry
        assertThat(sum).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(greedy).isEqualTo(greedyExpected);
    }

    @Test
    void scoringTakesTurnsWithADecodingRequestAndStreamsTheEchoWithItsLogprobs() throws Exception {
        String settings = "\"max_tokens\":2,\"seed\":1,\"echo\":true,\"logprobs\":1";
        JsonNode alone = complete(quote(LONG), settings).path("choices").get(0);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<JsonNode> busy = pool.submit(() -> complete("\"Far away\"", "\"max_tokens\":40,\"seed\":3"));
            Future<String> sse = pool.submit(() -> f.post("/v1/completions", "{\"prompt\":" + quote(LONG) + ",\"stream\":true," + settings + "}").body());
            assertThat(busy.get().path("usage").path("completion_tokens").asInt()).isEqualTo(40);
            JsonNode first = null;
            StringBuilder text = new StringBuilder();
            for (String line : sse.get().split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode c = json(line.substring(6)).path("choices").get(0);
                    first = first == null ? c : first;
                    text.append(c.path("text").asText());
                }
            }
            assertThat(first.path("text").asText()).isEqualTo(LONG);
            assertThat(first.path("logprobs").path("token_logprobs")).hasSize(model.encodeRaw(LONG).length);
            for (int i = 1; i < model.encodeRaw(LONG).length; i++) {
                assertThat(first.path("logprobs").path("token_logprobs").get(i).asDouble())
                        .isCloseTo(alone.path("logprobs").path("token_logprobs").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-5));
            }
            assertThat(text.toString()).isEqualTo(alone.path("text").asText());
        }
    }

    @Test
    void malformedPromptsAreRefusedByName() {
        String forms = "prompt must be a string, an array of strings, an array of token ids or an array of arrays of token ids";
        assertError("[]", forms);
        assertError("5", forms);
        assertError("{\"text\":\"x\"}", forms);
        assertError("[\"a\",1]", "not a mix");
        assertError("[[1],\"a\"]", "not a mix");
        assertError("[[]]", "prompt[0] has no tokens");
        assertError("[1,-2]", "prompt[1] = -2 is not a token id of this model");
        assertError("[[1],[2,99999999]]", "prompt[1][1] = 99999999 is not a token id of this model");
        assertError("[1.5]", "prompt[0] = 1.5 is not a token id");
        String many = IntStream.range(0, RequestParser.MAX_PROMPTS + 1).mapToObj(i -> "\"x\"").collect(Collectors.joining(",", "[", "]"));
        assertError(many, "at most " + RequestParser.MAX_PROMPTS + " prompts per request");
        HttpResponse<String> none = f.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":0}");
        assertThat(json(none).path("error").path("message").asText()).isEqualTo("max_tokens must be at least 1, got 0");
        HttpResponse<String> fim = f.post("/v1/completions", "{\"prompt\":[1,2],\"suffix\":\"y\"}");
        assertThat(fim.statusCode()).isEqualTo(422);
        assertThat(fim.body()).contains("suffix needs text prompts");
    }

    private static void assertError(String prompt, String message) {
        HttpResponse<String> r = f.post("/v1/completions", "{\"prompt\":" + prompt + ",\"max_tokens\":2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(json(r).path("error").path("message").asText()).contains(message);
        assertThat(json(r).path("error").path("param").asText()).startsWith("prompt");
    }
}
