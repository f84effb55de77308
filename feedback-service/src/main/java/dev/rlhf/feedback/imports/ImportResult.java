package dev.rlhf.feedback.imports;

import java.util.List;

/**
 * The answer to an import.
 *
 * @param imported      items that added something (one per line; for OASST, one per ranked sibling group)
 * @param skipped       items already present (re-imports, repeated lines)
 * @param rejected      rejected lines with the reason, in line order (at most {@code rlhf.imports.max-reported-errors})
 * @param rejectedCount all rejected lines
 * @param lines         non-blank lines read
 */
public record ImportResult(String format, long imported, long skipped, List<LineError> rejected, long rejectedCount, long lines,
                           long durationMs) {

    public record LineError(long line, String error) {
    }
}
