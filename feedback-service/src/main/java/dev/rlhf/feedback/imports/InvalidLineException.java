package dev.rlhf.feedback.imports;

/** A line that cannot be imported; the message names the field, e.g. {@code "prompt" is missing}. */
class InvalidLineException extends RuntimeException {
    InvalidLineException(String message) {
        super(message, null, false, false);
    }
}
