package baleine.writer;

import baleine.tokenizer.ByteLevel;
import baleine.tokenizer.PreTokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns byte-level BPE merges from a text: start from the 256 byte symbols, repeatedly merge the most
 * frequent adjacent pair within pre-tokenized words. Small and slow; for building demo vocabularies.
 */
public final class BpeTrainer {
    private BpeTrainer() {
    }

    /** The vocabulary is the 256 byte symbols followed by one token per merge, in merge order. */
    public record Result(List<String> vocabulary, List<String> merges) {
    }

    public static Result train(String corpus, PreTokenizer pre, int merges) {
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        for (String piece : pre.split(corpus)) {
            String bl = ByteLevel.encode(piece);
            List<String> symbols = new ArrayList<>();
            bl.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            words.merge(symbols, 1, Integer::sum);
        }
        List<String> vocab = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            vocab.add(ByteLevel.symbol(b));
        }
        List<String> learned = new ArrayList<>();
        for (int m = 0; m < merges; m++) {
            Map<String, Integer> pairs = new HashMap<>();
            String best = null;
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) {
                    String key = s.get(i) + " " + s.get(i + 1);
                    int n = pairs.merge(key, w.getValue(), Integer::sum);
                    if (best == null || n > pairs.get(best) || (n == pairs.get(best) && key.compareTo(best) < 0)) {
                        best = key;
                    }
                }
            }
            if (best == null || pairs.get(best) < 2) {
                break;
            }
            String[] ab = best.split(" ", 2);
            learned.add(best);
            vocab.add(ab[0] + ab[1]);
            Map<List<String>, Integer> next = new LinkedHashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey(), out = new ArrayList<>();
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(ab[0]) && s.get(i + 1).equals(ab[1])) {
                        out.add(ab[0] + ab[1]);
                        i++;
                    } else {
                        out.add(s.get(i));
                    }
                }
                next.merge(out, w.getValue(), Integer::sum);
            }
            words = next;
        }
        return new Result(vocab, learned);
    }
}
