-- Up Migration
-- A digest for admins and managers (issue 14 §4).
--  - learners.manager_email: the learner's manager (an email address; null: none). Each manager gets a
--    weekly digest of their learners' recertifications; the API validates the address like a learner's.
--  - digest_sends: the ledger of digests, one row per (period, recipient), written before the provider
--    request with the request's idempotency key (`digest:<period>:<recipient>`) and its rendered
--    payload, so a second run of the same period (the schedule firing twice, a retried activity) finds
--    the row and re-sends nothing, or re-sends the very same request when the first one's answer was
--    lost. The payload is cleared once the provider answered (it names learners).
ALTER TABLE learners ADD COLUMN manager_email text;
ALTER TABLE learners ADD CONSTRAINT learners_manager_email_length CHECK (manager_email IS NULL OR char_length(manager_email) BETWEEN 3 AND 320);
CREATE INDEX learners_manager_email ON learners (lower(manager_email)) WHERE manager_email IS NOT NULL;

CREATE TABLE digest_sends (
  period               text NOT NULL,           -- the local date of the period's scheduled slot, YYYY-MM-DD
  recipient            text NOT NULL,           -- lower-cased email address
  audience             text NOT NULL CHECK (audience IN ('admin', 'manager')),
  status               text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed')),
  idempotency_key      text NOT NULL UNIQUE,
  provider             text NOT NULL CHECK (provider IN ('resend', 'log')),
  from_address         text NOT NULL,
  subject              text,
  html_body            text,
  text_body            text,
  entry_count          integer NOT NULL CHECK (entry_count > 0),
  provider_message_id  text,
  error                text,
  send_attempts        integer NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  PRIMARY KEY (period, recipient),
  CHECK (status = 'sending' OR completed_at IS NOT NULL),
  CHECK (status <> 'sending' OR (subject IS NOT NULL AND html_body IS NOT NULL))
);
CREATE INDEX digest_sends_created ON digest_sends (created_at DESC);

-- Down Migration
DROP TABLE digest_sends;
DROP INDEX learners_manager_email;
ALTER TABLE learners DROP CONSTRAINT learners_manager_email_length;
ALTER TABLE learners DROP COLUMN manager_email;
