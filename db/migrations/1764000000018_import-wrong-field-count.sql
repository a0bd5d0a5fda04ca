-- Up Migration
-- One more reason an import row is rejected (domain/vocabulary.ts IMPORT_REJECT_REASONS):
--  - wrong_field_count: a CSV row with more or fewer fields than the header; the row is rejected,
--    no longer the whole file (its cells as far as they go are kept, like any rejected row's).
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded', 'cell_too_long', 'bad_manager_email',
  'wrong_field_count'));

-- Down Migration
-- Rows rejected wrong_field_count keep the reason: the older CHECK is restored for new rows only.
ALTER TABLE import_rows DROP CONSTRAINT import_rows_reason_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_reason_check CHECK (reason IN ('bad_email', 'bad_name', 'unparsable_date',
  'awarded_at_in_future', 'expires_before_awarded', 'duplicate_row', 'unknown_learner', 'already_awarded',
  'learner_deactivated', 'certificate_archived', 'learner_erased', 'already_recorded', 'cell_too_long', 'bad_manager_email')) NOT VALID;
