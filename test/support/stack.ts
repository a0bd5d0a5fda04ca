/**
 * The test stack: a real Recertify on this machine, for the end-to-end tests, the fault tests and
 * the benchmarks alike. Its parts, one idea a file in stack/:
 *  - database.ts: a fresh migrated PostgreSQL database, on the PostgreSQL the tests share or on a
 *    dedicated one that can be stopped and started again;
 *  - temporal.ts: a Temporal dev server (SQLite in a temp dir, free port, our search attributes,
 *    optionally the Web UI) that can be stopped, started again on the same file, or frozen;
 *  - fake-resend.ts (beside this file): the fake Resend, the only stand-in; with startStack it posts
 *    its signed webhooks to the API's POST /webhooks/resend, as Resend would;
 *  - worker.ts: the workers, in this process or as a process of their own (worker-process.ts);
 *  - api.ts: the API, in this process or as a process of its own (api/main.ts).
 * Every part reads one environment (`env()`, the variables config/env.ts reads), so an in-process
 * worker and a spawned one see the same configuration.
 *
 *   const stack = await startStack();                       // end-to-end: workers and API in process
 *   const res = await stack.request('POST', '/api/learners', { email, name });
 *
 *   const stack = await startServices({ taskQueue: 'faults-x' });   // fault tests, benchmarks
 *   const worker = await stack.spawnWorker({ activityLog: true });
 *   worker.kill('SIGKILL'); await stack.temporal.stop(); ...
 *
 * `stop()` ends everything the stack started, spawned processes first, in reverse order.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../config/env.ts';
import { createLogger, type Logger } from '../../config/logger.ts';
import type { Sql } from '../../db/client.ts';
import { freePort, waitFor } from '../../scripts/tools.ts';
import { startFakeResend, type FakeResend, type FakeResendOptions } from './fake-resend.ts';
import { spawnApi, startInProcessApi, type ApiProcess, type ApiRequest, type StackResponse } from './stack/api.ts';
import { createTestDatabase, startDedicatedPostgres, type DedicatedPostgres, type TestDatabase } from './stack/database.ts';
import { startRestartableTemporal, type RestartableTemporal } from './stack/temporal.ts';
import { spawnWorker, inProcessWorkers, type WorkerProcess, type WorkerProcessOptions } from './stack/worker.ts';
import { quietTemporalRuntime } from './temporal.ts';

export type { StackResponse };

export interface StackOptions {
  /** Database name prefix (default `stack`). */
  dbPrefix?: string;
  /** Connections in the stack's own pool (`sql`; default 20). */
  dbPool?: number;
  /**
   * The PostgreSQL to make the database on: the one the tests share (default); `'dedicated'`, one the
   * stack starts, owns and exposes as `postgres` (to stop and start it); or a dedicated one the
   * caller owns and disposes of.
   */
  postgres?: 'shared' | 'dedicated' | DedicatedPostgres;
  /** Options of the fake Resend (rate limit, latency, rejected recipients). */
  resend?: FakeResendOptions;
  /** Start the Temporal dev server with its Web UI on a free port (default headless); sets TEMPORAL_UI_URL. */
  temporalUi?: boolean;
  /** SQLite pragmas of the Temporal dev server (the benchmarks'). */
  sqlitePragmas?: string[];
  /** TEMPORAL_TASK_QUEUE (default a random one). */
  taskQueue?: string;
  /** Run the reconciler in the background every N seconds (default: not at all; call reconcileOnce). */
  reconcileIntervalSeconds?: number;
  /** Extra environment for every part (e.g. EMAIL_REQUESTS_PER_SECOND). */
  env?: Record<string, string>;
  /** Start the in-process workers (startStack: default true; startServices: default false). */
  workers?: boolean;
  /**
   * startStack: the fake Resend posts its signed webhooks (email.sent, delivered, bounced…) to the API's
   * POST /webhooks/resend (default true). Every part gets RESEND_WEBHOOK_SECRET either way; with
   * startServices call `fakeResend.sendWebhooksTo(url)` to turn them on.
   */
  resendWebhooks?: boolean;
}

/** The stack without an API in the test process. */
export interface Services {
  /** The configuration every part reads, from `env()`. */
  config: Config;
  /** The admin bearer token. */
  token: string;
  /** A pool of the test's own on the stack's database. */
  sql: Sql;
  db: TestDatabase;
  /** The dedicated PostgreSQL the stack started (`postgres: 'dedicated'`), else null. */
  postgres: DedicatedPostgres | null;
  temporal: RestartableTemporal;
  /** A Temporal client of the test's own (not the API's nor the workers'). */
  client: Client;
  fakeResend: FakeResend;
  log: Logger;
  /** The environment of the stack's processes: database, Temporal, task queue, provider, token. */
  env(): Record<string, string>;
  /** Polls `fn` until it returns a truthy value (default 30 s). */
  eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  /** Starts the workers in this process (nothing if they run). */
  startWorkers(): Promise<void>;
  /** Stops the in-process workers. */
  stopWorkers(): Promise<void>;
  /** A worker in a process of its own (stopped by `stop()` if still running). */
  spawnWorker(opts?: WorkerProcessOptions): Promise<WorkerProcess>;
  /** An API in a process of its own (stopped by `stop()` if still running). */
  spawnApi(opts?: { reconcileIntervalSeconds?: number; env?: Record<string, string> }): Promise<ApiProcess>;
  stop(): Promise<void>;
}

/** The whole stack, with the API in the test process. */
export interface TestStack extends Services {
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  api: string;
  /** Calls the API with the admin token (see `ApiRequest`). */
  request: ApiRequest;
}

/** Stops on `stop()`, in reverse order; a step that fails is logged and the rest still run. */
function cleanupList(log: Logger): { add(fn: () => Promise<unknown>): void; run(): Promise<void> } {
  const steps: (() => Promise<unknown>)[] = [];
  return {
    add: (fn) => void steps.push(fn),
    async run() {
      for (const fn of steps.splice(0).reverse()) {
        await fn().catch((err: unknown) => log.warn({ err }, 'stack cleanup step failed'));
      }
    },
  };
}

/** Database, Temporal, fake Resend and configuration; workers in this process on request; no API yet. */
export async function startServices(opts: StackOptions = {}): Promise<Services> {
  quietTemporalRuntime();
  const log = createLogger('stack', process.env.LOG_LEVEL ?? 'warn');
  const cleanup = cleanupList(log);
  try {
    let postgres: DedicatedPostgres | null = null;
    if (opts.postgres === 'dedicated') {
      const pg = await startDedicatedPostgres();
      cleanup.add(() => pg.dispose());
      postgres = pg;
    }
    const server = opts.postgres === 'dedicated' ? postgres : opts.postgres === 'shared' ? undefined : opts.postgres;
    const db = await createTestDatabase(opts.dbPrefix ?? 'stack', { max: opts.dbPool, admin: server?.adminUrl });
    // A database on a dedicated server goes with the server (which may be down by then).
    cleanup.add(() => (postgres ? db.sql.end({ timeout: 1 }) : db.drop()));

    const fakeResend = await startFakeResend(opts.resend);
    cleanup.add(() => fakeResend.stop());

    const temporal = await startRestartableTemporal({ ui: opts.temporalUi, sqlitePragmas: opts.sqlitePragmas, log: (m) => log.debug(m) });
    cleanup.add(() => temporal.dispose());
    const client = await temporal.client();

    const token = `test-token-${randomBytes(16).toString('hex')}`;
    const apiPort = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: '',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: opts.taskQueue ?? `recertify-${randomBytes(3).toString('hex')}`,
      TEMPORAL_API_KEY: '',
      ADMIN_API_TOKEN: token,
      RESEND_API_KEY: fakeResend.apiKey,
      RESEND_BASE_URL: fakeResend.url,
      RESEND_WEBHOOK_SECRET: fakeResend.webhookSecret,
      APP_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      RECONCILE_INTERVAL_SECONDS: String(opts.reconcileIntervalSeconds ?? 0),
      ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
      ...opts.env,
    };
    const config = loadConfig(env);

    const workers = inProcessWorkers({ config, sql: db.sql, log });
    cleanup.add(() => workers.close());
    if (opts.workers) await workers.start();

    return {
      config,
      token,
      sql: db.sql,
      db,
      postgres,
      temporal,
      client,
      fakeResend,
      log,
      env: () => ({ ...env }),
      eventually: (what, fn, timeoutMs = 30_000) => waitFor(what, async () => (await fn()) || undefined, timeoutMs, 200),
      startWorkers: workers.start,
      stopWorkers: workers.stop,
      async spawnWorker(workerOpts) {
        const worker = await spawnWorker(env, workerOpts);
        cleanup.add(() => worker.stop(5_000));
        return worker;
      },
      async spawnApi(apiOpts) {
        const api = await spawnApi(env, apiOpts);
        cleanup.add(() => api.stop(5_000));
        return api;
      },
      stop: () => cleanup.run(),
    };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** The whole stack: `startServices` with the workers (unless `workers: false`) and the API in this process. */
export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  const services = await startServices({ ...opts, workers: opts.workers !== false });
  try {
    const api = await startInProcessApi({ config: services.config, log: services.log });
    if (opts.resendWebhooks !== false) services.fakeResend.sendWebhooksTo(`${api.url}/webhooks/resend`);
    const stop = services.stop;
    return {
      ...services,
      api: api.url,
      request: api.request,
      async stop() {
        await api.close().catch((err: unknown) => services.log.warn({ err }, 'stack cleanup step failed'));
        await stop();
      },
    };
  } catch (err) {
    await services.stop();
    throw err;
  }
}
