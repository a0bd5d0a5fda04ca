/**
 * The recertification workflow's decisions, as pure functions: which step the loop takes next, whether
 * the due step enrolls or waits for settings, and which messages an enrollment or a wait sends. The
 * workflow (workflows/recertification.ts and recertification/due.ts) acts on them; the change-impact
 * preview (domain/change-impact.ts) counts with them, so a preview and what the workflow then does
 * cannot disagree by a second copy of the rules. No I/O and no clock: safe in workflow code.
 * Instants are ms since the epoch.
 */
import { enrollmentRefusal, type AwardTruth } from './acting-rules.ts';
import { dueAt } from './dates.ts';
import type { MessageKind } from './vocabulary.ts';

/**
 * The loop's next step:
 *  - `expiry`: the expiry has come (expire the award);
 *  - `assigned_wait`: enrolled, reminders until renewal or expiry;
 *  - `wait_until_due`: not enrolled, before the due time (scheduled: sleep until it);
 *  - `due_step`: not enrolled, due time passed (enroll, or wait for settings that allow it).
 */
export type LoopStep = 'expiry' | 'assigned_wait' | 'wait_until_due' | 'due_step';

/**
 * The step the workflow's loop takes at `asOf` for an award whose learner is enrolled (`assigned`) or
 * not, due at `dueMs` (expiry − lead days) and expiring at `expiresMs`.
 */
export function nextStep(args: { assigned: boolean; asOf: number; dueMs: number; expiresMs: number }): LoopStep {
  if (args.asOf >= args.expiresMs) return 'expiry';
  if (args.assigned) return 'assigned_wait';
  if (args.asOf < args.dueMs) return 'wait_until_due';
  return 'due_step';
}

/** The recertification course as the acting rules see it. */
type Course = NonNullable<AwardTruth['course']>;

/** What the due step does: enroll the learner now in `course`, or wait for settings (why, as the workflow shows it). */
export type DueDecision<C extends Course = Course> = { action: 'enroll'; course: C } | { action: 'wait'; reason: string };

/**
 * The due step's decision for an award as the database describes it (`t`, with the settings'
 * recertification course) at `asOf`. `actOnDatabaseTruth`: the workflow's ACT_ON_DATABASE_TRUTH patch
 * is in force (the acting rules' `enrollmentRefusal` is consulted); histories recorded before it only
 * look at the settings. Enrolls when nothing refuses, expiration and recertification are on and the
 * course is live.
 */
export function dueStepDecision<C extends Course>(t: AwardTruth & { course: C | null }, asOf: number, actOnDatabaseTruth: boolean): DueDecision<C> {
  const refusal = actOnDatabaseTruth ? enrollmentRefusal(t, asOf) : null;
  const rc = t.settings.recertification;
  const course = t.course;
  if (!refusal && t.settings.expiration.enabled && rc.enabled && course && course.status === 'live') return { action: 'enroll', course };
  if (refusal) return { action: 'wait', reason: refusal };
  if (!t.settings.expiration.enabled || !rc.enabled) return { action: 'wait', reason: 'recertification is off for this certificate' };
  if (!rc.courseId || !course) return { action: 'wait', reason: 'no recertification course is chosen' };
  return { action: 'wait', reason: `the recertification course "${course.title}" is ${course.status}, not live` };
}

/**
 * The messages an enrollment sends, in order: the Certificate Expiring notice when it is on and has
 * not gone out; otherwise, when it went out already (while waiting for settings, without a course) and
 * the course has no enrollment message, the recertification enrollment message (where to go;
 * `actOnDatabaseTruth` only); and the course's own enrollment message when it has one.
 */
export function enrollmentMessageKinds(args: {
  expiringNoticeOn: boolean;
  expiringNoticeSent: boolean;
  courseHasEnrollmentMessage: boolean;
  actOnDatabaseTruth: boolean;
}): MessageKind[] {
  const kinds: MessageKind[] = [];
  if (args.expiringNoticeOn && !args.expiringNoticeSent) kinds.push('certificate_expiring');
  else if (args.actOnDatabaseTruth && args.expiringNoticeSent && !args.courseHasEnrollmentMessage) kinds.push('recertification_enrollment');
  if (args.courseHasEnrollmentMessage) kinds.push('course_enrollment');
  return kinds;
}

/** The messages a wait for settings sends: the Certificate Expiring notice, once, when it is on. */
export function waitingMessageKinds(args: { expiringNoticeOn: boolean; expiringNoticeSent: boolean }): MessageKind[] {
  return args.expiringNoticeOn && !args.expiringNoticeSent ? ['certificate_expiring'] : [];
}

/**
 * Whether a settings change must be signalled to an award's running workflow (issue 11: "a settings
 * change that cannot move a workflow's next wake-up should not cost that workflow a task at all, as
 * long as the admin's visibility queries stay true"). A workflow that is scheduled (not enrolled, its
 * due time still ahead under the settings before and after the change) sleeps until expiry − lead
 * days and reads the award and settings again there before it acts (ACT_ON_DATABASE_TRUTH: the due
 * step's `loadAwardContext`, or since ENROLL_WHEN_DUE its `enrollWhenDue`; every version reads). So
 * when the lead days stay as they were, nothing it does before its due time, nor its search
 * attributes (phase, due time, expiry), depends on the change: it is not signalled and picks the
 * change up at its due time.
 *
 * Every other workflow is signalled: an enrolled one (reminders, send windows), one waiting for
 * settings or at its due time, one past its expiry (grace), and any when the lead days before the
 * change are unknown (`leadDaysBefore` null: a propagation recorded before this rule, or one whose
 * earlier settings were not kept). The signal carries the newest settings, and every change of the
 * lead days is signalled to every workflow, so a workflow passed over has the lead days in force.
 * `asOf`, `expiresMs`: ms since the epoch (`expiresMs` null: no expiry known, signalled).
 */
export function settingsSignalNeeded(args: {
  enrolled: boolean;
  expiresMs: number | null;
  leadDaysBefore: number | null;
  leadDaysAfter: number;
  asOf: number;
}): boolean {
  if (args.enrolled || args.expiresMs === null || args.leadDaysBefore === null) return true;
  if (args.leadDaysBefore !== args.leadDaysAfter) return true;
  const dueMs = dueAt(new Date(args.expiresMs), args.leadDaysAfter).getTime();
  return nextStep({ assigned: false, asOf: args.asOf, dueMs, expiresMs: args.expiresMs }) !== 'wait_until_due';
}

/**
 * How many of a certificate's running workflows (`awards`: each one's expiry and whether its learner
 * is enrolled) a change from `leadDaysBefore` to `leadDaysAfter` lead days signals at `asOf` (ms since
 * the epoch), and how many it passes over (`settingsSignalNeeded`): what the change's answer reports.
 */
export function countSettingsSignals(
  awards: Iterable<{ expiresAt: Date | null; enrolled: boolean }>,
  leadDaysBefore: number | null,
  leadDaysAfter: number,
  asOf: number,
): { signalled: number; passedOver: number } {
  let signalled = 0;
  let passedOver = 0;
  for (const a of awards) {
    if (settingsSignalNeeded({ enrolled: a.enrolled, expiresMs: a.expiresAt?.getTime() ?? null, leadDaysBefore, leadDaysAfter, asOf })) signalled++;
    else passedOver++;
  }
  return { signalled, passedOver };
}
