package dev.rlhf.trainer.checkpoint;

/** A model or tokenizer file that cannot be read: names the file and what is wrong with it. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
