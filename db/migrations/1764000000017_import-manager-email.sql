-- Up Migration
-- An import row may name the learner's manager (issue 14 §4 for the import; domain/importing.ts):
--  - manager_email: the row's managerEmail cell as given (trimmed; null: none given, which keeps the
--    learner's saved manager). Rows are applied a page at a time by the import workflow, so the cell
--    is stored with the row like its email; an erasure clears it with the learner's other data.
--  - manager_set: applying the row set or changed the learner's manager (also on a row rejected
--    already_awarded / already_recorded: the award is there, the manager is the learner's).
--  - reason bad_manager_email: the cell is not an address the learner API would take for managerEmail.
ALTER TABLE import_rows ADD COLUMN manager_email text;
ALTER TABLE import_rows ADD COLUMN manager_set boolean NOT NULL DEFAULT false;
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded', 'cell_too_long', 'bad_manager_email'));

-- Down Migration
-- Rows rejected bad_manager_email keep the reason: the older CHECK is restored for new rows only.
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded', 'cell_too_long')) NOT VALID;
ALTER TABLE import_rows DROP COLUMN manager_set;
ALTER TABLE import_rows DROP COLUMN manager_email;
