/**
 * The engine floor's worker, a process of its own (issue 11): the minimal workflows of
 * bench/floor/workflows.ts on `BENCH_FLOOR_TASK_QUEUE` and their one activity on
 * `<queue>-activity`, shaped like the product's worker (a workflow worker and an activity worker on a
 * second queue, one native connection, a PostgreSQL pool of 20) but with nothing of the product in
 * it. Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, and BENCH_FLOOR_MAX_CACHED_WORKFLOWS
 * and BENCH_FLOOR_WORKFLOW_TASK_SLOTS (the workflow cache size and slots, set by bench/run.ts to our
 * worker's; unset: the SDK's defaults); prints `BENCH_FLOOR_WORKER_READY <pid>` once both workers
 * poll; SIGTERM/SIGINT shut it down.
 *
 * Run: `node --import tsx bench/floor/worker.ts` (bench/run.ts spawns it).
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import { createSql } from '../../db/client.ts';
import { FLOOR_READY_LINE, createFloorActivities, ensureFloorTable } from './activities.ts';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});
const taskQueue = need('BENCH_FLOOR_TASK_QUEUE');
const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
const sql = createSql(need('DATABASE_URL'), { max: 20 });
await ensureFloorTable(sql);
const connection = await NativeConnection.connect({ address: need('TEMPORAL_ADDRESS') });
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: silent });
/** A whole number ≥ 2 from the environment, or undefined when unset. */
const wholeOrUnset = (name: string): number | undefined => {
  const raw = process.env[name];
  if (!raw) return undefined;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`${name} must be a whole number ≥ 2, got ${raw}`);
  return n;
};
const cache = wholeOrUnset('BENCH_FLOOR_MAX_CACHED_WORKFLOWS');
const slots = wholeOrUnset('BENCH_FLOOR_WORKFLOW_TASK_SLOTS');
const workflows = await Worker.create({
  connection,
  namespace,
  taskQueue,
  workflowBundle: { code },
  shutdownGraceTime: '2 seconds',
  ...(cache ? { maxCachedWorkflows: cache } : {}),
  ...(slots ? { maxConcurrentWorkflowTaskExecutions: slots } : {}),
});
const activities = await Worker.create({
  connection,
  namespace,
  taskQueue: `${taskQueue}-activity`,
  activities: createFloorActivities(sql),
  maxConcurrentActivityTaskExecutions: 100,
  shutdownGraceTime: '2 seconds',
});
const workers = [workflows, activities];
const done = Promise.all(workers.map((w) => w.run()));
const stop = (): void => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const deadline = Date.now() + 30_000;
while (!workers.every((w) => w.getState() === 'RUNNING') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`${FLOOR_READY_LINE} ${process.pid}\n`);
await done;
await sql.end({ timeout: 5 });
await connection.close();
