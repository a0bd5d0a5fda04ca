-- Up Migration
-- Recertification policies (issue 14).
--  - awards.status `in_grace`: past its expiry within the certificate's grace period (settings
--    `expiration.graceDays`); the learner can still renew by completing the course. At the end of the
--    grace period the workflow marks it `expired`. An award in grace is still the learner's one held
--    award: the unique index covers it, so a completion renews it and no second award is made.
--  - awards.grace_ends_at: when its grace period ends (set as it enters grace).
ALTER TABLE awards DROP CONSTRAINT awards_status_check;
ALTER TABLE awards ADD CONSTRAINT awards_status_check CHECK (status IN ('active', 'renewed', 'expired', 'revoked', 'in_grace'));
ALTER TABLE awards ADD COLUMN grace_ends_at timestamptz;
ALTER TABLE awards ADD CONSTRAINT awards_grace_ends_set CHECK (status <> 'in_grace' OR grace_ends_at IS NOT NULL);
DROP INDEX awards_one_active;
CREATE UNIQUE INDEX awards_one_active ON awards (certificate_id, learner_id) WHERE status IN ('active', 'in_grace');

-- Down Migration
-- Awards in grace become expired (the older schema has no grace).
UPDATE awards SET status = 'expired' WHERE status = 'in_grace';
DROP INDEX awards_one_active;
CREATE UNIQUE INDEX awards_one_active ON awards (certificate_id, learner_id) WHERE status = 'active';
ALTER TABLE awards DROP CONSTRAINT awards_grace_ends_set;
ALTER TABLE awards DROP COLUMN grace_ends_at;
ALTER TABLE awards DROP CONSTRAINT awards_status_check;
ALTER TABLE awards ADD CONSTRAINT awards_status_check CHECK (status IN ('active', 'renewed', 'expired', 'revoked'));
