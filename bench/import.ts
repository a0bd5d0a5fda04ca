/**
 * `npx tsx bench/import.ts [--rows=100000] [--server=dev|full] [--max-task-backlog=N] [--worker-options='{...}']`
 *
 * The import benchmark (issue 9): one file of `--rows` existing holders (default 100,000; every row
 * schedules, a third of the learners exist, the rest are created) posted to
 * `POST /api/certificates/{id}/imports` as a dry run and then applied, on the benchmarks' real pieces
 * (embedded PostgreSQL, Temporal dev server on SQLite with WAL, the API and the worker as processes of
 * their own). Measured: the dry run's answer time, the apply's wall time from the POST to the import's
 * `completed` (rows/s), and until every recertification workflow is asleep; checked: one award per
 * row, one learner per email, every workflow started once and `scheduled`, nothing doubled. The
 * result goes to bench/results/import.<rows>.json; the figures are copied into bench/README.md by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ImportCreated, ImportDto, ImportPlan } from '../api/import-schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { seedDueBurst, startAwardWorkflows } from '../test/support/due-burst.ts';
import { startServices, type Services } from '../test/support/stack.ts';
import { startDedicatedPostgres } from '../test/support/stack/database.ts';
import type { WorkerProcessOptions } from '../test/support/stack/worker.ts';
import { useTemporalServer, type TemporalServerKind } from '../test/support/stack/temporal.ts';
import { workflowTaskBacklog } from '../domain/award-workflow-start.ts';
import type { ActivityAttempt } from '../test/support/stack/worker-reports.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k ?? '', v.join('=')] as const;
  }),
);
const ROWS = Number(args.get('rows') ?? '100000');
const WORKER_OPTIONS = JSON.parse(args.get('worker-options') ?? '{}') as NonNullable<WorkerProcessOptions['options']>;
/** `--profile`: the worker reports its activity attempts, and the import's own activities are summed by type. */
const PROFILE = args.has('profile');
/** `--start-concurrency=N`: the worker's IMPORT_START_CONCURRENCY (default: the configuration's). */
const START_CONCURRENCY = args.get('start-concurrency');
/** `--floor-rows=N`: the size of the engine-floor arm (default min(rows, 10000); 0 skips it). */
const FLOOR_ROWS = Number(args.get('floor-rows') ?? Math.min(ROWS, 10_000));
/** `--server=full`: the full Temporal server on PostgreSQL (config/temporal-server/) instead of the dev server on SQLite. */
const SERVER: TemporalServerKind = args.get('server') === 'full' ? 'full' : 'dev';
/** `--max-task-backlog=N`: the worker's IMPORT_MAX_TASK_BACKLOG (default: the configuration's; 0: no pacing). */
const MAX_TASK_BACKLOG = args.get('max-task-backlog');
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const say = (m: string): void => console.log(`[bench import ${new Date().toISOString().slice(11, 19)}] ${m}`);
const r1 = (n: number): number => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  if (!(Number.isInteger(ROWS) && ROWS >= 1 && ROWS <= 100_000)) throw new Error('--rows must be 1 to 100000');
  const pg = await startDedicatedPostgres();
  useTemporalServer(SERVER, { postgresAdminUrl: pg.adminUrl });
  const stack = await startServices({
    postgres: pg,
    dbPrefix: 'bench_import',
    dbPool: 10,
    sqlitePragmas: ['journal_mode=WAL', 'synchronous=NORMAL'],
    taskQueue: 'bench-import',
  });
  try {
    const worker = await stack.spawnWorker({
      options: WORKER_OPTIONS,
      activityLog: PROFILE,
      env: {
        ...(START_CONCURRENCY ? { IMPORT_START_CONCURRENCY: START_CONCURRENCY } : {}),
        ...(MAX_TASK_BACKLOG ? { IMPORT_MAX_TASK_BACKLOG: MAX_TASK_BACKLOG } : {}),
      },
    });
    const api = await stack.spawnApi({ reconcileIntervalSeconds: 30 });
    const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${api.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const course = await call<{ id: string }>('POST', '/api/courses', { title: 'Bench refresher', status: 'live' });
    const cert = await call<{ certificate: { id: string } }>('POST', '/api/certificates', {
      title: 'Bench import',
      associatedCourseIds: [course.body.id],
      settings: {
        expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
        recertification: { enabled: true, courseId: course.body.id, leadDays: 30 },
      },
    });
    const certificateId = cert.body.certificate.id;
    // A third of the learners exist already.
    const existing = Math.floor(ROWS / 3);
    for (let from = 0; from < existing; from += 5000) {
      const n = Math.min(5000, existing - from);
      const emails = Array.from({ length: n }, (_, i) => `holder${from + i}@example.com`);
      const names = Array.from({ length: n }, (_, i) => `Holder ${from + i}`);
      await stack.sql`insert into learners (email, name) select * from unnest(${emails}::text[], ${names}::text[])`;
    }
    // Every row schedules: awarded 1 to 300 days ago.
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      email: `holder${i}@example.com`,
      name: `Holder ${i}`,
      awardedAt: new Date(Date.now() - (1 + (i % 300)) * DAY_MS).toISOString().slice(0, 10),
    }));
    const path = `/api/certificates/${certificateId}/imports`;
    say(`${ROWS} rows, ${existing} learners exist; body ${r1(JSON.stringify({ rows }).length / 2 ** 20)} MiB`);

    let t0 = performance.now();
    const plan = await call<ImportPlan>('POST', `${path}?dryRun=true&createLearners=true`, { rows });
    const dryRunS = (performance.now() - t0) / 1000;
    if (plan.status !== 200) throw new Error(`dry run answered ${plan.status}`);
    say(`dry run: ${r1(dryRunS)} s, ${JSON.stringify(plan.body.totals.byOutcome)}, create ${plan.body.totals.createLearner}`);

    t0 = performance.now();
    const posted = await call<ImportCreated>('POST', `${path}?createLearners=true`, { rows });
    const intakeS = (performance.now() - t0) / 1000;
    if (posted.status !== 202) throw new Error(`apply answered ${posted.status}: ${JSON.stringify(posted.body).slice(0, 300)}`);
    const importId = posted.body.import.id;
    say(`apply answered 202 in ${r1(intakeS)} s; import ${importId}`);
    let view: ImportDto = posted.body.import;
    let lastSay = 0;
    // The workflow tasks waiting on the task queue, sampled each second: what the import's pacing bounds.
    const backlog = { max: 0, sum: 0, samples: 0 };
    while (view.status !== 'completed') {
      await new Promise((r) => setTimeout(r, 1000));
      view = (await call<ImportDto>('GET', `/api/imports/${importId}`)).body;
      const waiting = await workflowTaskBacklog(stack.client, stack.config.temporal.taskQueue).catch(() => null);
      if (waiting !== null) {
        backlog.max = Math.max(backlog.max, waiting);
        backlog.sum += waiting;
        backlog.samples++;
      }
      if (performance.now() - lastSay > 30_000) {
        lastSay = performance.now();
        say(`${view.progress.processed}/${ROWS} rows after ${r1((performance.now() - t0) / 1000)} s; ${waiting ?? '?'} workflow tasks waiting`);
      }
    }
    const completedS = (performance.now() - t0) / 1000;
    say(`completed: ${ROWS} rows in ${r1(completedS)} s = ${r1(ROWS / completedS)} rows/s`);

    // Every workflow started and asleep.
    let asleep = 0;
    while (asleep < ROWS && performance.now() - t0 < completedS * 1000 + 1_800_000) {
      asleep = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND RecertificationPhase = 'scheduled' AND ExecutionStatus = 'Running'`)).count;
      if (asleep < ROWS) await new Promise((r) => setTimeout(r, 2000));
    }
    const asleepS = (performance.now() - t0) / 1000;
    const closed = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND ExecutionStatus != 'Running'`)).count;
    const [facts] = await stack.sql<{ awards: number; learners: number; unstarted: number; learnersTotal: number; doneRows: number }[]>`
      select count(*)::int as awards, count(distinct learner_id)::int as learners,
             count(*) filter (where workflow_started_at is null)::int as unstarted,
             (select count(*)::int from learners) as learners_total,
             (select count(*)::int from import_rows where import_id = ${importId} and state = 'done') as done_rows
      from awards where certificate_id = ${certificateId}`;
    const ok = facts!.awards === ROWS && facts!.learners === ROWS && facts!.unstarted === 0 && facts!.learnersTotal === ROWS && facts!.doneRows === ROWS && asleep === ROWS && closed === 0;
    say(`every workflow asleep after ${r1(asleepS)} s: ${asleep}/${ROWS}; ${JSON.stringify(facts)}, closed ${closed}: ${ok ? 'nothing doubled or lost' : 'MISMATCH'}`);
    // The engine's floor, run beside it: the same number of sleeping workflows (up to --floor-rows)
    // started straight from a client, 32 at a time, with no import around them, on the same stack.
    const floor = FLOOR_ROWS > 0 ? await engineFloor(stack, FLOOR_ROWS, asleep) : null;
    if (floor) say(`engine floor: ${floor.rows} workflows started directly and asleep in ${floor.seconds} s = ${floor.rowsPerSecond} /s; the import ran at ${r1((ROWS / asleepS / floor.rowsPerSecond) * 100)} % of it`);
    const profile = PROFILE ? importActivityProfile(worker.activityAttempts()) : undefined;
    if (profile) say(`import activities (s, summed by type): ${JSON.stringify(profile)}`);
    const result = {
      commit: gitCommit(),
      machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: r1(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() },
      rows: ROWS,
      existingLearners: existing,
      dryRunSeconds: r1(dryRunS),
      applyAnsweredSeconds: r1(intakeS),
      completedSeconds: r1(completedS),
      rowsPerSecond: r1(ROWS / completedS),
      allAsleepSeconds: r1(asleepS),
      asleep,
      closed,
      facts,
      exactlyOnce: ok,
      ...(floor ? { engineFloor: floor, importToFloorRatio: Math.round((ROWS / asleepS / floor.rowsPerSecond) * 100) / 100 } : {}),
      startConcurrency: START_CONCURRENCY ? Number(START_CONCURRENCY) : 'default',
      maxTaskBacklog: MAX_TASK_BACKLOG ? Number(MAX_TASK_BACKLOG) : 'default',
      temporalServer: SERVER,
      workflowTaskBacklog: { max: backlog.max, mean: backlog.samples ? Math.round(backlog.sum / backlog.samples) : null, samples: backlog.samples },
      ...(profile ? { profile } : {}),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(`${RESULTS_DIR}import.${ROWS}${SERVER === 'full' ? '-full-server' : ''}.json`, `${JSON.stringify(result, null, 2)}\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    await stack.stop();
    await pg.stop();
  }
}

/**
 * The engine-floor arm: `rows` awards of a certificate of their own (due in 100 days) written straight
 * to the database, their recertification workflows started from a client 32 at a time, timed until
 * every one is asleep (`asleepBefore` were asleep already). The import cannot be faster than this.
 */
async function engineFloor(stack: Services, rows: number, asleepBefore: number): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const leadDays = 30;
  const burst = await seedDueBurst(stack.sql, { count: rows, dueAt: new Date(Date.now() + 100 * DAY_MS), leadDays });
  const t0 = performance.now();
  await startAwardWorkflows(stack.client, stack.config.temporal.taskQueue, burst.awards, { leadDays, concurrency: 32 });
  let asleep = 0;
  while (asleep < asleepBefore + rows && performance.now() - t0 < 1_800_000) {
    asleep = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND RecertificationPhase = 'scheduled' AND ExecutionStatus = 'Running'`)).count;
    if (asleep < asleepBefore + rows) await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (performance.now() - t0) / 1000;
  if (asleep < asleepBefore + rows) throw new Error(`engine floor: only ${asleep - asleepBefore} of ${rows} asleep after ${r1(seconds)} s`);
  return { rows, seconds: r1(seconds), rowsPerSecond: r1(rows / seconds) };
}

/** The commit measured (with `+changes` when the working tree differs from it), or 'unknown' outside a git checkout. */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** The import workflow's activities, by type: attempts, and seconds summed (wall time of each attempt). */
function importActivityProfile(attempts: readonly ActivityAttempt[]): Record<string, { attempts: number; seconds: number }> {
  const byType: Record<string, { attempts: number; seconds: number }> = {};
  for (const a of attempts) {
    if (!a.workflowId?.startsWith('import-') || a.endedAt === null) continue;
    const t = (byType[a.type] ??= { attempts: 0, seconds: 0 });
    t.attempts++;
    t.seconds = r1(t.seconds + (a.endedAt - a.startedAt) / 1000);
  }
  return byType;
}

await main();
