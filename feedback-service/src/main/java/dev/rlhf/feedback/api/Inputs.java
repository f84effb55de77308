package dev.rlhf.feedback.api;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The checks every service runs on text and lists it is given, before anything reaches the
 * database, whether the input came as JSON over the REST API or from a UI form: so a value is
 * stored, exported and published the same on PostgreSQL and on the embedded H2, or refused with a
 * 400 naming the field. Imports use {@link #storableProblem} for the same rule.
 * <ul>
 *   <li>No NUL character (U+0000): PostgreSQL {@code text} cannot hold it (the insert fails), H2 stores it.</li>
 *   <li>No unpaired UTF-16 surrogate (legal as a JSON escape such as {@code "\ud800"}): it has no UTF-8
 *       form, so PostgreSQL stores {@code ?} while H2 and the Kafka event hold something else.</li>
 *   <li>At most the column's (or the documented) number of characters.</li>
 *   <li>No null elements in lists and no null values in maps.</li>
 * </ul>
 */
public final class Inputs {

    private Inputs() {
    }

    /** What makes the text unstorable, in words ("contains a NUL character ..."), or null when it can be stored faithfully. */
    public static String storableProblem(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\0') {
                return "contains a NUL character (\\u0000) at index " + i + ", which cannot be stored";
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return "contains an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(c) + ") at index " + i
                            + ", which has no UTF-8 form";
                }
            }
        }
        return null;
    }

    /** The text unchanged (null stays null) when it is storable and at most {@code maxChars} long. */
    public static String text(String field, String value, int maxChars) {
        if (value == null) {
            return null;
        }
        if (value.length() > maxChars) {
            throw ApiException.invalid(field, field + " has " + value.length() + " characters; at most " + maxChars + " are allowed");
        }
        String problem = storableProblem(value);
        if (problem != null) {
            throw ApiException.invalid(field, field + " " + problem);
        }
        return value;
    }

    /** As {@link #text}, for a text that must be present and not blank. */
    public static String requiredText(String field, String value, int maxChars) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, field + " is required and must not be blank");
        }
        return text(field, value, maxChars);
    }

    /** The list unchanged (null stays null) when none of its elements is null; else a 400 naming {@code field[i]}. */
    public static <T> List<T> noNulls(String field, List<T> list) {
        if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) == null) {
                    throw ApiException.invalid(field + "[" + i + "]", field + "[" + i + "] is null");
                }
            }
        }
        return list;
    }

    /** As {@link #noNulls(String, List)} for a collection without positions (a set). */
    public static <T extends Collection<?>> T noNullElements(String field, T values) {
        if (values != null && values.stream().anyMatch(v -> v == null)) {
            throw ApiException.invalid(field, field + " holds a null element");
        }
        return values;
    }

    /** The map unchanged (null stays null) when none of its values is null; else a 400 naming {@code field.<key>}. */
    public static <K, V> Map<K, V> noNullValues(String field, Map<K, V> map) {
        if (map != null) {
            for (var entry : map.entrySet()) {
                if (entry.getValue() == null) {
                    throw ApiException.invalid(field + "." + entry.getKey(), field + "." + entry.getKey() + " is null");
                }
            }
        }
        return map;
    }
}
