/** The only SQL for `awards` outside the workflow's activities. */
import type { Sql, TransactionSql } from '../client.ts';
import type { AwardRow, AwardStatus } from '../rows.ts';

type Db = Sql | TransactionSql;

export interface NewAward {
  id: string;
  certificateId: string;
  learnerId: string;
  awardedAt: Date;
  expiresAt: Date | null;
  workflowId: string | null;
  previousAwardId?: string | null;
  sourceAttemptId?: string | null;
  /** Day of the month the renewal chain keeps (domain/dates.ts); null: the awarded day. */
  anchorDay?: number | null;
  /** `expired` records history brought in whose expiry is already past (no automation). Default `active`. */
  status?: 'active' | 'expired';
}

/**
 * Inserts an award (active unless `status` says `expired`). Throws the database's unique violation `awards_one_active` when the learner
 * already holds an active award of the certificate, `awards_once_per_attempt` when the attempt already
 * awarded it.
 */
export async function insertAward(tx: TransactionSql, a: NewAward): Promise<AwardRow> {
  const [row] = await tx<AwardRow[]>`
    insert into awards (id, certificate_id, learner_id, awarded_at, expires_at, status, previous_award_id, source_attempt_id, workflow_id, anchor_day)
    values (${a.id}, ${a.certificateId}, ${a.learnerId}, ${a.awardedAt}, ${a.expiresAt}, ${a.status ?? 'active'},
            ${a.previousAwardId ?? null}, ${a.sourceAttemptId ?? null}, ${a.workflowId}, ${a.anchorDay ?? null})
    returning *`;
  if (!row) throw new Error('insert into awards returned no row');
  return row;
}

export async function getAward(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<AwardRow | null> {
  const [row] = opts.forUpdate
    ? await sql<AwardRow[]>`select * from awards where id = ${id} for update`
    : await sql<AwardRow[]>`select * from awards where id = ${id}`;
  return row ?? null;
}

export async function findActiveAward(
  sql: Db,
  certificateId: string,
  learnerId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<AwardRow | null> {
  const [row] = opts.forUpdate
    ? await sql<AwardRow[]>`
        select * from awards where certificate_id = ${certificateId} and learner_id = ${learnerId} and status = 'active' for update`
    : await sql<AwardRow[]>`
        select * from awards where certificate_id = ${certificateId} and learner_id = ${learnerId} and status = 'active'`;
  return row ?? null;
}

export interface AwardFilter {
  certificateId?: string;
  learnerId?: string;
  status?: AwardStatus;
  limit: number;
  /** Only awards created strictly before this instant (keyset paging). */
  before?: Date;
}

export async function listAwards(sql: Db, f: AwardFilter): Promise<AwardRow[]> {
  return await sql<AwardRow[]>`
    select * from awards
    where true
      ${f.certificateId ? sql`and certificate_id = ${f.certificateId}` : sql``}
      ${f.learnerId ? sql`and learner_id = ${f.learnerId}` : sql``}
      ${f.status ? sql`and status = ${f.status}` : sql``}
      ${f.before ? sql`and created_at < ${f.before}` : sql``}
    order by created_at desc, id desc
    limit ${f.limit}`;
}

/** The awards a completed attempt made (the first completion's result). */
export async function awardsFromAttempt(sql: Db, attemptId: string): Promise<AwardRow[]> {
  return await sql<AwardRow[]>`select * from awards where source_attempt_id = ${attemptId} order by certificate_id`;
}

/** Records that Temporal confirmed the award's workflow; returns the row. */
export async function markWorkflowStarted(sql: Db, awardId: string): Promise<AwardRow | null> {
  const [row] = await sql<AwardRow[]>`
    update awards set workflow_started_at = coalesce(workflow_started_at, now())
    where id = ${awardId} returning *`;
  return row ?? null;
}

/** Retires an active award renewed by `newAwardId` (which must exist). */
export async function markRenewed(tx: TransactionSql, awardId: string, newAwardId: string): Promise<void> {
  await tx`
    update awards set renewed_by_award_id = ${newAwardId}, updated_at = now()
    where id = ${awardId} and status = 'renewed'`;
}

/** Takes an active award out of the active set ahead of its renewal (the unique index allows one active). */
export async function retireForRenewal(tx: TransactionSql, awardId: string): Promise<boolean> {
  const rows = await tx`
    update awards set status = 'renewed', updated_at = now(), workflow_signal_pending_at = now()
    where id = ${awardId} and status = 'active' returning id`;
  return rows.length === 1;
}

/** Sets an active award's expiry (and its workflow id when it had none); null when not active. */
export async function setAwardExpiry(
  tx: TransactionSql,
  awardId: string,
  expiresAt: Date,
  workflowId: string,
): Promise<AwardRow | null> {
  const [row] = await tx<AwardRow[]>`
    update awards set expires_at = ${expiresAt}, workflow_id = coalesce(workflow_id, ${workflowId}), updated_at = now(),
      workflow_signal_pending_at = now()
    where id = ${awardId} and status = 'active'
    returning *`;
  return row ?? null;
}

export async function revokeAward(tx: TransactionSql, awardId: string, reason: string): Promise<AwardRow | null> {
  const [row] = await tx<AwardRow[]>`
    update awards set status = 'revoked', revoked_reason = ${reason}, updated_at = now(), workflow_signal_pending_at = now()
    where id = ${awardId} and status = 'active'
    returning *`;
  return row ?? null;
}

/** What starting an award's workflow needs: the award, its certificate's title and lead days, its learner. */
export interface AwardStartInfo {
  award: AwardRow;
  certificateTitle: string;
  leadDays: number;
  learnerName: string;
  learnerEmail: string;
}

export async function loadAwardStartInfo(sql: Db, awardId: string): Promise<AwardStartInfo | null> {
  const [row] = await sql<{ certificateTitle: string; leadDays: number; learnerName: string; learnerEmail: string }[]>`
    select c.title as certificate_title, (c.settings -> 'recertification' ->> 'leadDays')::int as lead_days,
           l.name as learner_name, l.email as learner_email
    from awards a join certificates c on c.id = a.certificate_id join learners l on l.id = a.learner_id
    where a.id = ${awardId}`;
  const award = await getAward(sql, awardId);
  if (!row || !award) return null;
  return { award, ...row };
}

/**
 * Awards whose workflow Temporal has not confirmed, created more than `olderThanSeconds` ago: the API
 * died (or Temporal was down) between the commit and the start. Only active, expiring ones need one.
 */
export async function awardsAwaitingWorkflow(sql: Db, args: { olderThanSeconds: number; limit: number }): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from awards
    where workflow_started_at is null and workflow_id is not null
      and created_at < now() - make_interval(secs => ${args.olderThanSeconds})
    order by created_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}

/**
 * Marks the change pending since `pendingAt` as delivered to the award's workflow. A change made
 * since (a newer `workflow_signal_pending_at`) stays pending.
 */
export async function clearSignalPending(sql: Db, awardId: string, pendingAt: Date): Promise<void> {
  // A JavaScript Date holds milliseconds; the column microseconds.
  await sql`
    update awards set workflow_signal_pending_at = null
    where id = ${awardId} and date_trunc('milliseconds', workflow_signal_pending_at) = ${pendingAt}`;
}

/**
 * Awards with a change their workflow has not heard of (its signal failed or the API died before
 * sending it), pending for more than `olderThanSeconds`: the reconciler delivers them.
 */
export async function awardsWithPendingSignal(sql: Db, args: { olderThanSeconds: number; limit: number }): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from awards
    where workflow_signal_pending_at is not null
      and workflow_signal_pending_at < now() - make_interval(secs => ${args.olderThanSeconds})
    order by workflow_signal_pending_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}
