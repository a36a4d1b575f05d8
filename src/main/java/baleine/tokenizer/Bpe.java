package baleine.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE: a piece, spelled in {@link ByteLevel} characters, starts as one symbol per character;
 * the adjacent pair with the lowest merge rank is merged until no pair has a rank. Results are cached
 * per piece, since text repeats its words.
 */
public final class Bpe {
    private final Map<String, Integer> vocab;
    private final Map<Long, int[]> merges = new HashMap<>(); // (left, right) -> {rank, merged id}
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /** @param mergeList pairs of token strings, by rank; @param ignoreMerges take a piece whole when it is a token */
    public Bpe(Map<String, Integer> vocab, List<String[]> mergeList, boolean ignoreMerges) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] m = mergeList.get(rank);
            Integer a = vocab.get(m[0]), b = vocab.get(m[1]), ab = vocab.get(m[0] + m[1]);
            if (a != null && b != null && ab != null) {
                merges.putIfAbsent(key(a, b), new int[]{rank, ab});
            }
        }
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    public void encode(String piece, List<Integer> out) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = merge(piece);
            if (cache.size() < 1 << 18) {
                cache.put(piece, ids);
            }
        }
        for (int id : ids) {
            out.add(id);
        }
    }

    private int[] merge(String piece) {
        if (ignoreMerges && vocab.containsKey(piece)) {
            return new int[]{vocab.get(piece)};
        }
        int[] sym = new int[piece.length()];
        int n = 0;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            Integer id = vocab.get(ch);
            if (id == null) {
                throw new IllegalStateException("byte-level symbol '" + ch + "' is missing from the vocabulary");
            }
            sym[n++] = id;
            i += Character.charCount(cp);
        }
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE, bestAt = -1, bestId = -1;
            for (int i = 0; i + 1 < n; i++) {
                int[] m = merges.get(key(sym[i], sym[i + 1]));
                if (m != null && m[0] < bestRank) {
                    bestRank = m[0];
                    bestAt = i;
                    bestId = m[1];
                }
            }
            if (bestAt < 0) {
                break;
            }
            // merge every occurrence of the best pair, left to right, as Hugging Face's rank queue does
            int left = sym[bestAt], right = sym[bestAt + 1], w = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && sym[i] == left && sym[i + 1] == right) {
                    sym[w++] = bestId;
                    i++;
                } else {
                    sym[w++] = sym[i];
                }
            }
            n = w;
        }
        return java.util.Arrays.copyOf(sym, n);
    }

}
