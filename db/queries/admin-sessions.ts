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
