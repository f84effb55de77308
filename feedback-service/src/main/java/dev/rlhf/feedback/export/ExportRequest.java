package dev.rlhf.feedback.export;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.UUID;

import dev.rlhf.feedback.api.ApiException;

/**
 * What to export and which rankings to include.
 *
 * @param consensusOnly  pairs/messages: one pair per consensus-ordered response pair of each prompt instead of every ranking's pairs
 * @param from           rankings submitted at or after (inclusive), or null
 * @param to             rankings submitted before (exclusive), or null
 * @param policyVersion  only rankings in which at least one ranked response was sampled by this policy version, or null
 * @param minAgreement   only prompts whose consensus agreement is at least this (prompts without one are dropped), or null
 */
public record ExportRequest(UUID projectId, ExportFormat format, boolean consensusOnly, Instant from, Instant to,
                            String policyVersion, Double minAgreement) {

    /** Parses the query parameters; a bad one is a 400 naming the parameter. */
    public static ExportRequest parse(UUID projectId, String format, String consensus, String from, String to,
                                      String policyVersion, String minAgreement) {
        ExportFormat f;
        try {
            f = ExportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        boolean consensusOnly;
        if (consensus == null || consensus.isBlank() || consensus.equalsIgnoreCase("false")) {
            consensusOnly = false;
        } else if (consensus.equalsIgnoreCase("true")) {
            consensusOnly = true;
        } else {
            throw ApiException.badRequest("consensus must be true or false, not '" + consensus + "'");
        }
        if (consensusOnly && f != ExportFormat.PAIRS && f != ExportFormat.MESSAGES) {
            throw ApiException.badRequest("consensus=true applies to format pairs or messages only, not " + f.id());
        }
        Instant fromInstant = instant("from", from);
        Instant toInstant = instant("to", to);
        if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
            throw ApiException.badRequest("from must be before to");
        }
        Double min = null;
        if (minAgreement != null && !minAgreement.isBlank()) {
            try {
                min = Double.parseDouble(minAgreement.strip());
            } catch (NumberFormatException e) {
                min = Double.NaN;
            }
            if (!(min >= 0 && min <= 1)) {
                throw ApiException.badRequest("minAgreement must be a number between 0 and 1, not '" + minAgreement + "'");
            }
        }
        String policy = policyVersion == null || policyVersion.isBlank() ? null : policyVersion.strip();
        if (policy != null && policy.length() > 100) {
            throw ApiException.badRequest("policyVersion is longer than 100 characters");
        }
        return new ExportRequest(projectId, f, consensusOnly, fromInstant, toInstant, policy, min);
    }

    /** ISO-8601 instant or offset date-time ({@code 2026-05-01T12:00:00Z}), or a date meaning its start in UTC. */
    private static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException notDateTime) {
            try {
                return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notDate) {
                throw ApiException.badRequest(name + " must be an ISO-8601 date-time (2026-05-01T12:00:00Z) or date (2026-05-01), not '"
                        + value + "'");
            }
        }
    }

    /** Whether lines depend on the consensus of each prompt. */
    boolean needsConsensus() {
        return consensusOnly || minAgreement != null || format == ExportFormat.CONSENSUS;
    }
}
