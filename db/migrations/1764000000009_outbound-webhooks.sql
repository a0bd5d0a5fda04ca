-- Up Migration
-- Outbound webhooks (issue 10 §2): subscriptions, an outbox of events, and each event's delivery to
-- each subscription with its attempts (the delivery log). An event is inserted in the transaction of
-- the change it reports, together with one delivery row per enabled subscription that asks for its
-- type (db/queries/webhooks.ts insertWebhookEvent); a delivery workflow per row (workflows/
-- webhook-delivery.ts, started by the API's dispatcher) sends it, every retry with the event's id as
-- the Standard Webhooks `webhook-id`. Vocabularies: domain/vocabulary.ts (Outbound webhooks).
CREATE TABLE webhook_subscriptions (
  id                    uuid PRIMARY KEY,
  url                   text NOT NULL CHECK (url ~* '^https?://[^/\\?#]' AND length(url) <= 2000),
  description           text,
  -- The Standard Webhooks signing secret (`whsec_` + base64); shown once, when created.
  secret                text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'),
  event_types           text[] NOT NULL CHECK (cardinality(event_types) >= 1),
  enabled               boolean NOT NULL DEFAULT true,
  disabled_at           timestamptz,
  disabled_reason       text,
  -- Deliveries in a row that failed for good (past the retry horizon); a 2xx answer resets it.
  consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (event_types <@ ARRAY['recertification.enrolled', 'recertification.reminded', 'award.created', 'award.renewed',
                               'award.expired', 'award.revoked', 'message.bounced']::text[]),
  CHECK (enabled = (disabled_at IS NULL)),
  CHECK (enabled OR disabled_reason IS NOT NULL)
);
CREATE INDEX webhook_subscriptions_created ON webhook_subscriptions (created_at DESC, id DESC);

CREATE TABLE webhook_events (
  id          uuid PRIMARY KEY,   -- the Standard Webhooks `webhook-id`: every attempt of every delivery reuses it
  type        text NOT NULL CHECK (type IN ('recertification.enrolled', 'recertification.reminded', 'award.created', 'award.renewed',
                                            'award.expired', 'award.revoked', 'message.bounced')),
  data        jsonb NOT NULL,     -- ids and instants only (no personal data: an erasure need not reach it)
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  subscription_id      uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id             uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
  attempts             integer NOT NULL DEFAULT 0,
  last_error           text,
  workflow_started_at  timestamptz,   -- null until Temporal confirmed the delivery workflow (the dispatcher starts it)
  created_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  PRIMARY KEY (subscription_id, event_id),
  CHECK ((status = 'pending') = (completed_at IS NULL))
);
CREATE INDEX webhook_deliveries_to_start ON webhook_deliveries (created_at) WHERE workflow_started_at IS NULL;
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_delivery_attempts (
  id               uuid PRIMARY KEY,
  subscription_id  uuid NOT NULL,
  event_id         uuid NOT NULL,
  attempt          integer NOT NULL CHECK (attempt >= 1),   -- Temporal's attempt number of the delivery activity
  status_code      integer,                                 -- null: no HTTP answer (refused, timed out)
  error            text,                                    -- null on a 2xx answer
  duration_ms      integer NOT NULL CHECK (duration_ms >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (subscription_id, event_id) REFERENCES webhook_deliveries (subscription_id, event_id) ON DELETE CASCADE
);
CREATE INDEX webhook_delivery_attempts_log ON webhook_delivery_attempts (subscription_id, created_at DESC, id DESC);

-- Down Migration
DROP TABLE IF EXISTS webhook_delivery_attempts, webhook_deliveries, webhook_events, webhook_subscriptions;
