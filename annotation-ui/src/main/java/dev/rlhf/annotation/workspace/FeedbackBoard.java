package dev.rlhf.annotation.workspace;

import com.vaadin.flow.component.Component;

import dev.rlhf.feedback.task.RankingSubmission;
import dev.rlhf.schemas.ranking.FeedbackMode;

/**
 * What the workspace needs of the board that collects one feedback mode's judgement: the component to
 * show, its keys in words, whether the judgement is complete, and the submission it makes.
 */
public interface FeedbackBoard {

    FeedbackMode mode();

    /** The board itself, to lay out. */
    Component component();

    /** The heading above the board ("Responses, best first"). */
    String heading();

    /** The board's keys, in a sentence shown above it. */
    String keysHelp();

    /** Gives the board keyboard focus, so its keys work at once. */
    void focus();

    /** What Enter does. */
    void onSubmit(Runnable action);

    /** What S does. */
    void onSkip(Runnable action);

    /** What the annotator still has to give before the task can be submitted, or null when nothing is. */
    String missing();

    /** The judgement as the service takes it, with what the workspace collects beside the board. */
    RankingSubmission submission(boolean noneAcceptable, String rewrite, long durationMs);
}
