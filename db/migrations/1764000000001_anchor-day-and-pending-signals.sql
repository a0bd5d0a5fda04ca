-- Up Migration
-- Right on real data (issue "right on real data"):
--  * anchor_day: the day of the month a renewal chain keeps (its first award's day), so month-end
--    clamping (31 Jan + 1 month = 28 Feb) does not drift the anniversary for good. Null for awards
--    made before this migration: domain/dates.ts infers it from the award (expiryFor's legacy rule).
--  * workflow_signal_pending_at: set in the same transaction as a change the award's workflow must
--    hear of (expiry changed, revoked, renewed); cleared once Temporal accepted the signal. The
--    reconciler re-signals what is still pending, so a change whose signal failed is delivered later.
ALTER TABLE awards ADD COLUMN anchor_day smallint CHECK (anchor_day BETWEEN 1 AND 31);
ALTER TABLE awards ADD COLUMN workflow_signal_pending_at timestamptz;
CREATE INDEX awards_workflow_signal_pending ON awards (workflow_signal_pending_at) WHERE workflow_signal_pending_at IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS awards_workflow_signal_pending;
ALTER TABLE awards DROP COLUMN IF EXISTS workflow_signal_pending_at;
ALTER TABLE awards DROP COLUMN IF EXISTS anchor_day;
