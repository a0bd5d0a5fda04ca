-- Up Migration
-- Settings propagation signals only the workflows a change can wake (issue 11; domain/recertification-steps.ts
-- `settingsSignalNeeded`):
--  - lead_days_before: the certificate's lead days before the change this version made (null: not
--    known, e.g. a propagation recorded before this column; then every running workflow is signalled);
--  - unaffected: the scheduled workflows the propagation passed over because the change could not move
--    their wake-up (they read the settings again at their due time).
ALTER TABLE settings_propagations ADD COLUMN lead_days_before integer;
ALTER TABLE settings_propagations ADD COLUMN unaffected integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE settings_propagations DROP COLUMN unaffected;
ALTER TABLE settings_propagations DROP COLUMN lead_days_before;
