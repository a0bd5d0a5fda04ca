/**
 * Read-only SQL for the admin page's views that the JSON API has no route for: names of many
 * learners at once, the awards expiring in a window, and award counts per certificate.
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { AwardStatus, LearnerRow } from '../rows.ts';

type Db = Sql | TransactionSql;

export async function learnersByIds(sql: Db, ids: string[]): Promise<Map<string, LearnerRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await sql<LearnerRow[]>`select * from learners where id = any(${unique}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

export interface ExpiringAwardRow {
  awardId: string;
  certificateId: string;
  certificateTitle: string;
  learnerId: string;
  learnerName: string;
  learnerEmail: string;
  awardedAt: Date;
  expiresAt: Date;
  workflowId: string | null;
}

/** Active awards whose expiry falls in [from, until), soonest first. */
export async function expiringAwards(
  sql: Db,
  f: { from: Date; until: Date; certificateId?: string; limit: number },
): Promise<ExpiringAwardRow[]> {
  return await sql<ExpiringAwardRow[]>`
    select a.id as award_id, a.certificate_id, c.title as certificate_title, a.learner_id,
           l.name as learner_name, l.email as learner_email, a.awarded_at, a.expires_at, a.workflow_id
    from awards a
    join certificates c on c.id = a.certificate_id
    join learners l on l.id = a.learner_id
    where a.status = 'active' and a.expires_at >= ${f.from} and a.expires_at < ${f.until}
      ${f.certificateId ? sql`and a.certificate_id = ${f.certificateId}` : sql``}
    order by a.expires_at, a.id
    limit ${f.limit}`;
}

/** How many awards of each certificate are in each status. */
export async function awardCountsByCertificate(sql: Db): Promise<Map<string, Partial<Record<AwardStatus, number>>>> {
  const rows = await sql<{ certificateId: string; status: AwardStatus; n: number }[]>`
    select certificate_id, status, count(*)::int as n from awards group by certificate_id, status`;
  const out = new Map<string, Partial<Record<AwardStatus, number>>>();
  for (const r of rows) {
    const counts = out.get(r.certificateId) ?? {};
    counts[r.status] = r.n;
    out.set(r.certificateId, counts);
  }
  return out;
}
