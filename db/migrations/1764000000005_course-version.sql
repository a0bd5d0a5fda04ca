-- Up Migration
-- A course's version, for optimistic concurrency (ETag / If-Match on PATCH /api/courses/{id}, the
-- admin page's course form): every change to the course raises it, inside the change's transaction.
ALTER TABLE courses ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE courses ADD CONSTRAINT courses_version_check CHECK (version >= 1);

-- Down Migration
ALTER TABLE courses DROP CONSTRAINT courses_version_check;
ALTER TABLE courses DROP COLUMN version;
