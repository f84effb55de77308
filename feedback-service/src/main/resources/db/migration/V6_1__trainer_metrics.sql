-- Metrics the trainer publishes on rlhf.trainer-metrics.v1, kept for the training dashboard.
CREATE TABLE trainer_metrics (
    run_id      VARCHAR(200) NOT NULL,
    phase       VARCHAR(40) NOT NULL,
    step        BIGINT NOT NULL,
    name        VARCHAR(200) NOT NULL,
    metric_value DOUBLE PRECISION NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    -- a redelivered event overwrites nothing and adds nothing
    CONSTRAINT trainer_metrics_once PRIMARY KEY (run_id, phase, name, step)
);
CREATE INDEX trainer_metrics_recent ON trainer_metrics (recorded_at);
