package dev.rlhf.annotation.workspace;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.Shortcuts;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.Div;

import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * A pairwise task: responses A and B side by side and a five-way graded choice under them,
 * A >> B, A > B, A ~ B, B > A, B >> A, as buttons and as the keys 1..5.
 */
public class PairwiseBoard extends GradedBoard {

    private static final Key[] KEYS = {Key.DIGIT_1, Key.DIGIT_2, Key.DIGIT_3, Key.DIGIT_4, Key.DIGIT_5};

    private final PairwiseDraft draft;
    private final Map<PairwiseChoice, Button> buttons = new EnumMap<>(PairwiseChoice.class);

    public PairwiseBoard(List<RankingBoard.Item> shownOrder) {
        super("pairwise-board", shownOrder, List.of("A", "B"));
        this.draft = new PairwiseDraft(shownOrder.stream().map(RankingBoard.Item::id).toList());
        Div choices = new Div();
        choices.setId("pairwise-choices");
        choices.addClassName("pairwise-choices");
        choices.getElement().setAttribute("role", "group");
        choices.getElement().setAttribute("aria-label", "Which response is better?");
        for (PairwiseChoice choice : PairwiseChoice.values()) {
            Button button = new Button(choice.key() + " · " + choice.symbol(), e -> choose(choice));
            button.setId("choice-" + choice.key());
            button.setAriaLabel(choice.description() + " (key " + choice.key() + ")");
            button.setTooltipText(choice.description());
            buttons.put(choice, button);
            choices.add(button);
            Shortcuts.addShortcutListener(this, () -> choose(choice), KEYS[choice.ordinal()]).listenOn(this);
        }
        addComponentAtIndex(1, choices);
        refresh();
    }

    public PairwiseDraft draft() {
        return draft;
    }

    void choose(PairwiseChoice choice) {
        draft.choose(choice);
        refresh();
    }

    @Override
    protected void refreshControls() {
        buttons.forEach((choice, button) -> showPressed(button, choice == draft.choice()));
        getElement().setAttribute("data-choice", draft.choice() == null ? "" : draft.choice().symbol());
    }

    @Override
    public FeedbackMode mode() {
        return FeedbackMode.PAIRWISE;
    }

    @Override
    public String heading() {
        return "Which response is better, A or B?";
    }

    @Override
    public String keysHelp() {
        return "Keys: 1 A >> B (A much better), 2 A > B, 3 A ~ B (about the same), 4 B > A, 5 B >> A (B much better); "
                + "Enter submits, S skips. Or click a choice.";
    }

    @Override
    public String missing() {
        return draft.missing();
    }

    @Override
    public RankingSubmission submission(boolean noneAcceptable, String rewrite, long durationMs) {
        return submission(draft.groups(), draft.strength(), null, null, noneAcceptable, rewrite, durationMs);
    }
}
