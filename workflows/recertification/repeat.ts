/**
 * Repeating reminders (issue 14 §3, REPEATING_REMINDERS): with `recertification.repeatReminder`
 * {everyDays, maxCount} the assigned wait sends reminder n (n = 1..maxCount) at the enrollment instant
 * (the status's `attempt.at`) + n × everyDays (domain/dates.ts repeatReminderAt), before the expiry
 * only: the award in grace, expired, renewed or revoked gets none (the loop leaves the assigned wait,
 * and the send activity re-checks domain/acting-rules.ts repeatReminderRefusal against the database).
 * A plan that changes (the setting, the expiry) passes over the repeats whose time has gone: none is
 * sent late. State only here, but for the two acting functions at the end.
 */
import { patched } from '@temporalio/workflow';
import { repeatReminderAt } from '../../domain/dates.ts';
import type { RepeatReminder } from '../../domain/settings.ts';
import { refresh, send, waitForSendWindow } from './effects.ts';
import { REPEATING_REMINDERS, SEND_WINDOWS } from './patches.ts';
import { expiresMs, now, record, settingsOf, type RecertificationRun } from './run.ts';

/** A repeating reminder not yet sent: which one (from 1) and when it falls (ms since the epoch). */
export interface DueRepeat {
  n: number;
  at: number;
}

const repeatOf = (run: RecertificationRun): RepeatReminder | null => settingsOf(run)?.recertification.repeatReminder ?? null;
const enrolledAtMs = (run: RecertificationRun): number | null => (run.status.attempt ? Date.parse(run.status.attempt.at) : null);

/**
 * What the repeats are planned from (the enrollment, the expiry, the setting), as one comparable
 * string. The setting's fields are listed, not the object: settings read from PostgreSQL (jsonb) and
 * settings from a signal may order their keys differently.
 */
const repeatPlanKey = (run: RecertificationRun): string => {
  const repeat = repeatOf(run);
  return JSON.stringify([run.status.attempt?.at ?? null, run.status.expiresAt, repeat ? [repeat.everyDays, repeat.maxCount] : null]);
};

/**
 * Called on every assigned pass (state only, no command): when the plan differs from the one the
 * repeats were last counted from (or none was yet), the repeats whose time has passed are done.
 */
export function replanRepeats(run: RecertificationRun): void {
  const plan = repeatPlanKey(run);
  if (plan === run.repeatPlan) return;
  const repeat = repeatOf(run);
  const from = enrolledAtMs(run);
  if (repeat && from !== null) {
    while (run.repeatsDone < repeat.maxCount && repeatReminderAt(from, repeat.everyDays, run.repeatsDone + 1) <= now()) run.repeatsDone++;
  }
  run.repeatPlan = plan;
}

/**
 * The next repeat to send: n = done + 1 while n ≤ maxCount and it falls before the expiry; null when
 * off, capped, past the expiry or not enrolled. The REPEATING_REMINDERS marker is recorded here, the
 * first time a repeat is planned (so a workflow whose certificate never repeats records none).
 */
export function nextRepeat(run: RecertificationRun): DueRepeat | null {
  const repeat = repeatOf(run);
  const from = enrolledAtMs(run);
  if (!repeat || from === null) return null;
  const n = run.repeatsDone + 1;
  if (n > repeat.maxCount) return null;
  const at = repeatReminderAt(from, repeat.everyDays, n);
  if (at >= expiresMs(run)) return null;
  return patched(REPEATING_REMINDERS) ? { n, at } : null;
}

/**
 * Sends the repeat whose time has come: re-reads the award first and goes back to planning if the
 * database changed the plan or ended the run; waits for the send window (SEND_WINDOWS; one opening only
 * at or after the expiry passes it over; repeats that fell meanwhile are folded into this one, so a
 * weekend's daily repeats make one email on Monday, not three); then sends the recertification
 * reminder once (its key ends `:repeat:<n>`, n the last one folded in; the activity re-checks the rule at the workflow's instant and whether the learner
 * has completed).
 */
export async function remindRepeat(run: RecertificationRun, next: DueRepeat): Promise<void> {
  const planned = repeatPlanKey(run);
  await refresh(run);
  if (run.ending || planned !== repeatPlanKey(run)) return;
  if (patched(SEND_WINDOWS)) {
    const wait = await waitForSendWindow(run, 'recertification_reminder', 'replan');
    if (wait === 'replan') return;
    if (wait === 'too_late') {
      run.repeatsDone = next.n;
      return;
    }
  }
  // Repeats that fell while this one waited for the window are folded into it: one reminder, not a burst.
  const n = lastFallen(run, next.n);
  run.repeatsDone = n;
  record(run, 'repeat_reminder', `${n} of ${repeatOf(run)?.maxCount ?? n}`);
  await send(run, 'recertification_reminder', {
    attemptId: run.status.attempt?.attemptId ?? null,
    repeatReminder: { n, enrolledAt: run.status.attempt?.at ?? new Date(now()).toISOString() },
  });
}

/** The last repeat (from `n` on) whose time has come, within the cap and before the expiry. */
function lastFallen(run: RecertificationRun, n: number): number {
  const repeat = repeatOf(run);
  const from = enrolledAtMs(run);
  if (!repeat || from === null) return n;
  let last = n;
  while (last < repeat.maxCount) {
    const at = repeatReminderAt(from, repeat.everyDays, last + 1);
    if (at > now() || at >= expiresMs(run)) break;
    last++;
  }
  return last;
}
