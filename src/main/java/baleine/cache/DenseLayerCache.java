package baleine.cache;

import java.util.Arrays;

/** Standard (GQA) attention cache: full keys and values of every KV head per token. */
public final class DenseLayerCache implements LayerCache {
    public final int kvDim;
    private float[] keys = new float[0];
    private float[] values = new float[0];

    public DenseLayerCache(int kvDim) {
        this.kvDim = kvDim;
    }

    @Override
    public void ensureRows(int tokens, int limit) {
        if ((long) tokens * kvDim > keys.length) {
            int cap = Math.max(tokens, Math.min(Math.min(2 * keys.length / kvDim, limit), Integer.MAX_VALUE / kvDim));
            keys = Arrays.copyOf(keys, Math.toIntExact((long) cap * kvDim));
            values = Arrays.copyOf(values, Math.toIntExact((long) cap * kvDim));
        }
    }

    @Override
    public int valuesPerToken() {
        return 2 * kvDim;
    }

    public void put(int row, float[] k, int kOff, float[] v, int vOff) {
        System.arraycopy(k, kOff, keys, row * kvDim, kvDim);
        System.arraycopy(v, vOff, values, row * kvDim, kvDim);
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }
}
