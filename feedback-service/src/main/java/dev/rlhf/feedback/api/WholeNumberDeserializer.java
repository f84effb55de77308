package dev.rlhf.feedback.api;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Reads a JSON integer into an {@link Integer} and refuses anything else ({@code 5.5}, {@code "5"},
 * {@code true}) with a 400 naming the field. Jackson coerces by default ({@code ACCEPT_FLOAT_AS_INT}
 * truncates 5.5 to 5), which would silently change a grade: a rating of 5.5 is a client's error, not a 5.
 * A JSON {@code null} stays null (this deserializer is not called for it).
 */
public final class WholeNumberDeserializer extends ValueDeserializer<Integer> {

    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
            return p.getIntValue(); // beyond int: Jackson's own InputCoercionException, also a 400
        }
        return ctxt.reportInputMismatch(this, "expected a whole number, not " + p.currentToken() + " ('" + p.getString() + "')");
    }
}
