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
 * {@code <name>_scale_inv} float32 block scales DeepSeek-V3's FP8 checkpoints carry. Sizes are known from
 * the shapes, so the header goes first and each tensor is generated, encoded and written in turn: only one
 * tensor is ever in memory.
 */
public final class SafetensorsWriter {
    public enum Dtype { F32, F16, BF16, F8_E4M3 }

    private record Item(TensorData tensor, Dtype dtype) {
    }

    private final List<Item> items = new ArrayList<>();
    private final int fp8Block;

    public SafetensorsWriter(int fp8Block) {
        this.fp8Block = fp8Block;
    }

    public SafetensorsWriter add(TensorData t, Dtype dtype) {
        items.add(new Item(t, dtype));
        return this;
    }

    private long[] scaleShape(TensorData t) {
        return new long[]{(t.rows() + fp8Block - 1) / fp8Block, (t.cols() + fp8Block - 1) / fp8Block};
    }

    private static long width(Dtype d) {
        return switch (d) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            case F8_E4M3 -> 1;
        };
    }

    public void write(Path path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Item i : items) {
            offset = entry(header, i.tensor().name(), i.dtype(), i.tensor().shape(), offset, i.tensor().elements() * width(i.dtype()));
            if (i.dtype() == Dtype.F8_E4M3) {
                long[] s = scaleShape(i.tensor());
                offset = entry(header, i.tensor().name() + "_scale_inv", Dtype.F32, s, offset, 4 * s[0] * s[1]);
            }
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ChannelWrites.writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).flip());
            ChannelWrites.writeFully(ch, ByteBuffer.wrap(h));
            for (Item i : items) {
                float[] v = i.tensor().values().get();
                switch (i.dtype()) {
                    case F32 -> writeEncoded(ch, GgmlType.F32, v);
                    case F16 -> writeEncoded(ch, GgmlType.F16, v);
                    case BF16 -> writeEncoded(ch, GgmlType.BF16, v);
                    case F8_E4M3 -> writeFp8(ch, i.tensor(), v);
                }
            }
        }
    }

    private static long entry(ObjectNode header, String name, Dtype dtype, long[] shape, long offset, long bytes) {
        ObjectNode e = header.putObject(name);
        e.put("dtype", dtype.name());
        var s = e.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        e.putArray("data_offsets").add(offset).add(offset + bytes);
        return offset + bytes;
    }

    private static void writeEncoded(FileChannel ch, GgmlType type, float[] v) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            ChannelWrites.writeFully(ch, Quantizer.encode(type, v, arena).asByteBuffer());
        }
    }

    /** Per 128x128 block: scale = amax / 448, stored value = e4m3(w / scale); then the scales themselves. */
    private void writeFp8(FileChannel ch, TensorData t, float[] v) throws IOException {
        int rows = Math.toIntExact(t.rows()), cols = Math.toIntExact(t.cols());
        long[] shape = scaleShape(t);
        int bc = (int) shape[1];
        float[] scales = new float[(int) (shape[0] * shape[1])];
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
        ChannelWrites.writeFully(ch, ByteBuffer.wrap(q));
        writeEncoded(ch, GgmlType.F32, scales);
    }
}
