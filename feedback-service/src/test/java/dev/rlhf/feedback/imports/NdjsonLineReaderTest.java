package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

class NdjsonLineReaderTest {

    private static List<NdjsonLineReader.Line> readAll(InputStream in, int maxLineBytes, long maxBodyBytes) throws IOException {
        NdjsonLineReader reader = new NdjsonLineReader(in, maxLineBytes, maxBodyBytes);
        List<NdjsonLineReader.Line> lines = new ArrayList<>();
        for (var line = reader.next(); line != null; line = reader.next()) {
            lines.add(line);
        }
        return lines;
    }

    private static InputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesKeepTheirNumbersBlankLinesAreSkippedAndCrLfAndBomAreHandled() throws IOException {
        var lines = readAll(bytes("\uFEFF{\"a\":1}\r\n\n   \n{\"b\":\"é\"}\n{\"c\":3}"), 100, 1000);
        assertThat(lines).containsExactly(new NdjsonLineReader.Line(1, "{\"a\":1}", null), new NdjsonLineReader.Line(4, "{\"b\":\"é\"}", null),
                new NdjsonLineReader.Line(5, "{\"c\":3}", null));
    }

    @Test
    void anOverlongLineIsReportedAndTheNextOneIsReadWhole() throws IOException {
        String longLine = "x".repeat(200_000);
        var lines = readAll(bytes("{}\n" + longLine + "\n{\"after\":true}\n"), 1024, 1_000_000);
        assertThat(lines).containsExactly(new NdjsonLineReader.Line(1, "{}", null),
                new NdjsonLineReader.Line(2, null, "line exceeds 1024 bytes"), new NdjsonLineReader.Line(3, "{\"after\":true}", null));
    }

    @Test
    void invalidUtf8IsReportedPerLine() throws IOException {
        byte[] body = {'{', '}', '\n', (byte) 0xC3, (byte) 0x28, '\n', '1', '\n'};
        assertThat(readAll(new ByteArrayInputStream(body), 100, 100)).extracting(NdjsonLineReader.Line::error)
                .containsExactly(null, "line is not valid UTF-8", null);
    }

    @Test
    void aBodyOverTheLimitStopsTheReader() throws IOException {
        NdjsonLineReader reader = new NdjsonLineReader(bytes("{}\n".repeat(100_000)), 100, 150_000);
        assertThatThrownBy(() -> {
            while (reader.next() != null) {
                // read until the limit
            }
        }).isInstanceOf(NdjsonLineReader.BodyTooLargeException.class).hasMessage("the request body exceeds 150000 bytes");
        assertThat(reader.lineNumber()).isLessThanOrEqualTo(50_000);
    }

    @Test
    void gzipBodiesAreRecognisedByHeaderOrMagicBytes() throws IOException {
        byte[] gzipped = gzip("{\"a\":1}\n{\"b\":2}\n");
        assertThat(readAll(RequestBodies.open(new ByteArrayInputStream(gzipped), null), 100, 100)).hasSize(2);
        assertThat(readAll(RequestBodies.open(new ByteArrayInputStream(gzipped), "gzip"), 100, 100)).hasSize(2);
        assertThat(readAll(RequestBodies.open(bytes("{\"plain\":1}\n"), "identity"), 100, 100)).hasSize(1);
        assertThatThrownBy(() -> RequestBodies.open(bytes("{}"), "br")).isInstanceOf(RequestBodies.UnsupportedEncodingException.class);
        assertThatThrownBy(() -> RequestBodies.open(bytes("{}"), "gzip")).isInstanceOf(IOException.class);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
