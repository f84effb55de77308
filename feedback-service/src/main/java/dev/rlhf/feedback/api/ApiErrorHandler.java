package dev.rlhf.feedback.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.beans.TypeMismatchException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import jakarta.servlet.http.HttpServletRequest;
import tools.jackson.core.JacksonException;

/**
 * Every REST error is an RFC 9457 problem document whose {@code detail} says what is wrong, e.g.
 * {@code {"status": 400, "title": "Bad Request", "detail": "ranking is missing response r3"}}.
 * Spring MVC's own exceptions (405, 406, 413, 415, a missing parameter, ...) keep their status
 * ({@link ResponseEntityExceptionHandler}); anything unexpected is a 500 whose {@code errorId} is in
 * the log line of the fault. Errors raised before a controller is chosen (security, unknown paths)
 * are written by {@link ApiProblemFilter}.
 */
@RestControllerAdvice(basePackages = "dev.rlhf.feedback")
public class ApiErrorHandler extends ResponseEntityExceptionHandler {

    /** Name of the problem document's property that names the offending request field, e.g. {@code "guidelines"} or {@code "flags.<id>[0]"}. */
    public static final String FIELD = "field";

    @ExceptionHandler(ApiException.class)
    ProblemDetail api(ApiException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        if (e.field() != null) {
            problem.setProperty(FIELD, e.field());
        }
        return problem;
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badInput(IllegalArgumentException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        String detail = e.getBindingResult().getFieldErrors().stream()
                .map(f -> f.getField() + ": " + f.getDefaultMessage()).sorted().reduce((a, b) -> a + "; " + b)
                .orElse("invalid request");
        return ResponseEntity.badRequest().body(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        RequestBodyLimitFilter.BodyTooLargeException tooLarge = RequestBodyLimitFilter.BodyTooLargeException.in(e);
        if (tooLarge != null) {
            return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                    .body(ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, tooLarge.getMessage()));
        }
        ResponseEntity<Object> answer = malformed(e);
        String field = jsonField(e);
        if (field != null && answer.getBody() instanceof ProblemDetail problem) {
            problem.setProperty(FIELD, field);
        }
        return answer;
    }

    /** Where in the JSON body the parser failed ({@code "durationMs"}, {@code "roles[0]"}), from Jackson's path, or null. */
    static String jsonField(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JacksonException jackson && !jackson.getPath().isEmpty()) {
                StringBuilder field = new StringBuilder();
                for (JacksonException.Reference ref : jackson.getPath()) {
                    if (ref.getPropertyName() != null) {
                        field.append(field.isEmpty() ? "" : ".").append(ref.getPropertyName());
                    } else if (ref.getIndex() >= 0) {
                        field.append('[').append(ref.getIndex()).append(']');
                    }
                }
                return field.isEmpty() ? null : field.toString();
            }
        }
        return null;
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException e, HttpHeaders headers, HttpStatusCode status,
                                                        WebRequest request) {
        return malformed(e);
    }

    private static ResponseEntity<Object> malformed(Exception e) {
        return ResponseEntity.badRequest().body(ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "Malformed request: " + e.getMessage()));
    }

    @ExceptionHandler(AccessDeniedException.class)
    ProblemDetail denied(AccessDeniedException e, HttpServletRequest request) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ApiProblems.forbiddenDetail(request, e.getMessage()));
    }

    /** A fault nobody anticipated: 500, with an error id that the log line of the fault carries too. */
    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e, HttpServletRequest request) {
        RequestBodyLimitFilter.BodyTooLargeException tooLarge = RequestBodyLimitFilter.BodyTooLargeException.in(e);
        if (tooLarge != null) {
            return ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, tooLarge.getMessage());
        }
        String errorId = ApiProblems.logServerError(request, e);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, ApiProblems.serverErrorDetail(errorId));
        problem.setProperty(ApiProblems.ERROR_ID, errorId);
        return problem;
    }
}
