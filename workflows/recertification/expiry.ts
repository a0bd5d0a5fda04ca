/**
 * Expiry: the award's expiry has come without renewal.
 */
import { patched } from '@temporalio/workflow';
import { db, refresh, send } from './effects.ts';
import { enterGrace, graceDaysOf } from './grace.ts';
import { ACT_ON_DATABASE_TRUTH, LMS_POLICIES } from './patches.ts';
import { expiresMs, keptEnrollmentDue, now, publish, record, settingsOf, type RecertificationRun } from './run.ts';

/**
 * Marks the award expired and sends the Certificate Expired notice when the settings ask for it.
 * Since ACT_ON_DATABASE_TRUTH it re-reads the award first and the activity expires only if the
 * database's expiry is at or before the workflow's instant (`asOf`). A renewal, a revocation or an
 * extension found on the way sends the run back to planning ('replan').
 */
export async function expiryStep(run: RecertificationRun): Promise<'expired' | 'replan'> {
  const truthFirst = patched(ACT_ON_DATABASE_TRUTH);
  if (truthFirst) {
    await refresh(run);
    if (run.ending || now() < expiresMs(run)) return 'replan'; // renewed, revoked or extended meanwhile
    // A grace period (issue 14): in grace instead of expired; the grace step expires it later.
    const graceDays = graceDaysOf(run);
    if (graceDays > 0 && patched(LMS_POLICIES)) return await enterGrace(run, graceDays);
  }
  const result = await db.expireAward({ awardId: run.input.awardId, ...(truthFirst ? { asOf: new Date(now()).toISOString() } : {}) });
  if (result.status === 'renewed' || result.status === 'revoked') {
    run.ending = result.status;
    return 'replan';
  }
  if (truthFirst && !result.expired && result.status === 'active') {
    // Still active: its expiry moved later between the read and the update. Re-plan from it.
    if (result.expiresAt) run.status.expiresAt = result.expiresAt;
    return 'replan';
  }
  // The enrolled award's due time, for the expired notice's {{dueAt}} (ASSIGNED_DUE_TIME_FIXED), before it is cleared.
  const enrolledDue = run.status.phase === 'assigned' ? run.status.dueAt : null;
  run.status.phase = 'expired';
  record(run, 'expired');
  if (truthFirst) run.status.dueAt = null; // nothing falls due any more
  publish(run);
  if (result.expired && settingsOf(run)?.expiredNotice.enabled) {
    const kept = keptEnrollmentDue(run, enrolledDue);
    await send(run, 'certificate_expired', kept ? { dueAt: kept } : {});
  }
  return 'expired';
}
