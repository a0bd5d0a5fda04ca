/**
 * A real Recertify stack in the test process, for end-to-end tests: a fresh PostgreSQL database, a
 * Temporal dev server (SQLite in a temp dir, free port, headless, our search attributes), the workers
 * with the real activities and the mailer pointed at a fake Resend, and the API on a free port.
 *
 *   const stack = await startStack();
 *   const res = await stack.request('POST', '/api/learners', { email, name });
 *   ...
 *   await stack.stop();
 *
 * Later tests (admin page, faults) reuse it: `stopWorkers()` / `startWorkers()` take the workers down
 * and up, `reconcileIntervalSeconds` runs the API's reconciler in the background, `env` sets config.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { createMailerFromConfig, type Mailer } from '../../activities/mail/index.ts';
import { startReconciler, type RunningReconciler } from '../../api/reconciler.ts';
import { startApiServer, type RunningApi } from '../../api/server.ts';
import { loadConfig, type Config } from '../../config/env.ts';
import { createLogger, type Logger } from '../../config/logger.ts';
import { createSql, type Sql } from '../../db/client.ts';
import { startTemporalDevServer, type RunningTemporal } from '../../scripts/services.ts';
import { freePort, waitFor } from '../../scripts/tools.ts';
import { runWorkers, type RunningWorkers } from '../../worker/workers.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startFakeResend, type FakeResend, type FakeResendOptions } from './fake-resend.ts';
import { quietTemporalRuntime } from './temporal.ts';

export interface StackOptions {
  /** Options of the fake Resend (rate limit, latency, rejected recipients). */
  resend?: FakeResendOptions;
  /** Extra environment for loadConfig (e.g. EMAIL_REQUESTS_PER_SECOND). */
  env?: Record<string, string>;
  /** Run the reconciler in the background every N seconds (default: not at all; call reconcileOnce). */
  reconcileIntervalSeconds?: number;
  /** Start the workers (default true). */
  workers?: boolean;
  /** Database name prefix (default `stack`). */
  dbPrefix?: string;
  /** Start the Temporal dev server with its Web UI on a free port (default headless); sets TEMPORAL_UI_URL. */
  temporalUi?: boolean;
}

export interface StackResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestStack {
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  api: string;
  /** The admin bearer token. */
  token: string;
  config: Config;
  sql: Sql;
  db: TestDatabase;
  /** A Temporal client of its own (not the API's). */
  client: Client;
  temporal: RunningTemporal;
  fakeResend: FakeResend;
  log: Logger;
  /**
   * Calls the API with the admin token. `body`: an object is sent as JSON; a string is sent as is
   * (with `content-type: application/json`, for malformed-JSON tests). `headers` override the
   * defaults; a null value removes one (e.g. `{ authorization: null }`).
   */
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string | null>): Promise<StackResponse<T>>;
  /** Polls `fn` until it returns a truthy value (default 30 s). */
  eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<TestStack> {
  quietTemporalRuntime();
  const log = createLogger('stack', process.env.LOG_LEVEL ?? 'warn');
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      await fn().catch((err: unknown) => log.warn({ err }, 'stack cleanup step failed'));
    }
  };
  try {
    const db = await createTestDatabase(opts.dbPrefix ?? 'stack');
    cleanups.push(() => db.drop());

    const fakeResend = await startFakeResend(opts.resend);
    cleanups.push(() => fakeResend.stop());

    const tempDir = mkdtempSync(join(tmpdir(), 'recertify-stack-'));
    cleanups.push(async () => rmSync(tempDir, { recursive: true, force: true }));
    const uiPort = opts.temporalUi ? await freePort() : undefined;
    const temporal = await startTemporalDevServer({ dbFile: join(tempDir, 'temporal.db'), port: await freePort(), uiPort, log: (m) => log.debug(m) });
    cleanups.push(() => temporal.stop());

    const token = `test-token-${randomBytes(16).toString('hex')}`;
    const apiPort = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: `recertify-${randomBytes(3).toString('hex')}`,
      ADMIN_API_TOKEN: token,
      RESEND_API_KEY: fakeResend.apiKey,
      RESEND_BASE_URL: fakeResend.url,
      APP_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      RECONCILE_INTERVAL_SECONDS: String(opts.reconcileIntervalSeconds ?? 0),
      ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
      ...opts.env,
    });

    // The API's and the workers' own Temporal connections, as in production.
    const apiConnection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => apiConnection.close());
    const apiClient = new Client({ connection: apiConnection, namespace: config.temporal.namespace });
    const testConnection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => testConnection.close());
    const client = new Client({ connection: testConnection, namespace: config.temporal.namespace });

    // Workers.
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => workerConnection.close());
    const workerClientConnection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => workerClientConnection.close());
    const workerClient = new Client({ connection: workerClientConnection, namespace: config.temporal.namespace });
    let mailer: Mailer | null = null;
    let workers: RunningWorkers | null = null;
    const startWorkers = async (): Promise<void> => {
      if (workers) return;
      mailer = createMailerFromConfig(config.email, db.sql, log);
      const { activities, messageActivities } = createActivities({
        sql: db.sql,
        client: workerClient,
        mailer,
        appBaseUrl: config.appBaseUrl,
        courseUrlTemplate: config.courseUrlTemplate,
        from: config.email.from,
        log,
      });
      workers = await runWorkers({
        connection: workerConnection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities,
        messageActivities,
        shutdownGraceTime: '2 seconds',
      });
    };
    const stopWorkers = async (): Promise<void> => {
      const running = workers;
      const m = mailer;
      workers = null;
      mailer = null;
      if (running) await running.shutdown();
      if (m) await m.close();
    };
    cleanups.push(stopWorkers);
    if (opts.workers !== false) await startWorkers();

    // The API, with its own connection pool like a separate process.
    const apiSql = createSql(db.url, { max: 10 });
    cleanups.push(() => apiSql.end({ timeout: 5 }));
    const apiDeps = { config, sql: apiSql, client: apiClient, log };
    const server: RunningApi = await startApiServer({ ...apiDeps, port: apiPort, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const reconciler: RunningReconciler = startReconciler(apiDeps, config.reconcileIntervalSeconds);
    cleanups.push(() => reconciler.stop());

    const request = async <T = unknown>(
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string | null> = {},
    ): Promise<StackResponse<T>> => {
      const h: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) h['content-type'] = 'application/json';
      for (const [k, v] of Object.entries(headers)) {
        const key = k.toLowerCase();
        if (v === null) delete h[key];
        else h[key] = v;
      }
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: h,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (e.g. the docs page): the text
      }
      return { status: res.status, body: parsed as T, headers: res.headers };
    };

    return {
      api: server.url,
      token,
      config,
      sql: db.sql,
      db,
      client,
      temporal,
      fakeResend,
      log,
      request,
      eventually: (what, fn, timeoutMs = 30_000) => waitFor(what, async () => (await fn()) || undefined, timeoutMs, 200),
      startWorkers,
      stopWorkers,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
