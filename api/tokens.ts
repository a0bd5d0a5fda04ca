/**
 * API tokens: made here, stored hashed (db/queries/api-tokens.ts), resolved to an actor per request.
 *
 * A token is `rct_` followed by 32 random bytes (base64url, 43 characters): 256 bits, shown once at
 * creation. The table keeps HMAC-SHA-256(key = API_TOKEN_HASH_KEY, token). A slow password hash
 * (scrypt) protects secrets people choose, which are few enough to try offline; a 256-bit random
 * token cannot be tried, so a fast keyed hash loses nothing and lets a request find its token with
 * one indexed lookup (no per-request scrypt, no token id in the token). The key means a copy of the
 * database alone cannot even confirm a token. ADMIN_API_TOKEN is not stored: it is compared in
 * constant time with the configured value (api/auth.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** What every token starts with (so a leaked one is recognisable by secret scanners). */
export const TOKEN_PREFIX = 'rct_';
/** The shape of a token this module makes. */
export const TOKEN_SHAPE = /^rct_[A-Za-z0-9_-]{43}$/;

/** A new random token (`rct_` + 43 base64url characters). */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The stored form of `token`: HMAC-SHA-256 keyed with `key` (32 bytes). */
export function hashToken(token: string, key: string): Buffer {
  return createHmac('sha256', key).update(token, 'utf8').digest();
}
