/**
 * Fault: PostgreSQL goes away in the middle of a due burst — while attempts are being created,
 * email batches claimed and provider requests in flight — and comes back ten seconds later. The
 * activities fail, Temporal retries them with backoff, and once the database is back every award
 * ends with exactly one attempt, one message and one email. A batch the provider accepted while its
 * outcome could not be recorded is re-sent with its stored idempotency key and answered, not emailed
 * again.
 *
 * This test stops a PostgreSQL it started for itself (never the one the other tests share).
 */
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { createSql } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { startFakeResend } from './support/fake-resend.ts';
import {
  deliveryReport,
  diagnoser,
  eventually,
  maxActivityAttempt,
  progress,
  seedDueBurst,
  sleep,
  spawnWorker,
  startAwardWorkflows,
  startDedicatedPostgres,
  startRestartableTemporal,
  type WorkerProcess,
} from './support/faults.ts';

const AWARDS = 100;
const DOWN_MS = 10_000;
const TASK_QUEUE = 'faults-postgres-outage';

test('PostgreSQL down during a due burst: activities retry and finish once it is back, exactly once', { timeout: 200_000 }, async () => {
  const pg = await startDedicatedPostgres();
  await migrate(pg.url);
  const sql = createSql(pg.url, { max: 4 });
  const temporal = await startRestartableTemporal();
  const fake = await startFakeResend({ latencyMs: 1_500, rateLimit: 5 });
  let worker: WorkerProcess | undefined;
  try {
    worker = await spawnWorker({
      databaseUrl: pg.url,
      temporalAddress: temporal.address,
      taskQueue: TASK_QUEUE,
      resend: { url: fake.url, apiKey: fake.apiKey },
      emailRequestsPerSecond: 2,
      emailBatchSize: 10,
    });
    const client = await temporal.client();
    const burst = await seedDueBurst(sql, { count: AWARDS, dueAt: new Date(Date.now() + 8_000) });
    const diagnose = diagnoser(sql, () => burst, fake, () => (worker ? [worker] : []));
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);

    // The burst is under way: the first emails are out, most are not, and a provider request has just
    // arrived (the fake holds each for 1.5 s), so PostgreSQL is down before its answer can be recorded.
    const justArrived = (): boolean => fake.requestLog().some((r) => r.status === 0 && performance.now() - r.at < 200);
    await eventually('the first emails sent and a request just in flight', async () => fake.sent().length >= 10 && justArrived(), 60_000, 5, diagnose);
    const before = await progress(sql, burst);
    const inFlightAtStop = fake.requestLog().filter((r) => r.status === 0).length;
    await pg.stop();
    const stoppedAt = Date.now();
    const emailsAtStop = fake.sent().length;
    assert.ok(emailsAtStop < AWARDS, `PostgreSQL stopped mid-burst (${emailsAtStop} of ${AWARDS} emails out)`);
    await sleep(DOWN_MS);
    // With the database down no message can be recorded or claimed, so none can be handed to the
    // provider; only the requests already in flight when it stopped (of 10 emails each; one more may
    // have left between the count and the stop) may still land.
    const emailsDuringOutage = fake.sent().length - emailsAtStop;
    assert.ok(emailsDuringOutage <= (inFlightAtStop + 1) * 10, `at most the requests in flight reached the provider during the outage (${emailsDuringOutage} emails, ${inFlightAtStop} requests in flight)`);
    await pg.start();
    const restartedAt = Date.now();

    await eventually(`all ${AWARDS} messages sent once PostgreSQL is back`, async () => (await progress(sql, burst)).sent === AWARDS, 120_000, 250, diagnose);
    const drainedMs = Date.now() - restartedAt;
    assert.ok(worker.alive(), `the worker process survived the outage:\n${worker.output()}`);

    const report = await deliveryReport(sql, fake, burst);
    assert.deepEqual(report.violations, [], 'exactly one attempt, message and email per award');
    assert.equal(report.providerEmails, AWARDS);
    assert.deepEqual(report.duplicateRecipients, []);

    // The outage was felt: activities failed and were retried.
    const sample = burst.awards.filter((_, i) => i % 5 === 0).map((a) => a.id);
    const retried = (await Promise.all(sample.map((id) => maxActivityAttempt(client, id)))).filter((a) => a > 1).length;
    assert.ok(retried > 0, 'some activities were retried after failing against the stopped database');
    const [resent] = await sql<{ n: number }[]>`select count(*)::int as n from messages where send_attempts > 1`;
    if (process.env.FAULTS_DEBUG) console.log(worker.output());
    // The request in flight at the stop reached the provider, but its answer could not be recorded;
    // its messages were re-sent in the same stored batch and the provider answered from its
    // idempotency store instead of emailing again.
    assert.ok(resent!.n > 0 && fake.requests().replayed > 0, `a batch was re-sent with its stored key (${resent!.n} messages, ${fake.requests().replayed} replays)`);
    console.log(
      `[faults] postgres outage: ${resent!.n} messages re-sent in their stored batch; stopped after ${emailsAtStop} emails (${before.attempts} attempts, ${before.sending} sending) for ` +
        `${((restartedAt - stoppedAt) / 1000).toFixed(1)} s; ${emailsDuringOutage} emails landed during it; drained ${(drainedMs / 1000).toFixed(1)} s after the restart; ` +
        `${retried}/${sample.length} sampled workflows retried an activity; provider replays ${fake.requests().replayed}`,
    );
  } finally {
    await worker?.stop(2_000);
    await fake.stop();
    await temporal.dispose();
    await sql.end({ timeout: 1 }).catch(() => {});
    await pg.dispose();
  }
});

test('the PostgreSQL driver survives a connection dying inside a transaction (patches/postgres+3.4.9.patch)', { timeout: 60_000 }, async () => {
  // Unpatched postgres.js 3.4.9 writes the transaction's ROLLBACK to the dead socket from a
  // setImmediate and the TypeError takes the whole process down (this test file would die with it).
  const pg = await startDedicatedPostgres();
  const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  const killer = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    let pid: number | null = null;
    const tx = sql.begin(async (t) => {
      const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
      pid = row!.pid;
      await t`select pg_sleep(5)`;
    });
    await eventually('the transaction to start', async () => pid !== null, 10_000, 20);
    await killer`select pg_terminate_backend(${pid})`;
    await assert.rejects(tx, /CONNECTION_CLOSED|terminating connection/);
    await sleep(200); // the deferred write runs here
    // The pool recovers: a query may see the dead connection's error once, then all succeed.
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = await sql`select 1 as x`.then(() => true, () => false);
    assert.ok(ok, 'the pool answers again');
  } finally {
    await sql.end({ timeout: 1 });
    await killer.end({ timeout: 1 });
    await pg.dispose();
  }
});
