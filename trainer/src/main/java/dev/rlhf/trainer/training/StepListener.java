package dev.rlhf.trainer.training;

/**
 * Told of a trainer's optimizer steps (progress display, tests): the one listener of the SFT, reward,
 * DPO and KTO trainers. PPO reports each step's metrics instead ({@code PpoTrainer.StepListener}).
 */
@FunctionalInterface
public interface StepListener {

    /** Does nothing: the trainers' default. */
    StepListener NONE = (step, totalSteps, items) -> {};

    /** Called once before the first step (after data preparation), with the number of steps to come. */
    default void beforeFirstStep(int totalSteps) {}

    /** Called after every optimizer step with the items it trained on (pairs, examples or tokens). */
    void afterStep(int step, int totalSteps, long items);
}
