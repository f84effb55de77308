package dev.rlhf.annotation.admin;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.UUID;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.upload.Upload;
import com.vaadin.flow.server.streams.UploadHandler;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.imports.GoldItemService;
import dev.rlhf.feedback.imports.ImportResult;

/** Gold items: upload known rankings ({@code {"prompt_id", "ranking"}} lines) and see how many exist. */
class GoldPanel extends VerticalLayout {

    final Span count = new Span();
    final Upload upload;
    final Span result = new Span();
    final Grid<ImportResult.LineError> rejected = new Grid<>();
    private final GoldItemService goldItems;
    private final UUID projectId;

    GoldPanel(GoldItemService goldItems, UUID projectId) {
        this.goldItems = goldItems;
        this.projectId = projectId;
        setPadding(false);
        count.setId("gold-count");
        result.setId("gold-result");
        upload = new Upload(UploadHandler.toTempFile((metadata, file) -> importGold(metadata.fileName(), file)));
        upload.setId("gold-upload");
        upload.setMaxFiles(1);
        upload.setAcceptedFileTypes(".jsonl", ".ndjson", ".json", ".gz", ".txt");
        rejected.setId("gold-rejected");
        rejected.addColumn(ImportResult.LineError::line).setHeader("Line").setWidth("7rem").setFlexGrow(0);
        rejected.addColumn(ImportResult.LineError::error).setHeader("Error").setFlexGrow(1);
        rejected.setAllRowsVisible(true);
        rejected.setVisible(false);
        add(new Paragraph("One line per gold item: {\"prompt_id\": \"...\", \"ranking\": [[\"best response id\"], [\"tied\", \"ids\"], ...]}, "
                + "ranking every response of the prompt (ids as the exports write them). Annotators' gold accuracy is measured against these."),
                count, upload, result, rejected);
        refresh();
    }

    void refresh() {
        count.setText(goldItems.count(projectId) + " gold items");
    }

    /** Runs in the upload's UI.access; gold files are small (one line per gold prompt), so this stays on the UI thread. */
    void importGold(String fileName, File file) {
        try (InputStream in = Files.newInputStream(file.toPath())) {
            show(fileName, goldItems.importGold(projectId, in));
        } catch (ApiException | IOException e) {
            result.setText(fileName + ": " + e.getMessage());
            rejected.setVisible(false);
        } finally {
            file.delete();
            upload.clearFileList();
        }
        refresh();
    }

    void show(String fileName, GoldItemService.GoldImportResult r) {
        result.setText(fileName + ": " + r.accepted() + " gold rankings set · rejected " + r.rejectedCount());
        rejected.setItems(r.rejected());
        rejected.setVisible(!r.rejected().isEmpty());
    }
}
