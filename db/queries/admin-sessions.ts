/**
 * The only SQL for `admin_sessions`: the admin page's sign-in sessions (api/admin/session.ts). Rows
 * are keyed by the SHA-256 of the session id the cookie carries, never the id itself. Expiry is
 * judged by the database clock, so every API process agrees on it.
 */
import type { Sql, TransactionSql } from '../client.ts';

type Db = Sql | TransactionSql;

/** Records a new session lasting `ttlSeconds` from now. */
export async function insertAdminSession(sql: Db, idHash: Buffer, ttlSeconds: number): Promise<void> {
  await sql`insert into admin_sessions (id_hash, expires_at) values (${idHash}, now() + make_interval(secs => ${ttlSeconds}))`;
}

/** Whether the session exists and has not expired. */
export async function adminSessionActive(sql: Db, idHash: Buffer): Promise<boolean> {
  const rows = await sql`select 1 from admin_sessions where id_hash = ${idHash} and expires_at > now()`;
  return rows.length === 1;
}

/** Ends one session (sign out); returns how many rows went (0 or 1). */
export async function deleteAdminSession(sql: Db, idHash: Buffer): Promise<number> {
  const rows = await sql`delete from admin_sessions where id_hash = ${idHash} returning 1`;
  return rows.length;
}

/** Ends every session (sign out everywhere); returns how many there were. */
export async function deleteAllAdminSessions(sql: Db): Promise<number> {
  const rows = await sql`delete from admin_sessions returning 1`;
  return rows.length;
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredAdminSessions(sql: Db): Promise<number> {
  const rows = await sql`delete from admin_sessions where expires_at <= now() returning 1`;
  return rows.length;
}

/** Records a new session of token `tokenId` (null: ADMIN_API_TOKEN) lasting `ttlSeconds` from now. */
export async function insertAdminSessionOf(sql: Db, idHash: Buffer, ttlSeconds: number, tokenId: string | null): Promise<void> {
  await sql`insert into admin_sessions (id_hash, expires_at, token_id) values (${idHash}, now() + make_interval(secs => ${ttlSeconds}), ${tokenId})`;
}

/**
 * The live session's token: `{ tokenId: null }` for ADMIN_API_TOKEN, the token's id for an API
 * token that is itself live (not revoked, not expired), or null when the session is not live or its
 * token no longer is.
 */
export async function adminSessionToken(sql: Db, idHash: Buffer): Promise<{ tokenId: string | null } | null> {
  const [row] = await sql<{ tokenId: string | null }[]>`
    select s.token_id from admin_sessions s left join api_tokens t on t.id = s.token_id
    where s.id_hash = ${idHash} and s.expires_at > now()
      and (s.token_id is null or (t.revoked_at is null and (t.expires_at is null or t.expires_at > now())))`;
  return row ?? null;
}
