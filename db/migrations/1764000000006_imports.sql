-- Up Migration
-- Bulk imports of existing holders (POST /api/certificates/{id}/imports). An import is applied by its
-- own Temporal workflow (workflows/import.ts) a page of rows at a time; each row's state, outcome and
-- award are written in the same transaction as the award, so a crash or a retry never awards a row
-- twice (and awards_one_active stays the last word). Vocabularies: domain/vocabulary.ts (imports).
CREATE TABLE imports (
  id                   uuid PRIMARY KEY,
  certificate_id       uuid NOT NULL REFERENCES certificates (id),
  -- sha256 of the rows as given and the createLearners flag: the same file posted again is the same import.
  content_hash         text NOT NULL,
  create_learners      boolean NOT NULL,
  status               text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
  total_rows           integer NOT NULL CHECK (total_rows BETWEEN 1 AND 100000),
  workflow_id          text NOT NULL UNIQUE,
  workflow_started_at  timestamptz,     -- null until Temporal confirmed the start (the reconciler retries)
  created_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);
CREATE UNIQUE INDEX imports_same_content ON imports (certificate_id, content_hash);
CREATE INDEX imports_certificate ON imports (certificate_id, created_at DESC);
CREATE INDEX imports_workflow_pending ON imports (created_at) WHERE workflow_started_at IS NULL;

CREATE TABLE import_rows (
  import_id        uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  row_number       integer NOT NULL CHECK (row_number >= 1),   -- 1 = the first row after the header
  email            text NOT NULL,                               -- as given (trimmed)
  name             text NOT NULL,
  awarded_at_text  text NOT NULL,
  expires_at_text  text,
  awarded_at       timestamptz,                                 -- as read; null when unparsable (rejected at intake)
  expires_at       timestamptz,                                 -- the record's own expiry, if it gives one
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'rejected')),
  outcome          text CHECK (outcome IN ('schedule', 'enroll_now', 'record_expired', 'no_expiry', 'reject')),
  reason           text CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date', 'awarded_at_in_future',
                                          'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
                                          'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded',
                                          'cell_too_long')),
  learner_id       uuid REFERENCES learners (id),
  learner_created  boolean NOT NULL DEFAULT false,
  award_id         uuid UNIQUE REFERENCES awards (id),
  PRIMARY KEY (import_id, row_number),
  CHECK ((state = 'pending') = (outcome IS NULL)),
  CHECK (state <> 'rejected' OR (outcome = 'reject' AND reason IS NOT NULL)),
  CHECK (state <> 'pending' OR awarded_at IS NOT NULL),
  CHECK (state <> 'done' OR (outcome <> 'reject' AND award_id IS NOT NULL))
);
CREATE INDEX import_rows_pending ON import_rows (import_id, row_number) WHERE state = 'pending';

-- Down Migration
DROP TABLE IF EXISTS import_rows, imports;
