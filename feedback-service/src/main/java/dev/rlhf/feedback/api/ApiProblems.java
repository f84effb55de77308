package dev.rlhf.feedback.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * RFC 9457 problem documents for errors that never reach a controller advice (security filters,
 * unknown paths, unsupported methods and content types, faults outside a controller), written
 * straight into the response, and the one log line of a server fault with its error id.
 */
public final class ApiProblems {

    private static final Logger log = LoggerFactory.getLogger(ApiProblems.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The property of a 500 problem document that names the log line of the fault. */
    public static final String ERROR_ID = "errorId";

    private ApiProblems() {
    }

    /** Logs a server fault at ERROR with a new error id (in the message, so a log search finds it) and returns that id. */
    public static String logServerError(HttpServletRequest request, Throwable fault) {
        String errorId = UUID.randomUUID().toString();
        log.error("Internal error {} on {} {}: {}", errorId, request.getMethod(), request.getRequestURI(), fault.toString(), fault);
        return errorId;
    }

    /** The detail of a 500: says nothing about the fault itself, only where to find it. */
    public static String serverErrorDetail(String errorId) {
        return "Internal server error; the app's log names it with error id " + errorId;
    }

    /** Writes a problem document with this status and commits the response. */
    public static void write(HttpServletRequest request, HttpServletResponse response, int status, String detail,
                             Map<String, Object> properties) throws IOException {
        HttpStatus known = HttpStatus.resolve(status);
        Map<String, Object> body = new LinkedHashMap<>();
        // "type" left out: RFC 9457 reads a missing type as "about:blank", and Spring's own problem documents leave it out too.
        body.put("title", known != null ? known.getReasonPhrase() : "Error");
        body.put("status", status);
        body.put("detail", detail(request, status, detail));
        body.put("instance", request.getRequestURI());
        body.putAll(properties);
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.setContentLength(bytes.length);
        try {
            response.getOutputStream().write(bytes);
        } catch (IllegalStateException writerInUse) {
            response.getWriter().write(new String(bytes, StandardCharsets.UTF_8));
        }
        response.flushBuffer();
    }

    static final String ACCESS_DENIED = "Access Denied";

    /** Spring Security's bare "Access Denied" as a sentence naming what was refused. */
    static String forbiddenDetail(HttpServletRequest request, String given) {
        return detail(request, HttpServletResponse.SC_FORBIDDEN, given);
    }

    private static String detail(HttpServletRequest request, int status, String given) {
        HttpStatus known = HttpStatus.resolve(status);
        boolean bare = given == null || given.isBlank() || (known != null && given.equals(known.getReasonPhrase()));
        if (status == HttpServletResponse.SC_NOT_FOUND && (bare || given.startsWith("No static resource") || given.startsWith("No endpoint"))) {
            return "No API endpoint " + request.getMethod() + " " + request.getRequestURI();
        }
        if (status == HttpServletResponse.SC_FORBIDDEN && (bare || ACCESS_DENIED.equals(given))) {
            return "Your account may not " + request.getMethod() + " " + request.getRequestURI();
        }
        return bare ? (known != null ? known.getReasonPhrase() : "Error " + status) : given;
    }
}
