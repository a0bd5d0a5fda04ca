/**
 * A real Recertify worker in a process of its own, so fault tests can SIGKILL it and benchmarks can
 * measure its memory. Built from the environment exactly as `worker/main.ts` builds the production
 * worker (config, PostgreSQL, Temporal client and native connection, mailer, activities, the two
 * workers of worker/run.ts), with two additions for the harness:
 *  - it prints one line `RECERTIFY_WORKER_READY <pid>` on stdout once both workers poll;
 *  - `RECERTIFY_WORKER_OPTIONS` (JSON `{"workflowWorker": {...}, "emailWorker": {...}}`) overrides
 *    numeric/boolean Temporal worker options, e.g. `maxCachedWorkflows`, for the benchmarks.
 * SIGTERM/SIGINT shut it down gracefully, as in production.
 *
 * Run: `node --import tsx test/support/worker-process.ts` (see test/support/faults.ts spawnWorker).
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { loadConfigOrExit } from '../../config/env.ts';
import { createLogger } from '../../config/logger.ts';
import { startWorkerProcess } from '../../worker/process.ts';

export const READY_LINE = 'RECERTIFY_WORKER_READY';

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

Runtime.install({
  logger: new DefaultLogger(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'INFO' : 'WARN', (entry) => {
    log.warn({ sdk: entry.meta ?? {} }, entry.message);
  }),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const { running, finished } = await startWorkerProcess(config, log, {
  sqlMax: overrides.sqlMax,
  shutdownGraceTime: '5 seconds',
  workflowWorker: overrides.workflowWorker as Partial<WorkerOptions> | undefined,
  emailWorker: overrides.emailWorker as Partial<WorkerOptions> | undefined,
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
