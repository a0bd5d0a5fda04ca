/**
 * The stack's API, two ways: in the test process (`startInProcessApi`: api/server.ts and the
 * reconciler on a connection pool and Temporal connection of their own, as a separate process would
 * have), or as a process of its own (`spawnApi`: `api/main.ts`, the production entry, to kill or to
 * measure). Either is called with the admin token through `apiRequester`.
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startReconciler } from '../../../api/reconciler.ts';
import { startApiServer } from '../../../api/server.ts';
import { startWebhookDispatcher } from '../../../api/webhook-dispatcher.ts';
import type { Config } from '../../../config/env.ts';
import type { Logger } from '../../../config/logger.ts';
import { createSql } from '../../../db/client.ts';
import { freePort } from '../../../scripts/tools.ts';
import { ROOT, childEnv, spawnChild, type StackProcess } from './process.ts';

export interface StackResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Calls the API with the admin token. `body`: an object is sent as JSON; a string is sent as is
 * (with `content-type: application/json`, for malformed-JSON tests). `headers` override the
 * defaults; a null value removes one (e.g. `{ authorization: null }`). The answer's body is parsed
 * as JSON when it is JSON, else kept as text.
 */
export type ApiRequest = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string | null>) => Promise<StackResponse<T>>;

/** `ApiRequest` against the API at `url`. */
export function apiRequester(url: string, token: string): ApiRequest {
  return async <T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string | null> = {}): Promise<StackResponse<T>> => {
    const h: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) h['content-type'] = 'application/json';
    for (const [k, v] of Object.entries(headers)) {
      const key = k.toLowerCase();
      if (v === null) delete h[key];
      else h[key] = v;
    }
    const res = await fetch(`${url}${path}`, {
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
}

/** The API in the test process. */
export interface InProcessApi {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  request: ApiRequest;
  /** Stops the reconciler and the server, closes the pool and the connection. */
  close(): Promise<void>;
}

/** Serves `config` on its PORT, with the reconciler every RECONCILE_INTERVAL_SECONDS (0: never). */
export async function startInProcessApi(deps: { config: Config; log: Logger }): Promise<InProcessApi> {
  const { config, log } = deps;
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const fn of closers.splice(0).reverse()) await fn();
  };
  try {
    const connection = await Connection.connect({ address: config.temporal.address });
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const sql = createSql(config.databaseUrl, { max: 10 });
    closers.push(() => sql.end({ timeout: 5 }));
    const apiDeps = { config, sql, client, log };
    const server = await startApiServer({ ...apiDeps, port: config.port, host: config.host });
    closers.push(() => server.close());
    const reconciler = startReconciler(apiDeps, config.reconcileIntervalSeconds);
    closers.push(() => reconciler.stop());
    const webhookDispatcher = startWebhookDispatcher(apiDeps);
    closers.push(() => webhookDispatcher.stop());
    return { url: server.url, request: apiRequester(server.url, config.adminApiToken), close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/** A spawned API process. */
export interface ApiProcess extends StackProcess {
  url: string;
  token: string;
  request: ApiRequest;
}

/**
 * Starts `api/main.ts` with `env` (the stack's environment) on a free port of its own and waits for
 * `/healthz`. It does not migrate, and runs the reconciler every `reconcileIntervalSeconds` (default
 * never).
 */
export async function spawnApi(env: Record<string, string>, opts: { reconcileIntervalSeconds?: number; env?: Record<string, string> } = {}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const token = env.ADMIN_API_TOKEN ?? '';
  const child = await spawnChild({
    what: 'the API to answer /healthz',
    entry: join(ROOT, 'api/main.ts'),
    env: childEnv({
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      APP_BASE_URL: url,
      MIGRATE_ON_START: 'false',
      RECONCILE_INTERVAL_SECONDS: String(opts.reconcileIntervalSeconds ?? 0),
      LOG_LEVEL: process.env.FAULTS_WORKER_LOG_LEVEL ?? 'warn',
      ...opts.env,
    }),
    ready: async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200,
    readyPollMs: 50,
  });
  return { ...child, url, token, request: apiRequester(url, token) };
}
