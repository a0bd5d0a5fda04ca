/**
 * One durable workflow per expiring award. It sleeps until the due time (expiry − lead
 * days) in a wait that signals can wake and re-plan, enrolls the learner in the recertification
 * course as a fresh attempt, sends the chosen messages, then waits for renewal until expiry.
 *
 * The workflow is named steps over one state object (recertification/run.ts), each re-planning from
 * that state when it returns; signals change the state and wake the current wait.
 *   begin                                                              (recertification/lifecycle.ts)
 *   until renewed or revoked:
 *     continue as new when the history is long                         (lifecycle.ts), then one of
 *       expiry step     the expiry has come                            (expiry.ts)
 *       assigned wait   enrolled: reminders until renewal or expiry    (assigned.ts, repeat.ts)
 *       wait until due  scheduled: sleep until expiry − lead days      (due.ts)
 *       due step        enroll, or wait for settings that allow it     (due.ts)
 *   finish                                                             (lifecycle.ts)
 *
 * Deterministic and replay-safe: no I/O, no Node APIs, activities by type only; logs go through the
 * workflow `log`. Every activity and timer starts in recertification/effects.ts. Change the logic of
 * a deployed version with `patched()` (recertification/patches.ts) and add a recorded history under
 * test/histories.
 */
import { setHandler } from '@temporalio/workflow';
import {
  awardRenewedSignal,
  awardRevokedSignal,
  expiryChangedSignal,
  settingsChangedSignal,
  statusQuery,
  type RecertificationInput,
  type RecertificationStatus,
} from './contract.ts';
import { assignedWait } from './recertification/assigned.ts';
import { dueStep, waitUntilDue } from './recertification/due.ts';
import { expiryStep } from './recertification/expiry.ts';
import { graceStep } from './recertification/grace.ts';
import { begin, continueAsNewWhenHistoryIsLong, finish } from './recertification/lifecycle.ts';
import { dueMs, expiresMs, newRun, now, record, type RecertificationRun } from './recertification/run.ts';
import { nextStep } from '../domain/recertification-steps.ts';

export { ACT_ON_DATABASE_TRUTH, DUE_STEP_LOCAL_ACTIVITIES, LMS_POLICIES } from './recertification/patches.ts';
export { MAX_TIMER_MS } from './recertification/effects.ts';

export async function recertificationWorkflow(input: RecertificationInput): Promise<RecertificationStatus> {
  const run = newRun(input);
  listen(run);
  if ((await begin(run)) === 'done') return run.status;

  while (run.ending === null) {
    run.wake = false;
    await continueAsNewWhenHistoryIsLong(run);
    // In grace (issue 14, only under LMS_POLICIES): wait for a renewal until the grace period ends.
    if (run.status.phase === 'in_grace') {
      if ((await graceStep(run)) === 'expired') return run.status;
      continue;
    }
    // The step is domain/recertification-steps.ts's `nextStep`, shared with the change-impact preview.
    const step = nextStep({ assigned: run.status.phase === 'assigned', asOf: now(), dueMs: dueMs(run), expiresMs: expiresMs(run) });
    if (step === 'expiry') {
      if ((await expiryStep(run)) === 'expired') return run.status;
    } else if (step === 'assigned_wait') {
      await assignedWait(run);
    } else if (step === 'wait_until_due') {
      await waitUntilDue(run);
    } else {
      await dueStep(run);
    }
  }
  return finish(run, run.ending);
}

/**
 * The query and the signals. A signal changes the state and wakes the current wait (`run.wake`) so
 * the loop re-plans; a renewal or revocation sets `run.ending`, which ends the loop.
 */
function listen(run: RecertificationRun): void {
  const { status } = run;
  setHandler(statusQuery, () => status);
  setHandler(settingsChangedSignal, ({ settingsVersion, settings }) => {
    if (settingsVersion <= status.settingsVersion) return; // an older change arriving late
    status.settings = settings;
    status.settingsVersion = settingsVersion;
    record(run, 'settings_changed', `version ${settingsVersion}`);
    run.wake = true;
  });
  setHandler(expiryChangedSignal, ({ expiresAt }) => {
    if (Number.isNaN(Date.parse(expiresAt)) || expiresAt === status.expiresAt) return;
    record(run, 'expiry_changed', `${status.expiresAt} → ${expiresAt}`);
    status.expiresAt = new Date(expiresAt).toISOString();
    run.wake = true;
  });
  setHandler(awardRenewedSignal, ({ newAwardId }) => {
    if (run.ending) return;
    run.ending = 'renewed';
    status.renewedByAwardId = newAwardId;
    record(run, 'renewed', `by award ${newAwardId}`);
    run.wake = true;
  });
  setHandler(awardRevokedSignal, ({ reason }) => {
    if (run.ending) return;
    run.ending = 'revoked';
    status.revokedReason = reason;
    record(run, 'revoked', reason);
    run.wake = true;
  });
}
