package dev.rlhf.trainer.cli;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * How a command turns its options into a config record: start from the record's defaults (or the
 * preset's values), and set only what the user gave. Options are boxed and carry no picocli default,
 * so null means "not given"; the record stays the one source of each default.
 */
final class Overlay {

    private Overlay() {
    }

    /** Passes {@code value} to {@code setter} (a generated builder's setter) when the user gave it. */
    static <T> void set(T value, Consumer<? super T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    /** Builds the config; a value the record refuses is bad input naming the option (the records' messages start with it). */
    static <C> C build(Supplier<C> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--" + e.getMessage());
        }
    }
}
