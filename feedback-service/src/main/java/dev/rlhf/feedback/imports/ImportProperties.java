package dev.rlhf.feedback.imports;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits and batching of NDJSON imports (prefix {@code rlhf.imports}).
 *
 * @param batchLines        lines (or OASST ranked groups) committed per transaction
 * @param maxBodyBytes      the largest body, counted after gzip decompression (default 1 GiB)
 * @param maxLineBytes      a longer line is rejected (default 1 MiB)
 * @param maxTextChars      a longer prompt (all turns together) or response is rejected
 * @param maxReportedErrors rejected lines listed in the answer; the count covers all of them
 */
@ConfigurationProperties("rlhf.imports")
public record ImportProperties(
        @DefaultValue("500") int batchLines,
        @DefaultValue("1073741824") long maxBodyBytes,
        @DefaultValue("1048576") int maxLineBytes,
        @DefaultValue("100000") int maxTextChars,
        @DefaultValue("1000") int maxReportedErrors) {
}
