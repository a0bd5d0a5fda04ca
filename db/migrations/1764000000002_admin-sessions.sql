-- Up Migration
-- Admin page sign-in sessions (issue 17 §6). The cookie carries a random 256-bit session id (and a MAC
-- keyed by the admin token); this table holds only the id's SHA-256, so a copy of the table opens no
-- session. A session is live while its row exists and has not expired: signing out deletes the row,
-- "Sign out everywhere" deletes them all, and sign-ins clear expired rows.
CREATE TABLE admin_sessions (
  id_hash     bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX admin_sessions_expires_at ON admin_sessions (expires_at);

-- Down Migration
DROP TABLE IF EXISTS admin_sessions;
