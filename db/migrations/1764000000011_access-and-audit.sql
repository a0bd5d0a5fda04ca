-- Up Migration
-- Access and audit (issue 15). Named, scoped, revocable API tokens: the table keeps only a keyed hash
-- of each token (HMAC-SHA-256 of a 256-bit random secret, api/tokens.ts), never the token. A token's
-- scope is one of the nested scopes read < write < admin (domain/vocabulary.ts TOKEN_SCOPES). A token
-- is never deleted (the audit log names it): revoking sets revoked_at. Names are unique among live
-- tokens, compared without regard to case. ADMIN_API_TOKEN (the bootstrap token) is not stored here.
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  scope         text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (lower(name)) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_created_at ON api_tokens (created_at DESC, id DESC);

-- An admin page session remembers which token signed in (null: ADMIN_API_TOKEN), so the page acts
-- with that token's name and scope; revoking the token ends its sessions (checked on each request).
ALTER TABLE admin_sessions ADD COLUMN token_id uuid REFERENCES api_tokens (id);

-- The audit log: one row per change, written in the change's own transaction (domain/audit.ts), so a
-- change and its entry commit or roll back together. `actor_name` is the token's name (or
-- 'ADMIN_API_TOKEN'); `before`/`after` hold only the fields that changed. An erased learner's
-- entries hold no personal data (their name and email fields are redacted at erasure).
CREATE TABLE audit_log (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  actor_name      text NOT NULL,
  actor_token_id  uuid,
  route           text NOT NULL,
  action          text NOT NULL CHECK (action IN (
                    'certificate.created', 'certificate.changed', 'certificate.archived', 'award.extended', 'award.revoked',
                    'learner.edited', 'learner.deactivated', 'learner.erased', 'course.created', 'course.changed',
                    'import.created', 'token.created', 'token.revoked')),
  entity_type     text NOT NULL CHECK (entity_type IN ('certificate', 'award', 'learner', 'course', 'import', 'token')),
  entity_id       uuid NOT NULL,
  before          jsonb,
  after           jsonb
);
CREATE INDEX audit_log_created_at ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, created_at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_name, created_at DESC, id DESC);

-- Down Migration
DROP TABLE IF EXISTS audit_log;
ALTER TABLE admin_sessions DROP COLUMN IF EXISTS token_id;
DROP TABLE IF EXISTS api_tokens;
