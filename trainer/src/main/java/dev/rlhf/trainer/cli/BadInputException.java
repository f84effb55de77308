package dev.rlhf.trainer.cli;

/**
 * Bad input from the user (an option value, a file, a line of data). The command line prints its
 * message as one line and exits with code 2, so the message must name what is wrong and where.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
