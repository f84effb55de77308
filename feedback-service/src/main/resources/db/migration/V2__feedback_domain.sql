-- The human-feedback domain. Portable SQL: runs on PostgreSQL and on H2 in PostgreSQL mode.
-- JSON documents are stored as TEXT and parsed by the application (both databases, one code path).

CREATE TABLE projects (
    id                  UUID PRIMARY KEY,
    name                VARCHAR(200) NOT NULL UNIQUE,
    guidelines          TEXT NOT NULL,
    -- K: how many responses one ranking task shows
    responses_per_task  INT NOT NULL,
    -- how many distinct annotators rank each task
    annotators_per_task INT NOT NULL,
    -- how long a task stays leased to one annotator before it returns to the pool
    lease_seconds       INT NOT NULL,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A prompt is a conversation: a JSON array of {"role": "user"|"assistant"|"system", "content": ...},
-- ending with the turn the responses answer.
CREATE TABLE prompts (
    id           UUID PRIMARY KEY,
    project_id   UUID NOT NULL REFERENCES projects (id),
    conversation TEXT NOT NULL,
    -- sha-256 (hex) of the canonical conversation: re-importing the same prompt finds this row
    content_hash VARCHAR(64) NOT NULL,
    -- import format or origin: prompts, responses, oasst, hh, pairs, api
    source       VARCHAR(40) NOT NULL,
    -- the id in the source dataset (OASST message id, ...), when it has one
    source_ref   VARCHAR(200),
    -- gold items carry a known ranking (JSON tie groups of response ids) to measure annotators by
    gold_ranking TEXT,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT prompts_unique_content UNIQUE (project_id, content_hash)
);

CREATE TABLE responses (
    id             UUID PRIMARY KEY,
    prompt_id      UUID NOT NULL REFERENCES prompts (id),
    text           TEXT NOT NULL,
    -- model name, for imported responses
    model          VARCHAR(200),
    -- the trainer's policy version that sampled it
    policy_version VARCHAR(100),
    -- sum of the per-token log-probabilities, when the trainer sampled it
    logprob_sum    DOUBLE PRECISION,
    content_hash   VARCHAR(64) NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT responses_unique_content UNIQUE (prompt_id, content_hash)
);
CREATE INDEX responses_by_prompt ON responses (prompt_id);

-- A ranking task: one prompt with a set of its responses, to be ranked by annotators_needed people.
CREATE TABLE tasks (
    id                UUID PRIMARY KEY,
    project_id        UUID NOT NULL REFERENCES projects (id),
    prompt_id         UUID NOT NULL REFERENCES prompts (id),
    -- JSON array of the response ids this task shows
    response_ids      TEXT NOT NULL,
    annotators_needed INT NOT NULL,
    -- rankings submitted so far; the task is complete when it reaches annotators_needed
    rankings_count    INT NOT NULL DEFAULT 0,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tasks_open_by_project ON tasks (project_id, rankings_count, created_at);

-- One annotator's lease of a task. Unique per (task, annotator): nobody ranks the same task twice.
CREATE TABLE assignments (
    id           UUID PRIMARY KEY,
    task_id      UUID NOT NULL REFERENCES tasks (id),
    annotator_id UUID NOT NULL REFERENCES annotators (id),
    -- JSON array of response ids in the order this annotator was shown them
    shown_order  TEXT NOT NULL,
    -- LEASED, SUBMITTED, SKIPPED, EXPIRED
    status       VARCHAR(20) NOT NULL,
    leased_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    lease_expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    skip_reason  VARCHAR(500),
    CONSTRAINT assignments_once_per_annotator UNIQUE (task_id, annotator_id)
);
CREATE INDEX assignments_by_annotator ON assignments (annotator_id, status);

-- A submitted ranking: by an annotator through an assignment, or imported (OASST consensus,
-- HH preference, pairs) with assignment_id NULL and source naming where it came from.
CREATE TABLE rankings (
    id              UUID PRIMARY KEY,
    -- the eventId of the RankingSubmitted event this ranking produced
    event_id        UUID NOT NULL UNIQUE,
    task_id         UUID REFERENCES tasks (id),
    assignment_id   UUID UNIQUE REFERENCES assignments (id),
    prompt_id       UUID NOT NULL REFERENCES prompts (id),
    project_id      UUID NOT NULL REFERENCES projects (id),
    annotator_id    UUID REFERENCES annotators (id),
    -- annotator, or the import format (oasst, hh, pairs)
    source          VARCHAR(40) NOT NULL,
    -- JSON array of tie groups of response ids, best group first
    ranking         TEXT NOT NULL,
    -- JSON object: response id -> array of flags (harmful, untruthful, off-topic, other)
    flags           TEXT NOT NULL,
    none_acceptable BOOLEAN NOT NULL DEFAULT FALSE,
    rewrite         TEXT,
    duration_ms     BIGINT,
    submitted_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX rankings_by_project ON rankings (project_id, submitted_at);
CREATE INDEX rankings_by_prompt ON rankings (prompt_id);

-- Transactional outbox: written in the same transaction as the row it announces; a relay publishes
-- unsent records to Kafka in id order and marks them sent.
CREATE TABLE outbox (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    event_id   UUID NOT NULL UNIQUE,
    topic      VARCHAR(200) NOT NULL,
    record_key VARCHAR(200) NOT NULL,
    -- the Avro event class (its full name); payload is its single-object encoding
    event_type VARCHAR(200) NOT NULL,
    payload    BYTEA NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at    TIMESTAMP WITH TIME ZONE
);
CREATE INDEX outbox_unsent ON outbox (sent_at, id);

-- Events consumed from Kafka, by eventId: consumers skip what they have already processed.
CREATE TABLE processed_events (
    event_id     UUID PRIMARY KEY,
    topic        VARCHAR(200) NOT NULL,
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- API tokens for scripts and the trainer; only a hash of the token is stored.
CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    annotator_id UUID NOT NULL REFERENCES annotators (id),
    name         VARCHAR(100) NOT NULL,
    token_hash   VARCHAR(64) NOT NULL UNIQUE,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at   TIMESTAMP WITH TIME ZONE
);
