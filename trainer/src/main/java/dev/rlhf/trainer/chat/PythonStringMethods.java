package dev.rlhf.trainer.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods on Java strings inside chat templates, with Python's semantics
 * (jinja2 templates call {@code content.startswith('<tool_response>')}, {@code split('</think>')[-1]},
 * {@code lstrip('\n')}, ... which Jinjava would otherwise look up as Java methods, or not find).
 * Only method calls on strings are resolved here; everything else falls through to Jinjava.
 */
final class PythonStringMethods extends ELResolver {

    static final Set<String> METHODS = Set.of("startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip",
            "upper", "lower", "title", "capitalize", "replace", "find", "count", "join");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name) || !METHODS.contains(name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, name, args);
        context.setPropertyResolved(true);
        return result;
    }

    static Object call(String s, String name, Object[] args) {
        return switch (name) {
            case "startswith" -> anyOf(args[0], p -> s.startsWith(p));
            case "endswith" -> anyOf(args[0], p -> s.endsWith(p));
            case "split" -> split(s, arg(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "rsplit" -> rsplit(s, arg(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "strip" -> rstrip(lstrip(s, arg(args, 0)), arg(args, 0));
            case "lstrip" -> lstrip(s, arg(args, 0));
            case "rstrip" -> rstrip(s, arg(args, 0));
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> replace(s, str(args[0]), str(args[1]), args.length > 2 ? ((Number) args[2]).intValue() : -1);
            case "find" -> (long) s.indexOf(str(args[0]));
            case "count" -> (long) count(s, str(args[0]));
            case "join" -> join(s, args[0]);
            default -> throw new IllegalStateException(name);
        };
    }

    private static String arg(Object[] args, int i) {
        return args.length > i && args[i] != null ? str(args[i]) : null;
    }

    private static String str(Object o) {
        return Objects.toString(o);
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Iterable<?> many) { // Python accepts a tuple of prefixes
            for (Object p : many) {
                if (test.test(str(p))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(str(prefixes));
    }

    /** {@code str.split(sep, maxsplit)}: with a separator, empty pieces kept; without, runs of whitespace. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            String rest = s.stripLeading();
            while (!rest.isEmpty()) {
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(rest);
                    return parts;
                }
                int end = 0;
                while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) {
                    end++;
                }
                parts.add(rest.substring(0, end));
                rest = rest.substring(end).stripLeading();
            }
            return parts;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (sep == null || maxSplit < 0) {
            return split(s, sep, maxSplit);
        }
        List<String> parts = new ArrayList<>();
        int end = s.length();
        for (int at = s.lastIndexOf(sep, end - sep.length()); at >= 0 && parts.size() < maxSplit; at = s.lastIndexOf(sep, end - sep.length())) {
            parts.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        parts.addFirst(s.substring(0, end));
        return parts;
    }

    /** Python's {@code lstrip(chars)}: chars null strips whitespace. */
    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return out.toString();
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        String out = s;
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = out.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out = out.substring(0, at) + replacement + out.substring(at + old.length());
            from = at + replacement.length();
        }
        return out;
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0 && !sub.isEmpty(); at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        StringBuilder out = new StringBuilder();
        if (items instanceof Iterable<?> iterable) {
            Iterator<?> it = iterable.iterator();
            while (it.hasNext()) {
                out.append(str(it.next()));
                if (it.hasNext()) {
                    out.append(separator);
                }
            }
        }
        return out.toString();
    }

    // ------------------------------------------------------------ properties: not handled here

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
