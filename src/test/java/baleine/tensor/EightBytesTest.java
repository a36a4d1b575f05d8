package baleine.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link EightBytes} against a byte-by-byte reading of what it does, on random bytes. */
class EightBytesTest {
    @Test
    void transposeMovesByteJOfRowIToByteIOfRowJ() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 1000; trial++) {
            long[] m = new long[8];
            for (int i = 0; i < 8; i++) {
                m[i] = rnd.nextLong();
            }
            long[] t = m.clone();
            EightBytes.transpose(t);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 8; j++) {
                    assertThat(t[j] >>> 8 * i & 0xFF).as("trial %d, byte %d of row %d", trial, j, i).isEqualTo(m[i] >>> 8 * j & 0xFF);
                }
            }
        }
    }

    @Test
    void longsReadAndWriteBytesInLittleEndianOrder() {
        byte[] a = new byte[20];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (0x11 * i + 3);
        }
        long v = EightBytes.get(a, 5);
        for (int j = 0; j < 8; j++) {
            assertThat((byte) (v >>> 8 * j)).isEqualTo(a[5 + j]);
        }
        byte[] b = new byte[20];
        EightBytes.set(b, 9, v);
        assertThat(java.util.Arrays.copyOfRange(b, 9, 17)).isEqualTo(java.util.Arrays.copyOfRange(a, 5, 13));
        assertThat(b[8]).isZero();
        assertThat(b[17]).isZero();
    }
}
