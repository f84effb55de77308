package dev.rlhf.feedback.platform.startup;

import java.io.PrintStream;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalysisReporter;

/**
 * Reports a start-up failure Spring Boot could explain as one line on stderr:
 * {@code ERROR: <what is wrong> <what to do>}. Replaces Boot's multi-line report (silenced in
 * application.yaml), so the cause is the one thing the user sees last.
 */
public class OneLineFailureReporter implements FailureAnalysisReporter {

    private final PrintStream err;

    public OneLineFailureReporter() {
        this(System.err);
    }

    OneLineFailureReporter(PrintStream err) {
        this.err = err;
    }

    @Override
    public void report(FailureAnalysis analysis) {
        String action = analysis.getAction() == null ? "" : " " + StartupFailureAnalyzers.oneLine(analysis.getAction());
        err.println("ERROR: " + StartupFailureAnalyzers.oneLine(analysis.getDescription()) + action);
        err.flush();
    }
}
