/**
 * Until the learner is enrolled: the scheduled wait for the due time (expiry − lead days), and the
 * due step that enrolls the learner in the recertification course as a fresh attempt and sends the
 * chosen messages, or waits for settings that allow it.
 */
import { patched } from '@temporalio/workflow';
import type { AwardContext, CourseSummary, CreateAttemptRefused, CreateAttemptResult, RecertificationActivities } from '../../activities/types.ts';
import type { AwardTruth } from '../../domain/acting-rules.ts';
import { dueStepDecision, enrollmentMessageKinds, waitingMessageKinds } from '../../domain/recertification-steps.ts';
import { dbSteps, enrollWhenDue, send, sleepUntil, waitForSendWindow } from './effects.ts';
import { ACT_ON_DATABASE_TRUTH, ENROLL_WHEN_DUE, SEND_IN_DUE_STEP, SEND_WINDOWS } from './patches.ts';
import { applyContext, dueMs, expiresMs, now, record, setPhase, skipPassedReminders, type RecertificationRun } from './run.ts';

/** After a refused enrollment the workflow re-plans; it waits this long (ms) if the refusal did not change its plan. */
const REFUSED_RETRY_MS = 60 * 60 * 1000;

/** Plans the wait: before the due time the run is scheduled, and sleeps until it or until a signal re-plans. */
export async function waitUntilDue(run: RecertificationRun): Promise<void> {
  setPhase(run, 'scheduled');
  await sleepUntil(run, dueMs(run));
}

/**
 * The due step: the due time has come and the expiry not. Signals are the fast path; the database
 * is the truth: re-read before acting, and re-plan when the expiry or lead days moved. Enrolls when
 * the award may be enrolled (domain/acting-rules.ts) and the settings name a live course; otherwise
 * waits for settings.
 */
export async function dueStep(run: RecertificationRun): Promise<void> {
  if (patched(ENROLL_WHEN_DUE)) return await enrollOrWait(run);
  const steps = dbSteps();
  const ctx = await steps.loadAwardContext({ awardId: run.input.awardId });
  applyContext(run, ctx);
  if (run.ending) return;
  if (now() < dueMs(run) || now() >= expiresMs(run)) return; // the expiry or lead days moved: re-plan
  const truthFirst = patched(ACT_ON_DATABASE_TRUTH);
  // The decision is domain/recertification-steps.ts's, shared with the change-impact preview.
  const decision = dueStepDecision(truthOf(ctx), now(), truthFirst);
  if (decision.action === 'enroll') {
    await enroll(run, steps, ctx, decision.course, truthFirst);
  } else {
    await waitForSettings(run, ctx, decision.reason);
  }
}

/**
 * The due step since ENROLL_WHEN_DUE: one local activity reads the award and, when the acting rules
 * allow it at the step's instant (`asOf`), enrolls the learner, in one transaction. The workflow takes
 * in the context it read and decides with the same rules at the same instant (`dueStepDecision`; the
 * workflow's clock has moved on by the time the activity answers, so `now()` would not do): enrolled,
 * it enters `assigned` and tells the learner; not, it re-plans (ended, or the expiry or lead days
 * moved) or waits for settings with the reason the rules give. The rules are one function on both
 * sides, so the workflow deciding to enroll where the activity did not is a bug; should it happen,
 * the workflow re-plans as after a refused enrollment (an hour's wait) instead of spinning.
 */
async function enrollOrWait(run: RecertificationRun): Promise<void> {
  const asOf = now();
  const result = await enrollWhenDue(run, asOf);
  const ctx = result.context;
  applyContext(run, ctx);
  if ('enrolled' in result) {
    const { course, ...made } = result.enrolled;
    return await enrolled(run, ctx, course, made, true);
  }
  if (run.ending) return;
  if (asOf < dueMs(run) || asOf >= expiresMs(run)) return; // the expiry or lead days moved: re-plan
  const decision = dueStepDecision(truthOf(ctx), asOf, true);
  if (decision.action === 'wait') return await waitForSettings(run, ctx, decision.reason);
  await replanAfterRefusal(run, { refused: result.refused, context: ctx });
}

/**
 * Creates the attempt (earlier progress on the course superseded), enters `assigned` and tells the
 * learner. Since ACT_ON_DATABASE_TRUTH the activity re-checks in its transaction that the enrollment
 * is still due (`asOf`) and may refuse.
 */
async function enroll(run: RecertificationRun, steps: RecertificationActivities, ctx: AwardContext, course: CourseSummary, truthFirst: boolean): Promise<void> {
  const made = await steps.createRecertificationAttempt({
    awardId: run.input.awardId,
    courseId: course.id,
    ...(truthFirst ? { asOf: new Date(now()).toISOString() } : {}),
  });
  if ('refused' in made) return await replanAfterRefusal(run, made);
  await enrolled(run, ctx, course, made, truthFirst);
}

/** The attempt is made (`made`, on `course`): the run enters `assigned` and tells the learner. */
async function enrolled(run: RecertificationRun, ctx: AwardContext, course: CourseSummary, made: CreateAttemptResult, truthFirst: boolean): Promise<void> {
  run.status.attempt = {
    attemptId: made.attemptId,
    courseId: made.courseId,
    supersededAttemptId: made.supersededAttemptId,
    at: new Date(now()).toISOString(),
  };
  // Reminders whose time has already passed are not sent late.
  skipPassedReminders(run, ctx.settings.recertification.reminderDaysBeforeExpiry);
  setPhase(run, 'assigned');
  record(run, 'enrolled', `course ${course.title}${made.supersededAttemptId ? ', previous attempt superseded' : ''}`);
  await announceEnrollment(run, ctx, course, made.attemptId, truthFirst);
}

/**
 * The messages of an enrollment: the Certificate Expiring notice unless it went out already; when it
 * went out while waiting for settings, without a course, the recertification enrollment message
 * (where to go; ACT_ON_DATABASE_TRUTH) unless the course has an enrollment message of its own; and
 * the course's enrollment message when it has one.
 */
async function announceEnrollment(run: RecertificationRun, ctx: AwardContext, course: CourseSummary, attemptId: string, truthFirst: boolean): Promise<void> {
  const kinds = enrollmentMessageKinds({
    expiringNoticeOn: ctx.settings.expiringNotice.enabled,
    expiringNoticeSent: run.expiringNoticeSent,
    courseHasEnrollmentMessage: course.hasEnrollmentMessage,
    actOnDatabaseTruth: truthFirst,
  });
  // SEND_WINDOWS: the enrollment is made; its messages wait for the learner's window, if one is on.
  if (kinds.length > 0 && patched(SEND_WINDOWS) && (await waitForSendWindow(run, kinds[0]!, 'keep')) !== 'send') return;
  if (kinds.includes('certificate_expiring')) run.expiringNoticeSent = true;
  const via = kinds.length > 0 && patched(SEND_IN_DUE_STEP) ? 'local_first' : 'email_queue';
  for (const kind of kinds) await send(run, kind, { attemptId }, via);
}

/**
 * The database changed between the read and the enrollment's transaction: re-plan from what it says
 * now, and wait REFUSED_RETRY_MS first when that changed nothing the plan depends on (expiry,
 * settings version, ending), so a refusal does not spin.
 */
async function replanAfterRefusal(run: RecertificationRun, made: CreateAttemptRefused): Promise<void> {
  record(run, 'enrollment_refused', made.refused);
  const planOf = (): string => JSON.stringify([run.status.expiresAt, run.status.settingsVersion, run.ending]);
  const before = planOf();
  applyContext(run, made.context);
  if (before === planOf()) await sleepUntil(run, now() + REFUSED_RETRY_MS);
}

/**
 * Due, but not enrolled: shows why, sends the Certificate Expiring notice (once), and waits until
 * the expiry or until a signal (a settings change) re-plans.
 */
async function waitForSettings(run: RecertificationRun, ctx: AwardContext, reason: string): Promise<void> {
  setPhase(run, 'waiting_for_settings', { reason });
  for (const kind of waitingMessageKinds({ expiringNoticeOn: ctx.settings.expiringNotice.enabled, expiringNoticeSent: run.expiringNoticeSent })) {
    // SEND_WINDOWS: the notice waits for the window; a signal (settings fixed) re-plans at once, so
    // an enrollment the new settings allow is not held back by the window.
    const wait = patched(SEND_WINDOWS) ? await waitForSendWindow(run, kind, 'replan') : 'send';
    if (wait === 'replan') return;
    run.expiringNoticeSent = true;
    if (wait === 'send') await send(run, kind);
  }
  await sleepUntil(run, expiresMs(run));
}

/** The acting rules' view of the award, from the context the due step read. */
const truthOf = (ctx: AwardContext): AwardTruth & { course: CourseSummary | null } => ({
  status: ctx.status,
  awardedAt: new Date(ctx.awardedAt ?? 0),
  sourceAttemptId: ctx.sourceAttemptId ?? null,
  expiresAt: ctx.expiresAt ? new Date(ctx.expiresAt) : null,
  settings: ctx.settings,
  course: ctx.recertificationCourse,
});
