package dev.rlhf.feedback.imports;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.imports.ImportResult.LineError;
import dev.rlhf.feedback.project.Project;
import dev.rlhf.feedback.project.ProjectService;
import tools.jackson.databind.json.JsonMapper;

/**
 * Imports an NDJSON stream into a project: reads it line by line (memory does not grow with the
 * file), parses each line, and commits every {@code batchLines} lines in one transaction. A line
 * that cannot be parsed is reported with its number and reason; if a batch fails in the database,
 * its lines are retried one transaction each, so only the offending line is rejected.
 *
 * <p>Reading and writing overlap: while one batch is written (by a writer thread, one batch at a
 * time, in file order) the request thread reads and parses the next, so the database and the
 * parser are busy at the same time. At most two batches are in memory. The request returns only
 * after the last batch has committed.
 */
@Service
public class ImportService {

    private static final Logger log = LoggerFactory.getLogger(ImportService.class);
    private static final int MAX_ERROR_CHARS = 500;

    private final ProjectService projects;
    private final ImportBatchWriter writer;
    private final TransactionTemplate transaction;
    private final ImportProperties limits;
    private final ItemParser parser;
    private final ExecutorService batchWriters = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("import-writer-", 0).factory());

    public ImportService(ProjectService projects, ImportBatchWriter writer, PlatformTransactionManager transactions,
                         ImportProperties limits, JsonMapper json) {
        this.projects = projects;
        this.writer = writer;
        this.transaction = new TransactionTemplate(transactions);
        this.limits = limits;
        this.parser = new ItemParser(json, limits.maxTextChars());
    }

    public ImportProperties limits() {
        return limits;
    }

    /**
     * Imports an uploaded file as it is, plain NDJSON or gzip (recognised by its first bytes), the way
     * the UI's upload hands it over.
     *
     * @throws ApiException as {@link #importItems}
     */
    public ImportResult importFile(UUID projectId, ImportFormat format, InputStream file) {
        try (InputStream body = RequestBodies.open(file, null)) {
            return importItems(projectId, format, body);
        } catch (IOException e) {
            throw ApiException.badRequest("The file cannot be read: " + e.getMessage());
        }
    }

    /**
     * @throws ApiException 404 for an unknown project; 413 when the body exceeds the limit and 400 when it
     *                      cannot be read, both after committing the complete lines read before that point
     */
    public ImportResult importItems(UUID projectId, ImportFormat format, InputStream body) {
        Project project = projects.get(projectId);
        try {
            writer.ensureLockRow(projectId);
        } catch (DuplicateKeyException concurrentFirstImport) {
            // Another import created it at the same moment; it exists now.
        }
        Run run = new Run(project, format, System.nanoTime());
        NdjsonLineReader reader = new NdjsonLineReader(body, limits.maxLineBytes(), limits.maxBodyBytes());
        try (run) {
            for (NdjsonLineReader.Line line = reader.next(); line != null; line = reader.next()) {
                run.lines++;
                if (line.error() != null) {
                    run.reject(line.number(), line.error());
                    continue;
                }
                List<ImportItem> items;
                try {
                    items = parser.parse(format, line.text());
                } catch (InvalidLineException e) {
                    run.reject(line.number(), e.getMessage());
                    continue;
                }
                run.add(new ImportBatchWriter.Line(line.number(), items));
            }
        } catch (NdjsonLineReader.BodyTooLargeException e) {
            // The run was closed on the way here: every complete line before this point has committed.
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "The request body exceeds " + limits.maxBodyBytes() + " bytes (after "
                    + "decompression); import stopped after line " + reader.lineNumber() + " " + run.summary());
        } catch (IOException e) {
            throw ApiException.badRequest("The request body could not be read after line " + reader.lineNumber() + " (" + e.getMessage()
                    + "); import stopped " + run.summary());
        }
        ImportResult result = run.result();
        log.info("Imported {} into project {}: {} lines, {} imported, {} skipped, {} rejected in {} ms", format.id(), projectId,
                result.lines(), result.imported(), result.skipped(), result.rejectedCount(), result.durationMs());
        return result;
    }

    /** The state of one import: the batch being gathered and the running counts. */
    private final class Run implements AutoCloseable {
        private final Project project;
        private final ImportFormat format;
        private final long startNanos;
        private List<ImportBatchWriter.Line> pending = new ArrayList<>();
        /** The batch the writer thread is committing, if any. */
        private CompletableFuture<BatchOutcome> writing;
        private final List<LineError> rejected = new ArrayList<>();
        private int pendingItems;
        private long lines;
        private long imported;
        private long skipped;
        private long rejectedCount;

        Run(Project project, ImportFormat format, long startNanos) {
            this.project = project;
            this.format = format;
            this.startNanos = startNanos;
        }

        void add(ImportBatchWriter.Line line) {
            if (line.items().isEmpty()) {
                return;
            }
            pending.add(line);
            pendingItems += line.items().size();
            if (pending.size() >= limits.batchLines() || pendingItems >= limits.batchLines()) {
                flush();
            }
        }

        /** Hands the gathered lines to the writer, once the batch before them has committed. */
        void flush() {
            if (pending.isEmpty()) {
                return;
            }
            List<ImportBatchWriter.Line> batch = pending;
            pending = new ArrayList<>();
            pendingItems = 0;
            awaitWriting();
            writing = CompletableFuture.supplyAsync(() -> write(batch), batchWriters);
        }

        /** Waits for the batch being written, if any, and adds up what it did. */
        private void awaitWriting() {
            if (writing == null) {
                return;
            }
            BatchOutcome outcome;
            try {
                outcome = writing.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
            } finally {
                writing = null;
            }
            imported += outcome.imported();
            skipped += outcome.skipped();
            outcome.rejected().forEach(error -> reject(error.line(), error.error()));
        }

        /** Flushes what is left and waits until all of it has committed. */
        @Override
        public void close() {
            try {
                flush();
            } finally {
                awaitWriting();
            }
        }

        /** On the writer thread: touches nothing of the run but its immutable fields. */
        private BatchOutcome write(List<ImportBatchWriter.Line> batch) {
            try {
                ImportBatchWriter.Counts counts = transaction.execute(status -> writer.write(status, project, format, batch));
                return new BatchOutcome(counts.imported(), counts.skipped(), List.of());
            } catch (RuntimeException batchFailure) {
                log.debug("Import batch failed, retrying its {} lines one by one", batch.size(), batchFailure);
                long lineImported = 0;
                long lineSkipped = 0;
                List<LineError> rejected = new ArrayList<>();
                for (ImportBatchWriter.Line line : batch) {
                    try {
                        ImportBatchWriter.Counts counts = transaction.execute(status -> writer.write(status, project, format, List.of(line)));
                        lineImported += counts.imported();
                        lineSkipped += counts.skipped();
                    } catch (RuntimeException e) {
                        rejected.add(new LineError(line.number(), "could not be stored: " + describe(e)));
                    }
                }
                return new BatchOutcome(lineImported, lineSkipped, rejected);
            }
        }

        void reject(long line, String error) {
            rejectedCount++;
            if (rejected.size() < limits.maxReportedErrors()) {
                rejected.add(new LineError(line, error));
            }
        }

        String summary() {
            return "(imported " + imported + ", skipped " + skipped + ", rejected " + rejectedCount + " before that)";
        }

        ImportResult result() {
            List<LineError> inOrder = new ArrayList<>(rejected);
            // Lines retried after a failed batch are reported after later parse errors; show them in line order.
            inOrder.sort((a, b) -> Long.compare(a.line(), b.line()));
            return new ImportResult(format.id(), imported, skipped, inOrder, rejectedCount, lines, (System.nanoTime() - startNanos) / 1_000_000);
        }
    }

    /** What the writer did with one batch. */
    private record BatchOutcome(long imported, long skipped, List<LineError> rejected) {
    }

    private static String describe(RuntimeException e) {
        String message = NestedExceptionUtils.getMostSpecificCause(e).getMessage();
        if (message == null) {
            message = e.getClass().getSimpleName();
        }
        return message.length() > MAX_ERROR_CHARS ? message.substring(0, MAX_ERROR_CHARS) + "..." : message;
    }
}
