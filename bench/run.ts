/**
 * `npm run bench [-- --scale=0.1] [--only=throughput,burst,propagation] [--servers=dev,full] [--worker-options='{...}']`
 *
 * Benchmarks on this machine, each measured in one run on real pieces (embedded PostgreSQL, a
 * Temporal dev server on SQLite, the API and the worker as their own processes, a fake Resend that
 * enforces 5 requests/s and batches of 100):
 *  - throughput: awards per second and latency through `POST /api/certificates/:id/awards` (starts a
 *    workflow), the same endpoint with the workflow start disabled (database only), and raw
 *    `client.workflow.start`, at fixed arrival rates (open loop: latency counts from the scheduled
 *    send time, so a slow server cannot slow the arrivals down);
 *  - burst: 10,000 awards falling due in the same minute: timer lateness, time to the last message,
 *    no message lost or doubled;
 *  - propagation: a settings change reaching 10,000 sleeping workflows (time to the last
 *    acknowledgement), and the worker's memory with 0, 10,000 and up to 100,000 sleeping workflows.
 * Results go to bench/results/<name>.json; the table in bench/README.md is regenerated from them.
 * `--scale` multiplies workflow counts and step durations (0.1 for a quick run); `--tag=x` writes
 * results as <name>.x.json and leaves the README alone (for experiments, e.g. other worker options).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { Sql } from '../db/client.ts';
import { DAY_MS, dueAt as computeDueAt } from '../domain/dates.ts';
import { TEMPORAL_SERVER_VERSION, TOOL_CACHE, toolPath } from '../scripts/tools.ts';
import { deliveryReport, mapLimit, seedDueBurst, startAwardWorkflows } from '../test/support/due-burst.ts';
import { makeCertificate, makeCourse, recertSettings } from '../test/support/fixtures.ts';
import { startServices, type Services } from '../test/support/stack.ts';
import type { ApiProcess } from '../test/support/stack/api.ts';
import { startDedicatedPostgres, type DedicatedPostgres } from '../test/support/stack/database.ts';
import { useTemporalServer, type TemporalServerKind } from '../test/support/stack/temporal.ts';
import { procRss, sleep } from '../test/support/stack/process.ts';
import type { WorkerProcess, WorkerProcessOptions } from '../test/support/stack/worker.ts';
import { queryStatuses } from '../test/support/workflow-history.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart, workflowIdForAward } from '../workflows/contract.ts';

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
 * picks one. The throughput benchmark runs on the dev server only.
 */
const SERVERS = (args.get('servers') ?? 'dev,full').split(',').filter((x): x is TemporalServerKind => x === 'dev' || x === 'full');
const WORKER_OPTIONS = JSON.parse(args.get('worker-options') ?? '{}') as NonNullable<WorkerProcessOptions['options']>;
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const TASK_QUEUE = 'bench';
/**
 * The dev server's SQLite settings. Its defaults sync every write to disk (measured here: ~140
 * workflow starts/s); WAL with synchronous=NORMAL (durable across process crashes, not OS crashes)
 * does ~350/s. `--sqlite=default` measures the defaults.
 */
const SQLITE_PRAGMAS = args.get('sqlite') === 'default' ? [] : ['journal_mode=WAL', 'synchronous=NORMAL'];
/**
 * A benchmark's stack, the tests' fixture: a fresh database `bench_<name>_…` on the run's PostgreSQL,
 * a Temporal dev server of its own with the SQLite settings above, and a fake Resend that enforces 5
 * requests in any second (and batches of ≤ 100).
 */
const benchStack = (pg: DedicatedPostgres, name: string, server: TemporalServerKind = 'dev'): Promise<Services> => {
  useTemporalServer(server, { postgresAdminUrl: pg.adminUrl });
  return startServices({ postgres: pg, dbPrefix: `bench_${name}`, dbPool: 10, sqlitePragmas: SQLITE_PRAGMAS, taskQueue: TASK_QUEUE, resend: { rateLimit: 5 } });
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

function writeResult(name: string, data: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const tag = args.get('tag');
  const file = `${RESULTS_DIR}${name}${SCALE === 1 ? '' : `.scale-${SCALE}`}${tag ? `.${tag}` : ''}.json`;
  writeFileSync(file, JSON.stringify({ name, scale: SCALE, at: new Date().toISOString(), machine: machine(), ...data }, null, 2) + '\n');
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

/** Every PostgreSQL server process (postmaster and backends). */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
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
  const stack = await benchStack(pg, 'throughput');
  const { db, temporal, client } = stack;
  try {
    const rates = [25, 50, 100, 200, 400];
    const durationS = Math.max(3, Math.round(10 * SCALE));
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
        await sleep(1500);
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
    writeResult('throughput', {
      setup: {
        durationPerStepS: durationS,
        rates,
        note: 'API and worker-less Temporal dev server on the same 2-core machine as the load generator; no worker runs (first workflow tasks queue up), so the three arms measure admission only.',
      },
      steps,
      arms,
      httpDatabaseOverheadOfRawRate: Math.round(overhead * 1000) / 1000,
      goal: 'API + workflow start reaches at least 70% of the raw workflow-start rate (HTTP/database layer costs under 30%)',
      goalMet: overhead < 0.3,
    });
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. due burst

async function waitSettled(client: Client, awardIds: string[], deadline: number): Promise<boolean> {
  // The most recently started workflows are the last to have their first task handled.
  const sample = awardIds.slice(-200);
  while (Date.now() < deadline) {
    const statuses = await queryStatuses(client, sample, 32).catch(() => []);
    if (statuses.length === sample.length && statuses.every((s) => s.dueAt !== null)) return true;
    await sleep(1000);
  }
  return false;
}

async function benchBurst(pg: DedicatedPostgres, server: TemporalServerKind): Promise<void> {
  const n = Math.round(10_000 * SCALE);
  say(`burst on the ${server} server: ${n} awards due in one minute`);
  const stack = await benchStack(pg, 'burst', server);
  const { db, temporal, client, fakeResend: fake } = stack;
  try {
    const w = await stack.spawnWorker({ emailBatchSize: 100, emailRequestsPerSecond: 4, options: WORKER_OPTIONS });
    const leadDays = 30;
    const setupS = 30 + n * 0.022;
    const minuteStart = new Date(Date.now() + setupS * 1000);
    const burst = await seedDueBurst(db.sql, {
      count: n,
      dueAt: minuteStart,
      leadDays,
      // Spread over the minute, as expiries of one day are.
      expiresAt: (i) => new Date(minuteStart.getTime() + Math.floor((i / n) * 60_000) + leadDays * DAY_MS),
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

    const deadline = minuteStart.getTime() + 60_000 + 600_000;
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
    const lastDueMs = T + 60_000;
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
    writeResult(resultName('burst', server), {
      setup: {
        temporalServer: server,
        awards: n,
        dueWindow: 'uniformly over one minute',
        fakeResend: '5 requests/s sliding window, batches ≤ 100',
        mailer: '4 requests/s per worker process, batches of 100, 100 ms linger',
        workerOptions: WORKER_OPTIONS,
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
      goal: 'drained within 3 minutes of the minute the awards fall due in, nothing lost or doubled',
      goalMet: drainFromMinuteStartS !== null && drainFromMinuteStartS <= 180 && report.exact === n && report.providerEmails === n,
    });
    say(`burst: last message ${drainFromMinuteStartS} s after the first due; exact ${report.exact}/${n}`);
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. settings propagation to 10,000 sleeping workflows, and worker memory with many of them

async function settledRss(w: WorkerProcess): Promise<number | null> {
  // The minimum of a few samples once the worker is idle (after GC settles).
  await sleep(5000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const v = w.rssBytes();
    if (v !== null) samples.push(v);
    await sleep(1000);
  }
  return samples.length ? Math.min(...samples) : null;
}

async function benchPropagationAndMemory(pg: DedicatedPostgres, server: TemporalServerKind): Promise<void> {
  const n = Math.round(10_000 * SCALE);
  const target = Math.round(100_000 * SCALE);
  const memoryBudgetS = Number(args.get('memory-budget-s') ?? String(Math.round(420 * SCALE + 60)));
  // Worker memory does not depend on the server: measured on the dev server only.
  const measureMemory = server === 'dev';
  say(`propagation on the ${server} server: ${n} sleeping workflows${measureMemory ? `; memory up to ${target} within ${memoryBudgetS} s` : ''}`);
  const stack = await benchStack(pg, 'propagation', server);
  const { db, temporal, client } = stack;
  try {
    const w = await stack.spawnWorker({ options: WORKER_OPTIONS });
    const memory: { sleepingWorkflows: number; rssMiB: number | null }[] = [];
    memory.push({ sleepingWorkflows: 0, rssMiB: mib(await settledRss(w)) });
    say(`memory: 0 workflows → ${memory[0]!.rssMiB} MiB`);

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
    memory.push({ sleepingWorkflows: n, rssMiB: mib(await settledRss(w)) });
    say(`memory: ${n} workflows → ${memory[1]!.rssMiB} MiB`);

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

    // Memory as sleeping workflows accumulate, in bounded time.
    const memStart = performance.now();
    let total = n;
    const checkpoints = [20_000, 50_000, 100_000].map((c) => Math.round(c * SCALE));
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
      memory.push({ sleepingWorkflows: total, rssMiB: mib(await settledRss(w)) });
      say(`memory: ${total} workflows → ${memory[memory.length - 1]!.rssMiB} MiB (${r1((performance.now() - memStart) / 1000)} s)`);
      if (budgetHit) break;
    }
    const cache = w.output().match(/maxCachedWorkflows=(\d+)/)?.[1];
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
        goal: 'last acknowledgement under 60 s',
        goalMet: acknowledged >= n && lastAckS < 60,
      },
      memory: {
        workerMaxCachedWorkflows: cache ? Number(cache) : 'SDK default',
        workerOptions: WORKER_OPTIONS,
        points: memory,
        target,
        reached: total,
        budgetS: memoryBudgetS,
        goal: 'worker RSS flat beyond the workflow cache size',
      },
    });
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// README table

function table(): string {
  if (!existsSync(RESULTS_DIR)) return '_No results yet._';
  const load = (name: string): Record<string, unknown> | null => {
    const file = `${RESULTS_DIR}${name}.json`;
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : null;
  };
  const lines: string[] = [];
  const t = load('throughput') as { arms: Record<string, Record<string, number>>; httpDatabaseOverheadOfRawRate: number; goalMet: boolean; steps: StepResult[]; machine: Record<string, unknown>; at: string } | null;
  const m = (t ?? load('burst') ?? load('propagation-memory')) as { machine: Record<string, unknown> } | null;
  if (m) lines.push(`Machine: ${m.machine.nproc} vCPU (${String(m.machine.cpu)}), ${String(m.machine.memoryGiB)} GiB, Node ${String(m.machine.node)}, ${String(m.machine.temporalCli).split('\n')[0]}.`, '');
  lines.push('| benchmark | measured | goal | met |', '|---|---|---|---|');
  if (t) {
    lines.push(
      `| award throughput, peak achieved (open loop) | raw \`workflow.start\` ${t.arms.raw!.peakAchievedPerSecond}/s; API + workflow ${t.arms.api!.peakAchievedPerSecond}/s; API database only ${t.arms.databaseOnly!.peakAchievedPerSecond}/s → HTTP/database layer costs ${Math.round(t.httpDatabaseOverheadOfRawRate * 1000) / 10}% of the raw rate | < 30% | ${t.goalMet ? 'yes' : 'no'} |`,
    );
  }
  const b = load('burst') as { setup: { awards: number }; drain: Record<string, number | null>; timerLatenessMs: Record<string, number>; enrollmentLatenessMs: Record<string, number>; exactlyOnce: { exact: number; providerEmails: number; duplicateRecipients: number }; goalMet: boolean } | null;
  if (b) {
    lines.push(
      `| due burst, ${b.setup.awards} awards in one minute | last message ${b.drain.lastMessageAfterFirstDueS} s after the first due (${b.drain.lastMessageAfterLastDueS} s after the last); timer lateness p50 ${b.timerLatenessMs.p50} ms, p99 ${b.timerLatenessMs.p99} ms; enrollment lateness p50 ${b.enrollmentLatenessMs.p50} ms, p99 ${b.enrollmentLatenessMs.p99} ms; ${b.exactlyOnce.exact}/${b.setup.awards} exactly once, ${b.exactlyOnce.providerEmails} emails, ${b.exactlyOnce.duplicateRecipients} doubled | ≤ 180 s, none lost or doubled | ${b.goalMet ? 'yes' : 'no'} |`,
    );
  }
  const p = load('propagation-memory') as { propagation: { sleepingWorkflows: number; acknowledged: number; lastAcknowledgementS: number; apiAnsweredInMs: number; goalMet: boolean }; memory: { points: { sleepingWorkflows: number; rssMiB: number }[]; workerMaxCachedWorkflows: number | string; target: number; reached: number } } | null;
  if (p) {
    lines.push(
      `| settings propagation to ${p.propagation.sleepingWorkflows} workflows | ${p.propagation.acknowledged} acknowledged, the last after ${p.propagation.lastAcknowledgementS} s (the API answered in ${p.propagation.apiAnsweredInMs} ms) | < 60 s | ${p.propagation.goalMet ? 'yes' : 'no'} |`,
    );
    const pts = p.memory.points.map((x) => `${x.sleepingWorkflows.toLocaleString('en')}: ${x.rssMiB} MiB`).join('; ');
    lines.push(`| worker RSS by sleeping workflows (cache ${p.memory.workerMaxCachedWorkflows}) | ${pts}${p.memory.reached < p.memory.target ? ` (reached ${p.memory.reached.toLocaleString('en')} of ${p.memory.target.toLocaleString('en')} in the time budget)` : ''} | flat beyond the cache | see below |`);
  }
  if (t) {
    lines.push('', '| arm | offered/s | achieved/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|');
    for (const s of t.steps) lines.push(`| ${s.arm} | ${s.offeredPerSecond} | ${s.achievedPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.errors} |`);
  }
  const others = readdirSync(RESULTS_DIR).filter((f) => f.includes('.scale-'));
  if (others.length) lines.push('', `Quick runs at a smaller scale: ${others.map((f) => `\`results/${f}\``).join(', ')}.`);
  return lines.join('\n');
}

/** Dev server and full server side by side, from this scale's results (written by a run of both). */
function serversTable(): string {
  const suffix = SCALE === 1 ? '' : `.scale-${SCALE}`;
  const load = <T>(name: string): T | null => {
    const file = `${RESULTS_DIR}${name}${suffix}.json`;
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
  };
  type Burst = { at: string; setup: { awards: number }; drain: Record<string, number | null>; timerLatenessMs: Record<string, number>; enrollmentLatenessMs: Record<string, number>; exactlyOnce: { exact: number; providerEmails: number; duplicateRecipients: number }; cpuSeconds: { fromTheFirstDueToTheLastMessage: Record<string, number> } };
  type Prop = { at: string; propagation: { sleepingWorkflows: number; workflowsAsleepAfterS: number; acknowledged: number; lastAcknowledgementS: number; apiAnsweredInMs: number; cpuSeconds: Record<string, number> } };
  const cpu = (c: Record<string, number> | undefined): string => (c ? Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') : '—');
  const lines = [`Scale ${SCALE} (\`npm run bench -- --scale=${SCALE} --only=burst,propagation\`), both servers in one run; CPU seconds per process.`, '', '| benchmark | dev server (SQLite, 1 shard) | full server (PostgreSQL, 4 shards) |', '|---|---|---|'];
  const b = [load<Burst>('burst'), load<Burst>('burst-full-server')];
  const bCell = (x: Burst | null | undefined): string =>
    x
      ? `last message ${x.drain.lastMessageAfterFirstDueS} s after the first due (${x.drain.lastMessageAfterLastDueS} s after the last); timer lateness p50 ${x.timerLatenessMs.p50} ms, p99 ${x.timerLatenessMs.p99} ms; enrollment lateness p50 ${x.enrollmentLatenessMs.p50} ms, p99 ${x.enrollmentLatenessMs.p99} ms; ${x.exactlyOnce.exact}/${x.setup.awards} exactly once, ${x.exactlyOnce.duplicateRecipients} doubled; CPU s: ${cpu(x.cpuSeconds.fromTheFirstDueToTheLastMessage)}`
      : '—';
  if (b[0] || b[1]) lines.push(`| due burst, ${(b[0] ?? b[1])!.setup.awards} awards in one minute | ${bCell(b[0])} | ${bCell(b[1])} |`);
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
if (SCALE === 1 && !args.has('tag')) updateReadme();
if (SERVERS.length === 2 && !args.has('tag')) updateServersTable();
say(`done in ${r1((performance.now() - started) / 1000)} s`);
process.exit(0);
