package dev.rlhf.feedback.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of the REST API (prefix {@code rlhf.api}).
 *
 * @param maxBodyBytes the largest request body of every {@code /api/} endpoint except the NDJSON
 *                     import (which has {@code rlhf.imports.max-body-bytes}); default 1 MiB, far above
 *                     the largest valid request (a rewrite or guidelines of 100,000 characters, at most
 *                     4 bytes each in UTF-8, is 400 KB). A larger body is refused with 413, also when it
 *                     comes without a Content-Length (chunked).
 */
@ConfigurationProperties("rlhf.api")
public record ApiProperties(@DefaultValue("1048576") long maxBodyBytes) {
}
