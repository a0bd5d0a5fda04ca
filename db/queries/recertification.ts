/** The queries the recertification workflow's activities run. */
import type { Sql } from '../client.ts';
import type { AttemptRow, AwardRow, AwardStatus, CertificateRow, CourseRow, LearnerRow } from '../rows.ts';

export interface AwardContextRow {
  award: AwardRow;
  certificate: CertificateRow;
  learner: LearnerRow;
  recertificationCourse: CourseRow | null;
}

export async function loadAwardContext(sql: Sql, awardId: string): Promise<AwardContextRow | null> {
  const [award] = await sql<AwardRow[]>`select * from awards where id = ${awardId}`;
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

/**
 * Creates the recertification attempt for an award in one transaction: supersedes the learner's
 * current attempt on the course and inserts a fresh one (progress 0). Idempotent per award: a retry
 * returns the attempt the first try created.
 */
export async function createRecertificationAttempt(
  sql: Sql,
  args: { awardId: string; courseId: string },
): Promise<{ attempt: AttemptRow; supersededAttemptId: string | null; created: boolean } | null> {
  return await sql.begin(async (tx) => {
    const [award] = await tx<{ learnerId: string }[]>`select learner_id from awards where id = ${args.awardId}`;
    if (!award) return null;
    const learnerId = award.learnerId;
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

/** Marks an active award expired; returns its status afterwards and whether this call changed it. */
export async function expireAward(sql: Sql, awardId: string): Promise<{ expired: boolean; status: AwardStatus } | null> {
  const [updated] = await sql<{ status: AwardStatus }[]>`
    update awards set status = 'expired', updated_at = now()
    where id = ${awardId} and status = 'active' returning status`;
  if (updated) return { expired: true, status: updated.status };
  const [row] = await sql<{ status: AwardStatus }[]>`select status from awards where id = ${awardId}`;
  return row ? { expired: false, status: row.status } : null;
}
