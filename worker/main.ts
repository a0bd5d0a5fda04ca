/**
 * `npm run worker`: a production worker process. Run any number of them against the same Temporal
 * namespace and PostgreSQL. SIGINT/SIGTERM stop polling and let running activities finish.
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfigOrExit } from '../config/env.ts';
import { createLogger } from '../config/logger.ts';
import { migrate } from '../db/migrate.ts';
import { startWorkerProcess, workerSdkMetrics } from './worker-process.ts';

const config = loadConfigOrExit();
const log = createLogger('worker', config.logLevel);
const sdkMetrics = await workerSdkMetrics(config); // the SDK's exporter, behind WORKER_METRICS_PORT

Runtime.install({
  logger: {
    log: (level, message, meta) => log[level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error'](meta ?? {}, message),
    trace: (m, meta) => log.trace(meta ?? {}, m),
    debug: (m, meta) => log.debug(meta ?? {}, m),
    info: (m, meta) => log.info(meta ?? {}, m),
    warn: (m, meta) => log.warn(meta ?? {}, m),
    error: (m, meta) => log.error(meta ?? {}, m),
  },
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    ...(sdkMetrics ? { metrics: sdkMetrics.telemetry } : {}),
  },
});

if (process.env.MIGRATE_ON_START !== 'false') await migrate(config.databaseUrl, (m) => log.debug(m));
const { running, metrics, finished } = await startWorkerProcess(config, log, { sdkMetrics });
log.info(
  {
    metrics: metrics?.url ?? null,
    taskQueue: config.temporal.taskQueue,
    namespace: config.temporal.namespace,
    temporal: config.temporal.address,
    email: config.email.resendApiKey ? 'resend' : 'log',
    // What the worker keeps in memory and runs at once (WORKFLOW_CACHE_SIZE, WORKFLOW_TASK_SLOTS).
    workflowCacheSize: running.workers[0]?.options.maxCachedWorkflows ?? null,
    workflowTaskSlots: config.workflowTaskSlots,
  },
  'worker running',
);
await running.done;
log.info('worker stopped; closing connections');
await finished;
