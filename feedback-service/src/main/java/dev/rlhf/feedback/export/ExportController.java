package dev.rlhf.feedback.export;

import java.io.IOException;
import java.util.UUID;

import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.rlhf.feedback.project.ProjectService;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /api/v1/projects/{projectId}/export?format=pairs|messages|rankings|consensus|sft|kto}
 * with optional {@code consensus}, {@code from}, {@code to}, {@code policyVersion}, {@code minAgreement}:
 * NDJSON written to the response as it is read. Exports hold every annotator's work, so they are
 * for admins only. Parameters are checked before the first byte, so a bad one is still a 400 problem.
 */
@RestController
public class ExportController {

    public static final String NDJSON = "application/x-ndjson";

    private final ExportService exports;
    private final ProjectService projects;

    public ExportController(ExportService exports, ProjectService projects) {
        this.exports = exports;
        this.projects = projects;
    }

    @GetMapping("/api/v1/projects/{projectId}/export")
    @PreAuthorize("hasRole('ADMIN')")
    public void export(@PathVariable UUID projectId,
                       @RequestParam(required = false) String format,
                       @RequestParam(required = false) String consensus,
                       @RequestParam(required = false) String from,
                       @RequestParam(required = false) String to,
                       @RequestParam(required = false) String policyVersion,
                       @RequestParam(required = false) String minAgreement,
                       HttpServletResponse response) throws IOException {
        ExportRequest request = ExportRequest.parse(projectId, format, consensus, from, to, policyVersion, minAgreement);
        projects.get(projectId);
        response.setContentType(NDJSON);
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Content-Disposition", "attachment; filename=\"" + projectId + "-" + request.format().id() + ".jsonl\"");
        exports.export(request, response.getOutputStream());
        response.flushBuffer();
    }
}
