/** The only SQL for `course_attempts`: a learner's attempts at a course, current and superseded. */
import type { Sql, TransactionSql } from '../client.ts';
import type { AttemptRow } from '../rows.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;

/**
 * Serializes, until the transaction ends, everything that changes a learner's current attempt on a
 * course (a manual enrollment, a recertification enrollment: domain/attempts.ts): one advisory lock
 * per learner and course.
 */
export async function lockLearnerCourse(tx: TransactionSql, learnerId: string, courseId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`attempt:${learnerId}:${courseId}`}, 0))`;
}

/** A fresh attempt: manual, or the recertification of `awardId`. */
export type NewAttempt =
  | { learnerId: string; courseId: string; source: 'manual' }
  | { learnerId: string; courseId: string; source: 'recertification'; awardId: string };

/**
 * Supersedes the learner's current attempt on the course (kept as history, `superseded_at` = the
 * transaction's time) and inserts a fresh one (`enrolled`, progress 0, `created_at` = the same time).
 * The caller holds lockLearnerCourse. Returns the new attempt and the superseded one's id, if any.
 */
export async function supersedeAndInsertAttempt(
  tx: TransactionSql,
  a: NewAttempt,
): Promise<{ attempt: AttemptRow; supersededAttemptId: string | null }> {
  const superseded = await tx<{ id: string }[]>`
    update course_attempts set status = 'superseded', superseded_at = now()
    where learner_id = ${a.learnerId} and course_id = ${a.courseId} and status <> 'superseded'
    returning id`;
  const [attempt] = await tx<AttemptRow[]>`
    insert into course_attempts (course_id, learner_id, status, progress, source, award_id, created_at)
    values (${a.courseId}, ${a.learnerId}, 'enrolled', 0, ${a.source}, ${a.source === 'recertification' ? a.awardId : null}, now())
    returning *`;
  if (!attempt) throw new Error('insert into course_attempts returned no row');
  return { attempt, supersededAttemptId: superseded[0]?.id ?? null };
}

/** The recertification attempt of an award (at most one: a unique index), if made. */
export async function findRecertificationAttempt(sql: Db, awardId: string): Promise<AttemptRow | null> {
  const [row] = await sql<AttemptRow[]>`select * from course_attempts where award_id = ${awardId} and source = 'recertification'`;
  return row ?? null;
}

/** The id of the attempt `attempt` superseded when it was made (same learner and course, superseded at its creation), if any. */
export async function findSupersededBy(sql: Db, attempt: AttemptRow): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`
    select id from course_attempts where learner_id = ${attempt.learnerId} and course_id = ${attempt.courseId}
      and status = 'superseded' and superseded_at = ${attempt.createdAt} limit 1`;
  return row?.id ?? null;
}

/** The learner's current (not superseded) attempt on a course, if any. */
export async function findCurrentAttempt(sql: Db, learnerId: string, courseId: string): Promise<AttemptRow | null> {
  const [row] = await sql<AttemptRow[]>`
    select * from course_attempts where learner_id = ${learnerId} and course_id = ${courseId} and status <> 'superseded'`;
  return row ?? null;
}

export async function getAttempt(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<AttemptRow | null> {
  const [row] = opts.forUpdate
    ? await sql<AttemptRow[]>`select * from course_attempts where id = ${id} for update`
    : await sql<AttemptRow[]>`select * from course_attempts where id = ${id}`;
  return row ?? null;
}

/** A learner's (or a course's) attempts newest first (created_at, then id, descending), each with its page key (db/queries/paging.ts). */
export async function listAttempts(
  sql: Db,
  f: { learnerId?: string; courseId?: string; limit: number; before?: PageBefore },
): Promise<Keyed<AttemptRow>[]> {
  return await sql<Keyed<AttemptRow>[]>`
    select *, ${pageKeyColumn(sql)} from course_attempts
    where true
      ${f.learnerId ? sql`and learner_id = ${f.learnerId}` : sql``}
      ${f.courseId ? sql`and course_id = ${f.courseId}` : sql``}
      ${beforeCondition(sql, f.before)}
    order by created_at desc, id desc
    limit ${f.limit}`;
}

/** Sets the progress of an open (enrolled / in progress) attempt; null when it is not open. */
export async function setProgress(sql: Db, id: string, progress: number): Promise<AttemptRow | null> {
  const [row] = await sql<AttemptRow[]>`
    update course_attempts set progress = ${progress}, status = 'in_progress'
    where id = ${id} and status in ('enrolled', 'in_progress')
    returning *`;
  return row ?? null;
}

/** Marks a locked, open attempt completed (progress 100). */
export async function markCompleted(tx: TransactionSql, id: string): Promise<AttemptRow> {
  const [row] = await tx<AttemptRow[]>`
    update course_attempts set status = 'completed', progress = 100, completed_at = now()
    where id = ${id} and status in ('enrolled', 'in_progress')
    returning *`;
  if (!row) throw new Error(`attempt ${id} is not open`);
  return row;
}

/**
 * Manual attempts from the last `withinHours` (and older than `olderThanSeconds`) whose course has an
 * enrollment message that was never recorded: their enrollment-message workflow may not have started.
 */
export async function attemptsAwaitingEnrollmentMessage(
  sql: Db,
  args: { olderThanSeconds: number; withinHours: number; limit: number },
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select a.id from course_attempts a join courses c on c.id = a.course_id
    where a.source = 'manual' and a.status <> 'superseded' and c.enrollment_message is not null
      and a.created_at < now() - make_interval(secs => ${args.olderThanSeconds})
      and a.created_at > now() - make_interval(hours => ${args.withinHours})
      and not exists (select 1 from messages m where m.idempotency_key = 'attempt:' || a.id || ':course_enrollment')
      and not exists (select 1 from learners l where l.id = a.learner_id and l.deactivated_at is not null)
    order by a.created_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}

/** The ids of a learner's manual attempts (each may have had an enrollment-message workflow), for erasing them from Temporal. */
export async function manualAttemptIdsOfLearner(sql: Db, learnerId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from course_attempts where learner_id = ${learnerId} and source = 'manual' order by id`;
  return rows.map((r) => r.id);
}
