-- The policy-versions report and the dashboard read each round's reward-model eval_accuracy by name
-- across runs (run_id 'round-N'); without this they would scan every optimizer step of every run.
CREATE INDEX trainer_metrics_by_name ON trainer_metrics (name, phase);
