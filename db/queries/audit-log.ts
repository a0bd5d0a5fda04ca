/**
 * The only SQL for `audit_log`: one row per change, inserted in the change's own transaction
 * (domain/audit.ts). Listed newest first with keyset paging on `(created_at, id)` (./paging.ts).
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { AuditAction, AuditEntityType } from '../../domain/vocabulary.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;

/** A field-by-field record of values: only the fields that changed. */
export type AuditFields = Record<string, unknown>;

/** An audit entry as stored. */
export interface AuditRow {
  id: string;
  createdAt: Date;
  actorName: string;
  actorTokenId: string | null;
  route: string;
  action: AuditAction;
  entityType: AuditEntityType;
  entityId: string;
  before: AuditFields | null;
  after: AuditFields | null;
}

/** What an entry says; `createdAt` is the transaction's time (now()). */
export type AuditInsert = Omit<AuditRow, 'id' | 'createdAt'>;

/** Inserts one entry in `sql`'s transaction; returns it. */
export async function insertAuditEntry(sql: Db, e: AuditInsert): Promise<AuditRow> {
  const [row] = await sql<AuditRow[]>`
    insert into audit_log (actor_name, actor_token_id, route, action, entity_type, entity_id, before, after)
    values (${e.actorName}, ${e.actorTokenId}, ${e.route}, ${e.action}, ${e.entityType}, ${e.entityId},
            ${e.before === null ? null : sql.json(e.before as never)}, ${e.after === null ? null : sql.json(e.after as never)})
    returning *`;
  if (!row) throw new Error('audit entry not inserted');
  return row;
}

/** The filters of the audit list; each is exact. `since`/`until`: created at or after / strictly before. */
export interface AuditFilter {
  entityType?: AuditEntityType;
  entityId?: string;
  actor?: string;
  action?: AuditAction;
  since?: Date;
  until?: Date;
  limit: number;
  before?: PageBefore;
}

/** The first entry of `action` about the entity (oldest; null when none): e.g. who started an import. */
export async function firstEntry(sql: Db, f: { entityType: AuditEntityType; entityId: string; action: AuditAction }): Promise<AuditRow | null> {
  const [row] = await sql<AuditRow[]>`
    select * from audit_log where entity_type = ${f.entityType} and entity_id = ${f.entityId} and action = ${f.action}
    order by created_at, id limit 1`;
  return row ?? null;
}

/** Entries newest first (created_at, then id, descending), each with its page key. */
export async function listAuditEntries(sql: Db, f: AuditFilter): Promise<Keyed<AuditRow>[]> {
  return await sql<Keyed<AuditRow>[]>`
    select *, ${pageKeyColumn(sql)} from audit_log
    where true
      ${f.entityType ? sql`and entity_type = ${f.entityType}` : sql``}
      ${f.entityId ? sql`and entity_id = ${f.entityId}` : sql``}
      ${f.actor ? sql`and actor_name = ${f.actor}` : sql``}
      ${f.action ? sql`and action = ${f.action}` : sql``}
      ${f.since ? sql`and created_at >= ${f.since}` : sql``}
      ${f.until ? sql`and created_at < ${f.until}` : sql``}
      ${beforeCondition(sql, f.before)}
    order by created_at desc, id desc
    limit ${f.limit}`;
}

/**
 * Redacts the named fields of every entry about learner `learnerId` (an erasure): each of `fields`
 * present in `before` or `after` is replaced with `"[erased]"`. Returns how many entries changed.
 */
export async function redactLearnerAuditFields(tx: TransactionSql, learnerId: string, fields: readonly string[]): Promise<number> {
  const rows = await tx`
    update audit_log set
      before = case when before is null then null else before || (
        select coalesce(jsonb_object_agg(k, '"[erased]"'::jsonb), '{}'::jsonb) from jsonb_object_keys(before) k where k = any(${fields as string[]})) end,
      after = case when after is null then null else after || (
        select coalesce(jsonb_object_agg(k, '"[erased]"'::jsonb), '{}'::jsonb) from jsonb_object_keys(after) k where k = any(${fields as string[]})) end
    where entity_type = 'learner' and entity_id = ${learnerId}
    returning 1`;
  return rows.length;
}

/**
 * Replaces `address` (case-insensitively) where it stands as a `managerEmail` in any learner entry's
 * `before` or `after` with `"[erased]"` (an erasure of that person: other learners' entries named them
 * as their manager). Returns how many entries changed.
 */
export async function redactManagerAddress(tx: TransactionSql, address: string): Promise<number> {
  const rows = await tx`
    update audit_log set
      before = case when lower(before->>'managerEmail') = lower(${address}) then jsonb_set(before, '{managerEmail}', '"[erased]"') else before end,
      after = case when lower(after->>'managerEmail') = lower(${address}) then jsonb_set(after, '{managerEmail}', '"[erased]"') else after end
    where entity_type = 'learner'
      and (lower(before->>'managerEmail') = lower(${address}) or lower(after->>'managerEmail') = lower(${address}))
    returning 1`;
  return rows.length;
}
