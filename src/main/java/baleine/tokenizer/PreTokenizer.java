package baleine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into pieces before BPE: a sequence of regex splits with Hugging Face's "Isolated"
 * behaviour (every match and every gap between matches becomes a piece), each applied to the pieces
 * of the previous one. Patterns use Oniguruma semantics, which Java matches once Unicode character
 * classes are on.
 */
public final class PreTokenizer {
    private final List<Pattern> splits;

    public PreTokenizer(List<String> regexes) {
        this.splits = regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList();
    }

    public List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern p : splits) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                isolate(p, piece, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void isolate(Pattern p, String s, List<String> out) {
        Matcher m = p.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > last) {
                out.add(s.substring(last, m.start()));
            }
            out.add(m.group());
            last = m.end();
        }
        if (last < s.length()) {
            out.add(s.substring(last));
        }
    }

    /** Pre-tokenizer regexes of llama.cpp's {@code tokenizer.ggml.pre} names. */
    public static List<String> forGgufPreType(String pre) {
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        return switch (pre) {
            case "deepseek-v3" -> List.of("\\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");
            case "qwen2", "deepseek-r1-qwen" -> List.of(llama3.replace("\\p{N}{1,3}", "\\p{N}"));
            case "llama3", "llama-bpe", "default" -> List.of(llama3);
            default -> throw new IllegalArgumentException("pre-tokenizer '" + pre + "' is not supported yet "
                    + "(supported: deepseek-v3, qwen2, deepseek-r1-qwen, llama-bpe)");
        };
    }
}
