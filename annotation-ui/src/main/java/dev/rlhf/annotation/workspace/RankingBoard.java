package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.Shortcuts;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dnd.DragSource;
import com.vaadin.flow.component.dnd.DropTarget;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;

import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * The K responses of a task as cards the annotator orders, by keyboard or by dragging a card's
 * handle (only the handle drags, so scrolling a long answer never picks a card up).
 *
 * <p>Keys, while the board has focus: 1..K move the selected card to that rank; T ties it with the
 * card above (again to undo); arrow up/down (or K/J) select; Enter submits; S asks to skip.
 */
public class RankingBoard extends Div implements FeedbackBoard {

    /** Flags an annotator can set on a response (the API's known flags). */
    public static final List<String> FLAGS = ResponseFlags.KNOWN;
    /** Responses longer than this start collapsed. */
    static final int COLLAPSE_AFTER_CHARS = 1200;

    /** A response to rank. */
    public record Item(String id, String text) {
    }

    private final RankingDraft draft;
    private final Map<String, Item> items = new LinkedHashMap<>();
    private final Map<String, Boolean> expanded = new LinkedHashMap<>();
    private final Map<String, Card> cards = new LinkedHashMap<>();
    private String selected;
    private Runnable onSubmit = () -> { };
    private Runnable onSkip = () -> { };

    public RankingBoard(List<Item> shownOrder) {
        shownOrder.forEach(item -> items.put(item.id(), item));
        this.draft = new RankingDraft(shownOrder.stream().map(Item::id).toList());
        this.selected = shownOrder.getFirst().id();
        setId("ranking-board");
        addClassName("ranking-board");
        // Side by side up to four, stacked beyond (and always stacked on a phone, see workspace.css).
        addClassName(items.size() <= 4 ? "side-by-side" : "stacked");
        getStyle().set("--columns", String.valueOf(items.size()));
        getElement().setAttribute("tabindex", "0");
        registerKeys();
        render();
    }

    @Override
    public FeedbackMode mode() {
        return FeedbackMode.RANKING;
    }

    @Override
    public Component component() {
        return this;
    }

    @Override
    public String heading() {
        return "Responses, best first";
    }

    @Override
    public String keysHelp() {
        return "Keys: select a card with ↑/↓ (or K/J), press 1–" + items.size()
                + " to give it that rank, T to tie it with the card above, Enter to submit, S to skip. Or drag a card by its ⠿ handle.";
    }

    /** A ranking is complete from the start: the order shown, which the annotator may change. */
    @Override
    public String missing() {
        return null;
    }

    @Override
    public RankingSubmission submission(boolean noneAcceptable, String rewrite, long durationMs) {
        return new RankingSubmission(draft.groups(), draft.flags(), noneAcceptable, rewrite, durationMs);
    }

    /** Gives the board keyboard focus, so the ranking keys work at once. */
    @Override
    public void focus() {
        getElement().callJsFunction("focus");
    }

    public RankingDraft draft() {
        return draft;
    }

    public String selected() {
        return selected;
    }

    @Override
    public void onSubmit(Runnable action) {
        this.onSubmit = action;
    }

    @Override
    public void onSkip(Runnable action) {
        this.onSkip = action;
    }

    public void select(String responseId) {
        draft.rankOf(responseId); // validates the id
        selected = responseId;
        render();
    }

    void moveSelectedTo(int position) {
        if (position <= draft.size()) {
            draft.moveTo(selected, position);
            render();
        }
    }

    void toggleTieOfSelected() {
        draft.toggleTieWithAbove(selected);
        render();
    }

    void selectNext(int delta) {
        List<String> order = draft.order();
        int i = Math.floorMod(order.indexOf(selected) + delta, order.size());
        selected = order.get(i);
        render();
    }

    private void registerKeys() {
        Key[] digits = {Key.DIGIT_1, Key.DIGIT_2, Key.DIGIT_3, Key.DIGIT_4, Key.DIGIT_5, Key.DIGIT_6, Key.DIGIT_7, Key.DIGIT_8, Key.DIGIT_9};
        for (int i = 0; i < Math.min(digits.length, items.size()); i++) {
            int position = i + 1;
            Shortcuts.addShortcutListener(this, () -> moveSelectedTo(position), digits[i]).listenOn(this);
        }
        Shortcuts.addShortcutListener(this, this::toggleTieOfSelected, Key.KEY_T).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(-1), Key.ARROW_UP).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(1), Key.ARROW_DOWN).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(-1), Key.KEY_K).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> selectNext(1), Key.KEY_J).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> onSubmit.run(), Key.ENTER).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> onSkip.run(), Key.KEY_S).listenOn(this);
    }

    /**
     * Brings the cards in line with the draft. Each card is built once and then only updated and,
     * when the order changed, moved: a card rebuilt on every edit would drop a click or a flag the
     * annotator made on it while the previous edit was still on its way to the server.
     */
    private void render() {
        List<String> order = draft.order();
        for (int i = 0; i < order.size(); i++) {
            Card card = cards.computeIfAbsent(order.get(i), id -> new Card(items.get(id)));
            if (indexOf(card) != i) {
                addComponentAtIndex(i, card);
            }
            card.refresh();
        }
    }

    /** One response: drag handle, rank badge, tie button, the text, and its flags. */
    private final class Card extends Div {
        private final String id;
        private final Span badge = new Span();
        private final Button tie;
        private final Div body;
        private final Button more;

        Card(Item item) {
            this.id = item.id();
            addClassName("response-card");
            setId("card-" + id);
            addClickListener(e -> {
                if (!id.equals(selected)) {
                    select(id);
                }
            });

            Span handle = new Span("⠿");
            handle.addClassName("drag-handle");
            handle.getElement().setAttribute("title", "Drag to reorder");
            DragSource<Span> drag = DragSource.create(handle);
            drag.setDragData(id);
            DropTarget<Div> drop = DropTarget.create(this);
            drop.addDropListener(e -> e.getDragData().ifPresent(dragged -> {
                draft.moveTo(dragged.toString(), draft.order().indexOf(id) + 1);
                selected = dragged.toString();
                render();
            }));

            badge.addClassName("rank-badge");
            tie = new Button("Tie with above", e -> {
                draft.toggleTieWithAbove(id);
                render();
            });
            tie.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
            tie.setId("tie-" + id);
            Div header = new Div(handle, badge, tie);
            header.addClassName("card-header");

            body = SafeMarkdown.view(item.text());
            body.addClassName("card-body");
            add(header, body);
            if (item.text().length() > COLLAPSE_AFTER_CHARS) {
                more = new Button("", e -> {
                    expanded.merge(id, true, (was, ignored) -> !was);
                    refresh();
                });
                more.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
                add(more);
            } else {
                more = null;
            }

            Div flags = new Div();
            flags.addClassName("card-flags");
            for (String flag : FLAGS) {
                Checkbox box = new Checkbox(flag, draft.flagsOf(id).contains(flag));
                box.setId("flag-" + flag + "-" + id);
                box.addValueChangeListener(e -> {
                    if (e.getValue() != draft.flagsOf(id).contains(flag)) {
                        draft.toggleFlag(id, flag);
                    }
                });
                flags.add(box);
            }
            add(flags);
        }

        void refresh() {
            int rank = draft.rankOf(id);
            setClassName("selected", id.equals(selected));
            getElement().setAttribute("data-rank", String.valueOf(rank));
            badge.setText("#" + rank + (draft.isTiedWithAbove(id) ? " (tie)" : ""));
            tie.setEnabled(draft.order().indexOf(id) > 0);
            if (more != null) {
                boolean open = expanded.getOrDefault(id, false);
                body.setClassName("expanded", open);
                body.setClassName("collapsed", !open);
                more.setText(open ? "Show less" : "Show more");
            }
        }
    }
}
