package dev.rlhf.trainer.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.FatalTemplateErrorsException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template ({@code tokenizer_config.json}'s {@code chat_template}), rendered with
 * HubSpot's Jinjava configured as transformers configures jinja2 for {@code apply_chat_template}:
 * {@code trim_blocks}, {@code lstrip_blocks}, loop controls, and the globals {@code raise_exception},
 * {@code strftime_now} and the filter {@code tojson} ({@code json.dumps(ensure_ascii=False)}). The
 * template sees {@code messages}, {@code add_generation_prompt}, the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ...) and the caller's variables.
 *
 * <p>What Jinjava lacks of Python's jinja2, added here (trainer/README.md, section "Chat templates", lists it):
 * <ul>
 *   <li>Python string methods on strings ({@code startswith}, {@code endswith}, {@code split},
 *       {@code strip}/{@code lstrip}/{@code rstrip} with optional characters, {@code upper},
 *       {@code lower}, {@code title}, {@code capitalize}, {@code replace}, {@code find},
 *       {@code join}, ...), see {@link PythonStringMethods};</li>
 *   <li>the reversing slice {@code seq[::-1]}, keyword-argument precedence and the dropped trailing
 *       newline, by rewriting the template's text ({@link TemplateSource});</li>
 *   <li>{@code tojson} with Python's separators ({@code ", "}, {@code ": "}) instead of Jackson's.</li>
 * </ul>
 */
public final class JinjaChatTemplate implements ChatTemplate {

    private final String source;
    private final String parsedSource;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    /**
     * @param source        the template text
     * @param specialTokens variables such as {@code bos_token} and {@code eos_token} (absent tokens left out)
     */
    public JinjaChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = source;
        this.parsedSource = TemplateSource.forJinjava(source);
        this.specialTokens = Map.copyOf(specialTokens);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                // Python's operator precedence and whitespace control on {{- -}} as on {%- -%}: fixes
                // Jinjava keeps behind flags for its older templates (the other flags, e.g. snake_case properties, are left off).
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                // Message text is data: "{{ x }}" or "{% raw %}" inside a message is printed, never interpreted
                // (Jinjava re-renders expression output that looks like a template unless told not to).
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false) // jinja2's default Undefined: renders empty, "is defined" false
                .build();
        this.jinjava = new Jinjava(config);
        try {
            jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class,
                    "raiseException", String.class));
            jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class,
                    "strftimeNow", String.class));
        } catch (RuntimeException e) {
            throw new IllegalStateException("registering chat template functions", e);
        }
        jinjava.registerFilter(new PythonToJsonFilter());
    }

    public String source() {
        return source;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Map<String, Object> bindings = new LinkedHashMap<>(specialTokens);
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        bindings.put("messages", list);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.putAll(variables);
        RenderResult result;
        try {
            result = jinjava.renderForResult(parsedSource, bindings);
        } catch (FatalTemplateErrorsException e) {
            throw new IllegalArgumentException("chat template: " + e.getMessage(), e);
        }
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(err -> err.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw new IllegalArgumentException("chat template: " + fatal.stream()
                    .map(err -> raisedMessage(err).orElse(err.getMessage() + (err.getLineno() > 0 ? " (line " + err.getLineno() + ")" : "")))
                    .collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    private static java.util.Optional<String> raisedMessage(TemplateError err) {
        for (Throwable t = err.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateRaisedException raised) {
                return java.util.Optional.of(raised.getMessage());
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    public boolean prependsBos() {
        return false;
    }

    @Override
    public String toString() {
        return "jinja";
    }

    /** {@code raise_exception(message)}: the template rejects the conversation (transformers raises TemplateError). */
    public static String raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** {@code strftime_now(format)}: the current local time in a C strftime format (the common directives). */
    public static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            out.append(switch (d) {
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'Y' -> Integer.toString(now.getYear());
                case 'y' -> String.format("%02d", now.getYear() % 100);
                case 'H' -> String.format("%02d", now.getHour());
                case 'M' -> String.format("%02d", now.getMinute());
                case 'S' -> String.format("%02d", now.getSecond());
                case 'b' -> now.format(DateTimeFormatter.ofPattern("MMM", Locale.ENGLISH));
                case 'B' -> now.format(DateTimeFormatter.ofPattern("MMMM", Locale.ENGLISH));
                case 'a' -> now.format(DateTimeFormatter.ofPattern("EEE", Locale.ENGLISH));
                case 'A' -> now.format(DateTimeFormatter.ofPattern("EEEE", Locale.ENGLISH));
                case '%' -> "%";
                default -> "%" + d;
            });
        }
        return out.toString();
    }

    /** What {@code raise_exception} throws; its message is the template's. */
    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }
}
