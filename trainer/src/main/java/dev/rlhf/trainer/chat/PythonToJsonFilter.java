package dev.rlhf.trainer.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.lang.reflect.Array;
import java.util.Map;

/**
 * {@code tojson} as transformers defines it for chat templates: Python's
 * {@code json.dumps(x, ensure_ascii=False)}, i.e. separators {@code ", "} and {@code ": "}, non-ASCII
 * kept, keys in insertion order. (Jinjava's own {@code tojson} writes Jackson's compact form.)
 */
final class PythonToJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        StringBuilder out = new StringBuilder();
        write(var, out);
        return out.toString();
    }

    static void write(Object v, StringBuilder out) {
        switch (v) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Short s -> out.append(s);
            case Number n -> out.append(pythonFloat(n.doubleValue()));
            case CharSequence s -> string(s.toString(), out);
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        out.append(", ");
                    }
                    first = false;
                    string(String.valueOf(e.getKey()), out);
                    out.append(": ");
                    write(e.getValue(), out);
                }
                out.append('}');
            }
            case Iterable<?> items -> {
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    if (!first) {
                        out.append(", ");
                    }
                    first = false;
                    write(item, out);
                }
                out.append(']');
            }
            default -> {
                if (v.getClass().isArray()) {
                    out.append('[');
                    for (int i = 0; i < Array.getLength(v); i++) {
                        if (i > 0) {
                            out.append(", ");
                        }
                        write(Array.get(v, i), out);
                    }
                    out.append(']');
                } else {
                    string(v.toString(), out);
                }
            }
        }
    }

    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return (long) d + ".0";
        }
        return Double.toString(d);
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
