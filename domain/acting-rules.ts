/**
 * When an acting step may act: every acting step acts on what the database says at that moment. Pure rules over the award's current row and its certificate's current settings; the
 * workflow uses them to plan, and the activities use the same rules inside the transaction (or the
 * read) that acts, so a change whose signal never arrived still wins. No I/O, no clock of their own:
 * the caller passes `asOf` (the workflow's time, in ms since the epoch).
 */
import type { CertificateSettings } from './settings.ts';
import { dueAt, reminderAt, repeatReminderAt } from './dates.ts';

export type AwardState = 'active' | 'renewed' | 'expired' | 'revoked' | 'in_grace';

/** What the database says about an award when a step is about to act. */
export interface AwardTruth {
  status: AwardState;
  awardedAt: Date;
  /** The completed course attempt that earned the award (a completion), or null (a manual award). */
  sourceAttemptId: string | null;
  /** null: the award does not expire. */
  expiresAt: Date | null;
  settings: CertificateSettings;
  /** The recertification course of the current settings, if chosen and it exists. */
  course: { id: string; title: string; status: 'draft' | 'live' | 'archived' } | null;
}

/**
 * What creating an award means for its automation, answered by the award routes:
 *  - `no_expiry`: the award does not expire, no workflow;
 *  - `record_expired`: its expiry is already past (history brought in): recorded `expired`, no
 *    workflow, no message;
 *  - `enroll_now`: inside the window (due time passed, expiry not): the workflow acts at once;
 *  - `schedule`: the workflow sleeps until the due time.
 */
export type AwardPlan = 'schedule' | 'enroll_now' | 'record_expired' | 'no_expiry';

export function planForAward(args: { expiresAt: Date | null; leadDays: number; now: number }): AwardPlan {
  if (!args.expiresAt) return 'no_expiry';
  if (args.expiresAt.getTime() <= args.now) return 'record_expired';
  return dueAt(args.expiresAt, args.leadDays).getTime() <= args.now ? 'enroll_now' : 'schedule';
}

/**
 * Why the recertification step must not enroll the learner now, or null when it may. `courseId`: the
 * course the caller means to enroll in (it must still be the settings' course).
 * A completed attempt that earned the award is never superseded by that award's own recertification
 * at once: when the award came from a completion and its due time is not after the award was given
 * (lead days longer than the validity), enrolling would re-enroll the learner the moment the
 * certificate is renewed (an award back-dated into the window is enrolled at once). A manual award inside the window still
 * acts at once.
 */
export function enrollmentRefusal(t: AwardTruth, asOf: number, courseId?: string): string | null {
  if (t.status !== 'active') return `the award is ${t.status}`;
  if (!t.expiresAt) return 'the award does not expire';
  if (asOf >= t.expiresAt.getTime()) return 'the award has reached its expiry';
  const due = dueAt(t.expiresAt, t.settings.recertification.leadDays).getTime();
  if (asOf < due) return `not due until ${new Date(due).toISOString()}`;
  const rc = t.settings.recertification;
  if (!t.settings.expiration.enabled || !rc.enabled) return 'recertification is off for this certificate';
  if (!rc.courseId || !t.course) return 'no recertification course is chosen';
  if (t.course.status !== 'live') return `the recertification course "${t.course.title}" is ${t.course.status}, not live`;
  if (courseId !== undefined && courseId !== t.course.id) return 'the recertification course changed';
  return leadDaysReachBeforeAward(t);
}

/**
 * The award came from a completion and its due time is not after it was given (lead days longer
 * than the validity): acting on it would re-enroll and notify the learner the moment they renewed.
 */
function leadDaysReachBeforeAward(t: AwardTruth): string | null {
  if (!t.sourceAttemptId || !t.expiresAt) return null;
  const leadDays = t.settings.recertification.leadDays;
  if (dueAt(t.expiresAt, leadDays).getTime() > t.awardedAt.getTime()) return null;
  return `lead days (${leadDays}) reach back before the award was given: shorten them to fit the certificate's validity`;
}

/** Why the Certificate Expiring notice must not go out now, or null. */
export function expiringNoticeRefusal(t: AwardTruth, asOf: number): string | null {
  if (!t.settings.expiringNotice.enabled) return 'the expiring notice is off';
  if (t.status !== 'active') return `the award is ${t.status}`;
  if (!t.expiresAt) return 'the award does not expire';
  if (asOf >= t.expiresAt.getTime()) return 'the award has reached its expiry';
  const due = dueAt(t.expiresAt, t.settings.recertification.leadDays).getTime();
  if (asOf < due) return `not due until ${new Date(due).toISOString()}`;
  return leadDaysReachBeforeAward(t);
}

/** Why the reminder `daysBeforeExpiry` days before expiry must not go out now, or null. */
export function reminderRefusal(t: AwardTruth, asOf: number, daysBeforeExpiry: number): string | null {
  if (t.status !== 'active') return `the award is ${t.status}`;
  if (!t.expiresAt) return 'the award does not expire';
  if (!t.settings.recertification.reminderDaysBeforeExpiry.includes(daysBeforeExpiry)) {
    return `reminders ${daysBeforeExpiry} days before expiry are no longer configured`;
  }
  if (asOf >= t.expiresAt.getTime()) return 'the award has reached its expiry';
  const at = reminderAt(t.expiresAt, daysBeforeExpiry).getTime();
  if (asOf < at) return `not due until ${new Date(at).toISOString()}`;
  return null;
}

/**
 * Why repeating reminder `n` (issue 14 §3; 1 is the first) of the enrollment at `enrolledAtMs` must not
 * go out now, or null: the award must be active (not renewed, revoked, expired or in grace), the
 * settings must still repeat with a cap of at least `n`, its time (domain/dates.ts repeatReminderAt)
 * must have come and the expiry must not. Whether the learner completed is the send step's own check.
 */
export function repeatReminderRefusal(t: AwardTruth, asOf: number, n: number, enrolledAtMs: number): string | null {
  if (t.status !== 'active') return `the award is ${t.status}`;
  if (!t.expiresAt) return 'the award does not expire';
  const repeat = t.settings.recertification.repeatReminder;
  if (!repeat) return 'repeating reminders are no longer configured';
  if (!Number.isInteger(n) || n < 1 || n > repeat.maxCount) return `repeating reminder ${n} is beyond the cap of ${repeat.maxCount}`;
  if (asOf >= t.expiresAt.getTime()) return 'the award has reached its expiry';
  const at = repeatReminderAt(enrolledAtMs, repeat.everyDays, n);
  if (asOf < at) return `not due until ${new Date(at).toISOString()}`;
  return null;
}

/** Why the Certificate Expired notice must not go out, or null: the award really lapsed and the notice is on. */
export function expiredNoticeRefusal(t: AwardTruth): string | null {
  if (t.status !== 'expired') return `the award is ${t.status}`;
  if (!t.settings.expiredNotice.enabled) return 'the expired notice is off';
  return null;
}
