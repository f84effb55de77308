package dev.rlhf.feedback.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads an NDJSON body one line at a time with bounded memory: a line longer than the limit is
 * skipped up to its newline and reported (never buffered whole), and the body as a whole may not
 * exceed its limit. Lines end at {@code \n} (an optional {@code \r} before it is dropped); a UTF-8
 * byte-order mark at the start is ignored. Blank lines are skipped but keep their line numbers.
 */
final class NdjsonLineReader {

    /** One non-blank line: its text, or why it cannot be read. */
    record Line(long number, String text, String error) {
    }

    /** The body exceeded {@code maxBodyBytes}; lines before this point were already returned. */
    static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(long maxBodyBytes) {
            super("the request body exceeds " + maxBodyBytes + " bytes");
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final long maxBodyBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int position;
    private int limit;
    private long bodyBytes;
    private long lineNumber;
    private boolean endOfInput;
    private byte[] line = new byte[8 * 1024];

    NdjsonLineReader(InputStream in, int maxLineBytes, long maxBodyBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** The next non-blank line, or null at the end of the body. */
    Line next() throws IOException {
        while (true) {
            int length = 0;
            boolean tooLong = false;
            boolean sawAnything = false;
            while (true) {
                if (position == limit && !fill()) {
                    break;
                }
                sawAnything = true;
                int newline = indexOfNewline();
                int end = newline < 0 ? limit : newline;
                int chunk = end - position;
                if (!tooLong) {
                    if (length + chunk > maxLineBytes) {
                        tooLong = true;
                    } else {
                        ensureCapacity(length + chunk);
                        System.arraycopy(buffer, position, line, length, chunk);
                        length += chunk;
                    }
                }
                position = end;
                if (newline >= 0) {
                    position++;
                    break;
                }
            }
            if (!sawAnything) {
                return null;
            }
            lineNumber++;
            if (tooLong) {
                return new Line(lineNumber, null, "line exceeds " + maxLineBytes + " bytes");
            }
            int start = lineNumber == 1 && startsWithByteOrderMark(length) ? 3 : 0;
            if (length > start && line[length - 1] == '\r') {
                length--;
            }
            if (isBlank(start, length)) {
                continue;
            }
            try {
                String text = utf8.decode(ByteBuffer.wrap(line, start, length - start)).toString();
                return new Line(lineNumber, text, null);
            } catch (CharacterCodingException e) {
                return new Line(lineNumber, null, "line is not valid UTF-8");
            }
        }
    }

    private boolean fill() throws IOException {
        if (endOfInput) {
            return false;
        }
        int read = in.read(buffer, 0, buffer.length);
        while (read == 0) {
            read = in.read(buffer, 0, buffer.length);
        }
        if (read < 0) {
            endOfInput = true;
            return false;
        }
        bodyBytes += read;
        if (bodyBytes > maxBodyBytes) {
            throw new BodyTooLargeException(maxBodyBytes);
        }
        position = 0;
        limit = read;
        return true;
    }

    private int indexOfNewline() {
        for (int i = position; i < limit; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void ensureCapacity(int needed) {
        if (needed > line.length) {
            line = Arrays.copyOf(line, Math.min(Math.max(needed, line.length * 2), Math.max(maxLineBytes, needed)));
        }
    }

    private boolean startsWithByteOrderMark(int length) {
        return length >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF;
    }

    private boolean isBlank(int start, int end) {
        for (int i = start; i < end; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** Bytes read from the body so far (after decompression). */
    long bodyBytes() {
        return bodyBytes;
    }

    /** The number of the last line read (blank lines included). */
    long lineNumber() {
        return lineNumber;
    }
}
