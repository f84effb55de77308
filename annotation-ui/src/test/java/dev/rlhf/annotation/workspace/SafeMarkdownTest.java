package dev.rlhf.annotation.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SafeMarkdownTest {

    @Test
    void rendersMarkdown() {
        assertThat(SafeMarkdown.toHtml("**bold** and `code`")).isEqualTo("<p><strong>bold</strong> and <code>code</code></p>\n");
    }

    @Test
    void htmlFromTheDataIsShownAsTextNeverExecuted() {
        String html = SafeMarkdown.toHtml("Hi <script>alert('x')</script> <img src=x onerror=alert(1)>");
        assertThat(html).doesNotContain("<script").doesNotContain("<img");
        assertThat(html).contains("&lt;script&gt;alert('x')&lt;/script&gt;").contains("&lt;img src=x onerror=alert(1)&gt;");
    }

    @Test
    void unsafeLinkSchemesAreDropped() {
        String html = SafeMarkdown.toHtml("[click](javascript:alert(1)) ![pic](data:text/html;base64,PHNjcmlwdD4=)");
        assertThat(html).doesNotContain("javascript:").doesNotContain("data:text/html");
        assertThat(SafeMarkdown.toHtml("[ok](https://example.org)")).contains("href=\"https://example.org\"");
    }
}
