/**
 * The admin page's sign-in session: a stateless cookie `v1.<expiry>.<mac>` where mac is
 * HMAC-SHA256(key = ADMIN_API_TOKEN, "recertify-admin-session.v1.<expiry>"). The token itself never
 * leaves the server; rotating the token ends every session; the expiry is signed, so it cannot be
 * stretched. Verification compares the MACs in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'recertify_admin';
/** How long a sign-in lasts. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const mac = (token: string, expiresAtSeconds: number): Buffer =>
  createHmac('sha256', token).update(`recertify-admin-session.v1.${expiresAtSeconds}`, 'utf8').digest();

export function createSessionValue(token: string, nowMs: number = Date.now(), ttlSeconds = SESSION_TTL_SECONDS): string {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  return `v1.${expiresAt}.${mac(token, expiresAt).toString('base64url')}`;
}

export function verifySessionValue(value: string | undefined, token: string, nowMs: number = Date.now()): boolean {
  if (!value) return false;
  const match = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match?.[1] || !match[2]) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt * 1000 <= nowMs) return false;
  // Compare the canonical text, not decoded bytes: base64url decoding ignores a last character's
  // spare bits, so two texts can decode alike.
  const given = Buffer.from(match[2], 'latin1');
  const expected = Buffer.from(mac(token, expiresAt).toString('base64url'), 'latin1');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Only same-site admin paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/admin') || next.startsWith('//') || /[\\\r\n]/.test(next)) return '/admin/certificates';
  return next;
}
