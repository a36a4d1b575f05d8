package baleine.writer;

import baleine.tensor.Fp8BlockWeight;
import baleine.tensor.GgmlType;
import baleine.tensor.Quantizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one {@code .safetensors} file. Dtypes F32, F16, BF16, and F8_E4M3, which also writes the
 * {@code <name>_scale_inv} float32 block scales DeepSeek-V3's FP8 checkpoints carry.
 */
public final class SafetensorsWriter {
    public enum Dtype { F32, F16, BF16, F8_E4M3 }

    private record Item(String name, long[] shape, Dtype dtype, byte[] bytes) {
    }

    private final List<Item> items = new ArrayList<>();
    private final int fp8Block;

    public SafetensorsWriter(int fp8Block) {
        this.fp8Block = fp8Block;
    }

    public SafetensorsWriter add(TensorData t, Dtype dtype) {
        float[] v = t.values().get();
        switch (dtype) {
            case F32 -> items.add(new Item(t.name(), t.shape(), dtype, encode(GgmlType.F32, v)));
            case F16 -> items.add(new Item(t.name(), t.shape(), dtype, encode(GgmlType.F16, v)));
            case BF16 -> items.add(new Item(t.name(), t.shape(), dtype, encode(GgmlType.BF16, v)));
            case F8_E4M3 -> addFp8(t, v);
        }
        return this;
    }

    private static byte[] encode(GgmlType type, float[] v) {
        try (Arena arena = Arena.ofConfined()) {
            return Quantizer.encode(type, v, arena).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    /** Per 128x128 block: scale = amax / 448, stored value = e4m3(w / scale), scale_inv = scale. */
    private void addFp8(TensorData t, float[] v) {
        int rows = Math.toIntExact(t.rows()), cols = Math.toIntExact(t.cols());
        int br = (rows + fp8Block - 1) / fp8Block, bc = (cols + fp8Block - 1) / fp8Block;
        float[] scales = new float[br * bc];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int s = (r / fp8Block) * bc + c / fp8Block;
                scales[s] = Math.max(scales[s], Math.abs(v[r * cols + c]) / 448f);
            }
        }
        byte[] q = new byte[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float s = scales[(r / fp8Block) * bc + c / fp8Block];
                q[r * cols + c] = Fp8BlockWeight.floatToE4m3(s == 0 ? 0 : v[r * cols + c] / s);
            }
        }
        items.add(new Item(t.name(), t.shape(), Dtype.F8_E4M3, q));
        items.add(new Item(t.name() + "_scale_inv", new long[]{br, bc}, Dtype.F32, encode(GgmlType.F32, scales)));
    }

    public void write(Path path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Item i : items) {
            ObjectNode e = header.putObject(i.name());
            e.put("dtype", i.dtype().name());
            var shape = e.putArray("shape");
            for (long d : i.shape()) {
                shape.add(d);
            }
            e.putArray("data_offsets").add(offset).add(offset + i.bytes().length);
            offset += i.bytes().length;
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).flip();
            for (ByteBuffer b : new ByteBuffer[]{len, ByteBuffer.wrap(h)}) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            for (Item i : items) {
                ByteBuffer b = ByteBuffer.wrap(i.bytes());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }
}
