/**
 * Assigned: the learner is enrolled; the run waits for renewal until the expiry, reminding on the
 * settings' reminder days (each `d` days before expiry, domain/dates.ts reminderAt).
 */
import { patched, setCurrentDetails } from '@temporalio/workflow';
import { reminderAt } from '../../domain/dates.ts';
import { refresh, send, sleepUntil, waitForSendWindow } from './effects.ts';
import { ACT_ON_DATABASE_TRUTH, SEND_WINDOWS } from './patches.ts';
import { describe, expiresMs, now, reminderPlanKey, setPhase, skipPassedReminders, type RecertificationRun } from './run.ts';
import { nextRepeat, remindRepeat, replanRepeats } from './repeat.ts';

/** A reminder not yet sent: its days before expiry, and when it falls (ms since the epoch). */
interface DueReminder {
  day: number;
  at: number;
}

/**
 * One pass of the assigned wait: send the reminder whose time has come (a fixed day first, then a
 * repeating one, recertification/repeat.ts), else sleep until the next one or the expiry.
 */
export async function assignedWait(run: RecertificationRun): Promise<void> {
  const reminderDays = run.status.settings?.recertification.reminderDaysBeforeExpiry ?? [];
  if (patched(ACT_ON_DATABASE_TRUTH)) replanReminders(run, reminderDays);
  replanRepeats(run);
  const next = nextReminder(run, reminderDays);
  if (next && next.at <= now()) return await remind(run, next);
  const repeat = nextRepeat(run); // null unless the settings repeat (REPEATING_REMINDERS)
  if (repeat && repeat.at <= now()) return await remindRepeat(run, repeat);
  setCurrentDetails(describe(run.status));
  await sleepUntil(run, Math.min(next ? next.at : Infinity, repeat ? repeat.at : Infinity, expiresMs(run)));
}

/**
 * Keeps the search attributes on the current expiry, and when the expiry or the reminder days
 * changed since the last pass, does not send late the reminders whose time has already passed (as at
 * enrollment). ACT_ON_DATABASE_TRUTH.
 */
function replanReminders(run: RecertificationRun, reminderDays: readonly number[]): void {
  setPhase(run, 'assigned');
  const plan = reminderPlanKey(run.status.expiresAt, reminderDays);
  if (run.reminderPlan !== null && plan !== run.reminderPlan) skipPassedReminders(run, reminderDays);
  run.reminderPlan = plan;
}

/** The earliest reminder not yet sent (on a tie, the first of the settings' days), or null. */
function nextReminder(run: RecertificationRun, reminderDays: readonly number[]): DueReminder | null {
  let next: DueReminder | null = null;
  for (const day of reminderDays) {
    if (run.remindersSent.has(day)) continue;
    const at = reminderAt(new Date(run.status.expiresAt), day).getTime();
    if (!next || at < next.at) next = { day, at };
  }
  return next;
}

/**
 * Sends a reminder whose time has come. Since ACT_ON_DATABASE_TRUTH it first re-reads the award and
 * goes back to planning if the database's expiry or reminder days differ from what it planned with.
 */
async function remind(run: RecertificationRun, next: DueReminder): Promise<void> {
  if (patched(ACT_ON_DATABASE_TRUTH)) {
    const plannedWith = (): string => reminderPlanKey(run.status.expiresAt, run.status.settings?.recertification.reminderDaysBeforeExpiry);
    const planned = plannedWith();
    await refresh(run);
    if (run.ending || planned !== plannedWith()) return;
  }
  // SEND_WINDOWS: the reminder waits for the learner's window; a signal re-plans (the reminder days or
  // the expiry may have changed); a window opening only after the expiry passes the reminder over.
  if (patched(SEND_WINDOWS)) {
    const wait = await waitForSendWindow(run, 'recertification_reminder', 'replan');
    if (wait === 'replan') return;
    if (wait === 'too_late') {
      run.remindersSent.add(next.day);
      return;
    }
  }
  run.remindersSent.add(next.day);
  await send(run, 'recertification_reminder', { attemptId: run.status.attempt?.attemptId ?? null, reminderDaysBeforeExpiry: next.day });
}
