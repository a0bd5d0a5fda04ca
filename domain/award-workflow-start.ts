/**
 * Starting an award's recertification workflow, the one way it is done: the request path and the
 * reconciler (through api/temporal-gateway.ts, which re-exports these) and the import's activity
 * (activities/imports.ts) all start through here, so the worker does not reach into the API layer.
 *
 * Every start is safe to repeat (a deterministic workflow id, `USE_EXISTING` for a running one,
 * `REJECT_DUPLICATE` for a closed one) and is recorded (`workflow_started_at`) only once Temporal
 * confirmed it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { Sql } from '../db/client.ts';
import type { AwardRow } from '../db/rows.ts';
import * as awardsQ from '../db/queries/awards.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart } from '../workflows/contract.ts';
import { formatUtcMinute } from './instant-format.ts';
import { DEFAULT_LEAD_DAYS } from './settings.ts';

export interface TemporalDeps {
  client: Client;
  /** The task queue workflows start on is all the gateway reads of the configuration (a worker's activity passes its own). */
  config: { temporal: Pick<Config['temporal'], 'taskQueue'> };
  log: Logger;
}

/** How long a request waits for one Temporal call before leaving the rest to the reconciler. */
export const TEMPORAL_CALL_TIMEOUT_MS = 5000;
export const withinDeadline = <T>(deps: TemporalDeps, fn: () => Promise<T>): Promise<T> =>
  deps.client.withDeadline(Date.now() + TEMPORAL_CALL_TIMEOUT_MS, fn);

export const isAlreadyStarted = (err: unknown): boolean => err instanceof WorkflowExecutionAlreadyStartedError;

/**
 * Starts (or finds) the recertification workflow of an expiring award. Returns false for an award
 * that needs none (no expiry, no workflow id). A workflow that already ran to its end counts as started.
 */
export async function startAwardWorkflow(
  deps: TemporalDeps,
  info: awardsQ.AwardStartInfo,
): Promise<{ workflowId: string; existing: boolean } | null> {
  const { award } = info;
  const { expiresAt, workflowId } = award;
  if (!expiresAt || !workflowId) return null;
  const leadDays = Number.isInteger(info.leadDays) && info.leadDays > 0 ? info.leadDays : DEFAULT_LEAD_DAYS;
  try {
    await withinDeadline(deps, () => deps.client.workflow.start(RECERTIFICATION_WORKFLOW, {
      ...recertificationStart({ ...award, expiresAt }, leadDays),
      taskQueue: deps.config.temporal.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Ids only, never the learner's name or email: Temporal's history and visibility are out of an erasure's reach.
      staticSummary: `${info.certificateTitle} for learner ${award.learnerId}, expires ${formatUtcMinute(expiresAt)}`,
      staticDetails: `Award ${award.id} of certificate ${award.certificateId} to learner ${award.learnerId}, awarded ${formatUtcMinute(award.awardedAt)}.`,
    }));
    return { workflowId, existing: false };
  } catch (err) {
    if (isAlreadyStarted(err)) return { workflowId, existing: true };
    throw err;
  }
}

/**
 * Makes sure the award's workflow runs and records that Temporal confirmed it
 * (`workflow_started_at`). Given an award id it reads the start facts first (the reconciler); given
 * the start facts of the transaction that just made the award (domain/awarding.ts `AwardMade.start`)
 * it starts from them, so the request path's only query after the commit is the one recording the
 * start (issue 11). Returns the award as it is afterwards, null for an unknown id. Throws when
 * Temporal is unreachable: the award keeps `workflow_started_at = null` and the reconciler tries again.
 */
export async function ensureAwardWorkflow(
  deps: TemporalDeps & { sql: Sql },
  award: string | awardsQ.AwardStartInfo,
): Promise<AwardRow | null> {
  const awardId = typeof award === 'string' ? award : award.award.id;
  const info = typeof award === 'string' ? await awardsQ.loadAwardStartInfo(deps.sql, award) : award;
  if (!info) return null;
  if (info.award.workflowStartedAt || !info.award.workflowId || !info.award.expiresAt) return info.award;
  const started = await startAwardWorkflow(deps, info);
  if (!started) return info.award;
  return (await awardsQ.markWorkflowStarted(deps.sql, awardId)) ?? info.award;
}

/**
 * ensureAwardWorkflow for many awards (an import's page): one read of their start facts, the starts
 * `concurrency` at a time (each is one Temporal call, safe to repeat), and one write recording those
 * Temporal confirmed. Awards that need no workflow, are already confirmed, or belong to an erased
 * learner are passed over. Returns how many workflows were started or found. On a Temporal failure no
 * further start begins; the ones in flight settle, the confirmed ones are recorded, and the first
 * failure is thrown (the caller retries; the recorded ones are not started again).
 */
export async function ensureAwardWorkflows(
  deps: TemporalDeps & { sql: Sql },
  awardIds: readonly string[],
  concurrency: number,
): Promise<number> {
  const todo = (await awardsQ.loadAwardStartInfos(deps.sql, awardIds)).filter(
    ({ award }) => !award.workflowStartedAt && award.workflowId && award.expiresAt,
  );
  const confirmed: string[] = [];
  let failure: { err: unknown } | null = null;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!failure && next < todo.length) {
      const info = todo[next++]!;
      try {
        if (await startAwardWorkflow(deps, info)) confirmed.push(info.award.id);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, lane));
  await awardsQ.markWorkflowsStarted(deps.sql, confirmed);
  if (failure) throw (failure as { err: unknown }).err;
  return confirmed.length;
}

/**
 * The workflow tasks waiting on `taskQueue`'s normal (not sticky) queue, as Temporal estimates them
 * (DescribeTaskQueue with `report_stats`, Temporal ≥ 1.25): a new workflow's first task waits there
 * until a worker takes it. Null when the server reports no figure. Throws on a failed call.
 */
export async function workflowTaskBacklog(client: Client, taskQueue: string): Promise<number | null> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  const count = res.stats?.approximateBacklogCount;
  return count === null || count === undefined ? null : Number(count);
}

/**
 * Paces a bulk start by the workers: waits (polling every `pollMs`, calling `onPoll` each time so an
 * activity can heartbeat) until at most `max` workflow tasks wait on `taskQueue`, or `timeoutMs` has
 * passed, whichever is first; a server that reports no figure ends the wait at once. Never throws for
 * a slow queue: pacing is a courtesy to Temporal, not a condition. Returns the last backlog seen and
 * the time waited (ms). Used by the import (issue 9: "starts their workflows at a bounded rate, so
 * 100,000 rows never flood Temporal"): the new workflows' first tasks are what it would otherwise pile up.
 */
export async function waitForWorkflowTaskBacklog(
  client: Client,
  taskQueue: string,
  max: number,
  opts: { timeoutMs: number; pollMs?: number; onPoll?: (backlog: number | null) => void },
): Promise<{ backlog: number | null; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const backlog = await workflowTaskBacklog(client, taskQueue);
    opts.onPoll?.(backlog);
    const waitedMs = Date.now() - started;
    if (backlog === null || backlog <= max || waitedMs >= opts.timeoutMs) return { backlog, waitedMs };
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000));
  }
}
