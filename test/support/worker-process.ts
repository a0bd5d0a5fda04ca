/**
 * A real Recertify worker in a process of its own, so fault tests can SIGKILL it and benchmarks can
 * measure its memory. Built from the environment exactly as `worker/main.ts` builds the production
 * worker (config, PostgreSQL, Temporal client and native connection, mailer, activities, the two
 * workers of worker/workers.ts), with three additions for the harness:
 *  - it prints one line `RECERTIFY_WORKER_READY <pid> maxCachedWorkflows=<n> workflowTaskSlots=<n>` on stdout once both workers poll;
 *  - `RECERTIFY_WORKER_OPTIONS` (JSON `{"workflowWorker": {...}, "emailWorker": {...}}`) overrides
 *    numeric/boolean Temporal worker options, e.g. `maxCachedWorkflows`, for the benchmarks;
 *  - with `RECERTIFY_WORKER_ACTIVITY_LOG=1`, a test-only activity interceptor on both workers prints
 *    a line `RECERTIFY_ACTIVITY_ATTEMPT {json}` when an activity attempt starts and one when it ends,
 *    local activities included (see `ActivityAttempt` in test/support/stack/worker-reports.ts): what ran, which
 *    attempt, when, whether it failed. Fault tests read it to see which steps ran during an outage,
 *    which failed, and whether retries finished them;
 *  - with `RECERTIFY_WORKER_GC_ON_SIGUSR2=1`, SIGUSR2 makes a full garbage collection in every thread
 *    of the process (the main thread and the SDK's workflow threads) and prints
 *    `RECERTIFY_WORKER_GC_DONE <n> <threads> <heap bytes in use in all of them>` (n counts the requests), so the memory benchmark reads
 *    RSS without the garbage of workflows the cache evicted. V8's `gc` is exposed process-wide before
 *    the SDK starts its threads; each workflow thread is started through a small wrapper that answers
 *    a private message port by collecting, then loads the SDK's own thread script unchanged.
 * SIGTERM/SIGINT shut it down gracefully, as in production.
 *
 * Run: `node --import tsx test/support/worker-process.ts` (see `spawnWorker` in test/support/stack/worker.ts).
 */
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import workerThreads, { MessageChannel, type MessagePort, type WorkerOptions as ThreadOptions } from 'node:worker_threads';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type ActivityInterceptorsFactory, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { loadConfigOrExit } from '../../config/env.ts';
import { createLogger } from '../../config/logger.ts';
import { startWorkerProcess, workerSdkMetrics } from '../../worker/worker-process.ts';
import { ACTIVITY_ATTEMPT_LINE, READY_LINE } from './stack/worker-reports.ts';


const Overrides = z
  .object({
    workflowWorker: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
    emailWorker: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
    /** PostgreSQL pool size of the process (worker/main.ts uses 20). */
    sqlMax: z.number().int().positive().optional(),
  })
  .strict();

/**
 * With `RECERTIFY_WORKER_GC_ON_SIGUSR2=1`: exposes V8's `gc` in every isolate created from now on and
 * wraps each worker thread the SDK starts, so `collect()` can run a full collection in all of them.
 * Resolves the number of threads collected (this one included); a thread that does not answer
 * within 30 s is not counted.
 */
function installGarbageCollection(): { collect(): Promise<{ threads: number; heapUsedBytes: number }> } {
  setFlagsFromString('--expose-gc');
  const gcHere = runInNewContext('gc') as () => void;
  const ports: MessagePort[] = [];
  // The wrapper runs as the thread's main script (CommonJS), answers its port, then loads the target.
  const wrapper = `
    const { workerData } = require('node:worker_threads');
    const port = workerData.recertifyGcPort;
    port.on('message', (n) => { globalThis.gc(); port.postMessage({ n, heapUsed: require('node:v8').getHeapStatistics().used_heap_size }); });
    port.unref();
    require(workerData.recertifyTarget);`;
  const Original = workerThreads.Worker;
  class CollectableWorker extends Original {
    constructor(filename: string | URL, options: ThreadOptions = {}) {
      const { port1, port2 } = new MessageChannel();
      super(wrapper, {
        ...options,
        eval: true,
        workerData: { recertifyGcPort: port2, recertifyTarget: filename instanceof URL ? fileURLToPath(filename) : filename },
        transferList: [...(options.transferList ?? []), port2],
      });
      port1.unref();
      ports.push(port1);
      this.once('exit', () => ports.splice(ports.indexOf(port1), 1));
    }
  }
  workerThreads.Worker = CollectableWorker;
  let seq = 0;
  return {
    async collect(): Promise<{ threads: number; heapUsedBytes: number }> {
      gcHere();
      const here = getHeapStatistics().used_heap_size;
      const answers = await Promise.all(
        ports.map(
          (port) =>
            new Promise<number | null>((resolve) => {
              const n = ++seq;
              const timer = setTimeout(() => done(null), 30_000);
              const onMessage = (m: { n?: number; heapUsed?: number }): void => void (m.n === n && done(m.heapUsed ?? 0));
              function done(ok: number | null): void {
                clearTimeout(timer);
                port.off('message', onMessage);
                port.unref(); // a listener refs the port: it must not keep the process alive
                resolve(ok);
              }
              port.on('message', onMessage);
              port.postMessage(n);
            }),
        ),
      );
      const answered = answers.filter((a) => a !== null);
      return { threads: 1 + answered.length, heapUsedBytes: here + answered.reduce((a, b) => a + b, 0) };
    },
  };
}
if (process.env.RECERTIFY_WORKER_GC_ON_SIGUSR2 === '1') {
  const gc = installGarbageCollection();
  let requests = 0;
  process.on('SIGUSR2', () => {
    const n = ++requests;
    void gc.collect().then(
      ({ threads, heapUsedBytes }) => process.stdout.write(`RECERTIFY_WORKER_GC_DONE ${n} ${threads} ${heapUsedBytes}\n`),
      (err: unknown) => process.stdout.write(`RECERTIFY_WORKER_GC_DONE ${n} failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
}

const config = loadConfigOrExit();
const log = createLogger('worker', config.logLevel);
const overrides = Overrides.parse(JSON.parse(process.env.RECERTIFY_WORKER_OPTIONS ?? '{}'));
const sdkMetrics = await workerSdkMetrics(config); // as worker/main.ts: the SDK's exporter behind WORKER_METRICS_PORT

Runtime.install({
  // The SDK's runtime shuts the process down on SIGUSR2 by default: with the garbage-collection
  // harness on, SIGUSR2 means "collect" instead.
  ...(process.env.RECERTIFY_WORKER_GC_ON_SIGUSR2 === '1' ? { shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'] as NodeJS.Signals[] } : {}),
  logger: new DefaultLogger(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'INFO' : 'WARN', (entry) => {
    log.warn({ sdk: entry.meta ?? {} }, entry.message);
  }),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    ...(sdkMetrics ? { metrics: sdkMetrics.telemetry } : {}),
  },
});

/**
 * Prints a line when an activity attempt (regular or local) starts and one when it ends, with its
 * outcome; `n` pairs them.
 */
let attemptSeq = 0;
const recordAttempts: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const { info } = ctx;
      const n = ++attemptSeq;
      const report = (fields: Record<string, unknown>): void => {
        process.stdout.write(`${ACTIVITY_ATTEMPT_LINE} ${JSON.stringify({ n, ...fields })}\n`);
      };
      report({
        workflowId: info.workflowExecution?.workflowId ?? null,
        activityId: info.activityId,
        type: info.activityType,
        local: info.isLocal,
        attempt: info.attempt,
        startedAt: Date.now(),
      });
      try {
        const result = await next(input);
        report({ ok: true, endedAt: Date.now() });
        return result;
      } catch (err) {
        report({ ok: false, error: (err instanceof Error ? err.message : String(err)).slice(0, 200), endedAt: Date.now() });
        throw err;
      }
    },
  },
});
const withAttemptLog = (options: Partial<WorkerOptions> | undefined): Partial<WorkerOptions> | undefined =>
  process.env.RECERTIFY_WORKER_ACTIVITY_LOG === '1' ? { ...options, interceptors: { activity: [recordAttempts] } } : options;

const { running, finished } = await startWorkerProcess(config, log, {
  sqlMax: overrides.sqlMax,
  shutdownGraceTime: '5 seconds',
  sdkMetrics,
  workflowWorker: withAttemptLog(overrides.workflowWorker as Partial<WorkerOptions> | undefined),
  emailWorker: withAttemptLog(overrides.emailWorker as Partial<WorkerOptions> | undefined),
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void running.shutdown();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Both workers poll once they are RUNNING.
const deadline = Date.now() + 30_000;
while (!running.workers.every((w) => w.getState() === 'RUNNING') && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 20));
}
const mainOptions = running.workers[0]!.options;
const wftSlots = mainOptions.tuner.workflowTaskSlotSupplier;
process.stdout.write(
  `${READY_LINE} ${process.pid} maxCachedWorkflows=${mainOptions.maxCachedWorkflows} workflowTaskSlots=${wftSlots.type === 'fixed-size' ? wftSlots.numSlots : wftSlots.type}\n`,
);

await finished;
