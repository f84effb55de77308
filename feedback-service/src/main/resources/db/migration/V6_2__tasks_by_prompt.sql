-- Task lookups by prompt (idempotent task creation on import and from new samples) without a scan.
CREATE INDEX tasks_by_prompt ON tasks (prompt_id);
