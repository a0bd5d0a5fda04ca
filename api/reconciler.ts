/**
 * Makes the database and Temporal agree after a failure between a commit and the Temporal call that
 * should follow it (the API process died, Temporal was unreachable):
 *  - awards with a workflow id whose start Temporal never confirmed (`workflow_started_at` null);
 *  - settings changes whose propagation workflow was not started;
 *  - imports whose workflow was not started;
 *  - manual enrollments whose course enrollment message was never recorded;
 *  - award changes (expiry, revoke, renewal; the revocations of a deactivation or an archive) whose
 *    signal Temporal never accepted: re-signalled from the award's current state until accepted
 *    (`workflow_signal_pending_at`), batch after batch until none is left or the pass's time budget
 *    is spent (an archive of thousands drains in one pass);
 *  - erased learners whose workflow executions were not yet deleted from Temporal.
 * Every API process runs it every RECONCILE_INTERVAL_SECONDS. Each step is idempotent (deterministic
 * workflow ids, USE_EXISTING / REJECT_DUPLICATE), so any number of processes may run it at once.
 * Rows younger than a grace period are left to the request that created them.
 */
import * as awardsQ from '../db/queries/awards.ts';
import * as attemptsQ from '../db/queries/attempts.ts';
import * as certsQ from '../db/queries/certificates.ts';
import * as learnersQ from '../db/queries/learners.ts';
import type { Sql } from '../db/client.ts';
import * as importsQ from '../db/queries/imports.ts';
import {
  deliverAwardChange,
  ensureAwardWorkflow,
  eraseLearnerFromTemporal,
  startEnrollmentMessage,
  startImportWorkflow,
  startSettingsPropagation,
  type TemporalDeps,
} from './temporal-gateway.ts';

export interface ReconcilerDeps extends TemporalDeps {
  sql: Sql;
}

export interface ReconcileOptions {
  /** Leave rows younger than this to the request that is handling them (default 5 s). */
  graceSeconds?: number;
  /** Rows per kind per pass (default 200). */
  batchSize?: number;
  /** Pending award changes delivered at once (default 8). */
  deliveryConcurrency?: number;
  /**
   * How long (ms) one pass keeps draining pending award changes, batch after batch of `batchSize`
   * (default 20,000: within the default interval); the rest waits for the next pass.
   */
  signalBudgetMs?: number;
  /** How far back to look for enrollment messages never recorded (default 24 h). */
  enrollmentWindowHours?: number;
}

export interface ReconcileReport {
  awardWorkflowsStarted: number;
  propagationsStarted: number;
  enrollmentMessagesStarted: number;
  awardChangesDelivered: number;
  erasuresFinished: number;
  importsStarted: number;
  failures: number;
}

export async function reconcileOnce(deps: ReconcilerDeps, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  const olderThanSeconds = opts.graceSeconds ?? 5;
  const limit = opts.batchSize ?? 200;
  const report: ReconcileReport = { awardWorkflowsStarted: 0, propagationsStarted: 0, enrollmentMessagesStarted: 0, awardChangesDelivered: 0, erasuresFinished: 0, importsStarted: 0, failures: 0 };
  const attempt = async (what: string, ids: Record<string, unknown>, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      report.failures++;
      deps.log.warn({ err, ...ids }, `reconciler: ${what} failed`);
      return false;
    }
  };

  for (const awardId of await awardsQ.awardsAwaitingWorkflow(deps.sql, { olderThanSeconds, limit })) {
    if (await attempt('award workflow start', { awardId }, async () => void (await ensureAwardWorkflow(deps, awardId)))) {
      report.awardWorkflowsStarted++;
    }
  }
  // Award changes drain in batches of `limit` until none is left (or the pass's time budget is spent): a
  // deactivation or an archive leaves thousands pending at once, which 200 a pass would take many
  // intervals to deliver. Several at a time within a batch (each award's own signal, so order between
  // awards does not matter); one that fails stays pending behind the cursor, for the next pass.
  const deadline = Date.now() + (opts.signalBudgetMs ?? 20_000);
  let after: awardsQ.PendingSignalCursor | null = null;
  for (;;) {
    const batch = await awardsQ.awardsWithPendingSignal(deps.sql, { olderThanSeconds, limit, after });
    let next = 0;
    const deliveryLane = async (): Promise<void> => {
      for (let item = batch[next++]; item !== undefined; item = batch[next++]) {
        const id = item.id;
        const delivered = await attempt('award change delivery', { awardId: id }, async () => {
          if ((await deliverAwardChange(deps, id)) === 'failed') throw new Error('Temporal did not accept the signal');
        });
        if (delivered) report.awardChangesDelivered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.deliveryConcurrency ?? 8, Math.max(1, batch.length)) }, deliveryLane));
    after = batch[batch.length - 1] ?? null;
    if (batch.length < limit || Date.now() >= deadline) break;
  }
  for (const p of await certsQ.pendingPropagations(deps.sql, { olderThanSeconds, limit })) {
    const ids = { certificateId: p.certificateId, settingsVersion: p.settingsVersion };
    if (await attempt('settings propagation start', ids, () => startSettingsPropagation(deps, p.certificateId, p.settingsVersion))) {
      report.propagationsStarted++;
    }
  }
  for (const importId of await importsQ.importsAwaitingWorkflow(deps.sql, { olderThanSeconds, limit })) {
    const started = await attempt('import workflow start', { importId }, async () => {
      const imp = await importsQ.getImport(deps.sql, importId);
      if (imp) await startImportWorkflow(deps, imp);
    });
    if (started) report.importsStarted++;
  }
  const attempts = await attemptsQ.attemptsAwaitingEnrollmentMessage(deps.sql, {
    olderThanSeconds: Math.max(olderThanSeconds, 60),
    withinHours: opts.enrollmentWindowHours ?? 24,
    limit,
  });
  for (const attemptId of attempts) {
    if (await attempt('enrollment message start', { attemptId }, async () => void (await startEnrollmentMessage(deps, attemptId)))) {
      report.enrollmentMessagesStarted++;
    }
  }
  for (const learnerId of await learnersQ.learnersAwaitingTemporalErasure(deps.sql, { olderThanSeconds, limit })) {
    const finished = await attempt('erasure from Temporal', { learnerId }, async () => {
      if (!(await eraseLearnerFromTemporal(deps, learnerId)).done) throw new Error('Temporal did not delete the workflows');
    });
    if (finished) report.erasuresFinished++;
  }
  if (Object.values(report).some((n) => n > 0)) deps.log.info(report, 'reconciled');
  return report;
}

export interface RunningReconciler {
  stop(): Promise<void>;
}

/** Runs reconcileOnce every `intervalSeconds` (0 disables it) until stopped. */
export function startReconciler(deps: ReconcilerDeps, intervalSeconds: number, opts: ReconcileOptions = {}): RunningReconciler {
  if (intervalSeconds <= 0) return { stop: async () => {} };
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    current = reconcileOnce(deps, opts)
      .catch((err: unknown) => deps.log.warn({ err }, 'reconciler pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalSeconds * 1000 * (0.9 + Math.random() * 0.2));
      });
  };
  timer = setTimeout(tick, Math.min(intervalSeconds, 5) * 1000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
