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
import dev.rlhf.schemas.ranking.GradedFeedback;

/**
 * A rating task: each response on the 1-7 scale, by its row of buttons or by keyboard (select a card
 * with arrow up/down or K/J, a digit 1..7 rates it).
 */
public class RatingBoard extends GradedBoard {

    private static final Key[] KEYS = {Key.DIGIT_1, Key.DIGIT_2, Key.DIGIT_3, Key.DIGIT_4, Key.DIGIT_5, Key.DIGIT_6, Key.DIGIT_7};

    private final RatingDraft draft;
    /** Per response id, its buttons 1..7 (index 0 is rating 1). */
    private final Map<String, List<Button>> buttons = new LinkedHashMap<>();

    public RatingBoard(List<RankingBoard.Item> shownOrder) {
        super("rating-board", shownOrder, IntStream.rangeClosed(1, shownOrder.size()).mapToObj(i -> "Response " + i).toList());
        this.draft = new RatingDraft(shownOrder.stream().map(RankingBoard.Item::id).toList());
        enableSelection();
        for (int i = 0; i < items.size(); i++) {
            String id = items.get(i).id();
            int shownNumber = i + 1;
            Div scale = new Div();
            scale.addClassName("rating-scale");
            scale.getElement().setAttribute("role", "group");
            scale.getElement().setAttribute("aria-label", "Rating of response " + shownNumber + ", 1 (worst) to 7 (best)");
            List<Button> row = IntStream.rangeClosed(GradedFeedback.RATING_MIN, GradedFeedback.RATING_MAX).mapToObj(rating -> {
                Button button = new Button(String.valueOf(rating), e -> {
                    select(id);
                    rate(id, rating);
                });
                button.setId("rate-" + rating + "-" + id);
                button.addThemeVariants(ButtonVariant.LUMO_SMALL);
                button.setAriaLabel("Rate response " + shownNumber + " " + rating + " of 7");
                scale.add(button);
                return button;
            }).toList();
            buttons.put(id, row);
            cards.get(id).addControls(scale);
        }
        for (int rating = GradedFeedback.RATING_MIN; rating <= GradedFeedback.RATING_MAX; rating++) {
            int value = rating;
            Shortcuts.addShortcutListener(this, () -> rate(selected(), value), KEYS[rating - 1]).listenOn(this);
        }
        refresh();
    }

    public RatingDraft draft() {
        return draft;
    }

    void rate(String responseId, int rating) {
        draft.rate(responseId, rating);
        refresh();
    }

    @Override
    protected void refreshControls() {
        buttons.forEach((id, row) -> {
            Integer rating = draft.ratingOf(id);
            for (int i = 0; i < row.size(); i++) {
                showPressed(row.get(i), rating != null && rating == i + 1);
            }
            cards.get(id).getElement().setAttribute("data-rating", rating == null ? "" : rating.toString());
        });
    }

    @Override
    public FeedbackMode mode() {
        return FeedbackMode.RATING;
    }

    @Override
    public String heading() {
        return "Rate each response, 1 (worst) to 7 (best)";
    }

    @Override
    public String keysHelp() {
        return "Keys: select a response with ↑/↓ (or K/J), press 1–7 to rate it; Enter submits once every response is rated, "
                + "S skips. Or click a rating.";
    }

    @Override
    public String missing() {
        return draft.missing();
    }

    @Override
    public RankingSubmission submission(boolean noneAcceptable, String rewrite, long durationMs) {
        return submission(draft.groups(), null, draft.ratings(), null, noneAcceptable, rewrite, durationMs);
    }
}
