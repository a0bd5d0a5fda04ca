/**
 * Course attempts: how a learner comes to hold a fresh attempt at a course, and what completing one
 * does. Two ways in, one way to make the attempt: a manual enrollment (`enrollLearner`) and the
 * recertification workflow's enrollment (`enrollWhenDue`, and `createRecertificationAttempt` for
 * workflows before ENROLL_WHEN_DUE) all take the learner and course's advisory lock and
 * supersede-then-insert (db/queries/attempts.ts), so the learner holds one current attempt per course
 * and earlier progress is kept as history. Completion
 * (`completeAttempt`) awards or renews through the awarding routine (domain/awarding.ts).
 *
 * No HTTP here: a request the rules refuse is a `Refusal` (domain/refusal.ts).
 */
import type { Sql, TransactionSql } from '../db/client.ts';
import type { AttemptRow, AwardRow, CourseRow } from '../db/rows.ts';
import * as attemptsQ from '../db/queries/attempts.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as coursesQ from '../db/queries/courses.ts';
import * as learnersQ from '../db/queries/learners.ts';
import { renewForCompletion } from './awarding.ts';
import { refuseUnlessActive } from './lifecycle.ts';
import { notFound, Refusal, unknownLearner } from './refusal.ts';
import { emitRecertificationEnrolled } from './webhook-events.ts';

/** A fresh attempt and the one it superseded (kept as history), if any. */
export interface AttemptMade {
  attempt: AttemptRow;
  supersededAttemptId: string | null;
}

/**
 * Enrolls a learner in a live course by hand, in the caller's transaction: a fresh attempt (progress
 * 0) that supersedes their current one on the course. Returns it with the course (whose enrollment
 * message, if any, the caller sends after the commit).
 *
 * Throws a `Refusal`: `not_found` (no such course), `course_not_live` (draft or archived),
 * `unknown_learner`, `learner_deactivated` or `learner_erased` (409).
 */
export async function enrollLearner(
  tx: TransactionSql,
  args: { courseId: string; learnerId: string },
): Promise<AttemptMade & { course: CourseRow }> {
  const course = await coursesQ.getCourse(tx, args.courseId);
  if (!course) throw notFound('Course', args.courseId);
  if (course.status !== 'live') {
    throw new Refusal('rule', 'course_not_live', `Course "${course.title}" is ${course.status}; learners enroll in live courses only.`, { status: course.status });
  }
  const learner = await learnersQ.lockLearner(tx, args.learnerId, 'share');
  if (!learner) throw unknownLearner(args.learnerId);
  refuseUnlessActive(learner);
  await attemptsQ.lockLearnerCourse(tx, args.learnerId, args.courseId);
  const made = await attemptsQ.supersedeAndInsertAttempt(tx, { learnerId: args.learnerId, courseId: args.courseId, source: 'manual' });
  return { ...made, course };
}

export type CreateRecertificationAttemptOutcome =
  | (AttemptMade & { /** false when a retry found the attempt an earlier try made. */ created: boolean })
  | { refused: string; context: awardsQ.AwardContextRow };

/**
 * Creates the recertification attempt of an award (enrolls its learner in `courseId`) in one
 * transaction of its own: supersedes the learner's current attempt on the course and inserts a fresh
 * one (progress 0), with its `recertification.enrolled` webhook event (domain/webhook-events.ts). Idempotent per award: a retry returns the attempt the first try made. `refuse`,
 * when given, is asked inside the transaction with the award row locked and the current settings: a
 * reason refuses the enrollment and changes nothing (the award was revoked, renewed or moved since the
 * workflow planned); the award's context is returned with it, for the workflow to re-plan. Null: no
 * such award.
 */
export async function createRecertificationAttempt(
  sql: Sql,
  args: { awardId: string; courseId: string; refuse?: (truth: awardsQ.AwardTruthRow) => string | null },
): Promise<CreateRecertificationAttemptOutcome | null> {
  return await sql.begin(async (tx) => {
    const truth = await awardsQ.lockAwardTruth(tx, args.awardId);
    if (!truth) return null;
    const earlier = await attemptMadeBefore(tx, args.awardId);
    if (earlier) return { ...earlier, created: false };
    const refused = args.refuse?.(truth) ?? null;
    if (refused) {
      const context = await awardsQ.loadAwardContext(tx, args.awardId); // rare: the workflow re-plans from it
      return context ? { refused, context } : null;
    }
    return { ...(await makeRecertificationAttempt(tx, truth.award, args.courseId)), created: true };
  });
}

/**
 * The award's recertification attempt if an earlier try made it, with the attempt it superseded; null
 * if none. The caller holds the award row's lock, under which every recertification attempt is made.
 */
async function attemptMadeBefore(tx: TransactionSql, awardId: string): Promise<AttemptMade | null> {
  const attempt = await attemptsQ.findRecertificationAttempt(tx, awardId);
  return attempt ? { attempt, supersededAttemptId: await attemptsQ.findSupersededBy(tx, attempt) } : null;
}

/**
 * Enrolls the award's learner in `courseId` as the award's recertification attempt, in the caller's
 * transaction (which holds the award row's lock): the learner and course's lock, supersede-then-insert,
 * and the `recertification.enrolled` webhook event.
 */
async function makeRecertificationAttempt(tx: TransactionSql, award: AwardRow, courseId: string): Promise<AttemptMade> {
  await attemptsQ.lockLearnerCourse(tx, award.learnerId, courseId);
  const made = await attemptsQ.supersedeAndInsertAttempt(tx, { learnerId: award.learnerId, courseId, source: 'recertification', awardId: award.id });
  await emitRecertificationEnrolled(tx, award, made.attempt, made.supersededAttemptId);
  return made;
}

/**
 * What `enrollWhenDue` read and did: the award's context (read with its row locked), and the attempt
 * made with its course, or the acting rule's reason for making none.
 */
export type EnrollWhenDueOutcome = { context: awardsQ.AwardContextRow } & (
  | { made: AttemptMade & { created: boolean; course: CourseRow } }
  | { refused: string }
);

/**
 * The due step's read and enrollment in one transaction: reads the award's context (certificate
 * settings, learner, the settings' recertification course) with the award row locked, so a revoke,
 * renewal or expiry change waits for it; asks `refuse` (the acting rules' `enrollmentRefusal` at the
 * workflow's instant) and, when it has no reason, enrolls the learner in the settings' course as
 * `createRecertificationAttempt` does (supersede-then-insert under the learner and course's lock, with
 * the `recertification.enrolled` webhook event). Idempotent per award: a retry returns the attempt the
 * first try made, with that attempt's course. Null: no such award.
 * Throws when `refuse` allows an enrollment without a course (a bug in the rule passed in).
 */
export async function enrollWhenDue(
  sql: Sql,
  args: { awardId: string; refuse: (truth: awardsQ.AwardTruthRow) => string | null },
): Promise<EnrollWhenDueOutcome | null> {
  return await sql.begin(async (tx) => {
    const context = await awardsQ.loadAwardContext(tx, args.awardId, { forUpdate: true });
    if (!context) return null;
    const earlier = await attemptMadeBefore(tx, args.awardId);
    if (earlier) {
      const { courseId, id } = earlier.attempt;
      const current = context.recertificationCourse;
      const course = current?.id === courseId ? current : await coursesQ.getCourse(tx, courseId);
      if (!course) throw new Error(`course ${courseId} of attempt ${id} not found`);
      return { context, made: { ...earlier, created: false, course } };
    }
    const refused = args.refuse(context);
    if (refused !== null) return { context, refused };
    const course = context.recertificationCourse;
    if (!course) throw new Error(`the enrollment rule let award ${args.awardId} enroll without a recertification course`);
    return { context, made: { ...(await makeRecertificationAttempt(tx, context.award, course.id)), created: true, course } };
  });
}

/** What completing an attempt did. */
export interface Completion {
  attempt: AttemptRow;
  /** The awards the completion made, one per certificate whose associated content holds the course. */
  awards: AwardRow[];
  /** Each renewed award (as it was) and the award that renewed it. */
  renewals: { previous: AwardRow; next: AwardRow }[];
  /** true: the attempt had been completed before, and this is the first completion's result. */
  alreadyCompleted: boolean;
  /**
   * The start facts of the awards this completion made (domain/awarding.ts `AwardMade.start`), for
   * starting their workflows without reading them back; empty for a repeated completion, whose
   * awards may have been started and changed since.
   */
  starts: awardsQ.AwardStartInfo[];
}

/**
 * Completes an attempt in the caller's transaction: it becomes `completed` (progress 100), and every
 * certificate whose associated content holds the course is awarded or renewed (domain/awarding.ts
 * `renewForCompletion`). The attempt's row lock serializes concurrent completions and the unique
 * index `awards_once_per_attempt` backs it: a repeated completion returns the first one's result.
 *
 * Throws a `Refusal`: `not_found` (no such attempt), `attempt_superseded` (a newer attempt replaced
 * it before it was completed; a completed one answers its completion again), `learner_deactivated` or `learner_erased` (409). Throws the database's unique violation `awards_one_active` when a manual award won a race:
 * run the transaction again.
 */
export async function completeAttempt(tx: TransactionSql, attemptId: string): Promise<Completion> {
  const attempt = await attemptsQ.getAttempt(tx, attemptId, { forUpdate: true });
  if (!attempt) throw notFound('Attempt', attemptId);
  // A completed attempt answers its completion again, even after a newer enrollment superseded it
  // (its completedAt stays): a retried completion is never a 409.
  const wasCompleted = attempt.status === 'completed' || attempt.completedAt !== null;
  if (attempt.status === 'superseded' && !wasCompleted) {
    throw new Refusal('conflict', 'attempt_superseded', `Attempt ${attemptId} was superseded by a newer attempt.`, { status: attempt.status });
  }
  if (wasCompleted) {
    const awards = await awardsQ.awardsFromAttempt(tx, attemptId);
    const renewals: Completion['renewals'] = [];
    for (const next of awards) {
      const previous = next.previousAwardId ? await awardsQ.getAward(tx, next.previousAwardId) : null;
      if (previous) renewals.push({ previous, next });
    }
    return { attempt, awards, renewals, alreadyCompleted: true, starts: [] };
  }
  // A share lock: a deactivation either comes after this completion (and revokes what it awards) or refuses it.
  const learner = await learnersQ.lockLearner(tx, attempt.learnerId, 'share');
  if (learner) refuseUnlessActive(learner);
  const completed = await attemptsQ.markCompleted(tx, attemptId);
  const made = await renewForCompletion(tx, attempt, completed.completedAt ?? new Date());
  return {
    attempt: completed,
    awards: made.map((m) => m.award),
    renewals: made.flatMap((m) => (m.renewed ? [{ previous: m.renewed, next: m.award }] : [])),
    alreadyCompleted: false,
    starts: made.map((m) => m.start),
  };
}
