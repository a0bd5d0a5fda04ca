/**
 * Auth for `/api/*` (all but the OpenAPI document, the docs page and its assets): who is asking, and
 * may they use this route.
 *
 *  - The bearer token is ADMIN_API_TOKEN (compared in constant time: both sides hashed to the same
 *    length first; it acts as `ADMIN_API_TOKEN`, scope `admin`), or an API token found by its keyed
 *    hash (api/tokens.ts). No token, a malformed header or an unknown token: 401 `unauthorized`; a
 *    revoked token 401 `token_revoked`; an expired one 401 `token_expired`. The admin page's
 *    in-process calls carry the signed-in actor instead (api/in-process.ts).
 *  - Every route declares the scope it needs (`x-required-scope` in its `createRoute`, read from the
 *    OpenAPI registry so the document and the behaviour agree; `requires()` in api/deps.ts). A token
 *    without it: 403 `insufficient_scope` naming the scope it lacks. A route that declares none needs
 *    `admin` (closed by default). A path no route answers goes on to the 404/405 with any valid token.
 *  - Failed authentications are counted per client address (api/auth-limiter.ts): past the limit the
 *    address gets 429 `too_many_failed_authentications` (with `Retry-After`) without its token being
 *    checked.
 *
 * The token is never logged: log lines name the client address and the reason only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { matchedRoutes } from 'hono/route';
import { METHOD_NAME_ALL } from 'hono/router';
import * as tokensQ from '../db/queries/api-tokens.ts';
import { BOOTSTRAP_ACTOR, scopeAllows, type Actor } from '../domain/audit.ts';
import { TOKEN_SCOPES, type TokenScope } from '../domain/vocabulary.ts';
import type { FailureLimiter } from './auth-limiter.ts';
import type { ApiDeps, App, AppEnv } from './deps.ts';
import { errorResponse } from './errors.ts';
import { honoPath, openApiPath } from './unhonoured-headers.ts';
import { inProcessActor } from './in-process.ts';
import { hashToken } from './tokens.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Whether `given` is `expected`, in constant time (neither content nor length leaks through timing). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Paths under /api that need no token: the OpenAPI document and its docs page. */
export const PUBLIC_API_PATHS = new Set(['/api/openapi.json', '/api/docs']);

/** The OpenAPI extension a route declares its scope in. */
export const SCOPE_EXTENSION = 'x-required-scope';

/** Why a token was not taken (a 401). */
export type AuthFailure = 'missing' | 'unknown' | 'revoked' | 'expired';

/**
 * The actor of a bearer token: ADMIN_API_TOKEN's, or a live API token's (its use recorded at most once
 * a minute), or why not. Database errors propagate.
 */
export async function resolveToken(deps: Pick<ApiDeps, 'sql' | 'config'>, token: string | undefined): Promise<{ actor: Actor } | { failure: AuthFailure }> {
  if (!token) return { failure: 'missing' };
  if (tokenMatches(token, deps.config.adminApiToken)) return { actor: BOOTSTRAP_ACTOR };
  const found = await tokensQ.findApiTokenByHash(deps.sql, hashToken(token, deps.config.access.tokenHashKey));
  if (!found) return { failure: 'unknown' };
  if (!found.live) return { failure: found.revokedAt ? 'revoked' : 'expired' };
  if (found.staleUse) await tokensQ.touchApiToken(deps.sql, found.id);
  return { actor: { name: found.name, tokenId: found.id, scope: found.scope } };
}

/** The client's address (the TCP peer; `unknown` for a request that came through no socket). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** 429 for an address past its failure limit. */
export function tooManyFailures(c: Context, msBeforeNext: number): Response {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  c.header('Retry-After', String(seconds));
  return errorResponse(c, 429, 'too_many_failed_authentications', `Too many failed authentications from this address; try again in ${seconds} s.`, {
    retryAfterSeconds: seconds,
  });
}

const FAILURE_ANSWER: Record<AuthFailure, { code: string; message: string }> = {
  missing: { code: 'unauthorized', message: 'Send Authorization: Bearer <token> (an API token, or ADMIN_API_TOKEN).' },
  unknown: { code: 'unauthorized', message: 'That token is not known. Send Authorization: Bearer <token> (an API token, or ADMIN_API_TOKEN).' },
  revoked: { code: 'token_revoked', message: 'That token was revoked.' },
  expired: { code: 'token_expired', message: 'That token has expired.' },
};

/** The scope each registered route declares, by `METHOD /hono/:path` (from the app's OpenAPI registry). */
export function scopesOfRoutes(app: App): Map<string, TokenScope | undefined> {
  const out = new Map<string, TokenScope | undefined>();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const declared: unknown = (def.route as unknown as Record<string, unknown>)[SCOPE_EXTENSION];
    const scope = TOKEN_SCOPES.find((s) => s === declared);
    out.set(`${def.route.method.toUpperCase()} ${honoPath(def.route.path)}`, scope);
  }
  return out;
}

/** The `/api/*` auth middleware (see the module's comment); sets `c.var.who` (the actor and the route). */
export function apiAuth(deps: ApiDeps, app: App, limiter: FailureLimiter): MiddlewareHandler<AppEnv> {
  let scopes: Map<string, TokenScope | undefined> | undefined; // read on first use: every route is registered by then
  return async (c, next) => {
    if (PUBLIC_API_PATHS.has(c.req.path) || c.req.path.startsWith('/api/docs/assets/')) return await next();
    let actor = inProcessActor(c.req.raw);
    if (!actor) {
      const address = clientAddress(c);
      const state = await limiter.get(address);
      if (state.blocked) {
        deps.log.warn({ address, path: c.req.path }, 'authentication refused: too many failures from this address');
        return tooManyFailures(c, state.msBeforeNext);
      }
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const resolved = await resolveToken(deps, match?.[1]);
      if ('failure' in resolved) {
        await limiter.consume(address);
        deps.log.info({ address, path: c.req.path, reason: resolved.failure }, 'authentication failed');
        c.header('WWW-Authenticate', 'Bearer realm="recertify"');
        const { code, message } = FAILURE_ANSWER[resolved.failure];
        return errorResponse(c, 401, code, message);
      }
      actor = resolved.actor;
    }
    const endpoint = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
    const key = endpoint ? `${endpoint.method.toUpperCase()} ${endpoint.path}` : undefined;
    scopes ??= scopesOfRoutes(app);
    const route = key === undefined ? `${c.req.method} ${c.req.path}` : `${endpoint!.method.toUpperCase()} ${openApiPath(endpoint!.path)}`;
    if (key !== undefined && scopes.has(key)) {
      const need = scopes.get(key) ?? 'admin';
      if (!scopeAllows(actor.scope, need)) {
        return errorResponse(c, 403, 'insufficient_scope', `${route} needs the \`${need}\` scope; token "${actor.name}" has \`${actor.scope}\`.`, {
          requiredScope: need,
          tokenScope: actor.scope,
        });
      }
    }
    c.set('who', { actor, route });
    await next();
  };
}
