/**
 * The only SQL whose subject is `awards`: an award's row, its context (certificate, learner,
 * recertification course) as the workflow's steps read it, and the award lists of the API, the
 * reconciler, the settings propagation and the admin page.
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { AwardRow, AwardStatus, CertificateRow, CourseRow, LearnerRow } from '../rows.ts';
import { associatedCourseIdsOfC } from './certificates.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

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
        select * from awards where certificate_id = ${certificateId} and learner_id = ${learnerId} and status in ('active', 'in_grace') for update`
    : await sql<AwardRow[]>`
        select * from awards where certificate_id = ${certificateId} and learner_id = ${learnerId} and status in ('active', 'in_grace')`;
  return row ?? null;
}

/**
 * Holds, until the caller's transaction ends, the right to record awards of `certificateId` to
 * `learnerId` (an advisory lock): two transactions awarding the same holding run one after the other,
 * and the second's next statement sees the first's award (read committed).
 */
export async function lockHolding(tx: Db, certificateId: string, learnerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`holding:${certificateId}:${learnerId}`}, 0))`;
}

/**
 * What stands in the way of a new award of `certificateId` to `learnerId` given at `awardedAt`: the
 * id of their active award of it (or null), and the id of an award of it given at the same instant
 * (to the millisecond, whatever its status: the same record; or null). One query.
 */
export async function awardsInTheWay(
  sql: Db,
  certificateId: string,
  learnerId: string,
  awardedAt: Date,
): Promise<{ activeId: string | null; sameInstantId: string | null }> {
  const rows = await sql<{ id: string; active: boolean; sameInstant: boolean }[]>`
    select id, status in ('active', 'in_grace') as active, date_trunc('milliseconds', awarded_at) = ${awardedAt} as same_instant
    from awards
    where certificate_id = ${certificateId} and learner_id = ${learnerId}
      and (status in ('active', 'in_grace') or date_trunc('milliseconds', awarded_at) = ${awardedAt})`;
  return { activeId: rows.find((r) => r.active)?.id ?? null, sameInstantId: rows.find((r) => r.sameInstant)?.id ?? null };
}

export interface AwardFilter {
  certificateId?: string;
  learnerId?: string;
  status?: AwardStatus;
  limit: number;
  /** Only awards after this page key in the order (keyset paging on created_at, id), or created strictly before this instant. */
  before?: PageBefore;
}

/** Awards newest first (created_at, then id, descending), each with its page key (db/queries/paging.ts). */
export async function listAwards(sql: Db, f: AwardFilter): Promise<Keyed<AwardRow>[]> {
  return await sql<Keyed<AwardRow>[]>`
    select *, ${pageKeyColumn(sql)} from awards
    where true
      ${f.certificateId ? sql`and certificate_id = ${f.certificateId}` : sql``}
      ${f.learnerId ? sql`and learner_id = ${f.learnerId}` : sql``}
      ${f.status ? sql`and status = ${f.status}` : sql``}
      ${beforeCondition(sql, f.before)}
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
    where id = ${awardId} and status in ('active', 'in_grace') returning id`;
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
    where id = ${awardId} and status in ('active', 'in_grace')
    returning *`;
  return row ?? null;
}

/**
 * Revokes every active award of a learner or of a certificate with `reason`, each with its change
 * pending for its workflow (`workflow_signal_pending_at`), as `revokeAward` does for one: after the
 * commit the caller signals them, and the reconciler delivers what it did not. Returns the revoked
 * awards (id order).
 */
export async function revokeActiveAwards(
  tx: TransactionSql,
  of: { learnerId: string } | { certificateId: string },
  reason: string,
): Promise<AwardRow[]> {
  return await tx<AwardRow[]>`
    update awards set status = 'revoked', revoked_reason = ${reason}, updated_at = now(), workflow_signal_pending_at = now()
    where status in ('active', 'in_grace')
      and ${'learnerId' in of ? tx`learner_id = ${of.learnerId}` : tx`certificate_id = ${of.certificateId}`}
    returning *`.then((rows) => [...rows].sort((a, b) => a.id.localeCompare(b.id)));
}

/** The workflow ids of a learner's awards (every status), for erasing them from Temporal. */
export async function workflowIdsOfLearner(sql: Db, learnerId: string): Promise<string[]> {
  const rows = await sql<{ workflowId: string }[]>`
    select workflow_id from awards where learner_id = ${learnerId} and workflow_id is not null order by workflow_id`;
  return rows.map((r) => r.workflowId);
}

/** Clears the pending changes of a learner's awards (their workflows were deleted: there is nothing left to tell). */
export async function clearSignalsPendingOfLearner(sql: Db, learnerId: string): Promise<void> {
  await sql`update awards set workflow_signal_pending_at = null where learner_id = ${learnerId} and workflow_signal_pending_at is not null`;
}

/**
 * What starting an award's workflow needs: the award, its certificate's title and lead days. No
 * personal data: the learner is named in Temporal by id only (an erasure cannot reach Temporal's
 * history and visibility; the admin page and API resolve the name).
 */
export interface AwardStartInfo {
  award: AwardRow;
  certificateTitle: string;
  leadDays: number;
}

export async function loadAwardStartInfo(sql: Db, awardId: string): Promise<AwardStartInfo | null> {
  const [row] = await sql<{ certificateTitle: string; leadDays: number }[]>`
    select c.title as certificate_title, (c.settings -> 'recertification' ->> 'leadDays')::int as lead_days
    from awards a join certificates c on c.id = a.certificate_id
    where a.id = ${awardId}`;
  const award = await getAward(sql, awardId);
  if (!row || !award) return null;
  return { award, ...row };
}

/**
 * The start facts of many awards in one query (an import's page of workflow starts): each award with
 * its certificate's title and lead days, in no particular order. Unknown ids, and awards of erased
 * learners (whose workflows erasure deleted and nothing starts again), are left out.
 */
export async function loadAwardStartInfos(sql: Db, awardIds: readonly string[]): Promise<AwardStartInfo[]> {
  if (awardIds.length === 0) return [];
  const rows = await sql<(AwardRow & { certificateTitle: string; leadDays: number })[]>`
    select a.*, c.title as certificate_title, (c.settings -> 'recertification' ->> 'leadDays')::int as lead_days
    from awards a join certificates c on c.id = a.certificate_id
    where a.id = any(${awardIds as string[]}::uuid[])
      and not exists (select 1 from learners l where l.id = a.learner_id and l.erased_at is not null)`;
  return rows.map(({ certificateTitle, leadDays, ...award }) => ({ award, certificateTitle, leadDays }));
}

/** Records that Temporal confirmed the workflows of `awardIds` (one update); returns how many rows it touched. */
export async function markWorkflowsStarted(sql: Db, awardIds: readonly string[]): Promise<number> {
  if (awardIds.length === 0) return 0;
  const rows = await sql`
    update awards set workflow_started_at = coalesce(workflow_started_at, now())
    where id = any(${awardIds as string[]}::uuid[]) returning id`;
  return rows.length;
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
      -- an erased learner's workflows were deleted from Temporal: none is started again
      and not exists (select 1 from learners l where l.id = awards.learner_id and l.erased_at is not null)
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

/** Where a pass over pending award changes stands: the last one taken (keyset, in `awardsWithPendingSignal`'s order). */
export interface PendingSignalCursor {
  pendingAt: Date;
  id: string;
}

/**
 * Awards with a change their workflow has not heard of (its signal failed or the API died before
 * sending it), pending for more than `olderThanSeconds`, oldest first (then by id), after `after`
 * when given: the reconciler delivers them a batch at a time, and a change it could not deliver stays
 * behind the cursor until its next pass.
 */
export async function awardsWithPendingSignal(
  sql: Db,
  args: { olderThanSeconds: number; limit: number; after?: PendingSignalCursor | null },
): Promise<PendingSignalCursor[]> {
  return await sql<PendingSignalCursor[]>`
    select id, date_trunc('milliseconds', workflow_signal_pending_at) as pending_at from awards
    where workflow_signal_pending_at is not null
      and workflow_signal_pending_at < now() - make_interval(secs => ${args.olderThanSeconds})
      ${args.after ? sql`and (date_trunc('milliseconds', workflow_signal_pending_at), id) > (${args.after.pendingAt}, ${args.after.id}::uuid)` : sql``}
    order by date_trunc('milliseconds', workflow_signal_pending_at), id limit ${args.limit}`;
}

/**
 * Marks an active award expired; returns its status and expiry afterwards and whether this call
 * changed it. With `asOf`, only an award whose expiry (as the database holds it now) is at or before
 * that instant is expired: an expiry moved later since the workflow planned keeps the award active;
 * and an award `in_grace` (issue 14) is expired when its grace period has ended at `asOf`.
 * Null: no such award.
 */
export async function expireAward(
  sql: Db,
  awardId: string,
  asOf?: Date,
): Promise<{ expired: boolean; status: AwardStatus; expiresAt: Date | null } | null> {
  const [updated] = await sql<{ status: AwardStatus; expiresAt: Date | null }[]>`
    update awards set status = 'expired', updated_at = now()
    where id = ${awardId}
      ${
        asOf
          ? sql`and ((status = 'active' and expires_at is not null and expires_at <= ${asOf}) or (status = 'in_grace' and grace_ends_at <= ${asOf}))`
          : sql`and status = 'active'`
      }
    returning status, expires_at`;
  if (updated) return { expired: true, ...updated };
  const [row] = await sql<{ status: AwardStatus; expiresAt: Date | null }[]>`select status, expires_at from awards where id = ${awardId}`;
  return row ? { expired: false, ...row } : null;
}

// ---------------------------------------------------------------------------------------------
// an award with its context, as the workflow's steps read it

/** An award, its certificate (current settings), its learner and the settings' recertification course. */
export interface AwardContextRow {
  award: AwardRow;
  certificate: CertificateRow;
  learner: LearnerRow;
  /** null: no course chosen, or the chosen one does not exist. */
  recertificationCourse: CourseRow | null;
}

/** One row of loadAwardContext's join: the award's columns as they are, the others prefixed (camelCased). */
type AwardContextJoinRow = AwardRow & {
  certificateRowTitle: string;
  certificateRowSettings: CertificateRow['settings'];
  certificateRowSettingsVersion: number;
  certificateRowAssociatedCourseIds: string[];
  certificateRowArchivedAt: Date | null;
  certificateRowCreatedAt: Date;
  certificateRowUpdatedAt: Date;
  learnerRowEmail: string;
  learnerRowName: string;
  learnerRowCreatedAt: Date;
  learnerRowDeactivatedAt: Date | null;
  learnerRowErasedAt: Date | null;
  learnerRowErasureTemporalDoneAt: Date | null;
  learnerRowEmailSuppressedAt: Date | null;
  learnerRowEmailSuppressedReason: LearnerRow['emailSuppressedReason'];
  learnerRowEmailSuppressedMessageId: string | null;
  learnerRowTimeZone: string | null;
  learnerRowManagerEmail: string | null;
  courseRowId: string | null;
  courseRowTitle: string | null;
  courseRowStatus: CourseRow['status'] | null;
  courseRowEnrollmentMessage: CourseRow['enrollmentMessage'];
  courseRowUrl: string | null;
  courseRowCreatedAt: Date | null;
  courseRowUpdatedAt: Date | null;
};

/**
 * The award with its certificate (current settings), learner and the settings' recertification
 * course, in one round trip (the due step's hot path). With `forUpdate` (inside a transaction) the
 * award row stays locked until the commit, so a concurrent revoke, renewal or expiry change waits for
 * the step that acts on it. Null: no such award.
 */
export async function loadAwardContext(sql: Db, awardId: string, opts: { forUpdate?: boolean } = {}): Promise<AwardContextRow | null> {
  const [row] = await sql<AwardContextJoinRow[]>`
    select a.*,
      c.title as certificate_row_title, c.settings as certificate_row_settings, c.settings_version as certificate_row_settings_version,
      ${associatedCourseIdsOfC(sql)} as certificate_row_associated_course_ids,
      c.archived_at as certificate_row_archived_at, c.created_at as certificate_row_created_at, c.updated_at as certificate_row_updated_at,
      l.email as learner_row_email, l.name as learner_row_name, l.created_at as learner_row_created_at,
      l.deactivated_at as learner_row_deactivated_at, l.erased_at as learner_row_erased_at,
      l.erasure_temporal_done_at as learner_row_erasure_temporal_done_at,
      l.email_suppressed_at as learner_row_email_suppressed_at, l.email_suppressed_reason as learner_row_email_suppressed_reason,
      l.email_suppressed_message_id as learner_row_email_suppressed_message_id, l.time_zone as learner_row_time_zone, l.manager_email as learner_row_manager_email,
      co.id as course_row_id, co.title as course_row_title, co.status as course_row_status,
      co.enrollment_message as course_row_enrollment_message, co.url as course_row_url,
      co.created_at as course_row_created_at, co.updated_at as course_row_updated_at
    from awards a
      join certificates c on c.id = a.certificate_id
      join learners l on l.id = a.learner_id
      left join courses co on co.id = (c.settings -> 'recertification' ->> 'courseId')::uuid
    where a.id = ${awardId}
    ${opts.forUpdate ? sql`for update of a` : sql``}`;
  if (!row) return null;
  const {
    certificateRowTitle, certificateRowSettings, certificateRowSettingsVersion, certificateRowAssociatedCourseIds,
    certificateRowArchivedAt, certificateRowCreatedAt, certificateRowUpdatedAt,
    learnerRowEmail, learnerRowName, learnerRowCreatedAt, learnerRowDeactivatedAt, learnerRowErasedAt, learnerRowErasureTemporalDoneAt,
    learnerRowEmailSuppressedAt, learnerRowEmailSuppressedReason, learnerRowEmailSuppressedMessageId, learnerRowTimeZone, learnerRowManagerEmail,
    courseRowId, courseRowTitle, courseRowStatus, courseRowEnrollmentMessage, courseRowUrl, courseRowCreatedAt, courseRowUpdatedAt,
    ...award
  } = row;
  return {
    award,
    certificate: {
      id: award.certificateId,
      title: certificateRowTitle,
      settings: certificateRowSettings,
      settingsVersion: certificateRowSettingsVersion,
      associatedCourseIds: certificateRowAssociatedCourseIds,
      archivedAt: certificateRowArchivedAt,
      createdAt: certificateRowCreatedAt,
      updatedAt: certificateRowUpdatedAt,
    },
    learner: {
      id: award.learnerId,
      email: learnerRowEmail,
      name: learnerRowName,
      createdAt: learnerRowCreatedAt,
      deactivatedAt: learnerRowDeactivatedAt,
      erasedAt: learnerRowErasedAt,
      erasureTemporalDoneAt: learnerRowErasureTemporalDoneAt,
      emailSuppressedAt: learnerRowEmailSuppressedAt,
      emailSuppressedReason: learnerRowEmailSuppressedReason,
      emailSuppressedMessageId: learnerRowEmailSuppressedMessageId,
      timeZone: learnerRowTimeZone,
      managerEmail: learnerRowManagerEmail,
    },
    recertificationCourse:
      courseRowId && courseRowTitle !== null && courseRowStatus && courseRowCreatedAt && courseRowUpdatedAt
        ? {
            id: courseRowId,
            title: courseRowTitle,
            status: courseRowStatus,
            enrollmentMessage: courseRowEnrollmentMessage,
            url: courseRowUrl,
            createdAt: courseRowCreatedAt,
            updatedAt: courseRowUpdatedAt,
          }
        : null,
  };
}

/** What the enrollment rule needs: the award, its certificate's current settings, the settings' course. */
export interface AwardTruthRow {
  award: AwardRow;
  certificate: Pick<CertificateRow, 'settings'>;
  recertificationCourse: Pick<CourseRow, 'id' | 'title' | 'status'> | null;
}

/**
 * The award (locked until the transaction ends) with its certificate's settings and the settings'
 * recertification course, in one round trip: what the due step checks before it enrolls. Null: no
 * such award.
 */
export async function lockAwardTruth(tx: TransactionSql, awardId: string): Promise<AwardTruthRow | null> {
  const [row] = await tx<(AwardRow & { certificateSettings: CertificateRow['settings']; courseRowId: string | null; courseTitle: string | null; courseStatus: CourseRow['status'] | null })[]>`
    select a.*, c.settings as certificate_settings, co.id as course_row_id, co.title as course_title, co.status as course_status
    from awards a
      join certificates c on c.id = a.certificate_id
      left join courses co on co.id = (c.settings -> 'recertification' ->> 'courseId')::uuid
    where a.id = ${awardId}
    for update of a`;
  if (!row) return null;
  const { certificateSettings, courseRowId, courseTitle, courseStatus, ...award } = row;
  return {
    award,
    certificate: { settings: certificateSettings },
    recertificationCourse: courseRowId && courseTitle && courseStatus ? { id: courseRowId, title: courseTitle, status: courseStatus } : null,
  };
}

// ---------------------------------------------------------------------------------------------
// a certificate's awards with a workflow (what a settings change signals)

/** How many active awards of the certificate have a workflow. */
export async function countActiveWorkflows(sql: Db, certificateId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from awards
    where certificate_id = ${certificateId} and status in ('active', 'in_grace') and workflow_id is not null`;
  return row?.n ?? 0;
}

/**
 * What decides whether a settings change wakes each running workflow of the certificate (active or
 * in grace, with a workflow): its expiry and whether the learner is enrolled, one row per award in no
 * particular order (domain/recertification-steps.ts `settingsSignalNeeded` reads them).
 */
export async function runningWorkflowWakeFacts(sql: Db, certificateId: string): Promise<{ expiresAt: Date | null; enrolled: boolean }[]> {
  return await sql<{ expiresAt: Date | null; enrolled: boolean }[]>`
    select a.expires_at,
      exists (select 1 from course_attempts t where t.award_id = a.id and t.source = 'recertification') as enrolled
    from awards a
    where a.certificate_id = ${certificateId} and a.status in ('active', 'in_grace') and a.workflow_id is not null`;
}

/** A page of the certificate's active awards that have a workflow, in id order after `afterAwardId` (keyset paging). */
export async function activeWorkflowPage(
  sql: Db,
  args: { certificateId: string; afterAwardId: string | null; limit: number },
): Promise<{ id: string; workflowId: string; expiresAt: Date | null; enrolled: boolean }[]> {
  return await sql<{ id: string; workflowId: string; expiresAt: Date | null; enrolled: boolean }[]>`
    select a.id, a.workflow_id, a.expires_at,
      exists (select 1 from course_attempts t where t.award_id = a.id and t.source = 'recertification') as enrolled
    from awards a
    where a.certificate_id = ${args.certificateId} and a.status in ('active', 'in_grace') and a.workflow_id is not null
      ${args.afterAwardId ? sql`and a.id > ${args.afterAwardId}` : sql``}
    order by a.id limit ${args.limit}`;
}

/** An active award with a workflow and an expiry, as the change-impact preview reads it (domain/change-impact.ts `RunningAward`). */
export interface RunningAwardRow {
  id: string;
  awardedAt: Date;
  expiresAt: Date;
  sourceAttemptId: string | null;
  /** Its recertification attempt exists (the workflow enrolled the learner). */
  enrolled: boolean;
  /** A `certificate_expiring` message is recorded for it. */
  expiringNoticeSent: boolean;
}

/**
 * Every active award of the certificate that has a workflow and an expiry, handed to `onBatch` in
 * batches of `batchSize` as one query reads them (a cursor: one scan, whatever the count), each with
 * whether its recertification attempt exists and whether its expiring notice is recorded: what a
 * settings change's preview and the certificate's overview count. Any order.
 */
export async function eachRunningAwardBatch(
  sql: Db,
  args: { certificateId: string; batchSize: number },
  onBatch: (rows: RunningAwardRow[]) => void,
): Promise<void> {
  await sql<RunningAwardRow[]>`
    select a.id, a.awarded_at, a.expires_at, a.source_attempt_id,
      exists (select 1 from course_attempts t where t.award_id = a.id and t.source = 'recertification') as enrolled,
      exists (select 1 from messages m where m.award_id = a.id and m.kind = 'certificate_expiring') as expiring_notice_sent
    from awards a
    where a.certificate_id = ${args.certificateId} and a.status = 'active' and a.workflow_id is not null and a.expires_at is not null`.cursor(
    args.batchSize,
    (rows) => {
      onBatch(rows);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// the admin page's award views

/** An active award in an expiry window, with its certificate's title and its learner's name and email. */
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

/** Active awards whose expiry falls in [from, until), soonest first, at most `limit`. */
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

/** How many awards of each certificate are in each status: certificate id → status → count (absent: 0). */
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

/**
 * One certificate's awards by status, and how many active ones have no automation (no expiry or no
 * workflow: the overview's `not_expiring`; the rest are what `eachRunningAwardBatch` reads).
 */
export async function awardStatusCounts(
  sql: Db,
  certificateId: string,
): Promise<{ byStatus: Partial<Record<AwardStatus, number>>; activeWithoutExpiry: number }> {
  const rows = await sql<{ status: AwardStatus; n: number; unautomated: number }[]>`
    select status, count(*)::int as n,
      count(*) filter (where expires_at is null or workflow_id is null)::int as unautomated
    from awards where certificate_id = ${certificateId} group by status`;
  const byStatus: Partial<Record<AwardStatus, number>> = {};
  let activeWithoutExpiry = 0;
  for (const r of rows) {
    byStatus[r.status] = r.n;
    if (r.status === 'active') activeWithoutExpiry = r.unautomated;
  }
  return { byStatus, activeWithoutExpiry };
}

/**
 * For an import's plan: the instants (ms since the epoch) at which each of `learnerIds` was given an
 * award of `certificateId`, whatever its status (domain/importing.ts rejects a row recording one of
 * them again: `already_recorded`). Learners without one are absent.
 */
export async function awardInstants(sql: Db, certificateId: string, learnerIds: readonly string[]): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  const unique = [...new Set(learnerIds)];
  for (let i = 0; i < unique.length; i += 10_000) {
    const rows = await sql<{ learnerId: string; awardedAt: Date }[]>`
      select learner_id, awarded_at from awards
      where certificate_id = ${certificateId} and learner_id = any(${unique.slice(i, i + 10_000)}::uuid[])`;
    for (const r of rows) {
      const set = out.get(r.learnerId) ?? new Set<number>();
      set.add(r.awardedAt.getTime());
      out.set(r.learnerId, set);
    }
  }
  return out;
}

/** Of `learnerIds`, those who hold an active award of the certificate. */
export async function activeHolders(sql: Db, certificateId: string, learnerIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const unique = [...new Set(learnerIds)];
  for (let i = 0; i < unique.length; i += 10_000) {
    const rows = await sql<{ learnerId: string }[]>`
      select learner_id from awards
      where certificate_id = ${certificateId} and status = 'active' and learner_id = any(${unique.slice(i, i + 10_000)}::uuid[])`;
    for (const r of rows) out.add(r.learnerId);
  }
  return out;
}

/**
 * Puts an active award whose expiry is at or before `asOf` into its grace period (issue 14): status
 * `in_grace` with `grace_ends_at`. Returns its status, expiry and grace end afterwards and whether this
 * call changed it (an award already in grace is returned unchanged, so a retry is harmless). Null: no such award.
 */
export async function enterGrace(
  sql: Db,
  awardId: string,
  asOf: Date,
  graceEndsAt: Date,
): Promise<{ entered: boolean; status: AwardStatus; expiresAt: Date | null; graceEndsAt: Date | null } | null> {
  const [updated] = await sql<{ status: AwardStatus; expiresAt: Date | null; graceEndsAt: Date | null }[]>`
    update awards set status = 'in_grace', grace_ends_at = ${graceEndsAt}, updated_at = now()
    where id = ${awardId} and status = 'active' and expires_at is not null and expires_at <= ${asOf}
    returning status, expires_at, grace_ends_at`;
  if (updated) return { entered: true, ...updated };
  const [row] = await sql<{ status: AwardStatus; expiresAt: Date | null; graceEndsAt: Date | null }[]>`
    select status, expires_at, grace_ends_at from awards where id = ${awardId}`;
  return row ? { entered: false, ...row } : null;
}
