package dev.rlhf.annotation.workspace;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;

/**
 * One response on a pairwise, rating or thumbs board: its label ("A", "Response 2"), the board's
 * controls for it, the text (long ones collapsed) and its flags.
 */
final class ResponseCard extends Div {

    private final String responseId;
    private final Div controls = new Div();

    ResponseCard(RankingBoard.Item item, String label, ResponseFlags flags) {
        this.responseId = item.id();
        addClassName("response-card");
        setId("card-" + responseId);
        getElement().setAttribute("role", "group");
        getElement().setAttribute("aria-label", label);

        Span title = new Span(label);
        title.addClassName("rank-badge");
        Div header = new Div(title);
        header.addClassName("card-header");
        controls.addClassName("card-controls");

        Div body = SafeMarkdown.view(item.text());
        body.addClassName("card-body");
        add(header, controls, body);
        if (item.text().length() > RankingBoard.COLLAPSE_AFTER_CHARS) {
            body.addClassName("collapsed");
            Button more = new Button("Show more");
            more.addClickListener(e -> {
                boolean open = body.hasClassName("collapsed");
                body.setClassName("collapsed", !open);
                body.setClassName("expanded", open);
                more.setText(open ? "Show less" : "Show more");
            });
            more.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
            add(more);
        }

        Div flagBoxes = new Div();
        flagBoxes.addClassName("card-flags");
        for (String flag : ResponseFlags.KNOWN) {
            Checkbox box = new Checkbox(flag, flags.of(responseId).contains(flag));
            box.setId("flag-" + flag + "-" + responseId);
            box.addValueChangeListener(e -> {
                if (e.getValue() != flags.of(responseId).contains(flag)) {
                    flags.toggle(responseId, flag);
                }
            });
            flagBoxes.add(box);
        }
        add(flagBoxes);
    }

    String responseId() {
        return responseId;
    }

    /** Adds the board's controls for this response (rating buttons, thumbs) under its label. */
    void addControls(Component... components) {
        controls.add(components);
    }
}
