/**
 * The peer arm's worker (issue 11): the same due burst done the way a team without Temporal would,
 * with a PostgreSQL job queue (pg-boss 10, a dev dependency of the benchmark only). Each delayed job
 * (`startAfter` = the award's due time) does the due step's work with the product's own code, as the
 * activities do it: read the award and create the attempt when the acting rules allow it at `asOf`
 * (`enrollWhenDue`, one transaction, as the workflow's due step does since ENROLL_WHEN_DUE), then
 * send the enrollment's messages (`enrollmentMessageKinds`) through `sendMessage` and the same
 * per-process mailer (batches of EMAIL_BATCH_SIZE, EMAIL_REQUESTS_PER_SECOND) against the same
 * provider. A failed job is retried by pg-boss; the activities' idempotency keys keep a retry from
 * doubling anything.
 *
 * Reads the product's configuration (config/env.ts) and BENCH_PEER_QUEUE, BENCH_PEER_WORKERS (pg-boss
 * workers, default 4), BENCH_PEER_BATCH (jobs per fetch, default 100); prints
 * `BENCH_PEER_WORKER_READY <pid>` once it polls; SIGTERM/SIGINT stop it.
 *
 * Run: `node --import tsx bench/peer/worker.ts` (bench/run.ts spawns it).
 */
import PgBoss from 'pg-boss';
import { loadConfigOrExit } from '../../config/env.ts';
import { createLogger } from '../../config/logger.ts';
import { createSql } from '../../db/client.ts';
import { createMailerFromConfig } from '../../activities/mail/index.ts';
import { createMessageActivities } from '../../activities/messages.ts';
import { createRecertificationActivities } from '../../activities/recertification.ts';
import { enrollmentMessageKinds } from '../../domain/recertification-steps.ts';
import { PEER_READY_LINE, type PeerJob } from './jobs.ts';

const config = loadConfigOrExit();
const log = createLogger('peer', config.logLevel);
const queue = process.env.BENCH_PEER_QUEUE ?? 'bench-peer-due';
const workers = Number(process.env.BENCH_PEER_WORKERS ?? '4');
const batchSize = Number(process.env.BENCH_PEER_BATCH ?? '100');

const sql = createSql(config.databaseUrl, { max: 20 });
const mailer = createMailerFromConfig(config.email, sql, log);
const org = { defaultTimeZone: config.defaultTimeZone, sendWindow: config.sendWindow };
const steps = createRecertificationActivities({ sql, log, ...org });
const { sendMessage } = createMessageActivities({ sql, mailer, appBaseUrl: config.appBaseUrl, courseUrlTemplate: config.courseUrlTemplate, from: config.email.from, log, ...org });

/** One due award: what the workflow's due step does, without the workflow. */
async function dueStep({ awardId }: PeerJob): Promise<void> {
  const asOf = new Date().toISOString();
  const result = await steps.enrollWhenDue({ awardId, asOf });
  if (!('enrolled' in result)) return;
  const { context: ctx, enrolled } = result;
  const kinds = enrollmentMessageKinds({
    expiringNoticeOn: ctx.settings.expiringNotice.enabled,
    expiringNoticeSent: false,
    courseHasEnrollmentMessage: enrolled.course.hasEnrollmentMessage,
    actOnDatabaseTruth: true,
  });
  for (const kind of kinds) {
    const sent = await sendMessage({ kind, awardId, attemptId: enrolled.attemptId, asOf });
    if (sent.status === 'failed') throw new Error(`send failed: ${sent.error ?? 'unknown'}`);
  }
}

const boss = new PgBoss({ connectionString: config.databaseUrl, max: 10, schedule: false });
boss.on('error', (err) => log.warn({ err }, 'pg-boss error'));
await boss.start();
await boss.createQueue(queue);
for (let i = 0; i < workers; i++) {
  // A batch's jobs run at once, so the mailer coalesces their sends; a throw retries the batch (idempotent).
  await boss.work<PeerJob>(queue, { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    await Promise.all(jobs.map((j) => dueStep(j.data)));
  });
}
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await boss.stop({ graceful: true, wait: true, timeout: 5000 });
    await mailer.close();
    await sql.end({ timeout: 5 });
    process.exit(0);
  })();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(`${PEER_READY_LINE} ${process.pid}\n`);
