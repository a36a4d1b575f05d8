package baleine.writer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** What the model writers share about file channels. */
final class ChannelWrites {
    private ChannelWrites() {
    }

    /** A channel write may be partial; this writes all of {@code b}. */
    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
