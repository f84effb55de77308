package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.annotate.AnnotationAppClient;
import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.Option;

/**
 * Where the annotation app is and the admin account that the commands driving it ({@code annotate},
 * {@code ensure-project}) log in with; a picocli mixin, with the one-line messages for what goes wrong.
 */
public final class AppAdminOptions {

    @Option(names = "--url", defaultValue = "http://localhost:8080", paramLabel = "URL",
            description = "The annotation app (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--admin-user", defaultValue = "${env:RLHF_ADMIN_USERNAME:-admin}", paramLabel = "NAME",
            description = "Admin account (env RLHF_ADMIN_USERNAME; default ${DEFAULT-VALUE}).")
    String adminUser;

    @Option(names = "--admin-password", defaultValue = "${env:RLHF_ADMIN_PASSWORD}", paramLabel = "PASSWORD",
            description = "Its password (default: env RLHF_ADMIN_PASSWORD, which keeps it out of the process list).")
    String adminPassword;

    /** The app's base URL, checked; fails with one line when the password is missing or the URL is not http(s). */
    URI appUrl() {
        if (adminPassword == null || adminPassword.isEmpty()) {
            throw new BadInputException("--admin-password is required (or set RLHF_ADMIN_PASSWORD)");
        }
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new BadInputException("--url must be an http(s) URL like http://localhost:8080, got '" + url + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new BadInputException("--url is not a URL: " + e.getMessage());
        }
    }

    /** A client logged in as the admin (HTTP Basic). */
    AnnotationAppClient admin() {
        return AnnotationAppClient.basic(appUrl(), adminUser, adminPassword);
    }

    /** One line that says which option to look at, for the failures every app command can meet; null for others. */
    String failure(AnnotationAppClient.ApiError e) {
        return switch (e.status()) {
            case 0 -> "--url " + url + ": " + e.getMessage();
            case 401 -> "--admin-user/--admin-password: the app at " + url + " rejected the login of '" + adminUser + "'";
            case 403 -> "--admin-user: '" + adminUser + "' is not an admin (" + e.getMessage() + ")";
            default -> null;
        };
    }
}
