/**
 * Token management as domain services, each in the caller's transaction with its audit entry
 * (domain/audit.ts): creating a token (its hash made by the caller, api/tokens.ts) and revoking one.
 * A token is never deleted. Refusals are `Refusal`s (domain/refusal.ts).
 */
import type { TransactionSql } from '../db/client.ts';
import * as tokensQ from '../db/queries/api-tokens.ts';
import { BOOTSTRAP_ACTOR_NAME, recordChange, type AuditContext } from './audit.ts';
import { notFound, Refusal } from './refusal.ts';
import type { TokenScope } from './vocabulary.ts';

/** The fields of a token an audit entry shows (never its hash). */
const audited = (t: tokensQ.ApiTokenRow) => ({ name: t.name, scope: t.scope, expiresAt: t.expiresAt, revokedAt: t.revokedAt });

/**
 * Stores a new token. Throws a `Refusal`: 422 `reserved_name` (the bootstrap token's name),
 * 422 `expiry_in_past`, 409 `name_taken` (a live token has the name, without regard to case).
 */
export async function createToken(
  tx: TransactionSql,
  who: AuditContext,
  input: { name: string; scope: TokenScope; expiresAt: Date | null; tokenHash: Buffer },
): Promise<tokensQ.ApiTokenRow> {
  if (input.name.toLowerCase() === BOOTSTRAP_ACTOR_NAME.toLowerCase()) {
    throw new Refusal('rule', 'reserved_name', `${BOOTSTRAP_ACTOR_NAME} is the bootstrap token's name; choose another.`, { field: 'name' });
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new Refusal('rule', 'expiry_in_past', 'expiresAt must be in the future.', { field: 'expiresAt' });
  }
  const row = await tokensQ.insertApiToken(tx, { ...input, createdBy: who.actor.name });
  if (!row) throw new Refusal('conflict', 'name_taken', `A live token is named ${input.name}.`, { field: 'name' });
  await recordChange(tx, who, { action: 'token.created', entityType: 'token', entityId: row.id, before: null, after: audited(row) });
  return row;
}

/** Revokes token `id`. Throws a `Refusal`: 404, 409 `token_revoked` (already revoked). */
export async function revokeToken(tx: TransactionSql, who: AuditContext, id: string): Promise<tokensQ.ApiTokenRow> {
  const current = await tokensQ.getApiToken(tx, id, { forUpdate: true });
  if (!current) throw notFound('Token', id);
  const revoked = await tokensQ.revokeApiToken(tx, id);
  if (!revoked) throw new Refusal('conflict', 'token_revoked', `Token ${id} is already revoked.`, { revokedAt: current.revokedAt?.toISOString() ?? null });
  await recordChange(tx, who, { action: 'token.revoked', entityType: 'token', entityId: id, before: audited(current), after: audited(revoked) });
  return revoked;
}
