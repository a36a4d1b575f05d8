package baleine.chat;

import baleine.generation.ReasoningParser;
import baleine.tokenizer.Tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into prompt tokens with the model's template: the generation prompt, thinking
 * switched on or off where the template allows it (a {@code thinking} / {@code enable_thinking} variable,
 * or R1's open {@code <think>} that can be closed), and an optional assistant prefix to continue.
 *
 * @param ids         the prompt tokens
 * @param insideThink the prompt ends inside an open reasoning block
 */
public record ChatPrompt(int[] ids, boolean insideThink) {

    /**
     * @param thinking null: the template's default; true / false: ask for or suppress reasoning
     * @param prefix   text the answer must start with (DeepSeek's prefix completion), or null
     */
    public static ChatPrompt build(ChatTemplate template, Tokenizer tokenizer, List<Map<String, Object>> messages,
                                   Boolean thinking, String prefix) {
        Map<String, Object> extra = new HashMap<>();
        if (thinking != null) {
            extra.put("thinking", thinking);
            extra.put("enable_thinking", thinking);
        }
        String text = template.render(messages, true, extra);
        boolean switchable = template.source().contains("thinking");
        boolean opensThink = text.stripTrailing().endsWith(ReasoningParser.OPEN);
        if (Boolean.FALSE.equals(thinking) && !switchable) {
            if (!opensThink) {
                throw new ChatTemplate.TemplateException("this model's chat template has no switch for thinking; it cannot be turned off");
            }
            text = text + "\n" + ReasoningParser.CLOSE + "\n\n"; // R1 style: close the block the template opened
            opensThink = false;
        }
        if (prefix != null) {
            text = text + prefix;
            if (prefix.contains(ReasoningParser.CLOSE)) {
                opensThink = false;
            }
        }
        return new ChatPrompt(tokenizer.encode(text, false), opensThink);
    }
}
