package dev.rlhf.feedback.imports;

import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.api.ApiException;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code POST /api/v1/projects/{projectId}/items?format=prompts|responses|oasst|hh|pairs} with an
 * NDJSON body (plain or gzip), admin only. Answers
 * {@code {"imported": n, "skipped": n, "rejected": [{"line": n, "error": "..."}], ...}}.
 */
@RestController
public class ImportController {

    private final ImportService imports;

    public ImportController(ImportService imports) {
        this.imports = imports;
    }

    @PostMapping("/api/v1/projects/{projectId}/items")
    @PreAuthorize("hasRole('ADMIN')")
    public ImportResult importItems(@PathVariable UUID projectId, @RequestParam(required = false) String format,
                                    HttpServletRequest request) throws IOException {
        if (format == null || format.isBlank()) {
            throw ApiException.badRequest("format is required: one of " + ImportFormat.ids());
        }
        ImportFormat importFormat = ImportFormat.of(format)
                .orElseThrow(() -> ApiException.badRequest("Unknown format '" + format + "': use one of " + ImportFormat.ids()));
        String contentType = request.getContentType() == null ? "" : request.getContentType().toLowerCase(java.util.Locale.ROOT);
        if (contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/")) {
            // The servlet container reads such bodies as form fields: the lines would be lost.
            throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Send the NDJSON file as the request body with Content-Type: "
                    + "application/x-ndjson (curl: --data-binary @file.jsonl -H 'Content-Type: application/x-ndjson'), not as " + contentType);
        }
        long maxBodyBytes = imports.limits().maxBodyBytes();
        if (request.getContentLengthLong() > maxBodyBytes) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "The request body (" + request.getContentLengthLong()
                    + " bytes) exceeds the import limit of " + maxBodyBytes + " bytes");
        }
        InputStream body;
        try {
            body = RequestBodies.open(request.getInputStream(), request.getHeader("Content-Encoding"));
        } catch (RequestBodies.UnsupportedEncodingException e) {
            throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, e.getMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("The request body cannot be read: " + e.getMessage());
        }
        try (body) {
            return imports.importItems(projectId, importFormat, body);
        }
    }
}
