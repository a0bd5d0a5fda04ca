/**
 * The grace period (issue 14, LMS_POLICIES): past the expiry, a certificate with `graceDays` > 0
 * keeps the award `in_grace` until the grace period ends; completing the course meanwhile renews it
 * (the awardRenewed signal, or the database, ends the run as `renewed`). At the end it is expired and
 * the Certificate Expired notice sent.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import { DAY_MS } from '../../domain/dates.ts';
import { db, refresh, send, sleepUntil } from './effects.ts';
import { describe, expiresMs, keptEnrollmentDue, now, publish, record, settingsOf, type RecertificationRun } from './run.ts';

/** The settings' grace days (0 when off or absent). */
export const graceDaysOf = (run: RecertificationRun): number => settingsOf(run)?.expiration.graceDays ?? 0;

/**
 * At the expiry (the database re-read): puts the award in grace for `graceDays` from its expiry.
 * 'replan' afterwards (the loop's next pass waits in grace), or when the database says it was
 * renewed, revoked or extended meanwhile; 'expired' when it was already expired.
 */
export async function enterGrace(run: RecertificationRun, graceDays: number): Promise<'expired' | 'replan'> {
  const graceEndsAt = new Date(expiresMs(run) + graceDays * DAY_MS).toISOString();
  const result = await db.enterGrace({ awardId: run.input.awardId, asOf: new Date(now()).toISOString(), graceEndsAt });
  if (result.status === 'renewed' || result.status === 'revoked') {
    run.ending = result.status;
    return 'replan';
  }
  if (result.status === 'active') {
    if (result.expiresAt) run.status.expiresAt = result.expiresAt; // extended meanwhile
    return 'replan';
  }
  if (result.status === 'expired') {
    run.status.phase = 'expired';
    run.status.dueAt = null;
    record(run, 'expired');
    publish(run);
    return 'expired';
  }
  // The enrolled award's due time, kept for the expired notice at the end of grace (ASSIGNED_DUE_TIME_FIXED).
  run.graceEnrolledDue = run.status.phase === 'assigned' ? run.status.dueAt : null;
  run.status.phase = 'in_grace';
  run.status.dueAt = null;
  run.status.graceEndsAt = result.graceEndsAt ?? graceEndsAt;
  record(run, 'phase_in_grace', `until ${run.status.graceEndsAt}`);
  publish(run);
  return 'replan';
}

/**
 * One pass in grace: sleeps until the grace period ends (a signal wakes it to re-plan); then re-reads
 * the award and expires it (the activity checks the grace end at the workflow's instant), sending the
 * Certificate Expired notice when the settings ask for it.
 */
export async function graceStep(run: RecertificationRun): Promise<'expired' | 'replan'> {
  const endsMs = Date.parse(run.status.graceEndsAt ?? run.status.expiresAt);
  if (now() < endsMs) {
    setCurrentDetails(describe(run.status));
    await sleepUntil(run, endsMs);
    return 'replan';
  }
  await refresh(run);
  if (run.ending) return 'replan';
  const result = await db.expireAward({ awardId: run.input.awardId, asOf: new Date(now()).toISOString() });
  if (result.status === 'renewed' || result.status === 'revoked') {
    run.ending = result.status;
    return 'replan';
  }
  if (!result.expired && result.status !== 'expired') {
    // Still held (an admin changed it meanwhile): wait a day rather than spin, then look again.
    await sleepUntil(run, now() + DAY_MS);
    return 'replan';
  }
  run.status.phase = 'expired';
  run.status.dueAt = null;
  record(run, 'expired', 'grace period over');
  publish(run);
  if (result.expired && settingsOf(run)?.expiredNotice.enabled) {
    const kept = keptEnrollmentDue(run, run.graceEnrolledDue);
    await send(run, 'certificate_expired', kept ? { dueAt: kept } : {});
  }
  return 'expired';
}
