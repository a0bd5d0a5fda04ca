/**
 * `Idempotency-Key` for POST routes. The key is claimed inside the transaction that does the
 * request's work, together with the answer; a repeat of the same key and body gets that first answer
 * (and does nothing), the same key with another body is 422 `idempotency_key_reused`. A request that
 * fails (4xx, 5xx) stores nothing: its transaction rolled back, so a retry with the key runs anew.
 */
import type { Sql, TransactionSql } from '../db/client.ts';
import * as q from '../db/queries/idempotency.ts';
import { unprocessable } from './errors.ts';
import { canonicalJson, sha256 } from './util.ts';

export interface IdempotencyScope {
  /** The route template, e.g. `POST /api/certificates/{id}/awards`. */
  route: string;
  key: string | undefined;
  /** Everything that makes two requests "the same": path params and body. */
  payload: unknown;
}

export type IdempotentOutcome<T> =
  | { replayed: false; status: number; body: T }
  | { replayed: true; status: number; body: unknown };

export async function runIdempotent<T>(
  sql: Sql,
  scope: IdempotencyScope,
  work: (tx: TransactionSql) => Promise<{ status: number; body: T }>,
): Promise<IdempotentOutcome<T>> {
  const { key, route } = scope;
  const requestHash = sha256(canonicalJson(scope.payload));
  return await sql.begin(async (tx): Promise<IdempotentOutcome<T>> => {
    if (key !== undefined) {
      const claim = await q.claimIdempotencyKey(tx, { route, key, requestHash });
      if (claim.kind === 'mismatch') {
        throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request.', { key });
      }
      if (claim.kind === 'replay') return { replayed: true, status: claim.statusCode, body: claim.response };
    }
    const result = await work(tx);
    if (key !== undefined) await q.storeIdempotentResponse(tx, { route, key, statusCode: result.status, response: result.body });
    return { replayed: false, ...result };
  });
}

/** Replaces the stored answer with the final one (after the post-commit steps, e.g. the workflow start). */
export async function updateIdempotentAnswer(sql: Sql, scope: IdempotencyScope, status: number, body: unknown): Promise<void> {
  if (scope.key === undefined) return;
  await q.storeIdempotentResponse(sql, { route: scope.route, key: scope.key, statusCode: status, response: body });
}
