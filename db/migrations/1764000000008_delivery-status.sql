-- Up Migration
-- Delivery status from Resend (issue 10 §1). Vocabularies: domain/vocabulary.ts (Delivery).
--  - messages.status gains `suppressed`: recorded, not sent, because the learner's address
--    hard-bounced or complained.
--  - messages.delivery_status: what the provider last reported that counts most (null until the
--    first event); message_delivery_events: the timeline, one row per event.
--  - resend_webhook_events: every received webhook event id (svix-id), so a replay changes nothing;
--    an event for an email id no message has yet is kept `unmatched` and applied when the send that
--    got that id is recorded.
--  - learners.email_suppressed_*: the address is suppressed (hard bounce or complaint) until the
--    learner's email changes.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed'));
ALTER TABLE messages ADD COLUMN delivery_status text CHECK (delivery_status IN ('sent', 'delivered', 'delivery_delayed', 'bounced', 'complained', 'failed'));
ALTER TABLE messages ADD COLUMN delivery_updated_at timestamptz;
CREATE INDEX messages_provider_message_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE message_delivery_events (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id         uuid NOT NULL REFERENCES messages (id),
  type               text NOT NULL CHECK (type IN ('sent', 'delivered', 'delivery_delayed', 'bounced', 'complained', 'failed')),
  -- The provider's event id (Resend: the svix-id header); null for events recorded without one (the log provider's).
  provider_event_id  text UNIQUE,
  -- When the provider says it happened (the event's created_at).
  occurred_at        timestamptz NOT NULL,
  received_at        timestamptz NOT NULL DEFAULT clock_timestamp(),  -- distinct within a transaction: orders same-instant events
  -- A bounce's type, subtype and message; a failure's reason.
  detail             text
);
CREATE INDEX message_delivery_events_message ON message_delivery_events (message_id, occurred_at, received_at);

CREATE TABLE resend_webhook_events (
  svix_id       text PRIMARY KEY,
  event_type    text NOT NULL,
  email_id      text,
  outcome       text NOT NULL CHECK (outcome IN ('applied', 'unmatched', 'ignored')),
  -- For an `unmatched` event, what to apply when its message is recorded.
  delivery_type text CHECK (delivery_type IN ('sent', 'delivered', 'delivery_delayed', 'bounced', 'complained', 'failed')),
  occurred_at   timestamptz,
  detail        text,
  hard_bounce   boolean NOT NULL DEFAULT false,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resend_webhook_events_unmatched ON resend_webhook_events (email_id) WHERE outcome = 'unmatched';

ALTER TABLE learners ADD COLUMN email_suppressed_at timestamptz;
ALTER TABLE learners ADD COLUMN email_suppressed_reason text CHECK (email_suppressed_reason IN ('hard_bounce', 'complaint'));
ALTER TABLE learners ADD COLUMN email_suppressed_message_id uuid REFERENCES messages (id);
ALTER TABLE learners ADD CONSTRAINT learners_suppression_whole CHECK ((email_suppressed_at IS NULL) = (email_suppressed_reason IS NULL));

-- Down Migration
ALTER TABLE learners DROP CONSTRAINT learners_suppression_whole;
ALTER TABLE learners DROP COLUMN email_suppressed_message_id;
ALTER TABLE learners DROP COLUMN email_suppressed_reason;
ALTER TABLE learners DROP COLUMN email_suppressed_at;
DROP TABLE resend_webhook_events;
DROP TABLE message_delivery_events;
DROP INDEX IF EXISTS messages_provider_message_id;
ALTER TABLE messages DROP COLUMN delivery_updated_at;
ALTER TABLE messages DROP COLUMN delivery_status;
UPDATE messages SET status = 'failed', error = 'suppressed (migration rolled back)' WHERE status = 'suppressed';
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
