package dev.rlhf.feedback.platform.startup;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

import dev.rlhf.feedback.platform.kafka.EmbeddedKafkaBroker;

/** Turns the start-up failures users actually meet into one line saying what is wrong and what to do. */
public final class StartupFailureAnalyzers {

    private StartupFailureAnalyzers() {
    }

    /** The in-process broker's port is taken. */
    public static class KafkaPortInUse extends AbstractFailureAnalyzer<EmbeddedKafkaBroker.PortInUseException> {
        @Override
        protected FailureAnalysis analyze(Throwable root, EmbeddedKafkaBroker.PortInUseException cause) {
            return new FailureAnalysis(
                    cause.getMessage() + ", so the in-process Kafka broker cannot start.",
                    "Stop the other process using it (another copy of this app?), set RLHF_KAFKA_PORT to a free port,"
                            + " or set KAFKA_BOOTSTRAP_SERVERS to use the broker that is running.",
                    cause);
        }
    }

    /** RLHF_ADMIN_PASSWORD does not meet the password policy. */
    public static class WeakAdminPassword
            extends AbstractFailureAnalyzer<dev.rlhf.feedback.annotator.AdminAccountInitializer.WeakAdminPasswordException> {
        @Override
        protected FailureAnalysis analyze(Throwable root,
                                          dev.rlhf.feedback.annotator.AdminAccountInitializer.WeakAdminPasswordException cause) {
            return new FailureAnalysis(cause.getMessage() + ".",
                    "Set RLHF_ADMIN_PASSWORD to another password (long enough for rlhf.security.passwords.min-length, not containing the username,"
                            + " not a common password), or unset it to have one generated.",
                    cause);
        }
    }

    /** The configured database cannot be reached or refuses us. */
    public static class DatabaseUnreachable implements FailureAnalyzer {
        private final Environment environment;

        public DatabaseUnreachable(Environment environment) {
            this.environment = environment;
        }

        @Override
        public FailureAnalysis analyze(Throwable failure) {
            String url = environment.getProperty("spring.datasource.url", "(unset)");
            for (Throwable t = failure; t != null; t = t.getCause()) {
                String message = String.valueOf(t.getMessage());
                if (t instanceof SQLException && message.contains("Database may be already in use")) {
                    return new FailureAnalysis("The embedded database " + url + " is in use by another running copy of this app.",
                            "Stop that copy, or point RLHF_DATA_DIR at another directory.", t);
                }
                if (t instanceof ConnectException || t instanceof UnknownHostException
                        || (t instanceof SQLException sql && "08001".equals(sql.getSQLState()))
                        || (t instanceof SQLException && message.contains("does not exist"))) {
                    return new FailureAnalysis("Cannot connect to the database at " + url + " (" + oneLine(message) + ").",
                            "Start PostgreSQL or fix SPRING_DATASOURCE_URL / SPRING_DATASOURCE_USERNAME / SPRING_DATASOURCE_PASSWORD;"
                                    + " unset SPRING_DATASOURCE_URL to use the embedded database under RLHF_DATA_DIR.",
                            t);
                }
            }
            return null;
        }
    }

    static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
