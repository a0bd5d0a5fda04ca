/**
 * The API's gateway to Temporal: starts the recertification workflow of an award (through
 * domain/award-workflow-start.ts, re-exported here), signals it, asks it for its status; starts
 * settings propagations, enrollment-message sends and imports.
 *
 * Every start happens after the database commit that makes it necessary, and every start is safe to
 * repeat (deterministic workflow ids, `USE_EXISTING` for a running one, `REJECT_DUPLICATE` for a
 * closed one): the request path and the reconciler (api/reconciler.ts) may race and both be right.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Sql } from '../db/client.ts';
import type { AwardRow } from '../db/rows.ts';
import * as attemptsQ from '../db/queries/attempts.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as learnersQ from '../db/queries/learners.ts';
import * as certsQ from '../db/queries/certificates.ts';
import type { AwardWorkflows } from '../domain/awarding.ts';
import {
  RECERTIFICATION_WORKFLOW,
  awardRenewedSignal,
  awardRevokedSignal,
  expiryChangedSignal,
  statusQuery,
  workflowIdForAward,
  type RecertificationInput,
  type RecertificationStatus,
} from '../workflows/contract.ts';
import { settingsPropagationWorkflowId, type SettingsPropagationInput } from '../workflows/settings-propagation.ts';
import { AwardId, RecertificationDueAt, RecertificationPhase } from '../workflows/search-attributes.ts';
import { IMPORT_WORKFLOW, type ImportWorkflowInput } from '../workflows/import.ts';
import {
  TEMPORAL_CALL_TIMEOUT_MS,
  ensureAwardWorkflow,
  ensureAwardWorkflows,
  isAlreadyStarted,
  startAwardWorkflow,
  withinDeadline,
  type TemporalDeps,
} from '../domain/award-workflow-start.ts';
import * as importsQ from '../db/queries/imports.ts';
import { ENROLLMENT_MESSAGE_WORKFLOW, enrollmentMessageWorkflowId, type EnrollmentMessageInput } from '../workflows/enrollment-message.ts';

export type { TemporalDeps };
export { workflowIdForAward, TEMPORAL_CALL_TIMEOUT_MS, startAwardWorkflow, ensureAwardWorkflow, ensureAwardWorkflows };

/** Like ensureAwardWorkflow, for the request path: a Temporal failure is logged, not thrown. */
export async function tryEnsureAwardWorkflow(deps: TemporalDeps & { sql: Sql }, given: AwardRow | awardsQ.AwardStartInfo): Promise<AwardRow> {
  const award = 'certificateTitle' in given ? given.award : given;
  if (!award.workflowId || !award.expiresAt) return award;
  // Benchmark hook (bench/run.ts, the database-only arm): measure the HTTP and database cost alone.
  // The award keeps workflow_started_at = null, exactly as if Temporal had been unreachable.
  if (process.env.RECERTIFY_BENCH_SKIP_WORKFLOW_START === '1') return award;
  try {
    return (await ensureAwardWorkflow(deps, 'certificateTitle' in given ? given : award.id)) ?? award;
  } catch (err) {
    deps.log.warn({ err, awardId: award.id, workflowId: award.workflowId }, 'could not start the award workflow; the reconciler will retry');
    return award;
  }
}

/** The awarding routine's port onto Temporal (domain/awarding.ts), on the request path: failures are logged and left to the reconciler. */
export function awardWorkflows(deps: TemporalDeps & { sql: Sql }): AwardWorkflows {
  return {
    ensureStarted: (award) => tryEnsureAwardWorkflow(deps, award),
    deliverChange: async (awardId) => void (await deliverAwardChange(deps, awardId)),
  };
}

export type SignalOutcome = 'signalled' | 'workflow_closed' | 'failed' | 'no_workflow';

async function signal(deps: TemporalDeps, workflowId: string | null, send: (h: WorkflowHandle) => Promise<void>, what: string): Promise<SignalOutcome> {
  if (!workflowId) return 'no_workflow';
  try {
    await withinDeadline(deps, () => send(deps.client.workflow.getHandle(workflowId)));
    return 'signalled';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'workflow_closed';
    // The database already holds the change: the workflow reads it at its next step. Signals are the fast path.
    deps.log.warn({ err, workflowId, signal: what }, 'signal failed; the workflow will read the change from the database');
    return 'failed';
  }
}

export const signalAwardRenewed = (deps: TemporalDeps, workflowId: string | null, newAwardId: string): Promise<SignalOutcome> =>
  signal(deps, workflowId, (h) => h.signal(awardRenewedSignal, { newAwardId }), 'awardRenewed');
export const signalAwardRevoked = (deps: TemporalDeps, workflowId: string | null, reason: string): Promise<SignalOutcome> =>
  signal(deps, workflowId, (h) => h.signal(awardRevokedSignal, { reason }), 'awardRevoked');
export const signalExpiryChanged = (deps: TemporalDeps, workflowId: string | null, expiresAt: Date): Promise<SignalOutcome> =>
  signal(deps, workflowId, (h) => h.signal(expiryChangedSignal, { expiresAt: expiresAt.toISOString() }), 'expiryChanged');

/**
 * Delivers the award's latest change to its workflow, derived from the award as the database holds it
 * now: `active` → expiryChanged (its current expiry), `renewed` → awardRenewed, `revoked` →
 * awardRevoked; an `expired` award's workflow has ended. The change was recorded pending
 * (`workflow_signal_pending_at`) in the transaction that made it; once Temporal accepted the signal
 * (or the workflow is gone) it is cleared, unless a newer change arrived meanwhile. The request path
 * calls it after its commit and the reconciler calls it for whatever is still pending, so a change
 * whose signal failed is delivered later. Returns what happened; never throws for Temporal's sake.
 */
export async function deliverAwardChange(deps: TemporalDeps & { sql: Sql }, awardId: string): Promise<SignalOutcome> {
  const award = await awardsQ.getAward(deps.sql, awardId);
  if (!award) return 'no_workflow';
  const pendingAt = award.workflowSignalPendingAt;
  let outcome: SignalOutcome;
  if (!award.workflowId || award.status === 'expired') outcome = 'no_workflow';
  else if (!award.workflowStartedAt) return 'failed'; // its start (by the request or the reconciler) carries the current state
  else if (award.status === 'renewed') outcome = award.renewedByAwardId ? await signalAwardRenewed(deps, award.workflowId, award.renewedByAwardId) : 'failed';
  else if (award.status === 'revoked') outcome = await signalAwardRevoked(deps, award.workflowId, award.revokedReason ?? 'revoked');
  else outcome = award.expiresAt ? await signalExpiryChanged(deps, award.workflowId, award.expiresAt) : 'no_workflow';
  if (outcome !== 'failed' && pendingAt) await awardsQ.clearSignalPending(deps.sql, award.id, pendingAt);
  return outcome;
}

/**
 * `deliverAwardChange` for many awards (a deactivation, an archive), at most `concurrency` at a time
 * and at most `max` of them (the rest stay pending for the reconciler, which delivers every pending
 * change). Returns how many ended in each outcome, plus `left` (not tried here). Never throws for
 * Temporal's sake.
 */
export async function deliverAwardChanges(
  deps: TemporalDeps & { sql: Sql },
  awardIds: readonly string[],
  opts: { concurrency?: number; max?: number } = {},
): Promise<Record<SignalOutcome, number> & { left: number }> {
  const counts: Record<SignalOutcome, number> & { left: number } = { signalled: 0, workflow_closed: 0, failed: 0, no_workflow: 0, left: 0 };
  const todo = awardIds.slice(0, opts.max ?? 500);
  counts.left = awardIds.length - todo.length;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < todo.length) {
      const id = todo[next++];
      if (id === undefined) return;
      const outcome = await deliverAwardChange(deps, id).catch((err: unknown) => {
        deps.log.warn({ err, awardId: id }, 'award change not delivered; the reconciler will');
        return 'failed' as const;
      });
      counts[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, lane));
  return counts;
}

/** What erasing a learner from Temporal found and did. */
export interface TemporalErasure {
  /** Executions (workflow id and run) deleted, or already gone. */
  deleted: number;
  /** Workflow ids it looked at: the learner's awards' and manual enrollments' workflows, and whatever visibility lists for `LearnerId`. */
  workflowIds: string[];
}

const isGrpcNotFound = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 5; // gRPC NOT_FOUND

/**
 * Removes every workflow execution of a learner from Temporal (an erasure): the recertification
 * workflows of their awards (`workflowIds` from the database, and every run visibility lists with
 * `LearnerId = '<id>'`, continued-as-new runs included) and the enrollment-message workflows of their
 * manual attempts. Each is terminated when still running, then deleted with the workflow service's
 * `DeleteWorkflowExecution` (history and visibility; Temporal deletes asynchronously, within seconds).
 * One already gone counts as deleted. Throws when Temporal fails: the learner's Temporal part stays
 * pending and the reconciler runs this again (every step is safe to repeat).
 */
export async function deleteLearnerWorkflows(
  deps: TemporalDeps,
  args: { learnerId: string; workflowIds: readonly string[] },
): Promise<TemporalErasure> {
  const runs = new Map<string, Set<string>>();
  for (const id of args.workflowIds) runs.set(id, new Set());
  // Learner ids are validated UUIDs: safe to quote into the query.
  await withinDeadline(deps, async () => {
    for await (const wf of deps.client.workflow.list({ query: `LearnerId = '${args.learnerId}'` })) {
      const set = runs.get(wf.workflowId) ?? new Set<string>();
      set.add(wf.runId);
      runs.set(wf.workflowId, set);
    }
  });
  let deleted = 0;
  const namespace = deps.client.options.namespace;
  for (const [workflowId, runIds] of runs) {
    await withinDeadline(deps, async () => {
      const handle = deps.client.workflow.getHandle(workflowId);
      try {
        await handle.terminate('learner erased');
      } catch (err) {
        // Not found: never started, closed, or already deleted. Closed runs are deleted below all the same.
        if (!(err instanceof WorkflowNotFoundError) && !isGrpcNotFound(err)) throw err;
      }
      // Delete only once Temporal has recorded the close: a delete racing the close's own visibility
      // update was seen (dev server) to leave the execution listed in visibility.
      for (let i = 0; i < 20; i++) {
        const open = await handle.describe().then((d) => d.status.name === 'RUNNING', () => false);
        if (!open) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 200));
      // Each listed run, then the latest run (the one visibility may not list yet).
      for (const runId of [...runIds, '']) {
        try {
          await deps.client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, ...(runId ? { runId } : {}) } });
          deleted++;
        } catch (err) {
          if (!isGrpcNotFound(err)) throw err;
          if (runId) deleted++; // already gone
        }
      }
    });
  }
  return { deleted, workflowIds: [...runs.keys()] };
}

/**
 * The Temporal part of erasing a learner: deletes every workflow execution of theirs
 * (`deleteLearnerWorkflows`: their awards' recertification workflows, their manual attempts'
 * enrollment-message workflows, whatever visibility lists under their `LearnerId`) and records it done
 * (`erasure_temporal_done_at`). Returns what it deleted and whether it is done; never throws for
 * Temporal's sake (not done: the reconciler runs it again).
 */
export async function eraseLearnerFromTemporal(deps: TemporalDeps & { sql: Sql }, learnerId: string): Promise<{ deleted: number; done: boolean }> {
  const workflowIds = [
    ...(await awardsQ.workflowIdsOfLearner(deps.sql, learnerId)),
    ...(await attemptsQ.manualAttemptIdsOfLearner(deps.sql, learnerId)).map(enrollmentMessageWorkflowId),
  ];
  try {
    const { deleted } = await deleteLearnerWorkflows(deps, { learnerId, workflowIds });
    await awardsQ.clearSignalsPendingOfLearner(deps.sql, learnerId);
    await learnersQ.markErasureTemporalDone(deps.sql, learnerId);
    return { deleted, done: true };
  } catch (err) {
    deps.log.warn({ err, learnerId }, 'could not delete the erased learner\'s workflows; the reconciler will retry');
    return { deleted: 0, done: false };
  }
}

export type RecertificationView =
  | { available: true; workflowStatus: string; status: RecertificationStatus }
  | { available: false; workflowStatus: string | null; reason: string };

/**
 * The workflow's live `status`: the query of a running workflow, the result of a completed one.
 * Never throws; says why when the status is not available.
 */
export async function recertificationStatus(deps: TemporalDeps, award: AwardRow, timeoutMs = 3000): Promise<RecertificationView> {
  if (!award.workflowId) return { available: false, workflowStatus: null, reason: 'the award does not expire, so it has no workflow' };
  if (!award.workflowStartedAt) {
    return { available: false, workflowStatus: null, reason: 'the workflow has not been started yet (the reconciler will start it)' };
  }
  const handle = deps.client.workflow.getHandle<(input: RecertificationInput) => Promise<RecertificationStatus>>(award.workflowId);
  const deadline = Date.now() + timeoutMs;
  try {
    const description = await deps.client.withDeadline(deadline, () => handle.describe());
    const workflowStatus = description.status.name;
    if (workflowStatus === 'COMPLETED') {
      const status = await deps.client.withDeadline(deadline, () => handle.result());
      return { available: true, workflowStatus, status };
    }
    if (workflowStatus !== 'RUNNING') return { available: false, workflowStatus, reason: `the workflow is ${workflowStatus.toLowerCase()}` };
    const status = await deps.client.withDeadline(deadline, () => handle.query(statusQuery));
    return { available: true, workflowStatus, status };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { available: false, workflowStatus: null, reason: 'Temporal does not know the workflow (past retention?)' };
    const message = err instanceof Error ? err.message : String(err);
    deps.log.warn({ err, workflowId: award.workflowId }, 'recertification status unavailable');
    return { available: false, workflowStatus: null, reason: `Temporal did not answer: ${message}` };
  }
}

export interface WorkflowSummary {
  /** Temporal's execution status: RUNNING, COMPLETED, … */
  workflowStatus: string;
  phase: string | null;
  dueAt: string | null;
}

/**
 * Phase and due time of many awards' workflows from one visibility query per 100 awards (the search
 * attributes the workflow keeps current), for lists. Visibility lags a little behind the workflows.
 * Returns null when Temporal does not answer.
 */
export async function summarizeAwardWorkflows(deps: TemporalDeps, awards: AwardRow[]): Promise<Map<string, WorkflowSummary> | null> {
  const ids = awards.filter((a) => a.workflowId).map((a) => a.id);
  const out = new Map<string, WorkflowSummary>();
  try {
    for (let i = 0; i < ids.length; i += 100) {
      // Award ids are validated UUIDs: safe to quote into the query.
      const query = `AwardId IN (${ids.slice(i, i + 100).map((id) => `'${id}'`).join(', ')})`;
      await withinDeadline(deps, async () => {
        for await (const wf of deps.client.workflow.list({ query })) {
          const awardId = wf.typedSearchAttributes.get(AwardId);
          // A run that continued as new is the same award's earlier run: the running one speaks for it.
          if (!awardId || wf.type !== RECERTIFICATION_WORKFLOW || wf.status.name === 'CONTINUED_AS_NEW') continue;
          const due = wf.typedSearchAttributes.get(RecertificationDueAt);
          out.set(awardId, {
            workflowStatus: wf.status.name,
            phase: wf.typedSearchAttributes.get(RecertificationPhase) ?? null,
            dueAt: due ? due.toISOString() : null,
          });
        }
      });
    }
    return out;
  } catch (err) {
    deps.log.warn({ err }, 'workflow summaries unavailable');
    return null;
  }
}

/** Starts (or finds) the workflow that signals a settings version to every running workflow of the certificate, and marks it. */
export async function startSettingsPropagation(deps: TemporalDeps & { sql: Sql }, certificateId: string, settingsVersion: number): Promise<void> {
  const input: SettingsPropagationInput = { certificateId, settingsVersion };
  try {
    await withinDeadline(deps, () => deps.client.workflow.start('settingsPropagationWorkflow', {
      taskQueue: deps.config.temporal.taskQueue,
      workflowId: settingsPropagationWorkflowId(certificateId, settingsVersion),
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Settings v${settingsVersion} of certificate ${certificateId} to its running workflows`,
    }));
  } catch (err) {
    if (!isAlreadyStarted(err)) throw err;
  }
  await certsQ.markPropagationStarted(deps.sql, certificateId, settingsVersion);
}

/** Like startSettingsPropagation, for the request path: a Temporal failure is logged (the reconciler retries). */
export async function tryStartSettingsPropagation(deps: TemporalDeps & { sql: Sql }, certificateId: string, settingsVersion: number): Promise<boolean> {
  try {
    await startSettingsPropagation(deps, certificateId, settingsVersion);
    return true;
  } catch (err) {
    deps.log.warn({ err, certificateId, settingsVersion }, 'could not start the settings propagation; the reconciler will retry');
    return false;
  }
}

/** Starts (or finds) the workflow that sends a manual enrollment's course enrollment message. */
export async function startEnrollmentMessage(deps: TemporalDeps, attemptId: string): Promise<string> {
  const workflowId = enrollmentMessageWorkflowId(attemptId);
  const input: EnrollmentMessageInput = { attemptId };
  try {
    await withinDeadline(deps, () => deps.client.workflow.start(ENROLLMENT_MESSAGE_WORKFLOW, {
      taskQueue: deps.config.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Course enrollment message for attempt ${attemptId}`,
    }));
  } catch (err) {
    if (!isAlreadyStarted(err)) throw err;
  }
  return workflowId;
}

/**
 * Starts (or finds) the workflow that applies an import (workflows/import.ts) and records that
 * Temporal confirmed it. Throws when Temporal is unreachable: the import keeps
 * `workflow_started_at = null` and the reconciler starts it.
 */
export async function startImportWorkflow(deps: TemporalDeps & { sql: Sql }, imp: Pick<importsQ.ImportRow, 'id' | 'workflowId' | 'certificateId' | 'totalRows'>): Promise<void> {
  const input: ImportWorkflowInput = { importId: imp.id };
  try {
    await withinDeadline(deps, () => deps.client.workflow.start(IMPORT_WORKFLOW, {
      taskQueue: deps.config.temporal.taskQueue,
      workflowId: imp.workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Import ${imp.id} of ${imp.totalRows} rows into certificate ${imp.certificateId}`,
    }));
  } catch (err) {
    if (!isAlreadyStarted(err)) throw err;
  }
  await importsQ.markImportWorkflowStarted(deps.sql, imp.id);
}

/** Like startImportWorkflow, for the request path: a Temporal failure is logged (the reconciler retries); returns whether it started. */
export async function tryStartImportWorkflow(deps: TemporalDeps & { sql: Sql }, imp: importsQ.ImportRow): Promise<boolean> {
  try {
    await startImportWorkflow(deps, imp);
    return true;
  } catch (err) {
    deps.log.warn({ err, importId: imp.id }, 'could not start the import workflow; the reconciler will retry');
    return false;
  }
}
