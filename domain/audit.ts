/**
 * Who did what: the request's actor (the API token it authenticated with) and the audit entries each
 * change writes in its own transaction. A domain service that changes something takes an
 * `AuditContext` (the actor and the route) and calls `recordChange` with the same transaction, so the
 * change and its entry commit together or not at all. Entries hold only the fields that changed,
 * flattened to dotted paths (`settings.expiration.validFor`), before and after.
 *
 * No HTTP here; SQL is in db/queries/audit-log.ts.
 */
import type { TransactionSql } from '../db/client.ts';
import * as auditQ from '../db/queries/audit-log.ts';
import type { AuditAction, AuditEntityType, TokenScope } from './vocabulary.ts';

/** The name ADMIN_API_TOKEN (the bootstrap token, scope `admin`) acts under; no API token may take it. */
export const BOOTSTRAP_ACTOR_NAME = 'ADMIN_API_TOKEN';

/** Who a request acts as: a token's name, its id (null for ADMIN_API_TOKEN) and its scope. */
export interface Actor {
  name: string;
  tokenId: string | null;
  scope: TokenScope;
}

/** The actor of ADMIN_API_TOKEN. */
export const BOOTSTRAP_ACTOR: Actor = { name: BOOTSTRAP_ACTOR_NAME, tokenId: null, scope: 'admin' };

/** What a change's audit entry says about where it came from: the actor and the route (`PATCH /api/awards/{id}`). */
export interface AuditContext {
  actor: Actor;
  route: string;
}

const RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** Whether a token of scope `have` may use a route that needs `need` (scopes nest: read < write < admin). */
export function scopeAllows(have: TokenScope, need: TokenScope): boolean {
  return RANK[have] >= RANK[need];
}

type Plain = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** A value as it is stored in an entry: dates as ISO strings, everything else as JSON has it. */
function stored(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(stored);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, stored(x)]));
  return v === undefined ? null : v;
}

/** `fields` flattened: nested plain objects become dotted paths; arrays, dates and scalars are leaves. */
export function flatten(fields: Plain, prefix = ''): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (isPlainObject(v) && Object.keys(v).length > 0) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = stored(v);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The fields that differ between `before` and `after` (flattened), each side holding only those; null
 * when nothing differs. A field missing on one side is null there.
 */
export function changedFields(before: Plain, after: Plain): { before: Plain; after: Plain } | null {
  const b = flatten(before);
  const a = flatten(after);
  const out = { before: {} as Plain, after: {} as Plain };
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (same(b[key], a[key])) continue;
    out.before[key] = b[key] ?? null;
    out.after[key] = a[key] ?? null;
  }
  return Object.keys(out.after).length === 0 ? null : out;
}

/** One change to record: before/after are the entity's fields as they were and are (null: created / gone). */
export interface Change {
  action: AuditAction;
  entityType: AuditEntityType;
  entityId: string;
  before: Plain | null;
  after: Plain | null;
}

/**
 * Writes the audit entry of `change` in `tx` (the change's own transaction), with only the fields that
 * changed. A change with both sides given and nothing different writes nothing (returns null).
 * Database errors propagate (and roll the change back with the transaction).
 */
export async function recordChange(tx: TransactionSql, who: AuditContext, change: Change): Promise<auditQ.AuditRow | null> {
  let before: Plain | null = change.before === null ? null : flatten(change.before);
  let after: Plain | null = change.after === null ? null : flatten(change.after);
  if (change.before !== null && change.after !== null) {
    const diff = changedFields(change.before, change.after);
    if (!diff) return null;
    ({ before, after } = diff);
  }
  return await auditQ.insertAuditEntry(tx, {
    actorName: who.actor.name,
    actorTokenId: who.actor.tokenId,
    route: who.route,
    action: change.action,
    entityType: change.entityType,
    entityId: change.entityId,
    before,
    after,
  });
}

/** The learner fields that are personal data: an erasure redacts them in the learner's earlier entries. */
export const LEARNER_PERSONAL_FIELDS = ['name', 'email', 'timeZone', 'managerEmail'] as const;

/** Redacts the personal fields of every entry about learner `learnerId` (in the erasure's transaction); returns how many entries. */
export async function redactLearnerEntries(tx: TransactionSql, learnerId: string): Promise<number> {
  return await auditQ.redactLearnerAuditFields(tx, learnerId, LEARNER_PERSONAL_FIELDS);
}
