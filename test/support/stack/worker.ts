/**
 * The stack's workers, two ways:
 *  - in the test process (`inProcessWorkers`): the two workers of worker/workers.ts with the real
 *    activities, on connections of their own, taken down and up again by the end-to-end tests;
 *  - as a process of its own (`spawnWorker`): test/support/worker-process.ts, built exactly like
 *    worker/main.ts, to SIGKILL (fault tests) or to measure (benchmarks), optionally reporting every
 *    activity attempt it runs.
 * Both build their activities with `workerActivities`, as the workflow harness does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../../../activities/index.ts';
import { createMailerFromConfig, type Mailer } from '../../../activities/mail/index.ts';
import type { MessageActivities, PropagationActivities, RecertificationActivities } from '../../../activities/types.ts';
import type { Config } from '../../../config/env.ts';
import type { Logger } from '../../../config/logger.ts';
import type { Sql } from '../../../db/client.ts';
import { WORKFLOWS_PATH, runWorkers, type RunningWorkers } from '../../../worker/workers.ts';
import { ROOT, childEnv, spawnChild, type StackProcess } from './process.ts';
import { READY_LINE, attemptCollector, type ActivityAttempt } from './worker-reports.ts';

export const WORKER_ENTRY = fileURLToPath(new URL('../worker-process.ts', import.meta.url));

// ---------------------------------------------------------------------------------------------
// the activities, as every worker of the tests builds them

/** The workers' activity sets, and the mailer behind the message activities (close it after). */
export interface WorkerActivities {
  mailer: Mailer;
  activities: RecertificationActivities & PropagationActivities;
  messageActivities: MessageActivities;
}

/** The real activities over `sql`, mailing through the configured provider (the fake Resend in tests). */
export function workerActivities(deps: {
  sql: Sql;
  client: Client;
  email: Config['email'];
  appBaseUrl: string;
  courseUrlTemplate?: string;
  log: Logger;
  /** The weekly digest's timing and admin addresses (Config.digest); unset: the activities' default. */
  digest?: Config['digest'];
}): WorkerActivities {
  const mailer = createMailerFromConfig(deps.email, deps.sql, deps.log);
  const built = createActivities({
    sql: deps.sql,
    client: deps.client,
    mailer,
    appBaseUrl: deps.appBaseUrl,
    courseUrlTemplate: deps.courseUrlTemplate,
    from: deps.email.from,
    log: deps.log,
    digest: deps.digest,
  });
  return { mailer, ...built };
}

// ---------------------------------------------------------------------------------------------
// workers in the test process

export interface InProcessWorkers {
  /** Starts the workers (nothing if they run). */
  start(): Promise<void>;
  /** Shuts them down gracefully and closes their mailer (nothing if they do not run). */
  stop(): Promise<void>;
  /** Stops them and closes their connections. */
  close(): Promise<void>;
}

/**
 * The workers of `config`, on Temporal connections of their own (made at the first start), as the
 * production worker has; they run from `start()` to `stop()`.
 */
export function inProcessWorkers(deps: { config: Config; sql: Sql; log: Logger }): InProcessWorkers {
  const { config, sql, log } = deps;
  let connections: { native: NativeConnection; client: Connection } | null = null;
  const connect = async (): Promise<{ native: NativeConnection; client: Connection }> => {
    if (connections) return connections;
    const native = await NativeConnection.connect({ address: config.temporal.address });
    const client = await Connection.connect({ address: config.temporal.address }).catch(async (err: unknown) => {
      await native.close();
      throw err;
    });
    return (connections = { native, client });
  };
  let running: { workers: RunningWorkers; mailer: Mailer } | null = null;
  const start = async (): Promise<void> => {
    if (running) return;
    const c = await connect();
    const client = new Client({ connection: c.client, namespace: config.temporal.namespace });
    const built = workerActivities({ sql, client, email: config.email, appBaseUrl: config.appBaseUrl, courseUrlTemplate: config.courseUrlTemplate, log, digest: config.digest });
    const workers = await runWorkers({
      connection: c.native,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: built.activities,
      messageActivities: built.messageActivities,
      shutdownGraceTime: '2 seconds',
    });
    running = { workers, mailer: built.mailer };
  };
  const stop = async (): Promise<void> => {
    const r = running;
    running = null;
    if (!r) return;
    await r.workers.shutdown();
    await r.mailer.close();
  };
  return {
    start,
    stop,
    async close() {
      await stop();
      const c = connections;
      connections = null;
      await c?.client.close();
      await c?.native.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the workflow bundle, built once per content and shared by every worker process

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Path of a prebuilt bundle of the current workflow code, cached in the temp dir by the hash of
 * everything it can include, so worker processes start in about a second and restarts are cheap.
 */
export async function workflowBundlePath(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [...sourceFiles(join(ROOT, 'workflows')), ...sourceFiles(join(ROOT, 'domain')), ...sourceFiles(join(ROOT, 'activities'))].sort();
  for (const f of inputs) hash.update(f).update(readFileSync(f));
  hash.update(readFileSync(join(ROOT, 'node_modules/@temporalio/workflow/package.json')));
  const dir = join(tmpdir(), 'recertify-workflow-bundles');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(path) && statSync(path).size > 0) return path;
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, path); // atomic: concurrent test files never read half a bundle
  return path;
}

// ---------------------------------------------------------------------------------------------
// a worker in a process of its own

/** A spawned worker process. */
export interface WorkerProcess extends StackProcess {
  /** Every activity attempt it started, in order, finished or not (only with `activityLog`; else empty). */
  activityAttempts(): ActivityAttempt[];
}

/** How a spawned worker differs from the stack's configuration. */
export interface WorkerProcessOptions {
  /** EMAIL_REQUESTS_PER_SECOND (default 4). */
  emailRequestsPerSecond?: number;
  /** EMAIL_BATCH_SIZE (default 100). */
  emailBatchSize?: number;
  /** Temporal worker option overrides and the pool size (see worker-process.ts). */
  options?: { workflowWorker?: Record<string, number | boolean>; emailWorker?: Record<string, number | boolean>; sqlMax?: number };
  /** Report every activity attempt (see `WorkerProcess.activityAttempts`). */
  activityLog?: boolean;
  /** More environment, over everything else. */
  env?: Record<string, string>;
}

/**
 * Starts test/support/worker-process.ts with `env` (the stack's environment: database, Temporal,
 * task queue, provider) and waits until both its workers poll.
 */
export async function spawnWorker(env: Record<string, string>, opts: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const bundle = await workflowBundlePath();
  const attempts = attemptCollector();
  const child = await spawnChild({
    what: 'the worker process to poll',
    entry: WORKER_ENTRY,
    env: childEnv({
      ...env,
      EMAIL_REQUESTS_PER_SECOND: String(opts.emailRequestsPerSecond ?? 4),
      EMAIL_BATCH_SIZE: String(opts.emailBatchSize ?? 100),
      WORKER_BUNDLE_PATH: bundle,
      LOG_LEVEL: process.env.FAULTS_WORKER_LOG_LEVEL ?? 'warn',
      RECERTIFY_WORKER_OPTIONS: JSON.stringify(opts.options ?? {}),
      RECERTIFY_WORKER_ACTIVITY_LOG: opts.activityLog ? '1' : '',
      ...opts.env,
    }),
    ready: (output) => output.includes(READY_LINE),
    readyPollMs: 25,
    onLine: attempts.read,
  });
  return { ...child, activityAttempts: attempts.attempts };
}
