package baleine.api;

import baleine.cache.CacheType;
import baleine.format.WeightMemory;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.SamplingParams;
import baleine.writer.DemoModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Prompt-lookup drafting changes how many passes an answer takes, never the answer: the demo model with and
 * without it, compared token for token (greedy, where the demo model falls into loops the lookup catches, and
 * sampled, where the draws must line up exactly).
 */
class DraftingTest {
    static Path file;
    static Baleine plain, drafting;

    @BeforeAll
    static void load() throws Exception {
        file = DemoModel.ensure(DemoModel.cacheDirectory()); // as the server's tests share it
        plain = Baleine.load(file);
        drafting = Baleine.load(file, new Baleine.Options(0, Optional.empty(), WeightMemory.MAP, CacheType.F32, 6));
    }

    @AfterAll
    static void close() {
        plain.close();
        drafting.close();
    }

    static void assertSameAnswer(GenerationResult drafted, GenerationResult reference) {
        assertThat(drafted.tokens()).isEqualTo(reference.tokens());
        assertThat(drafted.reasoning()).isEqualTo(reference.reasoning());
        assertThat(drafted.content()).isEqualTo(reference.content());
        assertThat(drafted.finishReason()).isEqualTo(reference.finishReason());
    }

    @Test
    void greedyAnswersAreTheSameAndTheLoopsAreDraftedAndAccepted() {
        Conversation a = plain.newConversation(), b = drafting.newConversation();
        GenerationResult reference = a.send("Tell me about whales", SamplingParams.greedy(300), GenerationListener.NONE);
        GenerationResult drafted = b.send("Tell me about whales", SamplingParams.greedy(300), GenerationListener.NONE);
        assertSameAnswer(drafted, reference);
        assertThat(reference.draftedTokens()).isZero();
        assertThat(drafted.acceptedDrafts()).isPositive();
        assertThat(drafted.draftedTokens()).isGreaterThan(drafted.acceptedDrafts());
        assertThat(drafted.timingSummary()).contains("of " + drafted.draftedTokens() + " drafted tokens accepted");
        // the cache holds what the history says: the next turn reuses it and answers alike
        assertSameAnswer(b.send("And dolphins?", SamplingParams.greedy(120), GenerationListener.NONE),
                a.send("And dolphins?", SamplingParams.greedy(120), GenerationListener.NONE));
        assertThat(b.cachedTokens()).isEqualTo(a.cachedTokens());
    }

    @Test
    void sampledAnswersDrawTheSameTokens() {
        int accepted = 0;
        for (long seed = 1; seed <= 4; seed++) {
            SamplingParams p = plain.defaults().withTemperature(0.3f).withSeed(seed).withMaxTokens(160).withRepetitionPenalty(1.02f);
            GenerationResult drafted = drafting.newConversation().send("Hello there", p, GenerationListener.NONE);
            assertSameAnswer(drafted, plain.newConversation().send("Hello there", p, GenerationListener.NONE));
            accepted += drafted.acceptedDrafts();
        }
        assertThat(accepted).isPositive();
    }

    @Test
    void limitsInsideADraftEndTheAnswerWhereTheyWouldWithout() {
        for (int max : new int[]{1, 2, 37, 61}) { // max_tokens reached in the middle of drafted runs
            assertSameAnswer(drafting.newConversation().send("Tell me about whales", SamplingParams.greedy(max), GenerationListener.NONE),
                    plain.newConversation().send("Tell me about whales", SamplingParams.greedy(max), GenerationListener.NONE));
        }
        // the context filling up
        try (Baleine small = Baleine.load(file, new Baleine.Options(96, Optional.empty(), WeightMemory.MAP, CacheType.F32, 0));
             Baleine smallDrafting = Baleine.load(file, new Baleine.Options(96, Optional.empty(), WeightMemory.MAP, CacheType.F32, 6))) {
            GenerationResult reference = small.newConversation().send("Tell me about whales", SamplingParams.greedy(300), GenerationListener.NONE);
            assertThat(reference.finishReason()).isEqualTo("length");
            assertSameAnswer(smallDrafting.newConversation().send("Tell me about whales", SamplingParams.greedy(300), GenerationListener.NONE), reference);
        }
        // a stop string taken from the middle of the answer
        String text = plain.complete("whales", SamplingParams.greedy(200), GenerationListener.NONE, new AtomicBoolean()).content();
        String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
        SamplingParams stopping = SamplingParams.greedy(200).withStop(List.of(stop));
        GenerationResult reference = plain.complete("whales", stopping, GenerationListener.NONE, new AtomicBoolean());
        assertThat(reference.finishReason()).isEqualTo("stop");
        assertSameAnswer(drafting.complete("whales", stopping, GenerationListener.NONE, new AtomicBoolean()), reference);
    }

    @Test
    void aDraftLengthOutOfRangeIsRefused() {
        assertThatThrownBy(() -> Baleine.load(file, new Baleine.Options(0, Optional.empty(), WeightMemory.MAP, CacheType.F32, 33)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("draft tokens must be in [0, 32], got 33");
    }
}
