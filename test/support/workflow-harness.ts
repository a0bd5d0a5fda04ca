/**
 * Everything a workflow test needs, all real but the email provider: a fresh PostgreSQL database,
 * the Temporal time-skipping test server, the workers with the real activities (optionally wrapped to
 * inject faults), and a local fake of Resend's HTTP API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
const { temporal } = proto;
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { MessageActivities, PropagationActivities, RecertificationActivities } from '../../activities/types.ts';
import { createLogger } from '../../config/logger.ts';
import { createWorkers } from '../../worker/workers.ts';
import { DEFAULT_LEAD_DAYS } from '../../domain/settings.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart } from '../../workflows/contract.ts';
import type { recertificationWorkflow } from '../../workflows/recertification.ts';
import type { AwardRow } from '../../db/rows.ts';
import { startFakeResend, type FakeResend } from './fake-resend.ts';
import { createTestDatabase, type TestDatabase } from './stack/database.ts';
import { workerActivities } from './stack/worker.ts';
import { createTimeSkippingEnv } from './temporal.ts';

export const TASK_QUEUE = 'recertification-test';

type Activities = RecertificationActivities & PropagationActivities;

export interface Harness {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  resend: FakeResend;
  /** Server time of the test server (it moves when time is skipped). */
  now(): Promise<number>;
  /**
   * Starts the award's workflow with the options the API starts it with (`recertificationStart`:
   * id, input, initial search attributes; `leadDays` only sets the initial due-time attribute).
   */
  start(award: AwardRow, leadDays?: number): Promise<WorkflowHandle<typeof recertificationWorkflow>>;
  /**
   * With RECORD_HISTORIES=1, saves the workflow's history to test/histories/<name>.json for the
   * replay test. Otherwise does nothing.
   */
  recordHistory(handle: WorkflowHandle, name: string): Promise<void>;
  /** Runs the workers while `fn` runs (time skips only while a worker is idle or a result is awaited). */
  withWorkers<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createHarness(opts: {
  wrapActivities?: (a: Activities) => Activities;
  wrapMessageActivities?: (a: MessageActivities) => MessageActivities;
  /** WorkerSetOptions.workflowStackTraces (default off, as WORKFLOW_STACK_TRACES). */
  workflowStackTraces?: boolean;
} = {}): Promise<Harness> {
  const db = await createTestDatabase('wf');
  const env = await createTimeSkippingEnv();
  const resend = await startFakeResend();
  const log = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
  const built = workerActivities({
    sql: db.sql,
    client: env.client,
    email: { resendApiKey: resend.apiKey, resendBaseUrl: resend.url, from: 'Recertify <recertify@example.com>', requestsPerSecond: 50, batchSize: 100 },
    appBaseUrl: 'https://learn.example.com',
    log,
  });
  const { mailer } = built;
  const activities = opts.wrapActivities ? opts.wrapActivities(built.activities) : built.activities;
  const messageActivities = opts.wrapMessageActivities ? opts.wrapMessageActivities(built.messageActivities) : built.messageActivities;

  return {
    env,
    db,
    resend,
    now: () => env.currentTimeMs(),
    async start(award, leadDays = DEFAULT_LEAD_DAYS) {
      return await env.client.workflow.start<typeof recertificationWorkflow>(RECERTIFICATION_WORKFLOW, {
        ...recertificationStart({ ...award, expiresAt: award.expiresAt! }, leadDays),
        taskQueue: TASK_QUEUE,
      });
    },
    async recordHistory(handle, name) {
      if (!process.env.RECORD_HISTORIES) return;
      const history = await handle.fetchHistory();
      const dir = new URL('../histories/', import.meta.url).pathname;
      mkdirSync(dir, { recursive: true });
      const json = temporal.api.history.v1.History.fromObject(history).toJSON();
      // RECORD_HISTORIES=1 writes <name>.json; any other value is a suffix (<name>.<value>.json) so the
      // histories of earlier workflow code are kept beside the new ones.
      const suffix = process.env.RECORD_HISTORIES === '1' ? '' : `.${process.env.RECORD_HISTORIES}`;
      writeFileSync(`${dir}${name}${suffix}.json`, JSON.stringify({ workflowId: handle.workflowId, history: json }, null, 1) + '\n');
    },
    async withWorkers(fn) {
      const workers = await createWorkers({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue: TASK_QUEUE,
        activities,
        messageActivities,
        shutdownGraceTime: '1 second',
        workflowStackTraces: opts.workflowStackTraces ?? false,
      });
      const running = Promise.all(workers.map((w) => w.run()));
      try {
        return await fn();
      } finally {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running;
      }
    },
    async close() {
      await mailer.close();
      await resend.stop();
      await env.teardown();
      await db.drop();
    },
  };
}

/**
 * Runs `fn` with a fresh harness and closes it after, whatever happens. `clockStartsAt` (epoch ms):
 * first moves the test server's clock there when it is earlier — for tests with concrete dates, which
 * must stay ahead of the real time the test server starts at, and close enough that the run's one
 * timer (at most a year, MAX_TIMER_MS) does not wake it on the way.
 */
export async function withHarness(fn: (h: Harness) => Promise<void>, opts: Parameters<typeof createHarness>[0] & { clockStartsAt?: number } = {}): Promise<void> {
  const { clockStartsAt, ...harnessOpts } = opts;
  const h = await createHarness(harnessOpts);
  try {
    if (clockStartsAt !== undefined && (await h.now()) < clockStartsAt) await h.env.sleep(clockStartsAt - (await h.now()));
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Skips the test server's time forward to `ms` (epoch ms). Throws when `ms` is not ahead of it. */
export async function skipTo(h: Harness, ms: number): Promise<void> {
  const left = ms - (await h.now());
  if (!(left > 0)) throw new Error(`skipTo ${new Date(ms).toISOString()} is in the past`);
  await h.env.sleep(left);
}
