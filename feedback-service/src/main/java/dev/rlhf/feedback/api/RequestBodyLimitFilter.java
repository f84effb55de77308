package dev.rlhf.feedback.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Caps the request body of every {@code /api/} endpoint at {@code rlhf.api.max-body-bytes} (the NDJSON
 * import has its own, larger cap). A declared Content-Length over the cap is answered 413 at once,
 * without reading; a body without one (chunked) is counted as it is read, and the read that crosses
 * the cap fails with {@link BodyTooLargeException}, which {@link ApiErrorHandler} (or, outside a
 * controller, this filter) answers with a 413 problem document.
 */
public class RequestBodyLimitFilter extends OncePerRequestFilter {

    /** {@code POST /api/v1/projects/{projectId}/items}: the import, capped by {@code rlhf.imports.max-body-bytes} instead. */
    private static final Pattern IMPORT_PATH = Pattern.compile("/api/v1/projects/[^/]+/items/?");

    private final long maxBodyBytes;

    public RequestBodyLimitFilter(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return IMPORT_PATH.matcher(path).matches();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBodyBytes) {
            ApiProblems.write(request, response, HttpStatus.CONTENT_TOO_LARGE.value(),
                    BodyTooLargeException.detail(declared, maxBodyBytes), Map.of());
            return;
        }
        try {
            chain.doFilter(new LimitedRequest(request, maxBodyBytes), response);
        } catch (ServletException | IOException | RuntimeException fault) {
            if (BodyTooLargeException.in(fault) == null || response.isCommitted()) {
                throw fault;
            }
            ApiProblems.write(request, response, HttpStatus.CONTENT_TOO_LARGE.value(), BodyTooLargeException.in(fault).getMessage(),
                    Map.of());
        }
    }

    /** The read that takes a request body past the limit. */
    public static final class BodyTooLargeException extends IOException {

        BodyTooLargeException(long maxBodyBytes) {
            super("The request body exceeds the limit of " + maxBodyBytes + " bytes (rlhf.api.max-body-bytes)");
        }

        static String detail(long declared, long maxBodyBytes) {
            return "The request body (" + declared + " bytes) exceeds the limit of " + maxBodyBytes + " bytes (rlhf.api.max-body-bytes)";
        }

        /** This exception among the causes of {@code fault}, or null. */
        public static BodyTooLargeException in(Throwable fault) {
            for (Throwable t = fault; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof BodyTooLargeException tooLarge) {
                    return tooLarge;
                }
            }
            return null;
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {
        private final long maxBodyBytes;
        private ServletInputStream body;
        private BufferedReader reader;

        LimitedRequest(HttpServletRequest request, long maxBodyBytes) {
            super(request);
            this.maxBodyBytes = maxBodyBytes;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (body == null) {
                body = new LimitedInputStream(super.getInputStream(), maxBodyBytes);
            }
            return body;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            if (reader == null) {
                String encoding = getCharacterEncoding();
                Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
                reader = new BufferedReader(new InputStreamReader(getInputStream(), charset));
            }
            return reader;
        }
    }

    private static final class LimitedInputStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long maxBodyBytes;
        private long read;

        LimitedInputStream(ServletInputStream in, long maxBodyBytes) {
            this.in = in;
            this.maxBodyBytes = maxBodyBytes;
        }

        private int counted(int n) throws BodyTooLargeException {
            if (n > 0) {
                read += n;
                if (read > maxBodyBytes) {
                    throw new BodyTooLargeException(maxBodyBytes);
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return counted(in.read(buffer, offset, length));
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
