package dev.rlhf.trainer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.rlhf.trainer.annotate.AnnotationAppClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code trainer ensure-project}: makes sure a project of the given name exists in the annotation
 * app (creating it with the given settings if not; an existing one is left as its admins set it)
 * and imports a file into it through the REST API. The app's import is idempotent, so running this
 * on every start adds only lines not imported before. Prints one JSON line:
 * {@code {"projectId", "name", "created", "imported", "skipped", "rejected"}}.
 */
@Command(name = "ensure-project", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Create a project in the annotation app unless one of that name exists, and import a file into it.")
public class EnsureProjectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    AppAdminOptions app;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The project's name.")
    String name;

    static final class Guidelines {
        @Option(names = "--guidelines", paramLabel = "TEXT", description = "Guidelines shown to annotators (markdown).")
        String text;

        @Option(names = "--guidelines-file", paramLabel = "PATH", description = "The guidelines from a file.")
        Path file;
    }

    @ArgGroup(exclusive = true)
    Guidelines guidelines;

    @Option(names = "--responses-per-task", defaultValue = "4", paramLabel = "K",
            description = "Responses ranked together, K (default ${DEFAULT-VALUE}).")
    int responsesPerTask;

    @Option(names = "--annotators-per-task", defaultValue = "1", paramLabel = "N",
            description = "Annotators who rank each task (default ${DEFAULT-VALUE}).")
    int annotatorsPerTask;

    @Option(names = "--import", paramLabel = "PATH", description = "An NDJSON file to import into the project.")
    Path importFile;

    @Option(names = "--format", defaultValue = "prompts", paramLabel = "FORMAT",
            description = "Format of --import: prompts, responses, oasst, hh or pairs (default ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() throws IOException {
        AnnotationAppClient admin = app.admin();
        if (importFile != null && !Files.isReadable(importFile)) {
            throw new BadInputException("--import " + importFile + ": no such readable file");
        }
        String guidelineText = guidelineText();
        Map<String, Object> line = new LinkedHashMap<>();
        try {
            Optional<AnnotationAppClient.Project> existing = admin.projectNamed(name);
            AnnotationAppClient.Project project = existing.orElseGet(() -> admin.createProject(
                    new AnnotationAppClient.ProjectSettings(name, guidelineText, responsesPerTask, annotatorsPerTask, null)));
            line.put("projectId", project.id());
            line.put("name", project.name());
            line.put("created", existing.isEmpty());
            if (importFile != null) {
                AnnotationAppClient.ImportResult result = admin.importFile(project.id(), format, importFile);
                line.put("imported", result.imported());
                line.put("skipped", result.skipped());
                line.put("rejected", result.rejectedCount());
                if (result.rejectedCount() > 0) {
                    var first = result.rejected().getFirst();
                    throw new BadInputException("--import " + importFile + " line " + first.line() + ": " + first.error()
                            + (result.rejectedCount() > 1 ? " (and " + (result.rejectedCount() - 1) + " more rejected lines)" : "")
                            + "; the other lines were imported");
                }
            }
        } catch (AnnotationAppClient.ApiError e) {
            String common = app.failure(e);
            throw new BadInputException(common != null ? common : e.getMessage());
        }
        JsonLine.print(spec, line);
        return 0;
    }

    private String guidelineText() throws IOException {
        if (guidelines == null) {
            return null;
        }
        if (guidelines.file == null) {
            return guidelines.text;
        }
        if (!Files.isReadable(guidelines.file)) {
            throw new BadInputException("--guidelines-file " + guidelines.file + ": no such readable file");
        }
        return Files.readString(guidelines.file);
    }
}
