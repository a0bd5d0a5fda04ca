/**
 * One worker process's wiring, shared by `npm run worker` (worker/main.ts) and the test harness's
 * killable worker (test/support/worker-process.ts): PostgreSQL pool, Temporal client and native
 * connection, the mailer, every activity, and the two workers of worker/workers.ts.
 */
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import { connectClient, connectWorker } from '../config/temporal.ts';
import { createSql } from '../db/client.ts';
import { createActivities } from '../activities/index.ts';
import { createMailerFromConfig } from '../activities/mail/index.ts';
import { runWorkers, type RunningWorkers } from './workers.ts';
import { keepDigestSchedule } from '../domain/digest-schedule.ts';
import { startWorkerMetricsServer, temporalSdkMetrics, type MetricsServer, type TemporalSdkMetrics } from '../config/metrics-server.ts';

export interface WorkerProcessOptions {
  /** PostgreSQL pool size (default 20). */
  sqlMax?: number;
  shutdownGraceTime?: string;
  workflowWorker?: Partial<WorkerOptions>;
  emailWorker?: Partial<WorkerOptions>;
  /** The Temporal SDK's exporter this process installed (`workerSdkMetrics`), appended to the worker's endpoint. */
  sdkMetrics?: TemporalSdkMetrics | null;
}

export interface WorkerProcess {
  running: RunningWorkers;
  /** The worker's Prometheus endpoint (WORKER_METRICS_PORT), or null when it has none. */
  metrics: MetricsServer | null;
  /** Waits for the workers to stop (after shutdown), then closes every connection. */
  finished: Promise<void>;
}

/**
 * The Temporal SDK's metrics exporter for this process when it has a metrics endpoint
 * (WORKER_METRICS_PORT), else null: pass `telemetry` to `Runtime.install`'s
 * `telemetryOptions.metrics` and the whole to `startWorkerProcess` as `sdkMetrics`.
 */
export async function workerSdkMetrics(config: Config): Promise<TemporalSdkMetrics | null> {
  return config.workerMetricsPort === null ? null : await temporalSdkMetrics();
}

export async function startWorkerProcess(config: Config, log: Logger, opts: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  // First, so a metrics port already in use stops the process before it takes any work.
  const metrics = config.workerMetricsPort === null ? null : await startWorkerMetricsServer({ port: config.workerMetricsPort, host: config.host, sdk: opts.sdkMetrics ?? null });
  const sql = createSql(config.databaseUrl, { max: opts.sqlMax ?? 20 });
  const client = await connectClient(config);
  const connection = await connectWorker(config);
  const mailer = createMailerFromConfig(config.email, sql, log);
  const { activities, messageActivities } = createActivities({
    sql,
    client,
    mailer,
    appBaseUrl: config.appBaseUrl,
    courseUrlTemplate: config.courseUrlTemplate,
    importStartConcurrency: config.importStartConcurrency,
    importMaxTaskBacklog: config.importMaxTaskBacklog,
    from: config.email.from,
    log,
    defaultTimeZone: config.defaultTimeZone,
    sendWindow: config.sendWindow,
    digest: config.digest,
  });
  // The weekly digest's Temporal Schedule (issue 14 §4): made to match the configuration before the
  // workers poll (waiting 15 s at most); when Temporal refuses now, retried in the background.
  const digestSchedule = keepDigestSchedule(client, { taskQueue: config.temporal.taskQueue, digest: config.digest, log });
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([digestSchedule.firstAttempt, new Promise<void>((resolve) => (waited = setTimeout(resolve, 15_000)))]);
  clearTimeout(waited);
  const running = await runWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    messageActivities,
    workflowBundlePath: config.workerBundlePath,
    workflowStackTraces: config.workflowStackTraces,
    workflowTaskSlots: config.workflowTaskSlots,
    workflowCacheSize: config.workflowCacheSize,
    ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    workflowWorker: opts.workflowWorker,
    emailWorker: opts.emailWorker,
  });
  const finished = running.done.then(async () => {
    await digestSchedule.stop();
    await mailer.close();
    await sql.end({ timeout: 5 });
    await connection.close();
    await client.connection.close();
    await metrics?.close();
  });
  return { running, metrics, finished };
}
