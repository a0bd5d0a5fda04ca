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

export interface WorkerProcessOptions {
  /** PostgreSQL pool size (default 20). */
  sqlMax?: number;
  shutdownGraceTime?: string;
  workflowWorker?: Partial<WorkerOptions>;
  emailWorker?: Partial<WorkerOptions>;
}

export interface WorkerProcess {
  running: RunningWorkers;
  /** Waits for the workers to stop (after shutdown), then closes every connection. */
  finished: Promise<void>;
}

export async function startWorkerProcess(config: Config, log: Logger, opts: WorkerProcessOptions = {}): Promise<WorkerProcess> {
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
    from: config.email.from,
    log,
  });
  const running = await runWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    messageActivities,
    workflowBundlePath: config.workerBundlePath,
    ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    workflowWorker: opts.workflowWorker,
    emailWorker: opts.emailWorker,
  });
  const finished = running.done.then(async () => {
    await mailer.close();
    await sql.end({ timeout: 5 });
    await connection.close();
    await client.connection.close();
  });
  return { running, finished };
}
