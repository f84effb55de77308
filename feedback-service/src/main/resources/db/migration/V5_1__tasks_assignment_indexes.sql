-- Next-task selection: open tasks of a project, closest to completion first, then oldest.
CREATE INDEX tasks_next_in_project ON tasks (project_id, rankings_count DESC, created_at, id);
-- Active leases of a task (counted under the task's row lock).
CREATE INDEX assignments_by_task_status ON assignments (task_id, status, lease_expires_at);
