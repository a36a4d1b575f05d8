package baleine.api;

import baleine.RandomModels;
import baleine.cache.CacheType;
import baleine.chat.ToolCalls;
import baleine.format.WeightMemory;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.SamplingParams;
import baleine.writer.DemoModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embeddable API on the generated demo model (DeepSeek-V3 architecture, our own tokenizer and template). */
class ConversationTest {
    static Path file;
    static Baleine model;

    @BeforeAll
    static void load() throws Exception {
        Path dir = RandomModels.deletedOnExit(Files.createTempDirectory("baleine-demo"));
        file = DemoModel.ensure(dir);
        RandomModels.deletedOnExit(file);
        model = Baleine.load(file);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingParams seeded(long seed, int n) {
        return model.defaults().withTemperature(1.0f).withSeed(seed).withMaxTokens(n);
    }

    @Test
    void aContextLargerThanTheModelsIsRefusedNotCutDown() {
        int most = model.model().contextLength();
        assertThatThrownBy(() -> Baleine.load(file, new Baleine.Options(most + 1, Optional.empty(), WeightMemory.MAP)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("context size " + (most + 1) + " is more than this model's " + most + " tokens; give at most " + most);
        try (Baleine whole = Baleine.load(file, new Baleine.Options(most, Optional.empty(), WeightMemory.MAP))) {
            assertThat(whole.contextLength()).isEqualTo(most);
        }
    }

    @Test
    void aSixteenBitCacheTakesHalfTheBytesAndAnswersTheSameWay() {
        try (Baleine half = Baleine.load(file, new Baleine.Options(0, Optional.empty(), WeightMemory.MAP, CacheType.BF16))) {
            assertThat(half.model().cacheType()).isEqualTo(CacheType.BF16);
            assertThat(2 * half.model().newCache(8).bytesPerToken()).isEqualTo(model.model().newCache(8).bytesPerToken());
            GenerationResult r = half.newConversation().send("Hello there", seeded(7, 12), GenerationListener.NONE);
            assertThat(r.tokens()).hasSize(12);
            assertThat(half.newConversation().send("Hello there", seeded(7, 12), GenerationListener.NONE).tokens()).isEqualTo(r.tokens());
        }
    }

    @Test
    void sendJsonHoldsTheAnswerToTheSchemaAndRefusesWhatItCannotHold() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}";
        int complete = 0;
        for (long seed = 1; seed <= 4; seed++) {
            Conversation c = model.newConversation();
            c.setThinking(false);
            GenerationResult r = c.sendJson("Is it?", schema, seeded(seed, 40), GenerationListener.NONE);
            if (r.finishReason().equals("stop")) {
                complete++;
                assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.content()).path("ok").isBoolean()).as(r.content()).isTrue();
                assertThat(c.messages().getLast().get("content")).isEqualTo(r.content()); // the answer joins the history
            }
        }
        assertThat(complete).isPositive();
        assertThatThrownBy(() -> model.newConversation().sendJson("x", "{\"not\":{}}", seeded(1, 4), GenerationListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not' is not supported");
        assertThatThrownBy(() -> model.newConversation().sendJson("x", "{oops", seeded(1, 4), GenerationListener.NONE))
                .hasMessageContaining("the JSON schema is not JSON");
    }

    static final ToolCalls.Tool WEATHER = new ToolCalls.Tool("get_weather", "Weather of a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");

    /** A call asked for comes back as a call (held to its schema), joins the history, and its result feeds the next answer. */
    @Test
    void aRequiredToolCallComesBackAsACallAndItsResultFeedsTheNextAnswer() throws Exception {
        int close = model.tokenizer().tokenizer().encode("}", false)[0];
        SamplingParams params = seeded(1, 100).withLogitBias(Map.of(close, 3f)); // random weights: help the JSON close
        Conversation c = model.newConversation().tools(List.of(WEATHER, new ToolCalls.Tool("get_time", "", "")));
        StringBuilder shown = new StringBuilder();
        GenerationResult r = c.toolChoice("get_weather").send("Weather in Paris?", params, shown::append);
        assertThat(r.finishReason()).isEqualTo("stop");
        assertThat(r.content()).isEmpty();
        assertThat(shown.toString()).as("no call markup streamed").isEmpty();
        assertThat(c.toolCalls()).hasSize(1);
        Conversation.ToolCall call = c.toolCalls().getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.id()).startsWith("call_");
        var arguments = new com.fasterxml.jackson.databind.ObjectMapper().readTree(call.arguments());
        assertThat(arguments.isObject()).isTrue();
        assertThat(arguments.properties()).allSatisfy(p -> assertThat(p.getValue().isTextual()).as(p.getKey()).isTrue());
        Map<String, Object> asked = c.messages().getLast();
        assertThat(asked.get("content")).isNull();
        assertThat(asked.get("tool_calls")).asList().hasSize(1);

        GenerationResult any = model.newConversation().tools(List.of(WEATHER, new ToolCalls.Tool("get_time", "", "")))
                .toolChoice(Conversation.REQUIRED).send("Weather or time?", params, GenerationListener.NONE);
        assertThat(any.finishReason()).isEqualTo("stop");

        c.toolResult(call.id(), "22 C, sunny");
        assertThat(c.messages().getLast()).containsEntry("role", "tool").containsEntry("tool_call_id", call.id());
        GenerationResult next = c.reply(seeded(2, 6), GenerationListener.NONE); // the choice applied to one answer only
        assertThat(next.tokens()).hasSize(6);
        assertThat(c.toolCalls()).isEmpty();
        assertThat(c.messages().getLast()).containsEntry("role", "assistant");
    }

    @Test
    void toolMistakesAreRefusedAndLoseNothing() {
        Conversation c = model.newConversation().tools(List.of(WEATHER));
        assertThatThrownBy(() -> c.toolChoice("get_time")).hasMessageContaining("'get_time' is neither auto, required nor the name of an offered tool");
        assertThatThrownBy(() -> c.toolResult("call_x", "1")).hasMessageContaining("no call of the last answer has the id 'call_x'");
        Conversation strict = model.newConversation().tools(List.of(new ToolCalls.Tool("f", "", "{\"not\":{}}"))).toolChoice("f");
        assertThatThrownBy(() -> strict.send("x", seeded(1, 4), GenerationListener.NONE)).hasMessageContaining("tool f: ").hasMessageContaining("'not' is not supported");
        assertThat(strict.messages()).as("the refused turn left no trace").isEmpty();
        Conversation changed = model.newConversation().tools(List.of(WEATHER)).toolChoice("get_weather").tools(List.of(new ToolCalls.Tool("f", "", "")));
        assertThatThrownBy(() -> changed.send("x", seeded(1, 4), GenerationListener.NONE)).hasMessageContaining("'get_weather' names none of the offered tools");
        // offered but not required: the model answers in text, with the tools described in its prompt
        StringBuilder shown = new StringBuilder();
        GenerationResult r = c.send("Hello", seeded(1, 8), shown::append);
        assertThat(r.content()).isEqualTo(shown.toString());
        assertThat(r.promptTokens()).isGreaterThan(model.newConversation().send("Hello", seeded(1, 1), GenerationListener.NONE).promptTokens());
    }

    @Test
    void sameSeedReproducesByteForByteAcrossConversations() {
        Conversation a = model.newConversation(), b = model.newConversation();
        GenerationResult ra = a.send("Hello there", seeded(7, 24), GenerationListener.NONE);
        GenerationResult rb = b.send("Hello there", seeded(7, 24), GenerationListener.NONE);
        assertThat(rb.tokens()).isEqualTo(ra.tokens());
        assertThat(rb.reasoning() + rb.content()).isEqualTo(ra.reasoning() + ra.content());
        GenerationResult rc = model.newConversation().send("Hello there", seeded(8, 24), GenerationListener.NONE);
        assertThat(rc.tokens()).isNotEqualTo(ra.tokens());
    }

    @Test
    void templateThatOpensThinkMakesTheOutputReasoningAndNothinkMakesItContent() {
        Conversation thinking = model.newConversation();
        GenerationResult r = thinking.send("Why?", seeded(1, 12), GenerationListener.NONE);
        assertThat(r.reasoning()).isNotEmpty();
        Conversation plain = model.newConversation();
        plain.setThinking(false);
        GenerationResult p = plain.send("Why?", seeded(1, 12), GenerationListener.NONE);
        assertThat(p.reasoning()).isEmpty();
        assertThat(p.content()).isNotEmpty();
    }

    @Test
    void aReasoningBudgetClosesTheThinkBlockForTheModel() {
        Conversation c = model.newConversation();
        GenerationResult r = c.send("Why?", seeded(1, 20).withReasoningBudget(3).withLogitBias(Map.of(1, -100f)), GenerationListener.NONE);
        assertThat(r.reasoning()).isNotEmpty();
        assertThat(r.content()).isNotEmpty(); // the answer came after the forced </think>
        assertThat(r.tokens()).hasSize(20);
        GenerationResult none = model.newConversation().send("Why?", seeded(1, 6).withReasoningBudget(0), GenerationListener.NONE);
        assertThat(none.reasoning()).isEmpty();
    }

    @Test
    void streamedPiecesAddUpToTheResult() {
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        GenerationResult r = model.newConversation().send("Tell me", seeded(3, 30), new GenerationListener() {
            public void onReasoning(String t) {
                reasoning.append(t);
            }

            public void onContent(String t) {
                content.append(t);
            }
        });
        assertThat(reasoning.toString()).isEqualTo(r.reasoning());
        assertThat(content.toString()).isEqualTo(r.content());
        assertThat(r.finishReason()).isEqualTo("length");
    }

    @Test
    void stopStringSpanningTwoTokensEndsTheAnswerAndIsNotEmitted() {
        Conversation c = model.newConversation();
        c.setThinking(false);
        List<String> pieces = new ArrayList<>();
        GenerationResult full = c.send("Write", SamplingParams.greedy(30), pieces::add);
        // choose a stop string made of the end of one streamed piece and the start of the next
        int i = 1;
        while (i < pieces.size() && (pieces.get(i - 1).isEmpty() || pieces.get(i).isEmpty())) {
            i++;
        }
        String stop = pieces.get(i - 1).substring(pieces.get(i - 1).length() - 1) + pieces.get(i).charAt(0);
        Conversation again = model.newConversation();
        again.setThinking(false);
        GenerationResult cut = again.send("Write", SamplingParams.greedy(30).withStop(List.of(stop)), GenerationListener.NONE);
        assertThat(cut.finishReason()).isEqualTo("stop");
        assertThat(cut.content()).isEqualTo(full.content().substring(0, full.content().indexOf(stop)));
    }

    @Test
    void secondTurnReusesTheCachedPrefixAndHistoryGrows() {
        Conversation c = model.newConversation().system("Be brief.");
        c.send("First question", seeded(2, 8), GenerationListener.NONE);
        GenerationResult second = c.send("Second question", seeded(2, 8), GenerationListener.NONE);
        assertThat(second.cachedPromptTokens()).isGreaterThan(0);
        assertThat(c.messages()).extracting(m -> m.get("role")).containsExactly("system", "user", "assistant", "user", "assistant");
    }

    @Test
    void cancelStopsTheAnswerFromAnotherThreadOrTheListener() {
        Conversation c = model.newConversation();
        int[] seen = {0};
        GenerationResult r = c.send("Go", seeded(4, 200), new GenerationListener() {
            public void onContent(String t) {
            }

            public void onToken(int id) {
                if (++seen[0] == 5) {
                    c.cancel();
                }
            }
        });
        assertThat(r.finishReason()).isEqualTo("cancelled");
        assertThat(r.tokens()).hasSizeLessThanOrEqualTo(5);
    }

    @Test
    void rawCompletionAndBadValues() {
        GenerationResult r = model.complete("Once upon a time", seeded(5, 5), GenerationListener.NONE, new AtomicBoolean());
        assertThat(r.tokens()).hasSize(5);
        assertThatThrownBy(() -> model.newConversation().send("x", model.defaults().withTopP(1.5f), GenerationListener.NONE))
                .hasMessageContaining("top_p");
        String longPrompt = "word ".repeat(5000);
        assertThatThrownBy(() -> model.newConversation().send(longPrompt, seeded(1, 1), GenerationListener.NONE))
                .hasMessageContaining("does not fit in the context length");
    }

    @Test
    void conversationsRunConcurrently() throws Exception {
        List<Thread> threads = new ArrayList<>();
        Map<Integer, List<Integer>> results = new java.util.concurrent.ConcurrentHashMap<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> results.put(id,
                    model.newConversation().send("Same prompt", seeded(9, 16), GenerationListener.NONE).tokens())));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(results.values()).allSatisfy(tokens -> assertThat(tokens).isEqualTo(results.get(0)));
    }
}
