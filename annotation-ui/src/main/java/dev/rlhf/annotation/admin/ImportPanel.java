package dev.rlhf.annotation.admin;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.progressbar.ProgressBar;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.upload.Upload;
import com.vaadin.flow.server.streams.UploadHandler;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.imports.ImportFormat;
import dev.rlhf.feedback.imports.ImportResult;
import dev.rlhf.feedback.imports.ImportService;

/**
 * Upload of an NDJSON (or .gz) import file. The upload shows its own progress bar; the file lands
 * in a temporary file (never in memory), then the import runs off the UI thread behind an
 * indeterminate progress bar and its result arrives by server push: counts and the rejected lines.
 */
class ImportPanel extends VerticalLayout {

    final Select<ImportFormat> format = new Select<>();
    final Upload upload;
    final ProgressBar importing = new ProgressBar();
    final Span status = new Span();
    final Span summary = new Span();
    final Grid<ImportResult.LineError> rejected = new Grid<>();
    private final ImportService imports;
    private final UUID projectId;
    private final Runnable afterImport;
    /** The import running or last run, so tests can wait for it. */
    CompletableFuture<Void> lastImport = CompletableFuture.completedFuture(null);

    ImportPanel(ImportService imports, UUID projectId, Runnable afterImport) {
        this.imports = imports;
        this.projectId = projectId;
        this.afterImport = afterImport;
        setPadding(false);
        format.setId("import-format");
        format.setLabel("Format");
        format.setItems(Arrays.asList(ImportFormat.values()));
        format.setItemLabelGenerator(ImportFormat::id);
        format.setValue(ImportFormat.RESPONSES);
        format.setHelperText("One JSON object per line");
        format.setWidth("14rem");

        upload = new Upload(UploadHandler.toTempFile((metadata, file) -> start(metadata.fileName(), file)));
        upload.setId("import-upload");
        upload.setMaxFiles(1);
        // The service counts its limit after gzip decompression; a file larger than it can never pass.
        upload.setMaxFileSize((int) Math.min(imports.limits().maxBodyBytes(), Integer.MAX_VALUE));
        upload.setAcceptedFileTypes(".jsonl", ".ndjson", ".json", ".gz", ".txt");
        upload.setDropLabel(new Span("NDJSON or .gz, up to " + megabytes(imports.limits().maxBodyBytes()) + " MB"));

        importing.setIndeterminate(true);
        importing.setVisible(false);
        importing.setId("import-progress");
        status.setId("import-status");
        summary.setId("import-summary");
        rejected.setId("import-rejected");
        rejected.addColumn(ImportResult.LineError::line).setHeader("Line").setWidth("7rem").setFlexGrow(0);
        rejected.addColumn(ImportResult.LineError::error).setHeader("Error").setFlexGrow(1);
        rejected.setAllRowsVisible(true);
        rejected.setVisible(false);
        HorizontalLayout controls = new HorizontalLayout(format, upload);
        controls.setAlignItems(Alignment.START);
        controls.setWrap(true);
        add(controls, new Div(status), importing, summary, rejected);
    }

    /** Runs in the upload's UI.access: the file is complete; import it in the background. */
    void start(String fileName, File file) {
        ImportFormat chosen = format.getValue();
        UI ui = UI.getCurrent();
        upload.getElement().setEnabled(false);
        importing.setVisible(true);
        status.setText("Importing " + fileName + " as " + chosen.id() + "...");
        summary.setText("");
        rejected.setVisible(false);
        lastImport = CompletableFuture.runAsync(() -> {
            Outcome outcome = run(chosen, file);
            ui.access(() -> show(fileName, outcome));
        }, command -> Thread.ofVirtual().name("ui-import").start(command));
    }

    private record Outcome(ImportResult result, String failure) {
    }

    private Outcome run(ImportFormat chosen, File file) {
        try (InputStream in = Files.newInputStream(file.toPath())) {
            return new Outcome(imports.importFile(projectId, chosen, in), null);
        } catch (ApiException e) {
            return new Outcome(null, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Outcome(null, "The import failed: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(file.toPath());
            } catch (IOException ignored) {
                // A temporary file; the JVM's temp directory cleanup takes it otherwise.
            }
        }
    }

    private void show(String fileName, Outcome outcome) {
        importing.setVisible(false);
        upload.getElement().setEnabled(true);
        upload.clearFileList();
        if (outcome.failure() != null) {
            status.setText(fileName + ": " + outcome.failure());
            return;
        }
        ImportResult r = outcome.result();
        status.setText(fileName + " (" + r.format() + "): " + r.lines() + " lines read in " + r.durationMs() + " ms");
        summary.setText("Imported " + r.imported() + " · skipped " + r.skipped() + " (already present) · rejected " + r.rejectedCount()
                + (r.rejectedCount() > r.rejected().size() ? " (first " + r.rejected().size() + " listed)" : ""));
        rejected.setItems(r.rejected());
        rejected.setVisible(!r.rejected().isEmpty());
        afterImport.run();
    }

    private static long megabytes(long bytes) {
        return bytes / (1024 * 1024);
    }
}
