/**
 * How a run begins, hands over to the next run, and ends by a renewal or a revocation.
 */
import { continueAsNew, log, makeContinueAsNewFunc, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CarriedState, RecertificationStatus } from '../contract.ts';
import { AwardId, CertificateExpiresAt, CertificateId, LearnerId, RecertificationDueAt, RecertificationPhase } from '../search-attributes.ts';
import type { recertificationWorkflow } from '../recertification.ts';
import { dbSteps } from './effects.ts';
import { ACT_ON_DATABASE_TRUTH } from './patches.ts';
import { applyContext, leadDays, publish, record, type Ending, type RecertificationRun } from './run.ts';

/** Continue-as-new well before a history grows heavy (many settings changes over years): events. */
const HISTORY_EVENTS_LIMIT = 5_000;

/**
 * The run's first step. A first run reads the award, since the input's expiry is only what it was at
 * the start: an award that does not expire has nothing to automate, and one already expired is shown
 * expired. A continued run (ACT_ON_DATABASE_TRUTH) shows at once what it waits for; its search
 * attributes came with it.
 * @returns 'done' when the run has nothing to automate and returns its status now.
 */
export async function begin(run: RecertificationRun): Promise<'automate' | 'done'> {
  const { input, status } = run;
  if (input.carried) {
    if (patched(ACT_ON_DATABASE_TRUTH)) {
      record(run, 'continued', `history of the previous run passed its limit`);
      publish(run);
    }
    return 'automate';
  }
  const ctx = await dbSteps().loadAwardContext({ awardId: input.awardId });
  applyContext(run, ctx);
  if (!ctx.expiresAt && !run.ending) {
    record(run, 'not_expiring', 'the award has no expiry; nothing to automate');
    status.dueAt = null;
    return 'done';
  }
  if (ctx.status === 'expired') {
    status.phase = 'expired';
    record(run, 'already_expired');
    publish(run);
    return 'done';
  }
  record(run, 'started', `expires ${status.expiresAt}, lead ${leadDays(run)} days`);
  return 'automate';
}

/**
 * Past HISTORY_EVENTS_LIMIT events (or when Temporal suggests it) the run continues as new with its
 * state (status, reminders sent, expiring notice); does nothing otherwise. `input.historyEventsLimit`
 * lowers the limit in tests.
 */
export async function continueAsNewWhenHistoryIsLong(run: RecertificationRun): Promise<void> {
  const { input, status } = run;
  const info = workflowInfo();
  if (info.historyLength <= (input.historyEventsLimit ?? HISTORY_EVENTS_LIMIT) && !info.continueAsNewSuggested) return;
  log.info('continuing as new', { historyLength: info.historyLength, phase: status.phase });
  const carried: CarriedState = { status, remindersSent: [...run.remindersSent], expiringNoticeSent: run.expiringNoticeSent };
  // REPEATING_REMINDERS: carried only once a repeat was planned, so runs without them carry what they always did.
  if (run.repeatsDone > 0 || status.settings?.recertification.repeatReminder) carried.repeatReminders = { done: run.repeatsDone, plan: run.repeatPlan };
  if (run.graceEnrolledDue !== null) carried.graceEnrolledDue = run.graceEnrolledDue;
  if (patched(ACT_ON_DATABASE_TRUTH)) {
    // The closed run keeps its ids but no phase, due time or expiry: a visibility query on those
    // finds the award once, in the running run, which starts with all of them.
    const dueIso = status.dueAt ? new Date(status.dueAt) : null;
    upsertSearchAttributes([
      { key: RecertificationPhase, value: null },
      { key: RecertificationDueAt, value: null },
      { key: CertificateExpiresAt, value: null },
    ]);
    await makeContinueAsNewFunc<typeof recertificationWorkflow>({
      typedSearchAttributes: [
        { key: CertificateId, value: input.certificateId },
        { key: LearnerId, value: input.learnerId },
        { key: AwardId, value: input.awardId },
        { key: RecertificationPhase, value: status.phase },
        ...(dueIso ? [{ key: RecertificationDueAt, value: dueIso }] : []),
        { key: CertificateExpiresAt, value: new Date(status.expiresAt) },
      ],
    })({ ...input, expiresAt: status.expiresAt, carried });
  }
  await continueAsNew<typeof recertificationWorkflow>({ ...input, expiresAt: status.expiresAt, carried });
}

/** The last step after a renewal or a revocation: the phase says which, and nothing falls due any more. */
export function finish(run: RecertificationRun, ending: Ending): RecertificationStatus {
  run.status.phase = ending;
  record(run, `phase_${ending}`);
  if (patched(ACT_ON_DATABASE_TRUTH)) run.status.dueAt = null; // nothing falls due any more
  publish(run);
  return run.status;
}
