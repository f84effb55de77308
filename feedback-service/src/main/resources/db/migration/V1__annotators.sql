-- Accounts of the people who rank and of the admins. Runs on PostgreSQL and on H2 in PostgreSQL mode.
CREATE TABLE annotators (
    id            UUID PRIMARY KEY,
    username      VARCHAR(100) NOT NULL UNIQUE,
    password_hash VARCHAR(200) NOT NULL,
    -- comma-separated roles: ADMIN, ANNOTATOR
    roles         VARCHAR(100) NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
