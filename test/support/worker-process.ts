/**
 * A real Recertify worker in a process of its own, so fault tests can SIGKILL it and benchmarks can
 * measure its memory. Built from the environment exactly as `worker/main.ts` builds the production
 * worker (config, PostgreSQL, Temporal client and native connection, mailer, activities, the two
 * workers of worker/workers.ts), with three additions for the harness:
 *  - it prints one line `RECERTIFY_WORKER_READY <pid>` on stdout once both workers poll;
 *  - `RECERTIFY_WORKER_OPTIONS` (JSON `{"workflowWorker": {...}, "emailWorker": {...}}`) overrides
 *    numeric/boolean Temporal worker options, e.g. `maxCachedWorkflows`, for the benchmarks;
 *  - with `RECERTIFY_WORKER_ACTIVITY_LOG=1`, a test-only activity interceptor on both workers prints
 *    a line `RECERTIFY_ACTIVITY_ATTEMPT {json}` when an activity attempt starts and one when it ends,
 *    local activities included (see `ActivityAttempt` in test/support/stack/worker-reports.ts): what ran, which
 *    attempt, when, whether it failed. Fault tests read it to see which steps ran during an outage,
 *    which failed, and whether retries finished them.
 * SIGTERM/SIGINT shut it down gracefully, as in production.
 *
 * Run: `node --import tsx test/support/worker-process.ts` (see `spawnWorker` in test/support/stack/worker.ts).
 */
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

const config = loadConfigOrExit();
const log = createLogger('worker', config.logLevel);
const overrides = Overrides.parse(JSON.parse(process.env.RECERTIFY_WORKER_OPTIONS ?? '{}'));
const sdkMetrics = await workerSdkMetrics(config); // as worker/main.ts: the SDK's exporter behind WORKER_METRICS_PORT

Runtime.install({
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
process.stdout.write(`${READY_LINE} ${process.pid} maxCachedWorkflows=${running.workers[0]!.options.maxCachedWorkflows}\n`);

await finished;
