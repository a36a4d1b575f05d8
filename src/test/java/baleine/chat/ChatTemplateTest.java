package baleine.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rendering errors name their cause: a template's own refusal keeps its message, a broken template says it failed. */
class ChatTemplateTest {
    private static final String STRICT = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('a system message first') }}{% endif %}"
            + "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}";

    @Test
    void aRefusalKeepsTheTemplatesMessage() {
        ChatTemplate t = new ChatTemplate(STRICT, "", "");
        assertThatThrownBy(() -> t.render(List.of(Map.of("role", "user", "content", "Hi")), true, Map.of()))
                .isInstanceOf(ChatTemplate.TemplateException.class)
                .hasMessage("the chat template refused the conversation: a system message first");
        assertThat(t.render(List.of(Map.of("role", "system", "content", "S"), Map.of("role", "user", "content", "Hi")), true, Map.of()))
                .isEqualTo("<system>S<user>Hi");
    }

    @Test
    void checkRendersRejectsABrokenTemplateButNotARefusal() {
        assertThatThrownBy(() -> ChatTemplate.checkRenders("{% for m in messages %}{{ m['content'] "))
                .hasMessageStartingWith("the chat template failed");
        assertThatCode(() -> ChatTemplate.checkRenders(STRICT)).doesNotThrowAnyException();
        assertThatCode(() -> ChatTemplate.checkRenders("{% for m in messages %}{{ m['content'] }}{% endfor %}")).doesNotThrowAnyException();
    }
}
