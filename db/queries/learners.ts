/** The only SQL for `learners`. */
import type { Sql, TransactionSql } from '../client.ts';
import type { LearnerRow } from '../rows.ts';
import type { SuppressionReason } from '../../domain/vocabulary.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;

/** Inserts a learner; null when the email (case-insensitively) is taken. */
export async function insertLearner(sql: Db, args: { email: string; name: string; timeZone?: string | null; managerEmail?: string | null }): Promise<LearnerRow | null> {
  const [row] = await sql<LearnerRow[]>`
    insert into learners (email, name, time_zone, manager_email) values (${args.email}, ${args.name}, ${args.timeZone ?? null}, ${args.managerEmail ?? null})
    on conflict do nothing
    returning *`;
  return row ?? null;
}

export async function getLearner(sql: Db, id: string): Promise<LearnerRow | null> {
  const [row] = await sql<LearnerRow[]>`select * from learners where id = ${id}`;
  return row ?? null;
}

/** A learner's lifecycle status, as the vocabulary derives it from the row. */
export type LearnerStatus = 'active' | 'deactivated' | 'erased';

/** `value` as a LIKE pattern matching itself anywhere (the wildcards `%`, `_` and the escape `\` taken literally). */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * Learners newest first (created_at, then id, descending), each with its page key (db/queries/paging.ts).
 * `email`: exactly this email (case-insensitively); `q`: email or name containing it (case-insensitively;
 * `%` and `_` are literal); `status`: only learners in it. Filters and paging combine: the keyset bound
 * applies to the filtered rows, so every match is listed once across pages.
 */
export async function listLearners(
  sql: Db,
  filter: { email?: string; q?: string; status?: LearnerStatus; limit: number; before?: PageBefore },
): Promise<Keyed<LearnerRow>[]> {
  const pattern = filter.q ? containsPattern(filter.q) : null;
  return await sql<Keyed<LearnerRow>[]>`
    select *, ${pageKeyColumn(sql)} from learners
    where true ${filter.email ? sql`and lower(email) = lower(${filter.email})` : sql``}
      ${pattern ? sql`and (email ilike ${pattern} or name ilike ${pattern})` : sql``}
      ${filter.status === 'active' ? sql`and deactivated_at is null` : sql``}
      ${filter.status === 'deactivated' ? sql`and deactivated_at is not null and erased_at is null` : sql``}
      ${filter.status === 'erased' ? sql`and erased_at is not null` : sql``}
      ${beforeCondition(sql, filter.before)}
    order by created_at desc, id desc
    limit ${filter.limit}`;
}

/**
 * Locks the learner's row for the caller's transaction and returns it: `update` (a change to the
 * learner: edit, deactivate, erase) or `share` (something made for them: an award, an enrollment,
 * a completion), so a deactivation and an award never interleave. Null: no such learner.
 */
export async function lockLearner(tx: TransactionSql, id: string, mode: 'update' | 'share'): Promise<LearnerRow | null> {
  const [row] = mode === 'update'
    ? await tx<LearnerRow[]>`select * from learners where id = ${id} for update`
    : await tx<LearnerRow[]>`select * from learners where id = ${id} for share`;
  return row ?? null;
}

/**
 * Changes a learner's name, email, time zone and/or manager's email (what is absent stays; a null time zone: the default; a null manager: none). A new email (other than the old one,
 * case-insensitively) lifts the address's suppression (a hard bounce or complaint was the old
 * address's). Throws the database's unique violation `learners_email_unique` when another learner has
 * the email (case-insensitively).
 */
export async function updateLearner(
  tx: TransactionSql,
  id: string,
  patch: { email?: string; name?: string; timeZone?: string | null; managerEmail?: string | null },
): Promise<LearnerRow | null> {
  const email = patch.email ?? null;
  const [row] = await tx<LearnerRow[]>`
    update learners set email = coalesce(${email}, email), name = coalesce(${patch.name ?? null}, name),
      time_zone = ${patch.timeZone === undefined ? tx`time_zone` : tx`${patch.timeZone}`},
      manager_email = ${patch.managerEmail === undefined ? tx`manager_email` : tx`${patch.managerEmail}`},
      email_suppressed_at = case when lower(coalesce(${email}, email)) = lower(email) then email_suppressed_at end,
      email_suppressed_reason = case when lower(coalesce(${email}, email)) = lower(email) then email_suppressed_reason end,
      email_suppressed_message_id = case when lower(coalesce(${email}, email)) = lower(email) then email_suppressed_message_id end
    where id = ${id} returning *`;
  return row ?? null;
}

/**
 * Suppresses the learner's address after a hard bounce or complaint of message `messageId` sent to
 * `address`: only while the learner's email is still that address (case-insensitively; an address
 * changed since is not the one that bounced) and not suppressed already (the first cause stays).
 * Returns the row when this call suppressed it, else null.
 */
export async function suppressLearnerAddress(
  tx: TransactionSql,
  args: { learnerId: string; address: string; reason: SuppressionReason; messageId: string },
): Promise<LearnerRow | null> {
  const [row] = await tx<LearnerRow[]>`
    update learners set email_suppressed_at = now(), email_suppressed_reason = ${args.reason}, email_suppressed_message_id = ${args.messageId}
    where id = ${args.learnerId} and email_suppressed_at is null and lower(email) = lower(${args.address})
    returning *`;
  return row ?? null;
}

/** Marks the learner deactivated (once: an earlier deactivation's instant stays); returns the row. */
export async function markDeactivated(tx: TransactionSql, id: string): Promise<LearnerRow | null> {
  const [row] = await tx<LearnerRow[]>`
    update learners set deactivated_at = coalesce(deactivated_at, now()) where id = ${id} returning *`;
  return row ?? null;
}

/**
 * Replaces the learner's name and email with placeholders (`name`, `email`) and marks them erased
 * (and deactivated); their Temporal part is left pending (`erasure_temporal_done_at` null). Returns the row.
 */
export async function markErased(tx: TransactionSql, id: string, placeholders: { name: string; email: string }): Promise<LearnerRow | null> {
  const [row] = await tx<LearnerRow[]>`
    update learners set name = ${placeholders.name}, email = ${placeholders.email}, time_zone = null, manager_email = null,
      deactivated_at = coalesce(deactivated_at, now()), erased_at = coalesce(erased_at, now()), erasure_temporal_done_at = null
    where id = ${id} returning *`;
  return row ?? null;
}

/** Records that the erased learner's workflow executions are gone from Temporal. */
export async function markErasureTemporalDone(sql: Db, id: string): Promise<void> {
  await sql`update learners set erasure_temporal_done_at = now() where id = ${id} and erased_at is not null`;
}

/** Erased learners whose Temporal part is still pending, erased more than `olderThanSeconds` ago (the reconciler's). */
export async function learnersAwaitingTemporalErasure(sql: Db, args: { olderThanSeconds: number; limit: number }): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from learners
    where erased_at is not null and erasure_temporal_done_at is null
      and erased_at < now() - make_interval(secs => ${args.olderThanSeconds})
    order by erased_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}

/** The learners of `ids` that exist, by id (repeated ids are read once). */
export async function learnersByIds(sql: Db, ids: string[]): Promise<Map<string, LearnerRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await sql<LearnerRow[]>`select * from learners where id = any(${unique}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** Which of `ids` are erased learners (their workflows were deleted from Temporal, or are being). */
export async function erasedAmong(sql: Db, ids: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`select id from learners where id = any(${unique}::uuid[]) and erased_at is not null`;
  return new Set(rows.map((r) => r.id));
}

/** Learners whose email is one of `emails` (case-insensitively), by lower-cased email. */
export async function learnersByEmails(sql: Db, emails: readonly string[]): Promise<Map<string, LearnerRow>> {
  const unique = [...new Set(emails.map((e) => e.toLowerCase()))];
  const out = new Map<string, LearnerRow>();
  for (let i = 0; i < unique.length; i += 10_000) {
    const rows = await sql<LearnerRow[]>`select * from learners where lower(email) = any(${unique.slice(i, i + 10_000)}::text[])`;
    for (const r of rows) out.set(r.email.toLowerCase(), r);
  }
  return out;
}

/** Inserts learners (an import's new ones; `managerEmail` null: none); an email taken meanwhile is skipped. Returns those inserted. */
export async function insertLearners(sql: Db, learners: readonly { email: string; name: string; managerEmail: string | null }[]): Promise<LearnerRow[]> {
  if (learners.length === 0) return [];
  return await sql<LearnerRow[]>`
    insert into learners (email, name, manager_email)
    select * from unnest(${learners.map((l) => l.email)}::text[], ${learners.map((l) => l.name)}::text[], ${learners.map((l) => l.managerEmail)}::text[])
    on conflict do nothing
    returning *`;
}

/**
 * Learners `ids` as they are now, locked (`for no key update`: a deactivation or erasure waits, a row
 * that only references the learner does not) in id order, so two such callers never wait crosswise.
 */
export async function lockLearnersForEdit(tx: TransactionSql, ids: readonly string[]): Promise<LearnerRow[]> {
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return [];
  return await tx<LearnerRow[]>`select * from learners where id = any(${unique}::uuid[]) order by id for no key update`;
}

/** Sets each learner's manager (`managerEmail` as given) in one statement; returns the rows as they are now. */
export async function setManagers(tx: TransactionSql, changes: readonly { learnerId: string; managerEmail: string }[]): Promise<LearnerRow[]> {
  if (changes.length === 0) return [];
  return await tx<LearnerRow[]>`
    update learners l set manager_email = u.manager_email
    from unnest(${changes.map((c) => c.learnerId)}::uuid[], ${changes.map((c) => c.managerEmail)}::text[]) as u(id, manager_email)
    where l.id = u.id
    returning l.*`;
}

/**
 * Clears the manager of every learner whose manager is `address` (case-insensitively; an erasure of
 * that person). Returns the learners changed, as they are now.
 */
export async function clearManagerAddress(tx: TransactionSql, address: string): Promise<LearnerRow[]> {
  return await tx<LearnerRow[]>`
    update learners set manager_email = null
    where lower(manager_email) = lower(${address})
    returning *`;
}
