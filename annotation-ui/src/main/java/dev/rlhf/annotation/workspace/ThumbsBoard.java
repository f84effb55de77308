package dev.rlhf.annotation.workspace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.Shortcuts;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;

import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * A binary (thumbs) task: up or down per response, by its buttons or by keyboard (select a card with
 * arrow up/down or K/J, U gives it thumbs up, D thumbs down).
 */
public class ThumbsBoard extends GradedBoard {

    private final ThumbsDraft draft;
    private final Map<String, Button> up = new LinkedHashMap<>();
    private final Map<String, Button> down = new LinkedHashMap<>();

    public ThumbsBoard(List<RankingBoard.Item> shownOrder) {
        super("binary-board", shownOrder, IntStream.rangeClosed(1, shownOrder.size()).mapToObj(i -> "Response " + i).toList());
        this.draft = new ThumbsDraft(shownOrder.stream().map(RankingBoard.Item::id).toList());
        enableSelection();
        for (int i = 0; i < items.size(); i++) {
            String id = items.get(i).id();
            int shownNumber = i + 1;
            up.put(id, thumb(id, true, "✓ Up (U)", "Thumbs up for response " + shownNumber));
            down.put(id, thumb(id, false, "✗ Down (D)", "Thumbs down for response " + shownNumber));
            Div thumbs = new Div(up.get(id), down.get(id));
            thumbs.addClassName("thumbs");
            thumbs.getElement().setAttribute("role", "group");
            thumbs.getElement().setAttribute("aria-label", "Is response " + shownNumber + " acceptable?");
            cards.get(id).addControls(thumbs);
        }
        Shortcuts.addShortcutListener(this, () -> label(selected(), true), Key.KEY_U).listenOn(this);
        Shortcuts.addShortcutListener(this, () -> label(selected(), false), Key.KEY_D).listenOn(this);
        refresh();
    }

    private Button thumb(String id, boolean thumbsUp, String text, String ariaLabel) {
        Button button = new Button(text, e -> {
            select(id);
            label(id, thumbsUp);
        });
        button.setId((thumbsUp ? "thumb-up-" : "thumb-down-") + id);
        button.addThemeVariants(ButtonVariant.LUMO_SMALL);
        button.setAriaLabel(ariaLabel);
        return button;
    }

    public ThumbsDraft draft() {
        return draft;
    }

    void label(String responseId, boolean thumbsUp) {
        draft.label(responseId, thumbsUp);
        refresh();
    }

    @Override
    protected void refreshControls() {
        up.forEach((id, button) -> {
            Boolean label = draft.labelOf(id);
            showPressed(button, Boolean.TRUE.equals(label));
            showPressed(down.get(id), Boolean.FALSE.equals(label));
            cards.get(id).getElement().setAttribute("data-label", label == null ? "" : label ? "up" : "down");
        });
    }

    @Override
    public FeedbackMode mode() {
        return FeedbackMode.BINARY;
    }

    @Override
    public String heading() {
        return "Thumbs up or down for each response";
    }

    @Override
    public String keysHelp() {
        return "Keys: select a response with ↑/↓ (or K/J), press U for thumbs up or D for thumbs down; Enter submits once every "
                + "response has one, S skips. Or click a thumb.";
    }

    @Override
    public String missing() {
        return draft.missing();
    }

    @Override
    public RankingSubmission submission(boolean noneAcceptable, String rewrite, long durationMs) {
        return submission(draft.groups(), null, null, draft.labels(), noneAcceptable, rewrite, durationMs);
    }
}
