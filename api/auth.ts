/**
 * Bearer-token auth for `/api/*`, all but the OpenAPI document, the docs page and its assets. The
 * token is compared in constant time (both sides hashed to the same length first, so neither content
 * nor length leaks through timing) and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export function tokenMatches(given: string, expected: string): boolean {
  // Compare digests, then confirm the flag in a way that does not short-circuit on content.
  return timingSafeEqual(digest(given), digest(expected));
}

/** Paths under /api that need no token: the OpenAPI document and its docs page. */
export const PUBLIC_API_PATHS = new Set(['/api/openapi.json', '/api/docs']);

export function bearerAuth(expectedToken: string): MiddlewareHandler {
  return async (c, next) => {
    if (PUBLIC_API_PATHS.has(c.req.path) || c.req.path.startsWith('/api/docs/assets/')) return await next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !tokenMatches(match[1], expectedToken)) {
      c.header('WWW-Authenticate', 'Bearer realm="recertify"');
      return errorResponse(c, 401, 'unauthorized', 'Send Authorization: Bearer <ADMIN_API_TOKEN>.');
    }
    await next();
  };
}
