-- Project memberships: an annotator sees and takes tasks only of the projects they are a member of;
-- admins see and manage every project without one. Portable SQL: PostgreSQL and H2 in PostgreSQL mode.
CREATE TABLE project_members (
    project_id   UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    annotator_id UUID NOT NULL REFERENCES annotators (id) ON DELETE CASCADE,
    added_at     TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (project_id, annotator_id)
);
-- An annotator's projects (the home screen, GET /api/v1/projects).
CREATE INDEX project_members_by_annotator ON project_members (annotator_id);

-- Upgrade: before this migration every annotator saw and worked on every project. So that an
-- upgrade locks nobody out, every existing account with the ANNOTATOR role becomes a member of every
-- existing project; admins narrow this down afterwards. Projects and accounts created later start
-- with no memberships. (A fresh database has no rows here: nothing happens.)
INSERT INTO project_members (project_id, annotator_id, added_at)
SELECT p.id, a.id, CURRENT_TIMESTAMP FROM projects p CROSS JOIN annotators a
WHERE a.roles LIKE '%ANNOTATOR%';
