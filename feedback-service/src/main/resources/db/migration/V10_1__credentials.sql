-- Credentials that can be taken back (issue 13). Runs on PostgreSQL and on H2 in PostgreSQL mode.
-- A disabled account cannot log in; its sessions end and its API tokens stop working.
ALTER TABLE annotators ADD COLUMN disabled_at TIMESTAMP WITH TIME ZONE;
-- Raised by every password change and every disable/enable: a UI session logged in under an older
-- value ends at its next request.
ALTER TABLE annotators ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;
-- Tokens expire; those made before expiry existed get the default 90 days from now.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
UPDATE api_tokens SET expires_at = CURRENT_TIMESTAMP + INTERVAL '90' DAY WHERE expires_at IS NULL;
CREATE INDEX api_tokens_by_annotator ON api_tokens (annotator_id);
