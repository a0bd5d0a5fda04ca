/** The only SQL for `learners`. */
import type { Sql, TransactionSql } from '../client.ts';
import type { LearnerRow } from '../rows.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;

/** Inserts a learner; null when the email (case-insensitively) is taken. */
export async function insertLearner(sql: Db, args: { email: string; name: string }): Promise<LearnerRow | null> {
  const [row] = await sql<LearnerRow[]>`
    insert into learners (email, name) values (${args.email}, ${args.name})
    on conflict do nothing
    returning *`;
  return row ?? null;
}

export async function getLearner(sql: Db, id: string): Promise<LearnerRow | null> {
  const [row] = await sql<LearnerRow[]>`select * from learners where id = ${id}`;
  return row ?? null;
}

/** Learners newest first (created_at, then id, descending), optionally by email, each with its page key (db/queries/paging.ts). */
export async function listLearners(sql: Db, filter: { email?: string; limit: number; before?: PageBefore }): Promise<Keyed<LearnerRow>[]> {
  return await sql<Keyed<LearnerRow>[]>`
    select *, ${pageKeyColumn(sql)} from learners
    where true ${filter.email ? sql`and lower(email) = lower(${filter.email})` : sql``}
      ${beforeCondition(sql, filter.before)}
    order by created_at desc, id desc
    limit ${filter.limit}`;
}

/** The learners of `ids` that exist, by id (repeated ids are read once). */
export async function learnersByIds(sql: Db, ids: string[]): Promise<Map<string, LearnerRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await sql<LearnerRow[]>`select * from learners where id = any(${unique}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
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

/** Inserts learners (an import's new ones); an email taken meanwhile is skipped. Returns those inserted. */
export async function insertLearners(sql: Db, learners: readonly { email: string; name: string }[]): Promise<LearnerRow[]> {
  if (learners.length === 0) return [];
  return await sql<LearnerRow[]>`
    insert into learners (email, name)
    select * from unnest(${learners.map((l) => l.email)}::text[], ${learners.map((l) => l.name)}::text[])
    on conflict do nothing
    returning *`;
}
