-- Feedback modes (issue 16): how a project's annotators judge a task. ranking (the default and the
-- behaviour before this column), pairwise (K = 2, graded), rating (1-7 per response), binary (thumbs).
ALTER TABLE projects ADD COLUMN feedback_mode VARCHAR(20) DEFAULT 'ranking' NOT NULL;

-- What the annotator gave beyond the tie groups, which every mode still stores (derived from these):
-- pairwise strength 0 (about the same), 1 (better), 2 (much better)
ALTER TABLE rankings ADD COLUMN strength INT;
-- JSON object: response id -> rating 1..7
ALTER TABLE rankings ADD COLUMN ratings TEXT;
-- JSON object: response id -> true (thumbs up) | false (thumbs down)
ALTER TABLE rankings ADD COLUMN labels TEXT;
-- the project's mode when the ranking was given (imports are rankings whatever the project's mode)
ALTER TABLE rankings ADD COLUMN feedback_mode VARCHAR(20) DEFAULT 'ranking' NOT NULL;
