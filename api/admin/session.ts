/**
 * The admin page's sign-in sessions, kept in PostgreSQL (`admin_sessions`, db/queries/admin-sessions.ts)
 * so that signing out ends them on the server: a copy of the cookie taken before "Sign out" no longer
 * opens anything.
 *
 * The cookie is `v2.<id>.<mac>`: `id` is 32 random bytes (base64url), `mac` is
 * HMAC-SHA256(key = ADMIN_API_TOKEN, "recertify-admin-session.v2.<id>"). The table stores only
 * SHA-256(id), so neither the token nor a usable session id is ever stored. The MAC is checked first
 * (in constant time), so a forged or garbled cookie costs no query, and rotating the token still ends
 * every session at once. The session lasts `SESSION_TTL_SECONDS` from sign-in (the row's expiry,
 * judged by the database clock; the cookie's Max-Age matches).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sql } from '../../db/client.ts';
import * as sessionsQ from '../../db/queries/admin-sessions.ts';
import * as tokensQ from '../../db/queries/api-tokens.ts';
import { BOOTSTRAP_ACTOR, type Actor } from '../../domain/audit.ts';

export const SESSION_COOKIE = 'recertify_admin';
/** How long a sign-in lasts. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const COOKIE_VALUE = /^v2\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

const mac = (token: string, id: string): string =>
  createHmac('sha256', token).update(`recertify-admin-session.v2.${id}`, 'utf8').digest().toString('base64url');

/** The key of a session's row: SHA-256 of its id (as the cookie spells it). */
export const sessionIdHash = (id: string): Buffer => createHash('sha256').update(id, 'utf8').digest();

/** A new session: the cookie value and the key of its row. Nothing is stored until `startSession`. */
export function newSessionValue(token: string): { value: string; idHash: Buffer } {
  const id = randomBytes(32).toString('base64url');
  return { value: `v2.${id}.${mac(token, id)}`, idHash: sessionIdHash(id) };
}

/**
 * The row key of a cookie value signed with `token`, or null when it is missing, malformed or signed
 * otherwise (a tampered, foreign or pre-v2 cookie). Says nothing about whether the session is live.
 */
export function sessionIdHashOf(value: string | undefined, token: string): Buffer | null {
  if (!value) return null;
  const match = COOKIE_VALUE.exec(value);
  if (!match?.[1] || !match[2]) return null;
  // Compare the canonical text, not decoded bytes: base64url decoding ignores a last character's
  // spare bits, so two texts can decode alike.
  const given = Buffer.from(match[2], 'latin1');
  const expected = Buffer.from(mac(token, match[1]), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return sessionIdHash(match[1]);
}

/** Server-side sessions over the `admin_sessions` table. */
export interface SessionStore {
  /**
   * Signs in as `actor` (its token id is kept with the session; null: ADMIN_API_TOKEN): stores a new
   * session (and clears expired ones); returns the cookie value.
   */
  start(actor?: Actor): Promise<string>;
  /** Whether the cookie value names a live session signed with the current token. */
  isActive(value: string | undefined): Promise<boolean>;
  /**
   * Who the cookie's session acts as: ADMIN_API_TOKEN's actor, or its API token's (name and scope as
   * they are now); null when the session is not live or its token was revoked or has expired.
   */
  actorOf(value: string | undefined): Promise<Actor | null>;
  /** Signs out the cookie's session (nothing when it names none). */
  end(value: string | undefined): Promise<void>;
  /** Signs out every session; returns how many were live or not yet cleared. */
  endAll(): Promise<number>;
}

/** The session store over `sql`, signing cookies with `token`; sessions last `ttlSeconds`. Database errors propagate. */
export function createSessionStore(sql: Sql, token: string, ttlSeconds: number = SESSION_TTL_SECONDS): SessionStore {
  return {
    async start(actor = BOOTSTRAP_ACTOR) {
      const { value, idHash } = newSessionValue(token);
      await sessionsQ.deleteExpiredAdminSessions(sql);
      await sessionsQ.insertAdminSessionOf(sql, idHash, ttlSeconds, actor.tokenId);
      return value;
    },
    async isActive(value) {
      return (await this.actorOf(value)) !== null;
    },
    async actorOf(value) {
      const idHash = sessionIdHashOf(value, token);
      if (idHash === null) return null;
      const session = await sessionsQ.adminSessionToken(sql, idHash);
      if (!session) return null;
      if (session.tokenId === null) return BOOTSTRAP_ACTOR;
      const row = await tokensQ.getLiveApiToken(sql, session.tokenId);
      return row ? { name: row.name, tokenId: row.id, scope: row.scope } : null;
    },
    async end(value) {
      const idHash = sessionIdHashOf(value, token);
      if (idHash) await sessionsQ.deleteAdminSession(sql, idHash);
    },
    endAll: () => sessionsQ.deleteAllAdminSessions(sql),
  };
}

/** Only same-site admin paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/admin') || next.startsWith('//') || /[\\\r\n]/.test(next)) return '/admin/certificates';
  return next;
}
