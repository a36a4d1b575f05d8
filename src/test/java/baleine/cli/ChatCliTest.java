package baleine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code generate} and {@code run} on the demo model, driven like a user would. */
class ChatCliTest {
    @Test
    void generateDemoIsReproducibleWithASeedAndPutsTheAnswerOnStdout() {
        CliTest.Run a = CliTest.run("generate", "--demo", "-p", "Hello", "-n", "12", "--seed", "3", "--no-think", "--temperature", "0.9");
        CliTest.Run b = CliTest.run("generate", "--demo", "-p", "Hello", "-n", "12", "--seed", "3", "--no-think", "--temperature", "0.9");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).isNotBlank().isEqualTo(b.out());
        assertThat(a.err()).contains("random");
    }

    @Test
    void theKernelsWarmUpChangesNoAnswer() {
        for (String command : new String[]{"generate", "run"}) {
            CliTest.Run a = CliTest.run(command, "--demo", "Hello", "-n", "24", "--seed", "4");
            CliTest.Run b = CliTest.run(command, "--demo", "Hello", "-n", "24", "--seed", "4", "--no-warmup");
            assertThat(a.exit()).as(a.err()).isZero();
            String text = (a.out() + a.err()).lines().filter(l -> !l.contains("tok/s")).collect(Collectors.joining("\n"));
            assertThat(text).as(command).hasSizeGreaterThan(110) // the demo's notice (~100 characters) and a random answer (the reasoning on stderr)
                    .isEqualTo((b.out() + b.err()).lines().filter(l -> !l.contains("tok/s")).collect(Collectors.joining("\n")));
        }
    }

    @Test
    void draftingGivesTheSameAnswerAndSaysHowManyGuessesStood() {
        CliTest.Run plain = CliTest.run("generate", "--demo", "Tell me about whales", "-n", "200", "--temperature", "0", "--no-think");
        CliTest.Run drafted = CliTest.run("generate", "--demo", "Tell me about whales", "-n", "200", "--temperature", "0", "--no-think",
                "--draft", "4", "--verbose");
        assertThat(drafted.exit()).as(drafted.err()).isZero();
        assertThat(drafted.out()).isNotBlank().isEqualTo(plain.out());
        assertThat(drafted.err()).containsPattern("\\(\\d+ of \\d+ drafted tokens accepted\\)");
        CliTest.Run tooMany = CliTest.run("generate", "--demo", "x", "--draft", "33");
        assertThat(tooMany.exit()).isNotZero();
        assertThat(tooMany.err()).contains("draft tokens must be in [0, 32], got 33");
        CliTest.Run serve = CliTest.run("serve", "--demo", "--port", "0", "--draft", "-1");
        assertThat(serve.exit()).isNotZero();
        assertThat(serve.err()).contains("draft tokens must be in [0, 32], got -1").doesNotContain("listening");
    }

    @Test
    void thePromptCanFollowTheModelAsOllamaTakesIt() {
        CliTest.Run option = CliTest.run("generate", "--demo", "-p", "Hello", "-n", "6", "--seed", "3", "--no-think");
        CliTest.Run positional = CliTest.run("generate", "--demo", "Hello", "-n", "6", "--seed", "3", "--no-think");
        assertThat(positional.exit()).as(positional.err()).isZero();
        assertThat(positional.out()).isNotBlank().isEqualTo(option.out());
        CliTest.Run both = CliTest.run("generate", "--demo", "-p", "Hello", "Hello");
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("error: give the prompt once: after MODEL or with -p, not both");
        CliTest.Run none = CliTest.run("generate", "--demo");
        assertThat(none.exit()).isNotZero();
        assertThat(none.err()).contains("error: give a prompt: baleine generate MODEL \"PROMPT\"");
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Again\n/bye\n".getBytes(StandardCharsets.UTF_8))); // not read: one answer, then out
            CliTest.Run once = CliTest.run("run", "--demo", "Hello", "-n", "6", "--seed", "3");
            assertThat(once.exit()).as(once.err()).isZero();
            assertThat(once.out()).doesNotContain("Chatting with", ">>>");
            assertThat(once.out().lines().filter(l -> l.contains("generation: 6 tokens")).count()).isEqualTo(1);
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void answersCanBeHeldToAJsonSchema() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}},\"required\":[\"n\"]}";
        int complete = 0;
        for (int seed = 1; seed <= 4; seed++) {
            CliTest.Run r = CliTest.run("generate", "--demo", "Hello", "-n", "60", "--seed", String.valueOf(seed), "--no-think", "-j", schema);
            assertThat(r.exit()).as(r.err()).isZero();
            String answer = r.out().strip();
            if (answer.endsWith("}")) { // finished within the tokens allowed
                complete++;
                int n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer).path("n").asInt();
                assertThat(n).as(answer).isBetween(1, 9);
            }
        }
        assertThat(complete).isPositive();
        assertThat(CliTest.run("generate", "--demo", "x", "--json", "-j", schema).err()).contains("give --json or --json-schema, not both");
        assertThat(CliTest.run("generate", "--demo", "x", "-j", "{\"not\":{}}").err()).contains("--json-schema: $: schema keyword 'not' is not supported");
        assertThat(CliTest.run("generate", "--demo", "x", "-j", "{nope").err()).contains("--json-schema is not JSON");
        assertThat(CliTest.run("generate", "--demo", "x", "-j", "@/no/such/schema.json").err()).contains("no schema file /no/such/schema.json");
        assertThat(CliTest.run("generate", "--demo", "x", "--json", "--raw").err()).contains("need the chat template");
    }

    @Test
    void generateSendsReasoningToStderrAndCanHideIt() {
        CliTest.Run shown = CliTest.run("generate", "--demo", "-p", "Hi", "-n", "8", "--seed", "1", "--verbose");
        assertThat(shown.exit()).isZero();
        assertThat(shown.out().strip()).isEmpty(); // the demo template opens <think>: everything is reasoning
        assertThat(shown.err()).contains("generation: 8 tokens");
        CliTest.Run hidden = CliTest.run("generate", "--demo", "-p", "Hi", "-n", "8", "--seed", "1", "--hide-thinking");
        assertThat(hidden.err()).doesNotContain(shown.err().lines().filter(l -> l.length() > 3 && !l.startsWith("demo:")
                && !l.startsWith("prompt:")).findFirst().orElse("\u0000"));
    }

    @Test
    void runChatsTakesSlashCommandsAndLeaves() {
        String session = "/help\n/set temperature 0\n/set nothink\nHello\n/set top_p 1.5\n/set repeat_last_n 32\n/set format json\n"
                + "/clear\nAgain\n/set noformat\n/bye\n";
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(session.getBytes(StandardCharsets.UTF_8)));
            CliTest.Run r = CliTest.run("run", "--demo", "-n", "6");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("/bye", "(temperature = 0)", "(thinking off)", "tok/s", "error: top_p must be in (0, 1]",
                    "(repeat_last_n = 32)", "(answers in JSON)", "(conversation cleared)", "(answers in free text)");
            assertThat(r.out().lines().filter(l -> l.contains("generation: 6 tokens")).count()).isEqualTo(2);
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void aChatsWarmUpChangesNoAnswer() {
        InputStream old = System.in;
        try {
            String[] answers = new String[2];
            for (int i = 0; i < 2; i++) {
                System.setIn(new ByteArrayInputStream("Hello\nAgain\n/bye\n".getBytes(StandardCharsets.UTF_8)));
                CliTest.Run r = i == 0 ? CliTest.run("run", "--demo", "-n", "6", "--seed", "5")
                        : CliTest.run("run", "--demo", "-n", "6", "--seed", "5", "--no-warmup");
                assertThat(r.exit()).as(r.err()).isZero();
                answers[i] = r.out().lines().filter(l -> !l.contains("tok/s")).collect(Collectors.joining("\n"));
            }
            assertThat(answers[0]).contains("Chatting with").isEqualTo(answers[1]);
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void aModelWithoutTemplateNeedsChatTemplateOrRaw(@TempDir Path dir) throws Exception {
        Path src = baleine.SharedFixtures.conformance().resolve("models/qwen2-a/hf-bf16");
        Path model = dir.resolve("qwen");
        Files.createDirectories(model);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(model.resolve("tokenizer_config.json").toFile());
        String template = config.remove("chat_template").asText();
        json.writeValue(model.resolve("tokenizer_config.json").toFile(), config);
        CliTest.Run none = CliTest.run("generate", model.toString(), "-p", "Hi", "-n", "2");
        assertThat(none.exit()).isNotZero();
        assertThat(none.err()).contains("has no chat template", "--chat-template FILE");
        Path file = dir.resolve("template.jinja");
        Files.writeString(file, template);
        CliTest.Run with = CliTest.run("generate", model.toString(), "-p", "Hi", "-n", "2", "--chat-template", file.toString());
        assertThat(with.exit()).as(with.err()).isZero();
        CliTest.Run raw = CliTest.run("generate", model.toString(), "-p", "Hi", "-n", "2", "--raw");
        assertThat(raw.exit()).as(raw.err()).isZero();
    }

    @Test
    void badInputGivesAOneLineErrorAndNonZeroExit(@TempDir Path dir) throws Exception {
        CliTest.Run unknown = CliTest.run("generate", "no-such-model", "-p", "x");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err().strip()).startsWith("error: model 'no-such-model' not found").doesNotContain("\n\tat ");
        CliTest.Run topP = CliTest.run("generate", "--demo", "-p", "x", "--top-p", "1.5");
        assertThat(topP.exit()).isNotZero();
        assertThat(topP.err()).contains("error: top_p must be in (0, 1], got 1.5");
        CliTest.Run template = CliTest.run("generate", "--demo", "-p", "x", "--chat-template", dir.resolve("missing.jinja").toString());
        assertThat(template.exit()).isNotZero();
        assertThat(template.err()).contains("error: cannot read chat template");
        Path broken = dir.resolve("broken.jinja");
        Files.writeString(broken, "{% for m in messages %}{{ m['content'] ");
        CliTest.Run bad = CliTest.run("generate", "--demo", "-p", "x", "--chat-template", broken.toString());
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("error: the chat template failed");
        CliTest.Run first = CliTest.run("generate", "no-such-model", "-p", "x", "--chat-template", broken.toString());
        assertThat(first.err()).as("the template is checked before the model is looked for").contains("error: the chat template failed");
        Path refusing = dir.resolve("refusing.jinja"); // refuses a conversation without a system message: not broken
        Files.writeString(refusing, "{% if messages[0]['role'] != 'system' %}{{ raise_exception('a system message first') }}{% endif %}");
        assertThat(CliTest.run("generate", "no-such-model", "-p", "x", "--chat-template", refusing.toString()).err())
                .contains("error: model 'no-such-model' not found");
        CliTest.Run neither = CliTest.run("generate", "-p", "x");
        assertThat(neither.err()).contains("give a MODEL");
    }
}
