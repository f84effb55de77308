package dev.rlhf.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Tells Avro to trust the generated event classes. Avro 1.12 refuses to instantiate any class
 * outside a trusted list (a guard against hostile schemas naming arbitrary classes); our own
 * generated package is safe. Called from each generated class's static initializer.
 */
public final class EventClasses {
    public static final String PACKAGE = "dev.rlhf.schemas.events";

    private static volatile boolean trusted;

    private EventClasses() {
    }

    public static synchronized void trust() {
        if (trusted) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(type -> previous.isTrusted(type) || isEventClass(type));
        trusted = true;
    }

    private static boolean isEventClass(Class<?> type) {
        return type.getPackageName().equals(PACKAGE);
    }
}
