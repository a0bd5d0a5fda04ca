/**
 * `npm run bench [-- --scale=0.1] [--only=throughput,burst,propagation] [--servers=dev,full] [--worker-options='{...}']`
 *
 * Benchmarks on this machine, each measured in one run on real pieces (embedded PostgreSQL, a
 * Temporal dev server on SQLite, the API and the worker as their own processes, a fake Resend that
 * enforces 5 requests/s and batches of 100), and each compared with an arm measured in the same run
 * (issue 11: ratios travel between machines, absolute figures do not):
 *  - throughput: awards per second and latency through `POST /api/certificates/:id/awards` (starts a
 *    workflow), the same endpoint with the workflow start disabled (database only), and raw
 *    `client.workflow.start`, at fixed arrival rates (open loop); the figure is API + start ÷ raw;
 *  - burst: 10,000 awards falling due in one minute (timer lateness, time to the last message, none
 *    lost or doubled), then on the same stack the ENGINE FLOOR (as many minimal workflows of
 *    bench/floor/ sleeping until the same minute, each then writing one row through one activity on a
 *    second task queue) and the PEER (the same due burst as pg-boss delayed jobs doing the due step
 *    with the product's code and mailer, bench/peer/, no Temporal); the figures are ours ÷ floor and
 *    ours ÷ peer, in drain time and in CPU per award;
 *  - propagation: a settings change reaching 10,000 sleeping workflows (time to the last
 *    acknowledgement), then the FAN-OUT FLOOR (as many minimal workflows signalled from a plain client
 *    loop, 32 in flight as the propagation's, a handler that sets a flag); the figure is ours ÷ floor;
 *    then the worker's memory at 0 / 10% / 50% / 100% of 100,000 sleeping workflows (KB per sleeping
 *    workflow beyond the cache).
 * Results go to bench/results/<name>[.scale-S].json with the commit measured and the load average
 * during the run; the table in bench/README.md is regenerated from the run's results.
 * `--scale` multiplies workflow counts and step durations (0.1 for a quick run: every arm, dev server
 * only unless `--servers` says otherwise); `--tag=x` writes results as <name>.x.json and leaves the
 * README alone (for experiments, e.g. other worker options).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import PgBoss from 'pg-boss';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { Sql } from '../db/client.ts';
import { DAY_MS, dueAt as computeDueAt } from '../domain/dates.ts';
import { TEMPORAL_SERVER_VERSION, TOOL_CACHE, toolPath } from '../scripts/tools.ts';
import { deliveryReport, mapLimit, progress, seedDueBurst, startAwardWorkflows, type DueBurst } from '../test/support/due-burst.ts';
import { makeCertificate, makeCourse, recertSettings } from '../test/support/fixtures.ts';
import { startServices, type Services } from '../test/support/stack.ts';
import type { ApiProcess } from '../test/support/stack/api.ts';
import { startDedicatedPostgres, type DedicatedPostgres } from '../test/support/stack/database.ts';
import { useTemporalServer, type TemporalServerKind } from '../test/support/stack/temporal.ts';
import { childEnv, procRss, sleep, spawnChild, type StackProcess } from '../test/support/stack/process.ts';
import { STACK_TRACES_ENV } from '../worker/workers.ts';
import { DEFAULT_WORKFLOW_TASK_SLOTS, defaultWorkflowCacheSize, processMemory } from '../config/env.ts';
import type { WorkerProcess, WorkerProcessOptions } from '../test/support/stack/worker.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart, workflowIdForAward } from '../workflows/contract.ts';
import { firstTaskDone } from '../test/support/workflow-history.ts';
import { workerReadyOptions, type WorkerTuning } from '../test/support/stack/worker-reports.ts';
import { FLOOR_READY_LINE } from './floor/activities.ts';
import { PEER_READY_LINE, type PeerJob } from './peer/jobs.ts';

// ---------------------------------------------------------------------------------------------
// arguments, machine, output

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k!, v.join('=') || 'true'] as const;
  }),
);
const SCALE = Number(args.get('scale') ?? '1');
if (!(SCALE > 0 && SCALE <= 1)) throw new Error('--scale must be in (0, 1]');
const ONLY = new Set((args.get('only') ?? 'throughput,burst,propagation').split(','));
/**
 * The Temporal servers the due burst and the propagation run on, one after the other in this run:
 * `dev` (the CLI's dev server on SQLite) and `full` (the full server on PostgreSQL,
 * config/temporal-server/; its databases on the run's PostgreSQL). `--servers=dev` or `--servers=full`
 * picks one. Default: both at full scale; the dev server only below it (so `--scale=0.1` runs every
 * arm in under 10 minutes). The throughput benchmark runs on the dev server only.
 */
const SERVERS = (args.get('servers') ?? (SCALE === 1 ? 'dev,full' : 'dev')).split(',').filter((x): x is TemporalServerKind => x === 'dev' || x === 'full');
const WORKER_OPTIONS = JSON.parse(args.get('worker-options') ?? '{}') as NonNullable<WorkerProcessOptions['options']>;
/**
 * Our worker's environment in every arm (recorded in each result as `workerEnv`). A quick run
 * (scale < 1) scales the worker's default cache (WORKFLOW_CACHE_SIZE's, config/env.ts
 * `defaultWorkflowCacheSize`: 15,776 on this machine) with everything else, so that its memory points
 * just beyond the cache (cache + 500 and + 2,000) fit its ten minutes; the full run keeps the
 * default. A WORKFLOW_CACHE_SIZE in the bench's environment, or `--worker-options` with
 * `maxCachedWorkflows`, is used as given instead. The floor's worker gets whatever cache and slots
 * ours reports (`spawnFloorWorker`).
 */
const WORKER_ENV: Record<string, string> =
  SCALE < 1 && WORKER_OPTIONS.workflowWorker?.maxCachedWorkflows === undefined && !process.env.WORKFLOW_CACHE_SIZE
    ? { WORKFLOW_CACHE_SIZE: String(Math.round(defaultWorkflowCacheSize(processMemory(), DEFAULT_WORKFLOW_TASK_SLOTS) * SCALE)) }
    : {};

/**
 * The cache size and workflow-task slots our worker runs with, from its ready line
 * (test/support/stack/worker-reports.ts). Throws when the line cannot be read: the floor is given the
 * same, and a ratio against a floor with other settings would not be published silently.
 */
function workerTuning(w: WorkerProcess): WorkerTuning {
  const ready = workerReadyOptions(w.output());
  if (!ready) throw new Error(`our worker's ready line (cache size, slots) is unreadable:\n${w.output().slice(-2000)}`);
  return ready;
}
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const TASK_QUEUE = 'bench';
/** The engine floor's workflow task queue (its activity runs on `<queue>-activity`). */
const FLOOR_TASK_QUEUE = 'bench-floor';
const FLOOR_WORKER = fileURLToPath(new URL('./floor/worker.ts', import.meta.url));
const PEER_WORKER = fileURLToPath(new URL('./peer/worker.ts', import.meta.url));
const PEER_QUEUE = 'bench-peer-due';
/**
 * The window the burst's awards fall due in: one minute at full scale, × scale below it, so a quick
 * run keeps the full run's arrival rate (10,000 in 60 s = 1,000 in 6 s ≈ 167 due per second).
 */
const DUE_WINDOW_MS = Math.round(60_000 * SCALE);
/** Signals in flight in the fan-out floor: the propagation activity's (activities/propagation.ts). */
const FAN_OUT_CONCURRENCY = 32;
/**
 * The dev server's SQLite settings. Its defaults sync every write to disk (measured here: ~140
 * workflow starts/s); WAL with synchronous=NORMAL (durable across process crashes, not OS crashes)
 * does ~350/s. `--sqlite=default` measures the defaults.
 */
const SQLITE_PRAGMAS = args.get('sqlite') === 'default' ? [] : ['journal_mode=WAL', 'synchronous=NORMAL'];
/**
 * `--provider-latency-ms=N`: the fake Resend answers each request N ms late (default 0), e.g. 300 for
 * a slow provider, to see the due burst's local sends (which hold a workflow-task slot while they
 * wait for the provider) under it. Recorded in every result; pair it with `--tag=…`.
 */
const PROVIDER_LATENCY_MS = Number(args.get('provider-latency-ms') ?? '0');
if (!(Number.isInteger(PROVIDER_LATENCY_MS) && PROVIDER_LATENCY_MS >= 0)) throw new Error('--provider-latency-ms must be a whole number of milliseconds ≥ 0');
/**
 * A benchmark's stack, the tests' fixture: a fresh database `bench_<name>_…` on the run's PostgreSQL,
 * a Temporal dev server of its own with the SQLite settings above, and a fake Resend that enforces 5
 * requests in any second (and batches of ≤ 100), answering `--provider-latency-ms` late.
 */
const benchStack = (pg: DedicatedPostgres, name: string, server: TemporalServerKind = 'dev'): Promise<Services> => {
  useTemporalServer(server, { postgresAdminUrl: pg.adminUrl });
  return startServices({ postgres: pg, dbPrefix: `bench_${name}`, dbPool: 10, sqlitePragmas: SQLITE_PRAGMAS, taskQueue: TASK_QUEUE, resend: { rateLimit: 5, latencyMs: PROVIDER_LATENCY_MS } });
};
/** The result file's name for a benchmark on `server`: the dev server's keeps the old name. */
const resultName = (name: string, server: TemporalServerKind): string => (server === 'dev' ? name : `${name}-full-server`);

const say = (m: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

function machine(): Record<string, unknown> {
  const temporal = spawnSync(toolPath('temporal'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    temporalCli: temporal,
    temporalServer: existsSync(join(TOOL_CACHE, 'bin', 'temporal-server')) ? `go.temporal.io/server ${TEMPORAL_SERVER_VERSION} (PostgreSQL, 4 shards, config/temporal-server/)` : null,
    platform: `${os.type()} ${os.release()}`,
    temporalSqlitePragmas: SQLITE_PRAGMAS,
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const r1 = (x: number): number => Math.round(x * 10) / 10;
const mib = (bytes: number | null): number | null => (bytes === null ? null : Math.round(bytes / 2 ** 20));

/** The commit measured: `git rev-parse HEAD`, with `+changes` when tracked files differ from it. */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** The commit this run measures, read when it starts (editing files during a run does not change it). */
const COMMIT = gitCommit();

/** The machine's 1-minute load average, sampled every 5 s for the whole run. */
const loadSamples: { atMs: number; load1: number }[] = [];
const sampleLoad = (): void => void loadSamples.push({ atMs: Date.now(), load1: os.loadavg()[0]! });
sampleLoad();
setInterval(sampleLoad, 5000).unref();

/** The 1-minute load average since `sinceMs`: min, mean, max of the samples. */
function loadSince(sinceMs: number): { min: number; mean: number; max: number; samples: number } {
  const xs = loadSamples.filter((x) => x.atMs >= sinceMs).map((x) => x.load1);
  if (xs.length === 0) xs.push(os.loadavg()[0]!);
  return { min: r1(Math.min(...xs)), mean: r1(xs.reduce((a, b) => a + b, 0) / xs.length), max: r1(Math.max(...xs)), samples: xs.length };
}

/** Writes a result with the scale, the time, the machine, the commit measured and the load average since `sinceMs`. */
function writeResult(name: string, data: Record<string, unknown>, sinceMs: number): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const tag = args.get('tag');
  const file = `${RESULTS_DIR}${name}${SCALE === 1 ? '' : `.scale-${SCALE}`}${tag ? `.${tag}` : ''}.json`;
  const head = { name, scale: SCALE, at: new Date().toISOString(), commit: COMMIT, loadAverage1m: loadSince(sinceMs), machine: machine(), providerLatencyMs: PROVIDER_LATENCY_MS };
  writeFileSync(file, JSON.stringify({ ...head, ...data }, null, 2) + '\n');
  say(`wrote ${file}`);
}

// ---------------------------------------------------------------------------------------------
// infrastructure

async function seedLearners(sql: Sql, n: number): Promise<string[]> {
  const ids: string[] = [];
  const tag = randomUUID().slice(0, 8);
  for (let from = 0; from < n; from += 5000) {
    const k = Math.min(5000, n - from);
    const emails = Array.from({ length: k }, (_, i) => `b${from + i}-${tag}@example.com`);
    const names = Array.from({ length: k }, (_, i) => `Bench Learner ${from + i}`);
    const rows = await sql<{ id: string }[]>`insert into learners (email, name) select * from unnest(${emails}::text[], ${names}::text[]) returning id`;
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The run's PostgreSQL port, once started: its processes are told from other sessions' PostgreSQL by it. */
let runPostgresPort: number | null = null;

/**
 * The run's PostgreSQL server processes: the postmaster listening on `runPostgresPort` (its command
 * line says `-p <port>`) and its children (backends, background workers). Other PostgreSQL servers on
 * the machine (other sessions' tests) are not counted.
 */
function postgresPids(): number[] {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') return [];
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        return [{ pid: Number(d), ppid, cmd }];
      } catch {
        return [];
      }
    });
  const master = procs.find((p) => p.cmd.some((a, i) => a === '-p' && p.cmd[i + 1] === String(runPostgresPort)));
  return master ? [master.pid, ...procs.filter((p) => p.ppid === master.pid).map((p) => p.pid)] : [];
}

/**
 * Where the CPU time of a phase goes: CPU seconds of each process between start() and stop(),
 * with the phase's wall time (2 cores = at most 2 CPU seconds per wall second).
 */
function cpuAccount(pids: Record<string, () => number | null | undefined>): { stop(): Record<string, number> } {
  const t0 = performance.now();
  const bench0 = process.cpuUsage();
  const start = new Map<string, number>();
  const pg0 = new Map(postgresPids().map((p) => [p, procCpuSeconds(p)]));
  for (const [name, pid] of Object.entries(pids)) {
    const p = pid();
    start.set(name, p ? procCpuSeconds(p) : 0);
  }
  return {
    stop() {
      const out: Record<string, number> = { wallS: r1((performance.now() - t0) / 1000) };
      for (const [name, pid] of Object.entries(pids)) {
        const p = pid();
        out[`${name}CpuS`] = r1(p ? procCpuSeconds(p) - (start.get(name) ?? 0) : 0);
      }
      out.postgresCpuS = r1(postgresPids().reduce((sum, p) => sum + procCpuSeconds(p) - (pg0.get(p) ?? 0), 0));
      const b = process.cpuUsage(bench0);
      out.benchProcessCpuS = r1((b.user + b.system) / 1e6);
      return out;
    },
  };
}

/** Samples a process's RSS every `everyMs` while running; returns the peak. */
function rssSampler(pid: () => number | null, everyMs = 1000): { peak(): number | null; stop(): void } {
  let peak: number | null = null;
  const timer = setInterval(() => {
    const p = pid();
    const rss = p ? procRss(p) : null;
    if (rss !== null && (peak === null || rss > peak)) peak = rss;
  }, everyMs);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

// ---------------------------------------------------------------------------------------------
// 1. award throughput, open loop

interface StepResult {
  arm: string;
  offeredPerSecond: number;
  requests: number;
  ok: number;
  errors: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  firstError?: string;
  /** CPU seconds per process during the step. */
  cpu?: Record<string, number>;
}

/**
 * Sends `rate` requests per second for `durationS` seconds on a fixed schedule. Latency is measured
 * from each request's scheduled time, so queueing in the client (at most `maxInFlight` at once)
 * counts against the server, as it would for real arrivals.
 */
async function openLoop(arm: string, rate: number, durationS: number, fire: (i: number) => Promise<void>, maxInFlight = 512): Promise<StepResult> {
  const n = Math.max(1, Math.round(rate * durationS));
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let lastDone = 0;
  const slotWaiters: (() => void)[] = [];
  const running: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  for (let i = 0; i < n; i++) {
    const scheduled = t0 + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight >= maxInFlight) await new Promise<void>((r) => slotWaiters.push(r));
    inFlight++;
    running.push(
      fire(i)
        .then(
          () => {
            ok++;
            latencies.push(performance.now() - scheduled);
          },
          (err: unknown) => {
            errors++;
            firstError ??= err instanceof Error ? err.message : String(err);
          },
        )
        .finally(() => {
          inFlight--;
          lastDone = performance.now();
          slotWaiters.shift()?.();
        }),
    );
  }
  await Promise.all(running);
  const elapsedS = (lastDone - t0) / 1000;
  return {
    arm,
    offeredPerSecond: rate,
    requests: n,
    ok,
    errors,
    achievedPerSecond: r1(ok / elapsedS),
    p50Ms: r1(percentile(latencies, 50)),
    p99Ms: r1(percentile(latencies, 99)),
    maxMs: r1(Math.max(...latencies)),
    ...(firstError ? { firstError } : {}),
  };
}

async function benchThroughput(pg: DedicatedPostgres): Promise<void> {
  say('throughput: setting up');
  const sinceMs = Date.now();
  const stack = await benchStack(pg, 'throughput');
  const { db, temporal, client } = stack;
  try {
    const rates = [25, 50, 100, 200, 400];
    const durationS = Math.max(2, Math.round(10 * SCALE));
    const course = await makeCourse(db.sql);
    const settings = recertSettings(course.id, { leadDays: 30 });
    const certWorkflow = await makeCertificate(db.sql, { title: 'Bench API + workflow', settings, associatedCourseIds: [course.id] });
    const certDbOnly = await makeCertificate(db.sql, { title: 'Bench API, database only', settings, associatedCourseIds: [course.id] });
    const learners = await seedLearners(db.sql, rates.reduce((s, r) => s + r * durationS, 0));
    const apiWorkflow = await stack.spawnApi();
    const apiDbOnly = await stack.spawnApi({ env: { RECERTIFY_BENCH_SKIP_WORKFLOW_START: '1' } });

    const post = (api: ApiProcess, certificateId: string, learnerId: string) => async (): Promise<void> => {
      const res = await api.request('POST', `/api/certificates/${certificateId}/awards`, { learnerId });
      if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    };
    const expiresAt = new Date(Date.now() + 365 * DAY_MS);
    // The API's own start options (recertificationStart) for an award that is not in the database.
    const rawStart = async (): Promise<void> => {
      const award = { id: randomUUID(), certificateId: certWorkflow.id, learnerId: randomUUID(), expiresAt };
      await client.workflow.start(RECERTIFICATION_WORKFLOW, {
        ...recertificationStart(award, 30),
        taskQueue: TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Bench for learner ${award.learnerId}, expires ${expiresAt.toISOString()}`,
        staticDetails: `Award ${award.id}`,
      });
    };

    // Warm up each path (JIT, connections, prepared statements) outside the measurement.
    const warm = await seedLearners(db.sql, 40);
    for (let i = 0; i < 20; i++) {
      await post(apiWorkflow, certWorkflow.id, warm[i]!)();
      await post(apiDbOnly, certDbOnly.id, warm[20 + i]!)();
      await rawStart();
    }

    const steps: StepResult[] = [];
    let offset = 0;
    for (const rate of rates) {
      const base = offset;
      offset += rate * durationS;
      // Interleaved by rate so that all three arms see the same database and history sizes.
      for (const [arm, fire] of [
        ['database only (API, no workflow start)', (i: number) => post(apiDbOnly, certDbOnly.id, learners[base + i]!)()],
        ['raw client.workflow.start', () => rawStart()],
        ['API + workflow start', (i: number) => post(apiWorkflow, certWorkflow.id, learners[base + i]!)()],
      ] as const) {
        const cpu = cpuAccount({ temporal: () => temporal.process()?.pid, apiWorkflow: () => apiWorkflow.pid, apiDatabaseOnly: () => apiDbOnly.pid });
        const step = await openLoop(arm, rate, durationS, fire);
        step.cpu = cpu.stop();
        steps.push(step);
        say(`throughput: ${arm} @ ${rate}/s → ${step.achievedPerSecond}/s, p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, errors ${step.errors}`);
        await sleep(1000);
      }
    }
    // Sustained: the highest offered rate served at ≥ 95% with p99 under 1 s; capacity: the best achieved.
    const summary = (arm: string): { sustainedPerSecond: number; peakAchievedPerSecond: number } => {
      const mine = steps.filter((s) => s.arm === arm);
      const sustained = mine.filter((s) => s.errors === 0 && s.achievedPerSecond >= 0.95 * s.offeredPerSecond && s.p99Ms < 1000);
      return {
        sustainedPerSecond: Math.max(0, ...sustained.map((s) => s.offeredPerSecond)),
        peakAchievedPerSecond: Math.max(...mine.map((s) => s.achievedPerSecond)),
      };
    };
    const arms = {
      databaseOnly: summary('database only (API, no workflow start)'),
      raw: summary('raw client.workflow.start'),
      api: summary('API + workflow start'),
    };
    const overhead = 1 - arms.api.peakAchievedPerSecond / arms.raw.peakAchievedPerSecond;
    const apiToRaw = Math.round((arms.api.peakAchievedPerSecond / arms.raw.peakAchievedPerSecond) * 100) / 100;
    writeResult(
      'throughput',
      {
        setup: {
          durationPerStepS: durationS,
          rates,
          note: 'API and worker-less Temporal dev server on the same 2-core machine as the load generator; no worker runs (first workflow tasks queue up), so the three arms measure admission only.',
        },
        steps,
        arms,
        httpDatabaseOverheadOfRawRate: Math.round(overhead * 1000) / 1000,
        ratio: { apiPlusStartToRawStart: apiToRaw, goal: '≥ 0.9 (peak achieved, same run)', met: apiToRaw >= 0.9 },
        goal: 'API + workflow start reaches at least 90% of the raw workflow-start rate at saturation (issue 11)',
        goalMet: apiToRaw >= 0.9,
      },
      sinceMs,
    );
    say(`throughput: API + start ÷ raw start = ${apiToRaw}`);
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// the engine floor and the peer (issue 11): arms compared with ours in the same run

/**
 * The engine floor's worker (bench/floor/worker.ts), a process of its own on the stack's Temporal and
 * database, with our worker's cache size and workflow-task slots (`workerTuning`), so that the floor's
 * workflows are evicted, and replayed on their next task, exactly when ours are.
 */
async function spawnFloorWorker(stack: Services, tuning: WorkerTuning): Promise<StackProcess> {
  return await spawnChild({
    what: 'the engine floor worker to poll',
    entry: FLOOR_WORKER,
    // The SDK's per-promise stack traces off, as on our worker (WORKFLOW_STACK_TRACES, worker/workers.ts).
    env: childEnv({
      ...stack.env(),
      BENCH_FLOOR_TASK_QUEUE: FLOOR_TASK_QUEUE,
      [STACK_TRACES_ENV]: 'off',
      BENCH_FLOOR_MAX_CACHED_WORKFLOWS: String(tuning.maxCachedWorkflows),
      BENCH_FLOOR_WORKFLOW_TASK_SLOTS: String(tuning.workflowTaskSlots),
    }),
    ready: (out) => out.includes(FLOOR_READY_LINE),
    readyPollMs: 50,
  });
}

/** Waits until the last `sample` of `ids` (the last started, the last handled) have at least `events` history events. */
async function waitHistories(client: Client, ids: string[], events: number, deadline: number): Promise<boolean> {
  const sample = ids.slice(-200);
  while (Date.now() < deadline) {
    const lengths = await mapLimit(sample, 32, async (id) => (await client.workflow.getHandle(id).describe().catch(() => null))?.historyLength ?? 0);
    if (lengths.every((x) => x >= events)) return true;
    await sleep(1000);
  }
  return false;
}

/** CPU milliseconds per award of each process in a phase's account (`wallS` dropped). */
function cpuMsPer(cpu: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).filter(([k]) => k !== 'wallS').map(([k, v]) => [k.replace(/CpuS$/, 'CpuMs'), r1((v * 1000) / n)]));
}
const sumCpu = (cpu: Record<string, number>, keys: string[]): number => r1(keys.reduce((s, k) => s + (cpu[k] ?? 0), 0));
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b <= 0 ? null : Math.round((a / b) * 100) / 100);

/**
 * Engine floor, due burst: `n` minimal workflows (bench/floor/workflows.ts) sleeping until the same
 * window as the burst's, each then writing one row through one activity on a second task queue.
 * Drain: the last row's time after the window's start; CPU seconds per process from the window's start.
 */
async function floorBurst(stack: Services, n: number, tuning: WorkerTuning): Promise<Record<string, unknown> & { lastRowAfterFirstDueS: number | null; cpuSeconds: Record<string, number> }> {
  const { client, temporal, sql } = stack;
  const fw = await spawnFloorWorker(stack, tuning);
  try {
    const tag = randomUUID().slice(0, 8);
    const ids = Array.from({ length: n }, (_, i) => `floor-burst-${tag}-${i}`);
    // Slack to start them and let them fall asleep first: at ≈ 30 starts/s under load (measured here;
    // 1,000 were asleep 14–19 s after the first start on an idle machine).
    const setupS = 10 + n * 0.035;
    const T = Date.now() + setupS * 1000;
    const t0 = performance.now();
    await mapLimit(ids, 64, async (id, i) => {
      await client.workflow.start('floorBurstWorkflow', { taskQueue: FLOOR_TASK_QUEUE, workflowId: id, args: [{ dueAtMs: T + Math.floor((i / n) * DUE_WINDOW_MS) }] });
    });
    const startS = (performance.now() - t0) / 1000;
    // Asleep: started, task scheduled, started, completed, timer started.
    const settled = await waitHistories(client, ids, 5, T - 1000);
    const slackS = (T - Date.now()) / 1000;
    say(`engine floor (burst): ${n} workflows started in ${r1(startS)} s, settled=${settled}, ${r1(slackS)} s before the window`);
    await sleep(T - Date.now());
    const cpu = cpuAccount({ temporal: () => temporal.process()?.pid, floorWorker: () => fw.pid });
    let rows = 0;
    const deadline = Date.now() + DUE_WINDOW_MS + 600_000;
    while (Date.now() < deadline) {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from bench_floor_rows where id like ${`floor-burst-${tag}-%`}`;
      rows = r!.n;
      if (rows >= n) break;
      await sleep(500);
    }
    const cpuSeconds = cpu.stop();
    const [last] = await sql<{ last: Date | null }[]>`select max(written_at) as last from bench_floor_rows where id like ${`floor-burst-${tag}-%`}`;
    const lastRowAfterFirstDueS = last?.last ? r1((last.last.getTime() - T) / 1000) : null;
    say(`engine floor (burst): ${rows}/${n} rows, the last ${lastRowAfterFirstDueS} s after the first due`);
    return {
      workflows: n,
      dueWindowS: DUE_WINDOW_MS / 1000,
      workflowsStartedInS: r1(startS),
      settledBeforeTheWindow: settled,
      slackBeforeTheWindowS: r1(slackS),
      rowsWritten: rows,
      lastRowAfterFirstDueS,
      lastRowAfterLastDueS: last?.last ? r1((last.last.getTime() - T - DUE_WINDOW_MS) / 1000) : null,
      cpuSeconds,
      cpuMsPerAward: cpuMsPer(cpuSeconds, n),
      floorWorkerMaxCachedWorkflows: tuning.maxCachedWorkflows,
      floorWorkerWorkflowTaskSlots: tuning.workflowTaskSlots,
      what: 'minimal workflows (bench/floor/workflows.ts) on a worker process of their own: sleep until the due time, then one activity on a second task queue that writes one row',
    };
  } finally {
    await fw.stop(5000);
  }
}

/**
 * Peer: the same due burst as pg-boss delayed jobs (`startAfter` = each award's due time) whose
 * handler does the due step with the product's code and mailer (bench/peer/worker.ts), no Temporal.
 * Drain: the last message's `sent_at` after the window's start.
 */
async function peerBurst(stack: Services, n: number): Promise<Record<string, unknown> & { lastMessageAfterFirstDueS: number | null; cpuSeconds: Record<string, number>; exact: number }> {
  const { sql, temporal, fakeResend: fake } = stack;
  const leadDays = 30;
  // Slack to queue the jobs and start the peer's worker (1,000 jobs: ≈ 2 s; 16 s of 18 were left over).
  const setupS = 4 + n * 0.004;
  const T = new Date(Date.now() + setupS * 1000);
  const burst: DueBurst = await seedDueBurst(sql, {
    count: n,
    dueAt: T,
    leadDays,
    expiresAt: (i) => new Date(T.getTime() + Math.floor((i / n) * DUE_WINDOW_MS) + leadDays * DAY_MS),
  });
  const boss = new PgBoss({ connectionString: stack.db.url, max: 4, schedule: false, supervise: false });
  await boss.start();
  await boss.createQueue(PEER_QUEUE);
  const jobs = burst.awards.map((a) => ({ name: PEER_QUEUE, data: { awardId: a.id } satisfies PeerJob, startAfter: new Date(a.expiresAt!.getTime() - leadDays * DAY_MS) }));
  for (let i = 0; i < jobs.length; i += 1000) await boss.insert(jobs.slice(i, i + 1000));
  await boss.stop({ graceful: false, wait: true, close: true });
  const peer = await spawnChild({
    what: 'the peer worker to poll',
    entry: PEER_WORKER,
    env: childEnv({ ...stack.env(), EMAIL_REQUESTS_PER_SECOND: '4', EMAIL_BATCH_SIZE: '100', BENCH_PEER_QUEUE: PEER_QUEUE, LOG_LEVEL: 'warn' }),
    ready: (out) => out.includes(PEER_READY_LINE),
    readyPollMs: 50,
  });
  try {
    const slackS = (T.getTime() - Date.now()) / 1000;
    say(`peer: ${n} delayed jobs queued, worker polling, ${r1(slackS)} s before the window`);
    await sleep(T.getTime() - Date.now());
    const cpu = cpuAccount({ temporal: () => temporal.process()?.pid, peer: () => peer.pid });
    let sent = 0;
    const deadline = Date.now() + DUE_WINDOW_MS + 600_000;
    while (Date.now() < deadline) {
      sent = (await progress(sql, burst)).sent;
      if (sent >= n) break;
      await sleep(500);
    }
    const cpuSeconds = cpu.stop();
    const [timing] = await sql<{ last: Date | null }[]>`
      select max(m.sent_at) as last from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'sent'`;
    const report = await deliveryReport(sql, fake, burst);
    const providerEmails = fake.sent().filter((e) => e.to.some((to) => burst.awardByEmail.has(to))).length;
    const lastMessageAfterFirstDueS = timing?.last ? r1((timing.last.getTime() - T.getTime()) / 1000) : null;
    say(`peer: ${sent}/${n} sent, the last ${lastMessageAfterFirstDueS} s after the first due; exact ${report.exact}/${n}`);
    return {
      awards: n,
      dueWindowS: DUE_WINDOW_MS / 1000,
      slackBeforeTheWindowS: r1(slackS),
      lastMessageAfterFirstDueS,
      lastMessageAfterLastDueS: timing?.last ? r1((timing.last.getTime() - T.getTime() - DUE_WINDOW_MS) / 1000) : null,
      exact: report.exact,
      exactlyOnce: { exact: report.exact, attempts: report.attempts, messagesSent: report.sent, providerEmails, duplicateRecipients: report.duplicateRecipients.length, violations: report.violations },
      cpuSeconds,
      cpuMsPerAward: cpuMsPer(cpuSeconds, n),
      what: 'pg-boss 10 delayed jobs (startAfter = due time; 4 workers × batches of 100, polling every 0.5 s) in the same PostgreSQL; each job loads the award context, creates the attempt and sends through the same mailer (4 requests/s, batches of 100) to the same fake Resend, with the product\'s activity code; Temporal idles (its CPU is listed, not counted as the peer\'s)',
    };
  } finally {
    await peer.stop(10_000);
  }
}

/**
 * Engine floor, fan-out: `n` minimal workflows asleep until signalled, signalled from a plain client
 * loop with FAN_OUT_CONCURRENCY in flight; a handler that only sets a flag, on which the workflow
 * upserts one search attribute. Time from the first signal until every one is handled (by the same
 * kind of visibility count as the propagation's acknowledgements).
 */
async function fanOutFloor(stack: Services, n: number, tuning: WorkerTuning): Promise<Record<string, unknown> & { lastHandledS: number; cpuSeconds: Record<string, number> }> {
  const { client, temporal } = stack;
  const fw = await spawnFloorWorker(stack, tuning);
  try {
    const tag = randomUUID().slice(0, 8);
    const ids = Array.from({ length: n }, (_, i) => `floor-fanout-${tag}-${i}`);
    let t0 = performance.now();
    await mapLimit(ids, 64, async (id) => {
      await client.workflow.start('floorFanOutWorkflow', { taskQueue: FLOOR_TASK_QUEUE, workflowId: id });
    });
    // Asleep: started, task scheduled, started, completed.
    const settled = await waitHistories(client, ids, 4, Date.now() + 300_000);
    const asleepS = (performance.now() - t0) / 1000;
    say(`engine floor (fan-out): ${n} workflows asleep after ${r1(asleepS)} s (${settled})`);
    const query = `WorkflowType = 'floorFanOutWorkflow' AND RecertificationPhase = 'floor-woken'`;
    const cpu = cpuAccount({ temporal: () => temporal.process()?.pid, floorWorker: () => fw.pid });
    t0 = performance.now();
    await mapLimit(ids, FAN_OUT_CONCURRENCY, async (id) => {
      await client.workflow.getHandle(id).signal('floorWake');
    });
    const signalledS = (performance.now() - t0) / 1000;
    let handled = 0;
    const deadline = performance.now() + 600_000;
    while (performance.now() < deadline) {
      handled = (await client.workflow.count(query)).count;
      if (handled >= n) break;
      await sleep(250);
    }
    const lastHandledS = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu.stop();
    say(`engine floor (fan-out): ${handled}/${n} handled, the last after ${r1(lastHandledS)} s (all signalled after ${r1(signalledS)} s)`);
    return {
      workflows: n,
      settled,
      asleepAfterS: r1(asleepS),
      signalConcurrency: FAN_OUT_CONCURRENCY,
      allSignalledS: r1(signalledS),
      handled,
      lastHandledS: r1(lastHandledS),
      cpuSeconds,
      cpuMsPerWorkflow: cpuMsPer(cpuSeconds, n),
      floorWorkerMaxCachedWorkflows: tuning.maxCachedWorkflows,
      floorWorkerWorkflowTaskSlots: tuning.workflowTaskSlots,
      what: 'minimal workflows (bench/floor/workflows.ts) asleep in condition(); a client loop signals each, 32 in flight; the handler sets a flag, on which the workflow upserts one search attribute and sleeps on (counted by visibility, like the propagation\'s acknowledgements)',
    };
  } finally {
    await fw.stop(5000);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. due burst

/**
 * Waits until the workflows of `awardIds` (a sample: the last 200 started, the last to run their first
 * task) are asleep (test/support/workflow-history.ts `firstTaskDone`; querying them instead would replay
 * every one the cache evicted). True when they are, false at `deadline`.
 */
async function waitSettled(client: Client, awardIds: string[], deadline: number): Promise<boolean> {
  const sample = awardIds.slice(-200);
  while (Date.now() < deadline) {
    const asleep = await mapLimit(sample, 32, (id) => firstTaskDone(client, id)).catch(() => []);
    if (asleep.length === sample.length && asleep.every(Boolean)) return true;
    await sleep(1000);
  }
  return false;
}

async function benchBurst(pg: DedicatedPostgres, server: TemporalServerKind): Promise<void> {
  const n = Math.round(10_000 * SCALE);
  say(`burst on the ${server} server: ${n} awards due in ${DUE_WINDOW_MS / 1000} s, then the engine floor and the peer`);
  const sinceMs = Date.now();
  const stack = await benchStack(pg, 'burst', server);
  const { db, temporal, client, fakeResend: fake } = stack;
  try {
    const w = await stack.spawnWorker({ emailBatchSize: 100, emailRequestsPerSecond: 4, options: WORKER_OPTIONS, env: WORKER_ENV });
    const tuning = workerTuning(w);
    const leadDays = 30;
    // Slack to start and settle them before the window: ≈ 25 workflows/s under load (measured here;
    // 1,000 were asleep 25–40 s after the first start on an idle machine, 38 s in the last quick runs,
    // which left 22 s of 60 over).
    const setupS = 12 + n * 0.04;
    const minuteStart = new Date(Date.now() + setupS * 1000);
    const burst = await seedDueBurst(db.sql, {
      count: n,
      dueAt: minuteStart,
      leadDays,
      // Spread over the window, as expiries of one day are.
      expiresAt: (i) => new Date(minuteStart.getTime() + Math.floor((i / n) * DUE_WINDOW_MS) + leadDays * DAY_MS),
    });
    const procs = { temporal: () => temporal.process()?.pid, worker: () => w.pid };
    const setupCpu = cpuAccount(procs);
    const t0 = performance.now();
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards, { leadDays, concurrency: 64 });
    const startS = (performance.now() - t0) / 1000;
    say(`burst: ${n} workflows started in ${r1(startS)} s; waiting for them to sleep`);
    const settled = await waitSettled(client, burst.awards.map((a) => a.id), minuteStart.getTime() - 1000);
    const slackS = (minuteStart.getTime() - Date.now()) / 1000;
    say(`burst: settled=${settled}, ${r1(slackS)} s before the minute starts`);
    const setupCpuUse = setupCpu.stop();
    const rss = rssSampler(() => (w.alive() ? w.pid : null));
    const idleRss = w.rssBytes();
    await sleep(minuteStart.getTime() - Date.now());
    const burstCpu = cpuAccount(procs);

    const deadline = minuteStart.getTime() + DUE_WINDOW_MS + 600_000;
    let sent = 0;
    while (Date.now() < deadline) {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where status = 'sent'`;
      sent = row!.n;
      if (sent >= n) break;
      await sleep(2000);
    }
    rss.stop();
    const burstCpuUse = burstCpu.stop();
    const T = minuteStart.getTime();
    const lastDueMs = T + DUE_WINDOW_MS;
    const [timing] = await db.sql<{ lastSent: Date | null; firstSent: Date | null; lastAttempt: Date | null }[]>`
      select max(sent_at) as last_sent, min(sent_at) as first_sent,
        (select max(created_at) from course_attempts) as last_attempt
      from messages where status = 'sent'`;
    const lateness = await db.sql<{ ms: number }[]>`
      select (extract(epoch from (c.created_at - (a.expires_at - make_interval(days => ${leadDays})))) * 1000)::float8 as ms
      from course_attempts c join awards a on a.id = c.award_id`;
    const enrollLate = lateness.map((r) => r.ms);
    const timeline = await db.sql<{ bucket: number; attempts: number; sent: number }[]>`
      with b as (
        select floor(extract(epoch from (created_at - ${minuteStart})) / 10)::int as bucket, 1 as a, 0 as s from course_attempts
        union all
        select floor(extract(epoch from (sent_at - ${minuteStart})) / 10)::int, 0, 1 from messages where status = 'sent')
      select bucket, sum(a)::int as attempts, sum(s)::int as sent from b group by bucket order by bucket`;

    // Pure timer lateness from a sample of histories: TimerFired event time − due time.
    const sampleIds = burst.awards.filter((_, i) => i % Math.max(1, Math.floor(n / 200)) === 0).map((a) => a.id);
    const timerLate = (
      await mapLimit(sampleIds, 16, async (id) => {
        const award = burst.awards.find((a) => a.id === id)!;
        const due = award.expiresAt!.getTime() - leadDays * DAY_MS;
        const history = await client.workflow.getHandle(workflowIdForAward(id)).fetchHistory();
        const fired = (history.events ?? []).find((e) => e.timerFiredEventAttributes);
        return fired?.eventTime ? tsToMs(fired.eventTime) - due : null;
      })
    ).filter((x): x is number => x !== null);

    const report = await deliveryReport(db.sql, fake, burst);
    const log = fake.requestLog();
    const batches = log.filter((r) => r.status === 200);
    const drainFromMinuteStartS = timing?.lastSent ? (timing.lastSent.getTime() - T) / 1000 : null;
    say(`burst: last message ${drainFromMinuteStartS} s after the first due; exact ${report.exact}/${n}`);

    // The arms it is compared with, on the same stack, one after the other; our worker is stopped first.
    await w.stop(10_000);
    const floor = await floorBurst(stack, n, tuning);
    const peer = await peerBurst(stack, n);
    const oursDrain = drainFromMinuteStartS === null ? null : r1(drainFromMinuteStartS);
    const oursCpu = sumCpu(burstCpuUse, ['temporalCpuS', 'workerCpuS', 'postgresCpuS']);
    const floorCpu = sumCpu(floor.cpuSeconds, ['temporalCpuS', 'floorWorkerCpuS', 'postgresCpuS']);
    const peerCpu = sumCpu(peer.cpuSeconds, ['peerCpuS', 'postgresCpuS']);
    const ratios = {
      drainToEngineFloor: ratio(oursDrain, floor.lastRowAfterFirstDueS),
      drainToEngineFloorGoal: '≤ 1.25',
      cpuPerAwardToEngineFloor: ratio(oursCpu, floorCpu),
      drainToPeer: ratio(oursDrain, peer.lastMessageAfterFirstDueS),
      drainToPeerGoal: '≤ 3',
      cpuPerAwardToPeer: ratio(oursCpu, peerCpu),
      cpuCounted: 'ours: Temporal + worker + PostgreSQL; floor: Temporal + floor worker + PostgreSQL; peer: peer worker + PostgreSQL (no Temporal); from the window\'s start to the last message/row',
      cpuMsPerAward: { ours: r1((oursCpu * 1000) / n), engineFloor: r1((floorCpu * 1000) / n), peer: r1((peerCpu * 1000) / n) },
    };
    say(`burst ratios: ${JSON.stringify(ratios)}`);
    writeResult(resultName('burst', server), {
      setup: {
        temporalServer: server,
        awards: n,
        dueWindow: `uniformly over ${DUE_WINDOW_MS / 1000} s`,
        fakeResend: '5 requests/s sliding window, batches ≤ 100',
        mailer: '4 requests/s per worker process, batches of 100, 100 ms linger',
        workerOptions: WORKER_OPTIONS,
        workerEnv: WORKER_ENV,
        workerMaxCachedWorkflows: tuning.maxCachedWorkflows,
        workerWorkflowTaskSlots: tuning.workflowTaskSlots,
        workflowsStartedInS: r1(startS),
        settledBeforeTheMinute: settled,
        slackBeforeTheMinuteS: r1(slackS),
      },
      drain: {
        lastMessageAfterFirstDueS: drainFromMinuteStartS === null ? null : r1(drainFromMinuteStartS),
        lastMessageAfterLastDueS: timing?.lastSent ? r1((timing.lastSent.getTime() - lastDueMs) / 1000) : null,
        lastAttemptAfterLastDueS: timing?.lastAttempt ? r1((timing.lastAttempt.getTime() - lastDueMs) / 1000) : null,
      },
      timerLatenessMs: { sample: timerLate.length, p50: r1(percentile(timerLate, 50)), p99: r1(percentile(timerLate, 99)), max: r1(Math.max(...timerLate)) },
      enrollmentLatenessMs: { n: enrollLate.length, p50: r1(percentile(enrollLate, 50)), p99: r1(percentile(enrollLate, 99)), max: r1(Math.max(...enrollLate)) },
      exactlyOnce: {
        awards: report.awards,
        exact: report.exact,
        attempts: report.attempts,
        messagesSent: report.sent,
        providerEmails: report.providerEmails,
        duplicateRecipients: report.duplicateRecipients.length,
        violations: report.violations,
      },
      provider: {
        requests: log.length,
        accepted: batches.length,
        rateLimited: log.filter((r) => r.status === 429).length,
        maxRequestsInAnySecond: fake.maxRequestsInAnySecond(),
        meanBatchSize: r1(batches.reduce((s, r) => s + r.size, 0) / Math.max(1, batches.length)),
      },
      workerRssMiB: { beforeTheMinute: mib(idleRss), peak: mib(rss.peak()) },
      cpuSeconds: { creatingTheSleepingWorkflows: setupCpuUse, fromTheFirstDueToTheLastMessage: burstCpuUse },
      timeline10s: timeline,
      cpuMsPerAward: cpuMsPer(burstCpuUse, n),
      engineFloor: floor,
      peer,
      ratios,
      goal: 'drain ≤ 1.25 × the engine floor\'s and ≤ 3 × the peer\'s, in the same run; nothing lost or doubled',
      goalMet: ratios.drainToEngineFloor !== null && ratios.drainToEngineFloor <= 1.25 && report.exact === n && report.providerEmails === n,
      peerGoalMet: ratios.drainToPeer !== null && ratios.drainToPeer <= 3,
    }, sinceMs);
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. settings propagation to 10,000 sleeping workflows, and worker memory with many of them

const gcRequests = new Map<number, number>();
/**
 * The idle worker's memory without garbage: V8 frees the evicted workflows' memory only when it next
 * collects, which an idle worker may put off for minutes (readings without a collection moved by
 * −80 and +77 KB per workflow beyond the cache in two quick runs). So a full collection in every
 * thread of the worker first (SIGUSR2, `RECERTIFY_WORKER_GC_ON_SIGUSR2`, test/support/worker-process.ts),
 * which reports the JavaScript heap in use in all its threads; then the lowest of five RSS readings
 * a second apart. RSS includes what the heap does not: the SDK's native core (Rust) and malloc.
 * Bytes; nulls when the worker did not answer within 60 s.
 */
async function settledMemory(w: WorkerProcess): Promise<{ rss: number | null; heapUsed: number | null; threads: number | null }> {
  await sleep(2000);
  const n = (gcRequests.get(w.pid) ?? 0) + 1;
  gcRequests.set(w.pid, n);
  process.kill(w.pid, 'SIGUSR2');
  const prefix = `RECERTIFY_WORKER_GC_DONE ${n} `;
  const deadline = Date.now() + 60_000;
  let heapUsed: number | null = null;
  let threads: number | null = null;
  while (Date.now() < deadline && w.alive()) {
    const line = w.output().split('\n').find((l) => l.startsWith(prefix));
    const m = line?.slice(prefix.length).match(/^(\d+) (\d+)$/);
    if (m) {
      threads = Number(m[1]);
      heapUsed = Number(m[2]);
      break;
    }
    if (line) throw new Error(`the worker's garbage collection failed: ${line}`);
    await sleep(200);
  }
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(1000);
    const v = w.rssBytes();
    if (v !== null) samples.push(v);
  }
  return { rss: samples.length ? Math.min(...samples) : null, heapUsed, threads };
}

async function benchPropagationAndMemory(pg: DedicatedPostgres, server: TemporalServerKind): Promise<void> {
  const n = Math.round(10_000 * SCALE);
  let target = Math.round(100_000 * SCALE);
  const memoryBudgetS = Number(args.get('memory-budget-s') ?? String(Math.round(1500 * SCALE + 600)));
  const sinceMs = Date.now();
  // Worker memory does not depend on the server: measured on the dev server only.
  const measureMemory = server === 'dev';
  say(`propagation on the ${server} server: ${n} sleeping workflows${measureMemory ? `; memory up to ${target} within ${memoryBudgetS} s` : ''}`);
  const stack = await benchStack(pg, 'propagation', server);
  const { db, temporal, client } = stack;
  try {
    const w = await stack.spawnWorker({ options: WORKER_OPTIONS, env: { ...WORKER_ENV, RECERTIFY_WORKER_GC_ON_SIGUSR2: '1' } });
    // Read now: the worker's output is kept only in its last 20,000 characters.
    const tuning = workerTuning(w);
    const cache = tuning.maxCachedWorkflows;
    const slots = tuning.workflowTaskSlots;
    const memory: { sleepingWorkflows: number; rssMiB: number | null; rssKiB: number | null; heapUsedKiB: number | null; threadsCollected: number | null }[] = [];
    const point = async (sleepingWorkflows: number): Promise<void> => {
      const { rss, heapUsed, threads } = await settledMemory(w);
      const kib = (b: number | null): number | null => (b === null ? null : Math.round(b / 1024));
      memory.push({ sleepingWorkflows, rssMiB: mib(rss), rssKiB: kib(rss), heapUsedKiB: kib(heapUsed), threadsCollected: threads });
    };
    await point(0);
    say(`memory: 0 workflows → ${memory[0]!.rssMiB} MiB RSS, heap ${memory[0]!.heapUsedKiB} KiB`);

    const leadDays = 30;
    const expiresAt = new Date(Date.now() + 200 * DAY_MS);
    const burst = await seedDueBurst(db.sql, { count: n, dueAt: new Date(expiresAt.getTime() - leadDays * DAY_MS), leadDays });
    const createCpu = cpuAccount({ temporal: () => temporal.process()?.pid, worker: () => w.pid });
    let t0 = performance.now();
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards, { leadDays, concurrency: 64 });
    const startS = (performance.now() - t0) / 1000;
    const settled = await waitSettled(client, burst.awards.map((a) => a.id), Date.now() + 600_000);
    const settleS = (performance.now() - t0) / 1000;
    const createCpuUse = createCpu.stop();
    say(`propagation: ${n} workflows started in ${r1(startS)} s, asleep after ${r1(settleS)} s (${settled})`);
    await point(n);
    say(`memory: ${n} workflows → ${memory[1]!.rssMiB} MiB RSS, heap ${memory[1]!.heapUsedKiB} KiB`);

    // The change goes through the API, as an administrator makes it.
    const api = await stack.spawnApi();
    const newLead = 60;
    // Moving the lead time from 30 to 60 days moves every due time 30 days earlier. (A range, not
    // equality: visibility stores datetimes without trailing zeros in the fraction.)
    const between = computeDueAt(expiresAt, (leadDays + newLead) / 2).toISOString();
    const query = `CertificateId = '${burst.certificateId}' AND RecertificationDueAt < '${between}'`;
    const before = (await client.workflow.count(query)).count;
    const propCpu = cpuAccount({ temporal: () => temporal.process()?.pid, worker: () => w.pid, api: () => api.pid });
    t0 = performance.now();
    const res = await fetch(`${api.url}/api/certificates/${burst.certificateId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ settings: { recertification: { leadDays: newLead } } }),
    });
    const answerMs = performance.now() - t0;
    const body = (await res.json()) as { signalled?: number };
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${JSON.stringify(body)}`);
    const acks: { atS: number; acknowledged: number }[] = [];
    let acknowledged = 0;
    const deadline = performance.now() + 600_000;
    while (performance.now() < deadline) {
      acknowledged = (await client.workflow.count(query)).count;
      acks.push({ atS: r1((performance.now() - t0) / 1000), acknowledged });
      if (acknowledged >= n) break;
      await sleep(500);
    }
    const lastAckS = (performance.now() - t0) / 1000;
    const propCpuUse = propCpu.stop();
    const [prop] = await db.sql<{ completedAt: Date | null; startedAt: Date | null; createdAt: Date }[]>`
      select created_at, started_at, completed_at from settings_propagations where certificate_id = ${burst.certificateId} order by settings_version desc limit 1`;
    say(`propagation: ${acknowledged}/${n} acknowledged after ${r1(lastAckS)} s (API answered in ${r1(answerMs)} ms)`);
    await api.stop(5000);

    // The fan-out floor, on the same stack (our worker stays up, idle, for the memory arm).
    const fanOut = await fanOutFloor(stack, n, tuning);
    const propagationToFanOut = ratio(r1(lastAckS), fanOut.lastHandledS);
    say(`propagation ÷ fan-out floor = ${propagationToFanOut}`);

    // Memory as sleeping workflows accumulate, in bounded time.
    const memStart = performance.now();
    let total = n;
    // 0 and 10% (the propagation's workflows) are measured; then 50% and 100% of the target. The quick
    // run (scale < 1) measures its two points just beyond the worker's cache instead, at cache + 500
    // and cache + 2,000: the slope is the same measure over 1,500 workflows (the heap after a full
    // collection moves by well under 1 MiB between readings: ±0.5 KB per workflow; RSS by tens of MiB),
    // and creating 10,000 (at ≈ 30 per second here) would take half of the quick run's ten minutes.
    const checkpoints = SCALE >= 1 ? [0.5, 1].map((c) => Math.round(c * target)) : [cache + 500, cache + 2000];
    target = checkpoints[checkpoints.length - 1]!;
    for (const checkpoint of measureMemory ? checkpoints : []) {
      if ((performance.now() - memStart) / 1000 > memoryBudgetS) break;
      const more = await seedDueBurst(db.sql, { count: checkpoint - total, dueAt: new Date(expiresAt.getTime() - leadDays * DAY_MS), leadDays });
      // Start in chunks, so the budget can stop us part-way.
      let done = 0;
      let budgetHit = false;
      for (let i = 0; i < more.awards.length; i += 2000) {
        if ((performance.now() - memStart) / 1000 > memoryBudgetS) {
          budgetHit = true;
          break;
        }
        const chunk = more.awards.slice(i, i + 2000);
        await startAwardWorkflows(client, TASK_QUEUE, chunk, { leadDays, concurrency: 64 });
        done += chunk.length;
      }
      total += done;
      await waitSettled(client, more.awards.slice(0, done).map((a) => a.id), Date.now() + 300_000);
      await point(total);
      say(`memory: ${total} workflows → ${memory[memory.length - 1]!.rssMiB} MiB RSS, heap ${memory[memory.length - 1]!.heapUsedKiB} KiB (${r1((performance.now() - memStart) / 1000)} s)`);
      if (budgetHit) break;
    }
    // KB of RSS per additional sleeping workflow beyond the cache: between the last two points, both above it.
    const [pa, pb] = memory.slice(-2);
    const beyondCache = pa && pb && pa.sleepingWorkflows >= cache && pb.sleepingWorkflows > pa.sleepingWorkflows && pa.rssKiB !== null && pb.rssKiB !== null;
    const perWorkflow = (kib: (p: (typeof memory)[number]) => number | null): number | null => {
      if (!beyondCache) return null;
      const a = kib(pa);
      const b = kib(pb);
      return a === null || b === null ? null : Math.round(((b - a) / (pb.sleepingWorkflows - pa.sleepingWorkflows)) * 100) / 100;
    };
    const kbPerWorkflow = perWorkflow((p) => p.rssKiB);
    const heapKbPerWorkflow = perWorkflow((p) => p.heapUsedKiB);
    writeResult(resultName('propagation-memory', server), {
      propagation: {
        temporalServer: server,
        sleepingWorkflows: n,
        workflowsStartedInS: r1(startS),
        workflowsAsleepAfterS: r1(settleS),
        creatingThemCpuSeconds: createCpuUse,
        apiAnsweredInMs: r1(answerMs),
        signalledPerApi: body.signalled ?? null,
        acknowledgedBefore: before,
        acknowledged,
        lastAcknowledgementS: r1(lastAckS),
        propagationWorkflowCompletedAfterS: prop?.completedAt ? r1((prop.completedAt.getTime() - prop.createdAt.getTime()) / 1000) : null,
        acknowledgementCurve: acks.filter((_, i) => i % 4 === 0 || i === acks.length - 1),
        cpuSeconds: propCpuUse,
        howMeasured: 'visibility count of the certificate\'s workflows whose RecertificationDueAt moved to the new lead time (each workflow upserts it when it handles the signal)',
        goal: '≤ 1.25 × the fan-out floor of the same run',
        goalMet: acknowledged >= n && propagationToFanOut !== null && propagationToFanOut <= 1.25,
      },
      fanOutFloor: fanOut,
      ratios: { propagationToFanOutFloor: propagationToFanOut, goal: '≤ 1.25', kbPerSleepingWorkflowBeyondCache: kbPerWorkflow, heapKbPerSleepingWorkflowBeyondCache: heapKbPerWorkflow, memoryGoal: '≤ 2 KB' },
      memory: {
        workerMaxCachedWorkflows: cache,
        workerWorkflowTaskSlots: slots,
        workerOptions: WORKER_OPTIONS,
        workerEnv: WORKER_ENV,
        points: memory,
        target,
        reached: total,
        budgetS: memoryBudgetS,
        kbPerSleepingWorkflowBeyondCache: kbPerWorkflow,
        heapKbPerSleepingWorkflowBeyondCache: heapKbPerWorkflow,
        howMeasured: 'after a full garbage collection in every thread of the worker: the lowest of five RSS readings, and the JavaScript heap in use in all threads',
        between: beyondCache ? [pa.sleepingWorkflows, pb.sleepingWorkflows] : null,
        goal: '≤ 2 KB of worker RSS per additional sleeping workflow beyond the cache; judged on both the RSS and the heap slope (RSS also moves with pages V8 and malloc keep after freeing)',
        // Both readings must have collected the same threads (one that did not answer is not in its heap figure).
        goalMet: kbPerWorkflow !== null && kbPerWorkflow <= 2 && heapKbPerWorkflow !== null && heapKbPerWorkflow <= 2 && total >= target && !!pa && pa.threadsCollected !== null && pa.threadsCollected === pb?.threadsCollected,
      },
    }, sinceMs);
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// README table

/**
 * The results table: each figure of issue 11 as the ratio of two arms of the same run, from this
 * scale's result files (a file without ratios, from before them, is left out).
 */
function table(): string {
  if (!existsSync(RESULTS_DIR)) return '_No results yet._';
  const suffix = SCALE === 1 ? '' : `.scale-${SCALE}`;
  const load = <T>(name: string): (T & Head) | null => {
    const file = `${RESULTS_DIR}${name}${suffix}.json`;
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T & Head) : null;
  };
  type Head = { at: string; commit?: string; loadAverage1m?: { min: number; mean: number; max: number }; machine: Record<string, unknown> };
  type Throughput = { arms: Record<string, { peakAchievedPerSecond: number }>; ratio?: { apiPlusStartToRawStart: number; met: boolean }; steps: StepResult[] };
  type Burst = {
    setup: { awards: number };
    drain: Record<string, number | null>;
    exactlyOnce: { exact: number; duplicateRecipients: number };
    engineFloor?: { lastRowAfterFirstDueS: number | null; rowsWritten: number };
    peer?: { lastMessageAfterFirstDueS: number | null; exact: number };
    ratios?: { drainToEngineFloor: number | null; cpuPerAwardToEngineFloor: number | null; drainToPeer: number | null; cpuPerAwardToPeer: number | null; cpuMsPerAward: { ours: number; engineFloor: number; peer: number } };
    goalMet: boolean;
    peerGoalMet?: boolean;
  };
  type Prop = {
    propagation: { sleepingWorkflows: number; acknowledged: number; lastAcknowledgementS: number; goalMet: boolean };
    fanOutFloor?: { lastHandledS: number; handled: number };
    ratios?: { propagationToFanOutFloor: number | null };
    memory: { points: { sleepingWorkflows: number; rssMiB: number; heapUsedKiB?: number | null }[]; workerMaxCachedWorkflows: number | string; target: number; reached: number; kbPerSleepingWorkflowBeyondCache?: number | null; heapKbPerSleepingWorkflowBeyondCache?: number | null; goalMet?: boolean };
  };
  const yes = (b: boolean | undefined): string => (b ? 'yes' : 'no');
  const ld = (h: Head): string => (h.loadAverage1m ? `${h.loadAverage1m.min}–${h.loadAverage1m.max}` : '—');
  const commit = (h: Head): string => (h.commit ? `\`${h.commit.slice(0, 7)}${h.commit.endsWith('+changes') ? '+changes' : ''}\`` : '—');
  const t = load<Throughput>('throughput');
  const bursts = (['dev', 'full'] as const).map((s) => [s, load<Burst>(resultName('burst', s))] as const).filter(([, b]) => b?.ratios);
  const props = (['dev', 'full'] as const).map((s) => [s, load<Prop>(resultName('propagation-memory', s))] as const).filter(([, p]) => p?.ratios);
  const any = t ?? bursts[0]?.[1] ?? props[0]?.[1];
  if (!any) return '_No results at this scale yet._';
  const lines: string[] = [
    `Scale ${SCALE} (\`npm run bench${SCALE === 1 ? '' : ` -- --scale=${SCALE}`}\`), ${any.at.slice(0, 16).replace('T', ' ')} UTC. Machine: ${String(any.machine.nproc)} vCPU (${String(any.machine.cpu)}), ${String(any.machine.memoryGiB)} GiB, Node ${String(any.machine.node)}, ${String(any.machine.temporalCli).split('\n')[0]}.`,
    '',
    '| figure | ours | compared with (same run) | ratio | goal | met | commit, load avg (1 min) |',
    '|---|---|---|---|---|---|---|',
  ];
  const srv = (s: string): string => (s === 'dev' ? '' : ' (full server)');
  if (t?.ratio) {
    lines.push(`| award path: API + workflow start ÷ raw \`workflow.start\`, peak achieved | ${t.arms.api!.peakAchievedPerSecond}/s | ${t.arms.raw!.peakAchievedPerSecond}/s | ${t.ratio.apiPlusStartToRawStart} | ≥ 0.9 | ${yes(t.ratio.met)} | ${commit(t)}, ${ld(t)} |`);
  }
  for (const [s, b] of bursts) {
    const r = b!.ratios!;
    const ours = `last message ${b!.drain.lastMessageAfterFirstDueS} s after the first due; ${r.cpuMsPerAward.ours} ms CPU/award; ${b!.exactlyOnce.exact}/${b!.setup.awards} exactly once, ${b!.exactlyOnce.duplicateRecipients} doubled`;
    lines.push(`| due burst${srv(s)}, ${b!.setup.awards} awards ÷ engine floor | ${ours} | minimal workflows: last row ${b!.engineFloor!.lastRowAfterFirstDueS} s after the first due; ${r.cpuMsPerAward.engineFloor} ms CPU/award | ${r.drainToEngineFloor} (CPU ${r.cpuPerAwardToEngineFloor}) | ≤ 1.25 | ${yes(b!.goalMet)} | ${commit(b!)}, ${ld(b!)} |`);
    lines.push(`| due burst${srv(s)} ÷ peer (pg-boss, no Temporal) | ${b!.drain.lastMessageAfterFirstDueS} s; ${r.cpuMsPerAward.ours} ms CPU/award | last message ${b!.peer!.lastMessageAfterFirstDueS} s after the first due; ${r.cpuMsPerAward.peer} ms CPU/award; ${b!.peer!.exact}/${b!.setup.awards} exactly once | ${r.drainToPeer} (CPU ${r.cpuPerAwardToPeer}) | ≤ 3 | ${yes(b!.peerGoalMet)} | same run |`);
  }
  for (const [s, p] of props) {
    lines.push(`| settings propagation${srv(s)} to ${p!.propagation.sleepingWorkflows} workflows ÷ fan-out floor | ${p!.propagation.acknowledged} acknowledged, the last after ${p!.propagation.lastAcknowledgementS} s | ${p!.fanOutFloor!.handled} minimal workflows signalled (32 in flight), the last handled after ${p!.fanOutFloor!.lastHandledS} s | ${p!.ratios!.propagationToFanOutFloor} | ≤ 1.25 | ${yes(p!.propagation.goalMet)} | ${commit(p!)}, ${ld(p!)} |`);
    if (s !== 'dev') continue;
    const m = p!.memory;
    const heap = (x: { heapUsedKiB?: number | null }): string => (x.heapUsedKiB != null ? ` (heap ${Math.round(x.heapUsedKiB / 1024)} MiB)` : '');
    const pts = m.points.map((x) => `${x.sleepingWorkflows.toLocaleString('en')}: ${x.rssMiB} MiB${heap(x)}`).join('; ');
    const heapSlope = m.heapKbPerSleepingWorkflowBeyondCache != null ? `; heap ${m.heapKbPerSleepingWorkflowBeyondCache} KB` : '';
    lines.push(`| worker RSS per sleeping workflow beyond the cache (${m.workerMaxCachedWorkflows}), after a full GC in every thread | ${pts}${m.reached < m.target ? ` (reached ${m.reached.toLocaleString('en')} of ${m.target.toLocaleString('en')} in the time budget)` : ''} | — | ${m.kbPerSleepingWorkflowBeyondCache ?? '—'} KB${heapSlope} | ≤ 2 KB | ${yes(m.goalMet)} | same run |`);
  }
  if (t) {
    lines.push('', '| throughput arm | offered/s | achieved/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|');
    for (const s of t.steps) lines.push(`| ${s.arm} | ${s.offeredPerSecond} | ${s.achievedPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.errors} |`);
  }
  return lines.join('\n');
}

/** Dev server and full server side by side, from this scale's results (written by a run of both). */
function serversTable(): string {
  const suffix = SCALE === 1 ? '' : `.scale-${SCALE}`;
  const load = <T>(name: string): T | null => {
    const file = `${RESULTS_DIR}${name}${suffix}.json`;
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
  };
  type Burst = { at: string; setup: { awards: number; dueWindow?: string }; drain: Record<string, number | null>; timerLatenessMs: Record<string, number>; enrollmentLatenessMs: Record<string, number>; exactlyOnce: { exact: number; providerEmails: number; duplicateRecipients: number }; cpuSeconds: { fromTheFirstDueToTheLastMessage: Record<string, number> } };
  type Prop = { at: string; propagation: { sleepingWorkflows: number; workflowsAsleepAfterS: number; acknowledged: number; lastAcknowledgementS: number; apiAnsweredInMs: number; cpuSeconds: Record<string, number> } };
  const cpu = (c: Record<string, number> | undefined): string => (c ? Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') : '—');
  const lines = [`Scale ${SCALE} (\`npm run bench -- --scale=${SCALE} --only=burst,propagation\`), both servers in one run; CPU seconds per process.`, '', '| benchmark | dev server (SQLite, 1 shard) | full server (PostgreSQL, 4 shards) |', '|---|---|---|'];
  const b = [load<Burst>('burst'), load<Burst>('burst-full-server')];
  const bCell = (x: Burst | null | undefined): string =>
    x
      ? `last message ${x.drain.lastMessageAfterFirstDueS} s after the first due (${x.drain.lastMessageAfterLastDueS} s after the last); timer lateness p50 ${x.timerLatenessMs.p50} ms, p99 ${x.timerLatenessMs.p99} ms; enrollment lateness p50 ${x.enrollmentLatenessMs.p50} ms, p99 ${x.enrollmentLatenessMs.p99} ms; ${x.exactlyOnce.exact}/${x.setup.awards} exactly once, ${x.exactlyOnce.duplicateRecipients} doubled; CPU s: ${cpu(x.cpuSeconds.fromTheFirstDueToTheLastMessage)}`
      : '—';
  if (b[0] || b[1]) lines.push(`| due burst, ${(b[0] ?? b[1])!.setup.awards} awards due ${(b[0] ?? b[1])!.setup.dueWindow ?? 'in one window'} | ${bCell(b[0])} | ${bCell(b[1])} |`);
  const p = [load<Prop>('propagation-memory'), load<Prop>('propagation-memory-full-server')];
  const pCell = (x: Prop | null | undefined): string =>
    x
      ? `${x.propagation.sleepingWorkflows} asleep in ${x.propagation.workflowsAsleepAfterS} s; ${x.propagation.acknowledged} acknowledged, the last after ${x.propagation.lastAcknowledgementS} s (API answered in ${x.propagation.apiAnsweredInMs} ms); CPU s: ${cpu(x.propagation.cpuSeconds)}`
      : '—';
  if (p[0] || p[1]) lines.push(`| settings propagation to ${(p[0] ?? p[1])!.propagation.sleepingWorkflows} workflows | ${pCell(p[0])} | ${pCell(p[1])} |`);
  return lines.join('\n');
}

function updateServersTable(): void {
  const start = '<!-- servers:start -->';
  const end = '<!-- servers:end -->';
  const text = existsSync(README) ? readFileSync(README, 'utf8') : '';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) return;
  writeFileSync(README, `${text.slice(0, i + start.length)}\n${serversTable()}\n${text.slice(j)}`);
  say('bench/README.md dev/full server table updated');
}

function updateReadme(): void {
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const text = existsSync(README) ? readFileSync(README, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) return;
  writeFileSync(README, `${text.slice(0, i + start.length)}\n${table()}\n${text.slice(j)}`);
  say('bench/README.md table updated');
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
say(`scale ${SCALE}; ${JSON.stringify(machine())}`);
const pg = await startDedicatedPostgres();
runPostgresPort = pg.port;
try {
  if (ONLY.has('throughput')) await benchThroughput(pg);
  for (const server of SERVERS) {
    if (ONLY.has('burst')) await benchBurst(pg, server);
    if (ONLY.has('propagation')) await benchPropagationAndMemory(pg, server);
  }
} finally {
  useTemporalServer(null);
  await pg.dispose();
}
if (!args.has('tag')) updateReadme();
if (SERVERS.length === 2 && !args.has('tag')) updateServersTable();
say(`done in ${r1((performance.now() - started) / 1000)} s`);
process.exit(0);
