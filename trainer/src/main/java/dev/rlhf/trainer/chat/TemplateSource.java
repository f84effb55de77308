package dev.rlhf.trainer.chat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;

/**
 * Rewrites of a jinja2 template's text into what Jinjava parses the same way. Each rewrite is
 * confined to the inside of {@code {{ }}} and {@code {% %}} tags, outside string literals:
 * <ul>
 *   <li>jinja2 drops the template's single trailing newline ({@code keep_trailing_newline=False});</li>
 *   <li>{@code seq[::-1]} (a slice with a step, which Jinjava cannot parse) becomes {@code seq|reverse};</li>
 *   <li>a keyword argument's value is parenthesized: Jinjava parses {@code f(n=xs|length - 1)} as
 *       {@code (n=xs|length) - 1}, jinja2 as {@code n=(xs|length - 1)} (Qwen's {@code namespace(...)}).</li>
 * </ul>
 */
final class TemplateSource {

    private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-1\\s*]");

    private TemplateSource() {}

    static String forJinjava(String source) {
        String text = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        StringBuilder out = new StringBuilder(text.length() + 64);
        int i = 0;
        while (i < text.length()) {
            int open = nextTag(text, i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, open);
            char kind = text.charAt(open + 1);
            if (kind == '#') { // a comment: copied as is
                int end = text.indexOf("#}", open + 2);
                end = end < 0 ? text.length() : end + 2;
                out.append(text, open, end);
                i = end;
                continue;
            }
            String close = kind == '{' ? "}}" : "%}";
            int end = tagEnd(text, open + 2, close);
            String inside = text.substring(open + 2, end);
            out.append(text, open, open + 2).append(rewriteExpression(inside));
            i = end;
        }
        return out.toString();
    }

    private static int nextTag(String text, int from) {
        for (int i = from; i + 1 < text.length(); i++) {
            if (text.charAt(i) == '{') {
                char c = text.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Index of the tag's closing delimiter, skipping string literals. */
    private static int tagEnd(String text, int from, String close) {
        char quote = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (text.startsWith(close, i)) {
                return i;
            }
        }
        return text.length();
    }

    /** Rewrites inside one tag: reverse slices, and parentheses around keyword-argument values. */
    static String rewriteExpression(String expr) {
        StringBuilder out = new StringBuilder(expr.length() + 16);
        Deque<boolean[]> brackets = new ArrayDeque<>(); // per open bracket: [is '(', a keyword value is open]
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < expr.length()) {
                    out.append(expr.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '\'', '"' -> {
                    quote = c;
                    out.append(c);
                }
                case '(', '[', '{' -> {
                    var slice = REVERSE_SLICE.matcher(expr).region(i, expr.length());
                    if (c == '[' && slice.lookingAt()) {
                        out.append("|reverse");
                        i = slice.end() - 1;
                        continue;
                    }
                    brackets.push(new boolean[] {c == '(', false});
                    out.append(c);
                }
                case ')', ']', '}' -> {
                    boolean[] top = brackets.poll();
                    if (top != null && top[1]) {
                        out.append(')');
                    }
                    out.append(c);
                }
                case ',' -> {
                    boolean[] top = brackets.peek();
                    if (top != null && top[1]) {
                        out.append(')');
                        top[1] = false;
                    }
                    out.append(c);
                }
                case '=' -> {
                    boolean[] top = brackets.peek();
                    char before = i > 0 ? expr.charAt(i - 1) : ' ';
                    char after = i + 1 < expr.length() ? expr.charAt(i + 1) : ' ';
                    boolean keyword = top != null && top[0] && !top[1] && "=!<>".indexOf(before) < 0 && after != '=';
                    out.append(c);
                    if (keyword) {
                        out.append('(');
                        top[1] = true;
                    }
                }
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
