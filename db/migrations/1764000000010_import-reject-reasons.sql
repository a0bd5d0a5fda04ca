-- Up Migration
-- Three more reasons an import row is rejected (issue 9 review; domain/vocabulary.ts IMPORT_REJECT_REASONS):
--  - learner_erased: the learner's personal data was erased (no longer reported as learner_deactivated);
--  - already_recorded: the learner already has an award of the certificate given at that instant
--    (whatever its status), so the same record is never recorded twice;
--  - cell_too_long: an overlong cell rejects its row instead of the whole file.
-- A new migration, not an edit of 1764000000006: databases that ran it keep its CHECK until this one.
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded', 'cell_too_long'));

-- Down Migration
-- Rows rejected for the three newer reasons keep them: the older CHECK is restored for new rows only.
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived')) NOT VALID;
