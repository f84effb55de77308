package dev.rlhf.feedback.api;

import java.io.IOException;
import java.util.Map;

import org.springframework.web.filter.OncePerRequestFilter;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

/**
 * Keeps every error under {@code /api/} an RFC 9457 problem document with its real status.
 * <p>
 * Without it, whatever called {@code sendError} (Spring Security's entry point and access-denied
 * handler, the token filter, Spring MVC for an unsupported method or content type or an unknown path)
 * made the servlet container forward to {@code /error}, which sits behind the UI's login: clients got
 * a 302 to {@code /login} (or a 403) instead of 401, 404, 405 or 415. Here {@code sendError} writes
 * the problem document at once, so no error dispatch happens, and a fault that escapes everything
 * else becomes a 500 whose error id is in the log line ({@link ApiProblems#logServerError}).
 * Registered for {@code /api/*} before Spring Security (see {@code ApiErrorsConfiguration}).
 */
public class ApiProblemFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, new ProblemResponse(request, response));
        } catch (ServletException | IOException | RuntimeException fault) {
            String errorId = ApiProblems.logServerError(request, fault.getCause() != null && fault instanceof ServletException ? fault.getCause() : fault);
            if (response.isCommitted()) {
                throw fault; // a streamed answer already under way: nothing to replace it with
            }
            ApiProblems.write(request, response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, ApiProblems.serverErrorDetail(errorId),
                    Map.of(ApiProblems.ERROR_ID, errorId));
        }
    }

    /** Turns {@code sendError} into a problem document written here, instead of a forward to the container's error page. */
    static final class ProblemResponse extends HttpServletResponseWrapper {
        private final HttpServletRequest request;

        ProblemResponse(HttpServletRequest request, HttpServletResponse response) {
            super(response);
            this.request = request;
        }

        @Override
        public void sendError(int status, String message) throws IOException {
            if (isCommitted()) {
                throw new IllegalStateException("Cannot send error " + status + ": the response is already committed");
            }
            ApiProblems.write(request, (HttpServletResponse) getResponse(), status, message, Map.of());
        }

        @Override
        public void sendError(int status) throws IOException {
            sendError(status, null);
        }
    }
}
