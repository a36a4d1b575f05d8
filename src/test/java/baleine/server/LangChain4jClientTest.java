package baleine.server;

import baleine.api.Baleine;
import baleine.api.Conversation;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.SamplingParams;
import baleine.writer.DemoModel;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** LangChain4j 1.19's OpenAI models, unchanged, against the server: answers and reasoning both come back. */
class LangChain4jClientTest {
    static ServerFixture f;
    static int seed;
    static int thinkEnd;
    static final String PROMPT = "Think, then answer.";

    @BeforeAll
    static void start() throws Exception {
        f = ServerFixture.standard();
        // the demo model is random: find a seed whose answer closes its think block, using the Java API
        try (Baleine m = Baleine.load(DemoModel.ensure(DemoModel.cacheDirectory()))) {
            thinkEnd = m.tokenizer().tokenizer().idOf("</think>").orElseThrow();
            for (seed = 1; seed < 500; seed++) {
                GenerationResult r = m.newConversation().send(PROMPT, params(m), GenerationListener.NONE);
                if (!r.reasoning().isBlank() && !r.content().isBlank()) {
                    return;
                }
            }
        }
        throw new IllegalStateException("no seed gives reasoning and an answer");
    }

    static SamplingParams params(Baleine m) {
        return m.defaults().withTemperature(1.0f).withMaxTokens(40).withSeed((long) seed).withLogitBias(Map.of(thinkEnd, 4f));
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void openAiChatModelGetsContentAndThinking() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(f.url("/v1")).apiKey("unused").modelName("demo")
                .temperature(1.0).maxTokens(40).seed(seed).logitBias(Map.of(String.valueOf(thinkEnd), 4)).returnThinking(true).build();
        ChatResponse r = model.chat(UserMessage.from(PROMPT));
        assertThat(r.aiMessage().text()).isNotBlank();
        assertThat(r.aiMessage().thinking()).isNotBlank();
        assertThat(r.tokenUsage().outputTokenCount()).isPositive();
    }

    @Test
    void openAiStreamingChatModelStreamsContentAndThinking() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(f.url("/v1")).apiKey("unused").modelName("demo")
                .temperature(1.0).maxTokens(40).seed(seed).logitBias(Map.of(String.valueOf(thinkEnd), 4)).returnThinking(true).build();
        StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                content.append(partial);
            }

            @Override
            public void onPartialThinking(PartialThinking partial) {
                thinking.append(partial.text());
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertThat(content.toString()).isNotBlank().isEqualTo(r.aiMessage().text());
        assertThat(thinking.toString()).isNotBlank();
        assertThat(r.tokenUsage()).isNotNull();
    }
}
