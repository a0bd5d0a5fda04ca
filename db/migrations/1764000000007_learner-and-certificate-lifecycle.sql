-- Up Migration
-- Learners change and leave, certificates retire (issue 9, sections 2 and 3).
--  - learners.deactivated_at: the learner left; their awards' automation ended (revoked) and no new
--    award, enrollment or message is made for them.
--  - learners.erased_at: a data-protection erasure replaced their name and email with placeholders
--    and redacted their messages; the row stays because awards, attempts and messages reference it.
--  - learners.erasure_temporal_done_at: their workflow executions were terminated and deleted from
--    Temporal (null while that is pending: the reconciler finishes it).
--  - certificates.archived_at: retired; its automation ended (revoked), no new award.
ALTER TABLE learners ADD COLUMN deactivated_at timestamptz;
ALTER TABLE learners ADD COLUMN erased_at timestamptz;
ALTER TABLE learners ADD COLUMN erasure_temporal_done_at timestamptz;
ALTER TABLE learners ADD CONSTRAINT learners_erased_is_deactivated CHECK (erased_at IS NULL OR deactivated_at IS NOT NULL);
ALTER TABLE learners ADD CONSTRAINT learners_erasure_done_after_erased CHECK (erasure_temporal_done_at IS NULL OR erased_at IS NOT NULL);
CREATE INDEX learners_erasure_pending ON learners (erased_at) WHERE erased_at IS NOT NULL AND erasure_temporal_done_at IS NULL;
CREATE INDEX learners_created ON learners (created_at DESC, id DESC);

ALTER TABLE certificates ADD COLUMN archived_at timestamptz;

-- Down Migration
ALTER TABLE certificates DROP COLUMN archived_at;
DROP INDEX IF EXISTS learners_created;
DROP INDEX IF EXISTS learners_erasure_pending;
ALTER TABLE learners DROP CONSTRAINT learners_erasure_done_after_erased;
ALTER TABLE learners DROP CONSTRAINT learners_erased_is_deactivated;
ALTER TABLE learners DROP COLUMN erasure_temporal_done_at;
ALTER TABLE learners DROP COLUMN erased_at;
ALTER TABLE learners DROP COLUMN deactivated_at;
