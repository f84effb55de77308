package dev.rlhf.annotation.admin;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.vaadin.flow.component.datepicker.DatePicker;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.AttachmentType;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.NumberField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.server.streams.DownloadHandler;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.export.ExportController;
import dev.rlhf.feedback.export.ExportRequest;
import dev.rlhf.feedback.export.ExportService;

/**
 * Download links for every export format, streamed by {@link ExportService} straight into the
 * response (nothing is buffered), with optional filters. The filters are checked by
 * {@link ExportRequest#parse} as they change; the links are disabled while one is wrong.
 */
class ExportPanel extends VerticalLayout {

    /** A link: its label, the service's format id and whether only consensus pairs are written. */
    record Kind(String label, String format, boolean consensusOnly) {
    }

    static final List<Kind> KINDS = List.of(
            new Kind("pairs", "pairs", false),
            new Kind("pairs (consensus only)", "pairs", true),
            new Kind("messages", "messages", false),
            new Kind("rankings", "rankings", false),
            new Kind("consensus", "consensus", false),
            new Kind("sft", "sft", false),
            new Kind("kto", "kto", false));

    final DatePicker from = new DatePicker("Submitted from (UTC)");
    final DatePicker until = new DatePicker("Submitted until (UTC)");
    final TextField policyVersion = new TextField("Policy version");
    final NumberField minAgreement = new NumberField("Min agreement (0-1)");
    final Span error = new Span();
    final List<Anchor> links = new ArrayList<>();
    private final ExportService exports;
    private final UUID projectId;
    /** The filters as last validated; download requests read this (they do not run under the session lock). */
    private volatile Filters filters = new Filters(null, null, null, null);

    private record Filters(String from, String to, String policyVersion, String minAgreement) {
    }

    ExportPanel(ExportService exports, UUID projectId) {
        this.exports = exports;
        this.projectId = projectId;
        setPadding(false);
        policyVersion.setClearButtonVisible(true);
        until.setHelperText("inclusive");
        minAgreement.setMin(0);
        minAgreement.setMax(1);
        minAgreement.setStep(0.05);
        error.setId("export-error");
        error.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        from.addValueChangeListener(e -> validate());
        until.addValueChangeListener(e -> validate());
        policyVersion.addValueChangeListener(e -> validate());
        minAgreement.addValueChangeListener(e -> validate());
        HorizontalLayout filterRow = new HorizontalLayout(from, until, policyVersion, minAgreement);
        filterRow.setWrap(true);
        HorizontalLayout linkRow = new HorizontalLayout();
        linkRow.setWrap(true);
        for (Kind kind : KINDS) {
            Anchor link = new Anchor(download(kind), AttachmentType.DOWNLOAD, kind.label() + " ↓");
            link.setId("export-" + kind.label().replaceAll("[^a-z]+", "-").replaceAll("-$", ""));
            links.add(link);
            linkRow.add(link);
        }
        add(filterRow, error, linkRow);
        validate();
    }

    /** Checks the filters as the service would; answers the error message or "". */
    String validate() {
        LocalDate untilDate = until.getValue();
        Filters candidate = new Filters(from.getValue() == null ? null : from.getValue().toString(),
                untilDate == null ? null : untilDate.plusDays(1).toString(), policyVersion.getValue(),
                minAgreement.getValue() == null ? null : minAgreement.getValue().toString());
        String message = "";
        try {
            ExportRequest.parse(projectId, "pairs", null, candidate.from(), candidate.to(), candidate.policyVersion(), candidate.minAgreement());
            filters = candidate;
        } catch (ApiException e) {
            message = e.getMessage();
        }
        error.setText(message);
        error.setVisible(!message.isEmpty());
        boolean valid = message.isEmpty();
        links.forEach(link -> link.setEnabled(valid));
        return message;
    }

    ExportRequest request(Kind kind) {
        Filters f = filters;
        return ExportRequest.parse(projectId, kind.format(), String.valueOf(kind.consensusOnly()), f.from(), f.to(), f.policyVersion(),
                f.minAgreement());
    }

    private DownloadHandler download(Kind kind) {
        return event -> {
            ExportRequest request = request(kind);
            event.setFileName(projectId + "-" + kind.format() + (kind.consensusOnly() ? "-consensus" : "") + ".jsonl");
            event.setContentType(ExportController.NDJSON);
            exports.export(request, event.getOutputStream());
        };
    }
}
