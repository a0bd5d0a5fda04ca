/**
 * `Idempotency-Key` for POST routes. The key is claimed inside the transaction that does the
 * request's work, together with the answer; a repeat of the same key and body gets that first answer
 * (and does nothing), the same key with another body is 422 `idempotency_key_reused`. A request that
 * fails (4xx, 5xx) stores nothing: its transaction rolled back, so a retry with the key runs anew.
 *
 * Every POST route that creates or changes something honours it (not the token routes, whose secret
 * is shown once, nor the message preview); a route does by declaring `IdempotencyHeaders` as its
 * request headers (so the OpenAPI document shows it) and running its work through `runIdempotent`.
 * Sent to any other `/api` route (GET, PATCH, DELETE, those POSTs) the key is refused with 400
 * `idempotency_key_unsupported` (api/unhonoured-headers.ts), never silently ignored.
 */
import type { Context } from 'hono';
import type { Sql, TransactionSql } from '../db/client.ts';
import * as q from '../db/queries/idempotency.ts';
import { API_BASE } from './deps.ts';
import { unprocessable } from './errors.ts';
import type { HonouredHeader } from './unhonoured-headers.ts';
import { canonicalJson, sha256 } from './util.ts';

/** The request header, lower-cased as Hono reads it. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface IdempotencyScope {
  /** The route template, e.g. `POST /api/certificates/{id}/awards`. */
  route: string;
  key: string | undefined;
  /** Everything that makes two requests "the same": path params and body. */
  payload: unknown;
}

/**
 * The scope of a request to `route` (a `createRoute` constant of an area mounted at `API_BASE`): its
 * template as `METHOD /api/path` (e.g. `POST /api/certificates/{id}/awards`, the name keys are stored
 * under), the `Idempotency-Key` sent (or undefined), and the payload that makes two requests the same.
 */
export function idempotencyScope(route: { method: string; path: string }, key: string | undefined, payload: unknown): IdempotencyScope {
  return { route: `${route.method.toUpperCase()} ${API_BASE}${route.path}`, key, payload };
}

/**
 * What `runIdempotent` did: the work's own result (with anything else the work returned besides the
 * answer, e.g. rows for the steps after the commit), or the stored first answer of a repeat.
 */
export type IdempotentOutcome<T, R extends { status: number; body: T } = { status: number; body: T }> =
  | ({ replayed: false } & R)
  | { replayed: true; status: number; body: unknown };

/**
 * Runs `work` in one transaction with the key's claim and stored answer (see the module comment).
 * `work` returns the answer (`status`, `body`: stored as JSON for repeats) and may return more, which
 * only this first run sees.
 */
export async function runIdempotent<T, R extends { status: number; body: T; stored?: T } = { status: number; body: T; stored?: T }>(
  sql: Sql,
  scope: IdempotencyScope,
  work: (tx: TransactionSql) => Promise<R>,
): Promise<IdempotentOutcome<T, R>> {
  const { key, route } = scope;
  const requestHash = sha256(canonicalJson(scope.payload));
  return await sql.begin(async (tx): Promise<IdempotentOutcome<T, R>> => {
    if (key !== undefined) {
      const claim = await q.claimIdempotencyKey(tx, { route, key, requestHash });
      if (claim.kind === 'mismatch') {
        throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request.', { key });
      }
      if (claim.kind === 'replay') return { replayed: true, status: claim.statusCode, body: claim.response };
    }
    const result = await work(tx);
    // `stored`: what a repeat answers, when it must differ from this answer (a secret shown once).
    if (key !== undefined) await q.storeIdempotentResponse(tx, { route, key, statusCode: result.status, response: result.stored ?? result.body });
    return { ...result, replayed: false };
  });
}

/** Replaces the stored answer with the final one (after the post-commit steps, e.g. the workflow start). */
export async function updateIdempotentAnswer(sql: Sql, scope: IdempotencyScope, status: number, body: unknown): Promise<void> {
  if (scope.key === undefined) return;
  await q.storeIdempotentResponse(sql, { route: scope.route, key: scope.key, statusCode: status, response: body });
}

/** Marks the answer to a repeat (`Idempotent-Replayed: true`), as every honouring route does. */
export function markReplayed(c: Context): void {
  c.header('Idempotent-Replayed', 'true');
}

/** `Idempotency-Key` as api/unhonoured-headers.ts refuses it on a route that does not declare it (see the module's comment). */
export const IDEMPOTENCY_KEY_HONOURED: HonouredHeader = {
  header: IDEMPOTENCY_HEADER,
  name: 'Idempotency-Key',
  code: 'idempotency_key_unsupported',
  meaningless: (route) => `Idempotency-Key means nothing on ${route}.`,
};
