/** The only SQL for `course_attempts` outside the workflow's activities. */
import type { Sql, TransactionSql } from '../client.ts';
import type { AttemptRow } from '../rows.ts';

type Db = Sql | TransactionSql;

/**
 * Serializes everything that changes a learner's current attempt on a course (manual enrollment here,
 * the recertification activity in db/queries/recertification.ts): the same advisory lock key.
 */
export async function lockLearnerCourse(tx: TransactionSql, learnerId: string, courseId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`attempt:${learnerId}:${courseId}`}, 0))`;
}

/**
 * Creates a manual attempt in the caller's transaction: supersedes the learner's current attempt on
 * the course (kept as history) and inserts a fresh one (progress 0).
 */
export async function createManualAttempt(
  tx: TransactionSql,
  args: { learnerId: string; courseId: string },
): Promise<{ attempt: AttemptRow; supersededAttemptId: string | null }> {
  await lockLearnerCourse(tx, args.learnerId, args.courseId);
  const superseded = await tx<{ id: string }[]>`
    update course_attempts set status = 'superseded', superseded_at = now()
    where learner_id = ${args.learnerId} and course_id = ${args.courseId} and status <> 'superseded'
    returning id`;
  const [attempt] = await tx<AttemptRow[]>`
    insert into course_attempts (course_id, learner_id, status, progress, source)
    values (${args.courseId}, ${args.learnerId}, 'enrolled', 0, 'manual')
    returning *`;
  if (!attempt) throw new Error('insert into course_attempts returned no row');
  return { attempt, supersededAttemptId: superseded[0]?.id ?? null };
}

export async function getAttempt(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<AttemptRow | null> {
  const [row] = opts.forUpdate
    ? await sql<AttemptRow[]>`select * from course_attempts where id = ${id} for update`
    : await sql<AttemptRow[]>`select * from course_attempts where id = ${id}`;
  return row ?? null;
}

export async function listAttempts(sql: Db, f: { learnerId?: string; courseId?: string; limit: number }): Promise<AttemptRow[]> {
  return await sql<AttemptRow[]>`
    select * from course_attempts
    where true
      ${f.learnerId ? sql`and learner_id = ${f.learnerId}` : sql``}
      ${f.courseId ? sql`and course_id = ${f.courseId}` : sql``}
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
    order by a.created_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}
