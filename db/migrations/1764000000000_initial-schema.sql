-- Up Migration
-- Recertify's domain (SPEC §2). Invariants live here as constraints, not only in code.

CREATE TABLE learners (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX learners_email_unique ON learners (lower(email));

CREATE TABLE courses (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'live', 'archived')),
  enrollment_message  jsonb,           -- {subject, body} or null
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE certificates (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  settings          jsonb NOT NULL,
  settings_version  integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- A certificate's associated content: completing any of these courses awards the certificate.
CREATE TABLE certificate_courses (
  certificate_id  uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  course_id       uuid NOT NULL REFERENCES courses (id),
  position        integer NOT NULL DEFAULT 0,
  PRIMARY KEY (certificate_id, course_id)
);
CREATE INDEX certificate_courses_course ON certificate_courses (course_id);

CREATE TABLE course_attempts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id      uuid NOT NULL REFERENCES courses (id),
  learner_id     uuid NOT NULL REFERENCES learners (id),
  status         text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'in_progress', 'completed', 'superseded')),
  progress       integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  source         text NOT NULL CHECK (source IN ('recertification', 'manual')),
  award_id       uuid,                 -- the award whose recertification created it
  created_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz,
  superseded_at  timestamptz,
  CHECK (source <> 'recertification' OR award_id IS NOT NULL),
  CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);
-- At most one current (not superseded) attempt per learner and course.
CREATE UNIQUE INDEX course_attempts_one_current ON course_attempts (learner_id, course_id) WHERE status <> 'superseded';
-- At most one recertification attempt per award: a retried activity finds the first one.
CREATE UNIQUE INDEX course_attempts_one_per_award ON course_attempts (award_id) WHERE source = 'recertification';
CREATE INDEX course_attempts_learner ON course_attempts (learner_id, created_at DESC);

CREATE TABLE awards (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  certificate_id       uuid NOT NULL REFERENCES certificates (id),
  learner_id           uuid NOT NULL REFERENCES learners (id),
  awarded_at           timestamptz NOT NULL,
  expires_at           timestamptz,
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'renewed', 'expired', 'revoked')),
  previous_award_id    uuid REFERENCES awards (id),
  renewed_by_award_id  uuid REFERENCES awards (id),
  source_attempt_id    uuid REFERENCES course_attempts (id),
  workflow_id          text UNIQUE,
  workflow_started_at  timestamptz,     -- null until Temporal confirmed the start (the reconciler retries)
  revoked_reason       text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (expires_at IS NULL OR expires_at > awarded_at)
);
-- One active award per learner and certificate; renewals retire the old one in the same transaction.
CREATE UNIQUE INDEX awards_one_active ON awards (certificate_id, learner_id) WHERE status = 'active';
-- A completed attempt awards a certificate once, however often the completion is retried.
CREATE UNIQUE INDEX awards_once_per_attempt ON awards (source_attempt_id, certificate_id) WHERE source_attempt_id IS NOT NULL;
CREATE INDEX awards_certificate_status ON awards (certificate_id, status, expires_at);
CREATE INDEX awards_learner ON awards (learner_id);
CREATE INDEX awards_workflow_pending ON awards (created_at) WHERE workflow_started_at IS NULL AND workflow_id IS NOT NULL;

ALTER TABLE course_attempts ADD CONSTRAINT course_attempts_award_fk FOREIGN KEY (award_id) REFERENCES awards (id);

-- Every message the system sends (or tries to). The idempotency key makes sending exactly-once.
CREATE TABLE messages (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                 text NOT NULL CHECK (kind IN ('certificate_expiring', 'course_enrollment', 'certificate_expired', 'recertification_reminder')),
  learner_id           uuid NOT NULL REFERENCES learners (id),
  award_id             uuid REFERENCES awards (id),
  attempt_id           uuid REFERENCES course_attempts (id),
  to_address           text NOT NULL,
  from_address         text NOT NULL,
  subject              text NOT NULL,
  body                 text NOT NULL,
  provider             text NOT NULL CHECK (provider IN ('resend', 'log')),
  provider_message_id  text,
  status               text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  error                text,
  idempotency_key      text NOT NULL UNIQUE,
  batch_id             uuid,            -- the provider batch request it went out in, if any
  send_attempts        integer NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  sent_at              timestamptz
);
CREATE INDEX messages_learner ON messages (learner_id, created_at DESC);
CREATE INDEX messages_award ON messages (award_id);
CREATE INDEX messages_created ON messages (created_at DESC);
CREATE INDEX messages_batch ON messages (batch_id) WHERE batch_id IS NOT NULL;

-- Provider batch requests: the exact payload order and key, so a retry re-sends the same request
-- (and the provider's idempotency answers it) instead of sending a message twice.
CREATE TABLE email_batches (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key  text NOT NULL UNIQUE,
  message_ids      uuid[] NOT NULL,
  status           text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz
);

-- Settings changes that must reach every running workflow of a certificate. A row is written in the
-- same transaction as the change; it is done once the propagation workflow has been started.
CREATE TABLE settings_propagations (
  certificate_id    uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  settings_version  integer NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,      -- propagation workflow started
  completed_at      timestamptz,
  signalled         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (certificate_id, settings_version)
);
CREATE INDEX settings_propagations_pending ON settings_propagations (created_at) WHERE started_at IS NULL;

-- HTTP Idempotency-Key results: a repeated request returns the first answer.
CREATE TABLE idempotent_requests (
  key           text NOT NULL,
  route         text NOT NULL,
  request_hash  text NOT NULL,
  status_code   integer,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (route, key)
);

-- Down Migration
DROP TABLE IF EXISTS idempotent_requests, settings_propagations, email_batches, messages;
ALTER TABLE course_attempts DROP CONSTRAINT IF EXISTS course_attempts_award_fk;
DROP TABLE IF EXISTS awards, course_attempts, certificate_courses, certificates, courses, learners;
