-- One row per project that has been imported into. Each import batch locks its project's row, so
-- two imports into the same project at once take turns per batch: tasks have no unique key, and
-- without this both could create the same task. (A lock on the projects row itself would also
-- block every insert that references the project, such as ranking submissions.)
CREATE TABLE import_locks (
    project_id UUID PRIMARY KEY REFERENCES projects (id)
);
