package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.Shortcuts;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;

import dev.rlhf.feedback.task.RankingSubmission;

/**
 * What the pairwise, rating and thumbs boards share: the responses as {@link ResponseCard}s in the
 * order shown, their flags, Enter to submit and S to skip, an optional selected card (arrow up/down or
 * K/J) that the mode's keys act on, and a status line (read out by screen readers) saying what is
 * still missing.
 */
abstract class GradedBoard extends Div implements FeedbackBoard {

    protected final List<RankingBoard.Item> items;
    protected final ResponseFlags flags;
    protected final Map<String, ResponseCard> cards = new LinkedHashMap<>();
    private final Span status = new Span();
    private String selected;
    private Runnable onSubmit = () -> { };
    private Runnable onSkip = () -> { };

    /** @param labels the label of each card, in the order shown */
    GradedBoard(String id, List<RankingBoard.Item> shownOrder, List<String> labels) {
        this.items = List.copyOf(shownOrder);
        this.flags = new ResponseFlags(shownOrder.stream().map(RankingBoard.Item::id).toList());
        setId(id);
        addClassName("feedback-board");
        getElement().setAttribute("tabindex", "0");
        Div grid = new Div();
        grid.addClassName("feedback-cards");
        // Side by side up to four, stacked beyond (and always stacked on a phone, see workspace.css).
        grid.addClassName(items.size() <= 4 ? "side-by-side" : "stacked");
        grid.getStyle().set("--columns", String.valueOf(items.size()));
        for (int i = 0; i < items.size(); i++) {
            RankingBoard.Item item = items.get(i);
            ResponseCard card = new ResponseCard(item, labels.get(i), flags);
            card.addClickListener(e -> {
                if (selected != null && !item.id().equals(selected)) {
                    select(item.id());
                }
            });
            cards.put(item.id(), card);
            grid.add(card);
        }
        status.setId("feedback-status");
        status.addClassName("feedback-status");
        status.getElement().setAttribute("role", "status");
        status.getElement().setAttribute("aria-live", "polite");
        add(grid, status);
        Shortcuts.addShortcutListener(this, () -> onSubmit.run(), Key.ENTER).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> onSkip.run(), Key.KEY_S).listenOn(this);
    }

    /** Turns on a selected card (the first) and the keys that move it: arrow up/down and K/J. */
    protected void enableSelection() {
        selected = items.getFirst().id();
        Shortcuts.addShortcutListener(this, () -> selectNext(-1), Key.ARROW_UP).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(1), Key.ARROW_DOWN).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(-1), Key.KEY_K).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(1), Key.KEY_J).listenOn(this);
    }

    @Override
    public Component component() {
        return this;
    }

    @Override
    public void focus() {
        getElement().callJsFunction("focus");
    }

    @Override
    public void onSubmit(Runnable action) {
        this.onSubmit = action;
    }

    @Override
    public void onSkip(Runnable action) {
        this.onSkip = action;
    }

    /** The selected card's response id, or null on a board without selection. */
    public String selected() {
        return selected;
    }

    public void select(String responseId) {
        flags.requireKnown(responseId);
        selected = responseId;
        refresh();
    }

    void selectNext(int delta) {
        List<String> ids = List.copyOf(cards.keySet());
        selected = ids.get(Math.floorMod(ids.indexOf(selected) + delta, ids.size()));
        refresh();
    }

    public ResponseFlags flags() {
        return flags;
    }

    /** Brings the cards, the controls and the status line in line with the draft. */
    protected final void refresh() {
        cards.forEach((id, card) -> {
            card.setClassName("selected", id.equals(selected));
            if (id.equals(selected)) {
                card.getElement().setAttribute("aria-current", "true");
            } else {
                card.getElement().removeAttribute("aria-current");
            }
        });
        refreshControls();
        String missing = missing();
        status.setText(missing == null ? "Complete: Enter submits." : missing + ".");
    }

    /** Shows the draft's values on the mode's controls. */
    protected abstract void refreshControls();

    /** Marks a toggle button as the chosen one of its group (filled, and aria-pressed for screen readers). */
    static void showPressed(Button button, boolean pressed) {
        if (pressed) {
            button.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        } else {
            button.removeThemeVariants(ButtonVariant.LUMO_PRIMARY);
        }
        button.getElement().setAttribute("aria-pressed", String.valueOf(pressed));
    }

    protected RankingSubmission submission(List<List<String>> groups, Integer strength, Map<String, Integer> ratings,
                                           Map<String, Boolean> labels, boolean noneAcceptable, String rewrite, long durationMs) {
        return new RankingSubmission(groups, flags.asMap(), noneAcceptable, rewrite, durationMs, strength, ratings, labels);
    }
}
