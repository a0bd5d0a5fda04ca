/**
 * The weekly digest for admins and managers (issue 14 §4), started by its Temporal Schedule
 * (domain/digest-schedule.ts) each DIGEST_DAY at DIGEST_HOUR in the organisation's time zone. One
 * activity does the work on the email task queue: it reads the database as it is now and sends each
 * digest of the period once (its ledger), so the schedule firing twice in a period sends nothing twice.
 * Deterministic: the instant it stands for is its input's `asOf`, or the workflow's own clock
 * (Temporal's, the same on replay). Its history holds counts only, no address or name.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DigestActivities, DigestRunResult } from '../activities/types.ts';
import { emailTaskQueue } from './activity-options.ts';

export interface DigestWorkflowInput {
  /** ISO instant the run stands for (tests, a manual re-run of a past period); default: the workflow's start. */
  asOf?: string;
}

export const DIGEST_WORKFLOW = 'digestWorkflow';

export async function digestWorkflow(input: DigestWorkflowInput = {}): Promise<DigestRunResult> {
  const act = proxyActivities<DigestActivities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    // Sends wait their turn under the provider's rate limit; a big academy's managers take minutes.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20 },
  });
  return await act.sendWeeklyDigest({ asOf: input.asOf ?? new Date().toISOString() });
}
