package dev.rlhf.annotation.workspace;

import java.util.List;
import java.util.Locale;

import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.DefaultUrlSanitizer;
import org.commonmark.renderer.html.HtmlRenderer;

import com.vaadin.flow.component.html.Div;

/**
 * Markdown from the data (prompts, model responses) rendered so that nothing in it executes: raw
 * HTML is escaped and shown as text, and link or image URLs with unsafe schemes (javascript:,
 * data: ...) are dropped.
 */
public final class SafeMarkdown {

    private static final Parser PARSER = Parser.builder().build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder().escapeHtml(true).sanitizeUrls(true)
            .urlSanitizer(new WebUrls()).build();

    /** Links: http, https, mailto or relative. Images: the same, or an inline data:image. */
    private static final class WebUrls extends DefaultUrlSanitizer {
        WebUrls() {
            super(List.of("http", "https", "mailto"));
        }

        @Override
        public String sanitizeImageUrl(String url) {
            String lower = url.strip().toLowerCase(Locale.ROOT);
            if (lower.startsWith("data:")) {
                return lower.startsWith("data:image/") && !lower.startsWith("data:image/svg") ? url : "";
            }
            return sanitizeLinkUrl(url);
        }
    }

    private SafeMarkdown() {
    }

    public static String toHtml(String markdown) {
        return RENDERER.render(PARSER.parse(markdown == null ? "" : markdown));
    }

    /** A component showing the rendered text. */
    public static Div view(String markdown) {
        Div div = new Div();
        div.addClassName("markdown");
        div.getElement().setProperty("innerHTML", toHtml(markdown));
        return div;
    }
}
