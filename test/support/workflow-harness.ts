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
import { createActivities } from '../../activities/index.ts';
import { createMailerFromConfig } from '../../activities/mail/index.ts';
import type { MessageActivities, PropagationActivities, RecertificationActivities } from '../../activities/types.ts';
import { createLogger } from '../../config/logger.ts';
import { createWorkers } from '../../worker/workers.ts';
import { RECERTIFICATION_WORKFLOW, workflowIdForAward, type RecertificationInput } from '../../workflows/contract.ts';
import type { recertificationWorkflow } from '../../workflows/recertification.ts';
import type { AwardRow } from '../../db/rows.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startFakeResend } from './fake-resend.ts';
import { createTimeSkippingEnv } from './temporal.ts';

export const TASK_QUEUE = 'recertification-test';

type FakeResend = Awaited<ReturnType<typeof startFakeResend>>;
type Activities = RecertificationActivities & PropagationActivities;

export interface Harness {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  resend: FakeResend;
  /** Server time of the test server (it moves when time is skipped). */
  now(): Promise<number>;
  start(award: AwardRow): Promise<WorkflowHandle<typeof recertificationWorkflow>>;
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
} = {}): Promise<Harness> {
  const db = await createTestDatabase('wf');
  const env = await createTimeSkippingEnv();
  const resend = await startFakeResend();
  const log = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
  const mailer = createMailerFromConfig(
    { resendApiKey: resend.apiKey, resendBaseUrl: resend.url, from: 'Recertify <recertify@example.com>', requestsPerSecond: 50, batchSize: 100 },
    db.sql,
    log,
  );
  const built = createActivities({ sql: db.sql, client: env.client, mailer, appBaseUrl: 'https://learn.example.com', from: 'Recertify <recertify@example.com>', log });
  const activities = opts.wrapActivities ? opts.wrapActivities(built.activities) : built.activities;
  const messageActivities = opts.wrapMessageActivities ? opts.wrapMessageActivities(built.messageActivities) : built.messageActivities;

  return {
    env,
    db,
    resend,
    now: () => env.currentTimeMs(),
    async start(award) {
      const input: RecertificationInput = {
        awardId: award.id,
        certificateId: award.certificateId,
        learnerId: award.learnerId,
        expiresAt: award.expiresAt!.toISOString(),
      };
      return await env.client.workflow.start<typeof recertificationWorkflow>(RECERTIFICATION_WORKFLOW, {
        taskQueue: TASK_QUEUE,
        workflowId: workflowIdForAward(award.id),
        args: [input],
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
