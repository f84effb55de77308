package dev.rlhf.feedback.imports;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Opens an import body, decompressing gzip (announced by Content-Encoding or recognised by its magic bytes). */
final class RequestBodies {

    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;

    private RequestBodies() {
    }

    static InputStream open(InputStream raw, String contentEncoding) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
        if (contentEncoding != null && !contentEncoding.isBlank()) {
            String encoding = contentEncoding.strip().toLowerCase(java.util.Locale.ROOT);
            if (encoding.equals("gzip") || encoding.equals("x-gzip")) {
                return new GZIPInputStream(in, 64 * 1024);
            }
            if (!encoding.equals("identity")) {
                throw new UnsupportedEncodingException(contentEncoding);
            }
        }
        in.mark(2);
        int first = in.read();
        int second = in.read();
        in.reset();
        // .jsonl.gz files are often posted as they are, without a Content-Encoding header.
        return first == GZIP_MAGIC_0 && second == GZIP_MAGIC_1 ? new GZIPInputStream(in, 64 * 1024) : in;
    }

    static final class UnsupportedEncodingException extends IOException {
        UnsupportedEncodingException(String encoding) {
            super("Content-Encoding '" + encoding + "' is not supported (use gzip or none)");
        }
    }
}
