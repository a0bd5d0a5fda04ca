/** The queries the recertification workflow's activities run. */
import type { Sql, TransactionSql } from '../client.ts';
import type { AttemptRow, AwardRow, AwardStatus, CertificateRow, CourseRow, LearnerRow } from '../rows.ts';

type Db = Sql | TransactionSql;

export interface AwardContextRow {
  award: AwardRow;
  certificate: CertificateRow;
  learner: LearnerRow;
  recertificationCourse: CourseRow | null;
}

/**
 * The award with its certificate (current settings), learner and the settings' recertification
 * course. With `forUpdate` (inside a transaction) the award row stays locked until the commit, so a
 * concurrent revoke, renewal or expiry change waits for the step that acts on it.
 */
export async function loadAwardContext(sql: Db, awardId: string, opts: { forUpdate?: boolean } = {}): Promise<AwardContextRow | null> {
  const [award] = opts.forUpdate
    ? await sql<AwardRow[]>`select * from awards where id = ${awardId} for update`
    : await sql<AwardRow[]>`select * from awards where id = ${awardId}`;
  if (!award) return null;
  const [certificate] = await sql<CertificateRow[]>`
    select c.*, coalesce(array_agg(cc.course_id order by cc.position, cc.course_id) filter (where cc.course_id is not null), '{}') as associated_course_ids
    from certificates c left join certificate_courses cc on cc.certificate_id = c.id
    where c.id = ${award.certificateId} group by c.id`;
  const [learner] = await sql<LearnerRow[]>`select * from learners where id = ${award.learnerId}`;
  if (!certificate || !learner) return null;
  const courseId = certificate.settings.recertification.courseId;
  const [course] = courseId ? await sql<CourseRow[]>`select * from courses where id = ${courseId}` : [];
  return { award, certificate, learner, recertificationCourse: course ?? null };
}

/** What the enrollment rule needs: the award, its certificate's current settings, the settings' course. */
export interface AwardTruthRow {
  award: AwardRow;
  certificate: Pick<CertificateRow, 'settings'>;
  recertificationCourse: Pick<CourseRow, 'id' | 'title' | 'status'> | null;
}

/**
 * The award (locked until the transaction ends) with its certificate's settings and the settings'
 * recertification course, in one round trip: the due step's hot path under a burst.
 */
async function lockAwardTruth(tx: TransactionSql, awardId: string): Promise<AwardTruthRow | null> {
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

export type CreateAttemptOutcome =
  | { attempt: AttemptRow; supersededAttemptId: string | null; created: boolean }
  | { refused: string; context: AwardContextRow };

/**
 * Creates the recertification attempt for an award in one transaction: supersedes the learner's
 * current attempt on the course and inserts a fresh one (progress 0). Idempotent per award: a retry
 * returns the attempt the first try created. `refuse`, when given, is asked inside the transaction
 * with the award row locked and the current settings: a reason refuses the enrollment and changes
 * nothing (the award was revoked, renewed or moved since the workflow planned). Null: no such award.
 */
export async function createRecertificationAttempt(
  sql: Sql,
  args: { awardId: string; courseId: string; refuse?: (truth: AwardTruthRow) => string | null },
): Promise<CreateAttemptOutcome | null> {
  return await sql.begin(async (tx) => {
    const truth = await lockAwardTruth(tx, args.awardId);
    if (!truth) return null;
    const learnerId = truth.award.learnerId;
    // Serialize concurrent tries for the same learner and course.
    await tx`select pg_advisory_xact_lock(hashtextextended(${`attempt:${learnerId}:${args.courseId}`}, 0))`;
    const [existing] = await tx<AttemptRow[]>`
      select * from course_attempts where award_id = ${args.awardId} and source = 'recertification'`;
    if (existing) {
      const [prev] = await tx<{ id: string }[]>`
        select id from course_attempts where learner_id = ${learnerId} and course_id = ${existing.courseId}
          and status = 'superseded' and superseded_at = ${existing.createdAt} limit 1`;
      return { attempt: existing, supersededAttemptId: prev?.id ?? null, created: false };
    }
    const refused = args.refuse?.(truth) ?? null;
    if (refused) {
      const context = await loadAwardContext(tx, args.awardId); // rare: the workflow re-plans from it
      if (!context) return null;
      return { refused, context };
    }
    const superseded = await tx<{ id: string }[]>`
      update course_attempts set status = 'superseded', superseded_at = now()
      where learner_id = ${learnerId} and course_id = ${args.courseId} and status <> 'superseded'
      returning id`;
    const [attempt] = await tx<AttemptRow[]>`
      insert into course_attempts (course_id, learner_id, status, progress, source, award_id, created_at)
      values (${args.courseId}, ${learnerId}, 'enrolled', 0, 'recertification', ${args.awardId}, now())
      returning *`;
    if (!attempt) throw new Error('insert returned no row');
    return { attempt, supersededAttemptId: superseded[0]?.id ?? null, created: true };
  });
}

/**
 * Marks an active award expired; returns its status and expiry afterwards and whether this call
 * changed it. With `asOf`, only an award whose expiry (as the database holds it now) is at or before
 * that instant is expired: an expiry moved later since the workflow planned keeps the award active.
 */
export async function expireAward(
  sql: Sql,
  awardId: string,
  asOf?: Date,
): Promise<{ expired: boolean; status: AwardStatus; expiresAt: Date | null } | null> {
  const [updated] = await sql<{ status: AwardStatus; expiresAt: Date | null }[]>`
    update awards set status = 'expired', updated_at = now()
    where id = ${awardId} and status = 'active'
      ${asOf ? sql`and expires_at is not null and expires_at <= ${asOf}` : sql``}
    returning status, expires_at`;
  if (updated) return { expired: true, ...updated };
  const [row] = await sql<{ status: AwardStatus; expiresAt: Date | null }[]>`select status, expires_at from awards where id = ${awardId}`;
  return row ? { expired: false, ...row } : null;
}
