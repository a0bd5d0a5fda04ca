/**
 * Helpers for the fault tests (test/faults-*.test.ts) and the benchmarks (bench/): real pieces that
 * can be killed and restarted.
 *  - `spawnWorker`: the real worker in a child process (test/support/worker-process.ts) to SIGKILL,
 *    optionally reporting every activity attempt it runs (`activityLog`, `ridingOut`);
 *  - `startRestartableTemporal`: a Temporal dev server on a free port and a temp SQLite file that can
 *    be stopped and started again on the same file and port (or frozen with SIGSTOP);
 *  - `startDedicatedPostgres`: an embedded PostgreSQL of the test's own (never the shared one) that
 *    can be stopped and started again on the same data directory;
 *  - `seedDueBurst` + `startAwardWorkflows`: many awards falling due at one instant, with their
 *    workflows started the way the API starts them;
 *  - `deliveryReport`: the exactly-once ledger: attempts and messages per award in PostgreSQL and
 *    emails per recipient at the fake provider.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Sql } from '../../db/client.ts';
import type { AwardRow } from '../../db/rows.ts';
import { DAY_MS } from '../../domain/dates.ts';
import { startEmbeddedPostgres, startTemporalDevServer, type RunningPostgres, type RunningTemporal } from '../../scripts/services.ts';
import { freePort, waitFor } from '../../scripts/tools.ts';
import { WORKFLOWS_PATH } from '../../worker/workers.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart, statusQuery, workflowIdForAward, type RecertificationStatus } from '../../workflows/contract.ts';
import type { FakeResend } from './fake-resend.ts';
import { makeCertificate, makeCourse, recertSettings } from './fixtures.ts';

export const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const READY_LINE = 'RECERTIFY_WORKER_READY';
const ACTIVITY_ATTEMPT_LINE = 'RECERTIFY_ACTIVITY_ATTEMPT';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------
// children we started: killed by pid if the test process exits without stopping them

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

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
// worker processes

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  pid: number;
  /** Recent stdout and stderr, for failure messages. */
  output(): string;
  alive(): boolean;
  /** Sends a signal (SIGKILL to crash it). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (graceful), SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
  exited: Promise<ExitInfo>;
  /** Resident set size from /proc, in bytes (null once it exited). */
  rssBytes(): number | null;
  /** Every activity attempt it started, in order, finished or not (only with `activityLog`; else empty). */
  activityAttempts(): ActivityAttempt[];
}

/** One attempt of an activity, regular or local, as the worker's interceptor saw it. */
export interface ActivityAttempt {
  /** Order of start within its worker process. */
  seq: number;
  workflowId: string | null;
  /** A local activity retried after a backoff timer runs under a new activity id; `attempt` goes on counting. */
  activityId: string;
  type: string;
  local: boolean;
  attempt: number;
  /** Epoch milliseconds (the worker's clock, the same machine's as the test's `Date.now()`). */
  startedAt: number;
  /** null while the attempt runs. */
  endedAt: number | null;
  ok: boolean | null;
  /** The failure's message, when `ok` is false. */
  error: string | null;
}

export interface WorkerEnv {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  resend?: { url: string; apiKey: string };
  emailRequestsPerSecond?: number;
  emailBatchSize?: number;
  /** Temporal worker option overrides (see worker-process.ts). */
  options?: { workflowWorker?: Record<string, number | boolean>; emailWorker?: Record<string, number | boolean>; sqlMax?: number };
  /** Report every activity attempt (see `WorkerProcess.activityAttempts`). */
  activityLog?: boolean;
  extraEnv?: Record<string, string>;
}

export async function spawnWorker(opts: WorkerEnv): Promise<WorkerProcess> {
  const bundle = await workflowBundlePath();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    NODE_ENV: '',
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    TEMPORAL_API_KEY: '',
    RESEND_API_KEY: opts.resend?.apiKey ?? '',
    RESEND_BASE_URL: opts.resend?.url ?? '',
    EMAIL_REQUESTS_PER_SECOND: String(opts.emailRequestsPerSecond ?? 4),
    EMAIL_BATCH_SIZE: String(opts.emailBatchSize ?? 100),
    WORKER_BUNDLE_PATH: bundle,
    APP_BASE_URL: 'https://learn.example.com',
    LOG_LEVEL: process.env.FAULTS_WORKER_LOG_LEVEL ?? 'warn',
    RECERTIFY_WORKER_OPTIONS: JSON.stringify(opts.options ?? {}),
    RECERTIFY_WORKER_ACTIVITY_LOG: opts.activityLog ? '1' : '',
    ...opts.extraEnv,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d: Buffer | string): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  // stdout line by line: attempt reports are collected (not kept in `out`), the rest is kept.
  const attempts: ActivityAttempt[] = [];
  const running = new Map<number, ActivityAttempt>();
  const onAttemptLine = (json: string): void => {
    const r = JSON.parse(json) as Partial<ActivityAttempt> & { n: number };
    const started = running.get(r.n);
    if (started) {
      Object.assign(started, { endedAt: r.endedAt ?? null, ok: r.ok ?? null, error: r.error ?? null });
      running.delete(r.n);
      return;
    }
    const { n, ...fields } = r;
    const attempt: ActivityAttempt = { workflowId: null, activityId: '', type: '', local: false, attempt: 0, startedAt: 0, ...fields, seq: n, endedAt: null, ok: null, error: null };
    running.set(n, attempt);
    attempts.push(attempt);
  };
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(`${ACTIVITY_ATTEMPT_LINE} `)) onAttemptLine(line.slice(ACTIVITY_ATTEMPT_LINE.length + 1));
      else keep(`${line}\n`);
    }
  });
  child.stderr?.on('data', keep);
  // 'close': it exited and everything it wrote has been read (the attempt reports included).
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  await waitFor('the worker process to poll', async () => {
    if (done) throw new Error(`worker exited before it was ready:\n${out}`);
    return out.includes(READY_LINE);
  }, 60_000, 25).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const pid = child.pid!;
  return {
    pid,
    output: () => out,
    alive: () => !done,
    kill: (signal) => void child.kill(signal),
    exited,
    async stop(graceMs = 10_000) {
      if (done) return await exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    rssBytes: () => (done ? null : procRss(pid)),
    activityAttempts: () => attempts.map((a) => ({ ...a })),
  };
}

/** A step of a workflow: its activity type in its workflow (the unit a retry repeats). */
export const stepOf = (a: ActivityAttempt): string => `${a.workflowId} ${a.type}`;

/**
 * Whether the given attempts (failed ones, or ones cut off with their worker) were ridden out: for
 * each, a later attempt of the same step succeeded — in the same worker process (`attempts`), or in
 * a worker started after it (`later`). A regular activity's retry carries the attempt number on; a
 * local activity whose workflow task was lost meanwhile is scheduled again from attempt 1, so the
 * order of the attempts, not their numbers, decides. Returns those no later attempt finished.
 */
export function notRiddenOut(failed: readonly ActivityAttempt[], attempts: readonly ActivityAttempt[], later: readonly ActivityAttempt[] = []): ActivityAttempt[] {
  const lastSuccess = new Map<string, number>();
  for (const a of attempts) if (a.ok) lastSuccess.set(stepOf(a), Math.max(lastSuccess.get(stepOf(a)) ?? -1, a.seq));
  const laterSuccess = new Set(later.filter((a) => a.ok).map(stepOf));
  return failed.filter((f) => !laterSuccess.has(stepOf(f)) && (lastSuccess.get(stepOf(f)) ?? -1) < f.seq);
}

// ---------------------------------------------------------------------------------------------
// API processes

export interface ApiProcess {
  pid: number;
  url: string;
  token: string;
  output(): string;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  stop(graceMs?: number): Promise<ExitInfo>;
  exited: Promise<ExitInfo>;
  rssBytes(): number | null;
}

/** Starts `api/main.ts` (the production entry) as a child process and waits for `/healthz`. */
export async function spawnApi(opts: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  token?: string;
  reconcileIntervalSeconds?: number;
  extraEnv?: Record<string, string>;
}): Promise<ApiProcess> {
  const port = await freePort();
  const token = opts.token ?? `faults-admin-token-${randomUUID()}`;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    NODE_ENV: '',
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    TEMPORAL_API_KEY: '',
    ADMIN_API_TOKEN: token,
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_BASE_URL: `http://127.0.0.1:${port}`,
    MIGRATE_ON_START: 'false',
    RECONCILE_INTERVAL_SECONDS: String(opts.reconcileIntervalSeconds ?? 0),
    LOG_LEVEL: process.env.FAULTS_WORKER_LOG_LEVEL ?? 'warn',
    ...opts.extraEnv,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the API to answer /healthz', async () => {
    if (done) throw new Error(`the API exited before it was ready:\n${out}`);
    const res = await fetch(`${url}/healthz`).catch(() => null);
    return res?.status === 200;
  }, 60_000, 50).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const pid = child.pid!;
  return {
    pid,
    url,
    token,
    output: () => out,
    alive: () => !done,
    kill: (signal) => void child.kill(signal),
    exited,
    async stop(graceMs = 10_000) {
      if (done) return await exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    rssBytes: () => (done ? null : procRss(pid)),
  };
}

/** Resident set size of a process from /proc, in bytes. */
export function procRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// a Temporal dev server that can be stopped and started again on the same SQLite file and port

export interface RestartableTemporal {
  address: string;
  port: number;
  dbFile: string;
  running(): boolean;
  /** The dev server process (to SIGSTOP/SIGCONT it). */
  process(): ChildProcess | null;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A client connected to it (reconnects after a restart). */
  client(): Promise<Client>;
  /** Stops the server, closes the client and removes the SQLite file. */
  dispose(): Promise<void>;
}

export async function startRestartableTemporal(opts: { log?: (m: string) => void; dir?: string; sqlitePragmas?: string[] } = {}): Promise<RestartableTemporal> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'recertify-temporal-'));
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  let current: RunningTemporal | null = null;
  let connection: Connection | null = null;
  let client: Client | null = null;
  const start = async (): Promise<void> => {
    if (current) return;
    current = await startTemporalDevServer({ dbFile, port, log: opts.log, sqlitePragmas: opts.sqlitePragmas });
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    port,
    dbFile,
    running: () => current !== null,
    process: () => current?.process ?? null,
    async stop() {
      const c = current;
      current = null;
      if (c) await c.stop();
    },
    start,
    async client() {
      if (!client) {
        connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 10_000 });
        client = new Client({ connection, namespace: 'default' });
      }
      return client;
    },
    async dispose() {
      await connection?.close().catch(() => {});
      const c = current;
      current = null;
      if (c) await c.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// a PostgreSQL of the test's own

export interface DedicatedPostgres {
  port: number;
  url: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts an embedded PostgreSQL on a free port in a temp dir, with one database `recertify`. */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'recertify-faults-pg-'));
  chmodSync(dir, 0o755); // the postgres user must reach its data directory when we run as root
  const port = await freePort();
  let pg: RunningPostgres | null = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port });
  const url = await pg.createDatabase('recertify');
  return {
    port,
    url,
    running: () => pg !== null,
    async stop() {
      const p = pg;
      pg = null;
      if (p) await p.stop();
    },
    async start() {
      if (!pg) pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port });
    },
    async dispose() {
      const p = pg;
      pg = null;
      if (p) await p.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// a due burst

export interface DueBurst {
  certificateId: string;
  courseId: string;
  leadDays: number;
  dueAt: Date;
  awards: AwardRow[];
  /** learner email → award id */
  awardByEmail: Map<string, string>;
}

/**
 * `count` learners and awards of one certificate (recertification on, expiring notice on, no course
 * enrollment message: one attempt and one message per award), all due at `dueAt`:
 * expiresAt = dueAt + leadDays × 24 h.
 */
export async function seedDueBurst(sql: Sql, opts: { count: number; dueAt: Date; leadDays?: number; expiresAt?: (i: number) => Date }): Promise<DueBurst> {
  const leadDays = opts.leadDays ?? 30;
  const course = await makeCourse(sql, { title: 'Forklift Safety Refresher' });
  const cert = await makeCertificate(sql, { settings: recertSettings(course.id, { leadDays }), associatedCourseIds: [course.id] });
  const tag = randomUUID().slice(0, 8);
  const awards: AwardRow[] = [];
  const awardByEmail = new Map<string, string>();
  const CHUNK = 2000;
  for (let from = 0; from < opts.count; from += CHUNK) {
    const n = Math.min(CHUNK, opts.count - from);
    const emails = Array.from({ length: n }, (_, k) => `l${from + k}-${tag}@example.com`);
    const names = Array.from({ length: n }, (_, k) => `Learner ${from + k}`);
    const learnerRows = await sql<{ id: string; email: string }[]>`
      insert into learners (email, name) select * from unnest(${emails}::text[], ${names}::text[]) returning id, email`;
    const learnerByEmail = new Map(learnerRows.map((l) => [l.email, l.id]));
    const ids: string[] = [];
    const learnerIds: string[] = [];
    const awardedAt: string[] = [];
    const expiresAt: string[] = [];
    emails.forEach((email, k) => {
      const id = randomUUID();
      const expires = opts.expiresAt ? opts.expiresAt(from + k) : new Date(opts.dueAt.getTime() + leadDays * DAY_MS);
      awardByEmail.set(email, id);
      ids.push(id);
      learnerIds.push(learnerByEmail.get(email)!);
      awardedAt.push(new Date(expires.getTime() - 365 * DAY_MS).toISOString());
      expiresAt.push(expires.toISOString());
    });
    const inserted = await sql<AwardRow[]>`
      insert into awards (id, certificate_id, learner_id, awarded_at, expires_at, workflow_id)
      select id, ${cert.id}::uuid, learner_id, awarded_at, expires_at, 'recertification-' || id
      from unnest(${ids}::uuid[], ${learnerIds}::uuid[], ${awardedAt}::timestamptz[], ${expiresAt}::timestamptz[])
        as v(id, learner_id, awarded_at, expires_at)
      returning *`;
    const byId = new Map(inserted.map((a) => [a.id, a]));
    awards.push(...ids.map((id) => byId.get(id)!));
  }
  return { certificateId: cert.id, courseId: course.id, leadDays, dueAt: opts.dueAt, awards, awardByEmail };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; returns the results in order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Starts the awards' workflows as the API does (same id, input and search attributes). */
export async function startAwardWorkflows(client: Client, taskQueue: string, awards: AwardRow[], opts: { leadDays?: number; concurrency?: number } = {}): Promise<void> {
  const leadDays = opts.leadDays ?? 30;
  await mapLimit(awards, opts.concurrency ?? 32, async (award) => {
    await client.workflow.start(RECERTIFICATION_WORKFLOW, {
      ...recertificationStart({ ...award, expiresAt: award.expiresAt! }, leadDays),
      taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  });
}

export async function queryStatuses(client: Client, awardIds: string[], concurrency = 16): Promise<RecertificationStatus[]> {
  return await mapLimit(awardIds, concurrency, async (id) => {
    const handle: WorkflowHandle = client.workflow.getHandle(workflowIdForAward(id));
    return await handle.query(statusQuery);
  });
}

/** The marker core records for a local activity's result: `details.data` holds this, as JSON. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
interface LocalActivityMarkerData {
  attempt?: number;
  activity_type?: string;
}

/**
 * The largest `attempt` with which the workflow's history records an activity (of `activityType`,
 * or any) running: > 1 means it was retried. Counts regular activities (the attempt of their
 * ActivityTaskStarted event) and local ones that completed (the attempt in the data of their
 * MarkerRecorded event; a marker with a failure records a backoff or a final failure instead).
 */
export async function maxActivityAttempt(client: Client, awardId: string, activityType?: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowIdForAward(awardId)).fetchHistory();
  const types = new Map<string, string>();
  let max = 0;
  for (const e of history.events ?? []) {
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched && e.eventId) types.set(String(e.eventId), sched.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = types.get(String(started.scheduledEventId)) ?? '';
      if (!activityType || type === activityType) max = Math.max(max, started.attempt ?? 1);
    }
    const marker = e.markerRecordedEventAttributes;
    const raw = marker?.markerName === LOCAL_ACTIVITY_MARKER && !marker.failure ? marker.details?.data?.payloads?.[0]?.data : undefined;
    if (raw) {
      const data = JSON.parse(Buffer.from(raw).toString('utf8')) as LocalActivityMarkerData;
      if (!activityType || data.activity_type === activityType) max = Math.max(max, data.attempt ?? 1);
    }
  }
  return max;
}

export interface TimerRecord {
  timerId: string;
  /** Epoch ms of the TimerStarted event (the server's clock, this machine's). */
  startedAt: number;
  durationMs: number;
  /** Epoch ms of its TimerFired event, null if it never fired (cancelled, or still running). */
  firedAt: number | null;
}

/** The timers of the award's workflow, from its history, in the order they were started. */
export async function workflowTimers(client: Client, awardId: string): Promise<TimerRecord[]> {
  const history = await client.workflow.getHandle(workflowIdForAward(awardId)).fetchHistory();
  const timers = new Map<string, TimerRecord>();
  for (const e of history.events ?? []) {
    const started = e.timerStartedEventAttributes;
    if (started?.timerId) {
      timers.set(started.timerId, { timerId: started.timerId, startedAt: tsToMs(e.eventTime), durationMs: tsToMs(started.startToFireTimeout), firedAt: null });
    }
    const fired = e.timerFiredEventAttributes;
    const timer = fired?.timerId ? timers.get(fired.timerId) : undefined;
    if (timer) timer.firedAt = tsToMs(e.eventTime);
  }
  return [...timers.values()];
}

// ---------------------------------------------------------------------------------------------
// exactly once

export interface DeliveryReport {
  awards: number;
  /** Awards with exactly one recertification attempt, one message, that message sent, and one email at the provider. */
  exact: number;
  attempts: number;
  messages: number;
  sent: number;
  /** Emails the provider delivered, in total and to recipients that got more than one. */
  providerEmails: number;
  duplicateRecipients: string[];
  /** Up to 10 awards that do not hold exactly once, with what they have. */
  violations: string[];
}

export async function deliveryReport(sql: Sql, fake: FakeResend, burst: DueBurst): Promise<DeliveryReport> {
  const ids = burst.awards.map((a) => a.id);
  const rows = await sql<{ id: string; attempts: number; messages: number; sent: number }[]>`
    select a.id,
      (select count(*)::int from course_attempts c where c.award_id = a.id and c.source = 'recertification') as attempts,
      (select count(*)::int from messages m where m.award_id = a.id) as messages,
      (select count(*)::int from messages m where m.award_id = a.id and m.status = 'sent') as sent
    from awards a where a.id = any(${ids}::uuid[])`;
  const perRecipient = new Map<string, number>();
  for (const email of fake.sent()) for (const to of email.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  const emailsByAward = new Map<string, number>();
  for (const [to, n] of perRecipient) {
    const award = burst.awardByEmail.get(to);
    if (award) emailsByAward.set(award, n);
  }
  const violations: string[] = [];
  let exact = 0;
  for (const r of rows) {
    const emails = emailsByAward.get(r.id) ?? 0;
    if (r.attempts === 1 && r.messages === 1 && r.sent === 1 && emails === 1) exact++;
    else if (violations.length < 10) violations.push(`award ${r.id}: attempts ${r.attempts}, messages ${r.messages}, sent ${r.sent}, provider emails ${emails}`);
  }
  return {
    awards: rows.length,
    exact,
    attempts: rows.reduce((s, r) => s + r.attempts, 0),
    messages: rows.reduce((s, r) => s + r.messages, 0),
    sent: rows.reduce((s, r) => s + r.sent, 0),
    providerEmails: fake.sent().length,
    duplicateRecipients: [...perRecipient].filter(([, n]) => n > 1).map(([to]) => to).slice(0, 10),
    violations,
  };
}

/** Counts of the burst's progress in PostgreSQL. */
export async function progress(sql: Sql, burst: DueBurst): Promise<{ attempts: number; sent: number; sending: number; queued: number }> {
  const [row] = await sql<{ attempts: number; sent: number; sending: number; queued: number }[]>`
    select
      (select count(*)::int from course_attempts c join awards a on a.id = c.award_id where a.certificate_id = ${burst.certificateId} and c.source = 'recertification') as attempts,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'sent') as sent,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'sending') as sending,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'queued') as queued`;
  return row!;
}

/** Waits until `check` holds; on timeout the error says what `diagnose` finds. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
  diagnose?: () => Promise<string>,
): Promise<void> {
  try {
    await waitFor(what, async () => (await check()) || undefined, timeoutMs, intervalMs);
  } catch (err) {
    if (!diagnose) throw err;
    const found = await diagnose().catch((e: unknown) => `(diagnosis failed: ${String(e)})`);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${found}`);
  }
}

/** What a fault test prints when it times out: the burst's progress, the provider's view, the worker's last words. */
export function diagnoser(sql: Sql, burst: () => DueBurst | undefined, fake: FakeResend, workers: () => WorkerProcess[], client?: Client): () => Promise<string> {
  return async () => {
    const b = burst();
    const p = b ? JSON.stringify(await progress(sql, b)) : 'no burst yet';
    let stuck = '';
    if (b && client) {
      const rows = await sql<{ id: string }[]>`
        select a.id from awards a where a.certificate_id = ${b.certificateId}
          and not exists (select 1 from messages m where m.award_id = a.id and m.status = 'sent') limit 3`;
      for (const r of rows) {
        const d = await client.workflow.getHandle(workflowIdForAward(r.id)).describe().catch((e: unknown) => String(e));
        if (typeof d === 'string') {
          stuck += `\n--- ${r.id}: ${d}`;
          continue;
        }
        const raw = d.raw.pendingActivities ?? [];
        const acts = raw.map((a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state} lastFailure ${a.lastFailure?.message ?? '-'}`);
        stuck += `\n--- ${r.id}: ${d.status.name}, history ${d.historyLength}, pending [${acts.join('; ')}], pendingWorkflowTask ${JSON.stringify(d.raw.pendingWorkflowTask ?? null)}`;
      }
    }
    const w = workers().map((x) => `--- worker ${x.pid} (${x.alive() ? 'alive' : 'exited'}):\n${x.output().slice(-4000)}`);
    return `progress ${p}; provider ${JSON.stringify(fake.requests())}, ${fake.sent().length} emails${stuck}\n${w.join('\n')}`;
  };
}
