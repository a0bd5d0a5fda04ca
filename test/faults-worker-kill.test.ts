/**
 * Fault: the worker process is killed (SIGKILL, no goodbye) while a due burst's activities run —
 * attempts created, email batches claimed in the ledger, provider requests in flight. A new worker
 * finishes the work: every due award ends with exactly one recertification attempt and one message,
 * and the provider received each email once (a re-sent batch carries its stored idempotency key, so
 * the provider answers it again instead of emailing twice).
 *
 * Real Temporal dev server (SQLite), real PostgreSQL, real worker processes; only Resend is a fake,
 * slowed (latency, small batches, 2 requests/s) so the kill lands in the middle of sending.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from './support/db.ts';
import { startFakeResend } from './support/fake-resend.ts';
import {
  deliveryReport,
  diagnoser,
  eventually,
  maxActivityAttempt,
  progress,
  queryStatuses,
  seedDueBurst,
  sleep,
  spawnWorker,
  startAwardWorkflows,
  startRestartableTemporal,
  type WorkerProcess,
} from './support/faults.ts';

const AWARDS = 200;
const TASK_QUEUE = 'faults-worker-kill';

test('a worker SIGKILLed mid-burst: a new worker finishes, exactly one attempt, message and email per award', { timeout: 150_000 }, async () => {
  const db = await createTestDatabase('faults_kill');
  const temporal = await startRestartableTemporal();
  const fake = await startFakeResend({ latencyMs: 400, rateLimit: 5 });
  const workers: WorkerProcess[] = [];
  try {
    const workerEnv = {
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      taskQueue: TASK_QUEUE,
      resend: { url: fake.url, apiKey: fake.apiKey },
      emailRequestsPerSecond: 2,
      emailBatchSize: 10,
    };
    const [first] = await Promise.all([spawnWorker(workerEnv)]);
    workers.push(first!);
    const client = await temporal.client();

    const burst = await seedDueBurst(db.sql, { count: AWARDS, dueAt: new Date(Date.now() + 12_000) });
    const diagnose = diagnoser(db.sql, () => burst, fake, () => workers, client);
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);
    assert.ok(Date.now() < burst.dueAt.getTime(), 'the workflows were started before they fell due');

    // Kill in the middle of sending: the first emails went out, most are still in the mailer's
    // queue, claimed in batches, or on the wire (and some attempts may still be being created).
    await eventually('the first emails sent', async () => fake.sent().length >= 20, 60_000, 20, diagnose);
    first!.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = await progress(db.sql, burst);
    const emailsAtKill = fake.sent().length;
    const exit = await first!.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(emailsAtKill < AWARDS / 2, `the kill landed mid-burst (${emailsAtKill} of ${AWARDS} emails out)`);
    assert.ok(atKill.sent < AWARDS, 'messages were still unsent in PostgreSQL when the worker died');

    await sleep(500);
    const second = await spawnWorker(workerEnv);
    workers.push(second);

    await eventually(`all ${AWARDS} messages sent after the restart`, async () => (await progress(db.sql, burst)).sent === AWARDS, 110_000, 250, diagnose);
    const recoveredMs = Date.now() - killedAt;

    const report = await deliveryReport(db.sql, fake, burst);
    assert.deepEqual(report.violations, [], 'every award has exactly one attempt, one sent message and one email');
    assert.equal(report.exact, AWARDS);
    assert.equal(report.providerEmails, AWARDS, 'the provider emailed each learner once');
    assert.deepEqual(report.duplicateRecipients, []);
    assert.ok(fake.maxRequestsInAnySecond() <= 5, 'the provider rate limit was never exceeded');

    const statuses = await queryStatuses(client, burst.awards.map((a) => a.id));
    for (const s of statuses) {
      assert.equal(s.phase, 'assigned', `${s.awardId} is assigned`);
      assert.equal(s.messages.length, 1, `${s.awardId} recorded one message`);
      assert.equal(s.messages[0]!.status, 'sent');
    }
    // The kill really interrupted sends: some send activity ran again on the new worker.
    const unsentAtKill = burst.awards.filter((_, i) => i % 10 === 0).map((a) => a.id);
    const attempts = await Promise.all(unsentAtKill.map((id) => maxActivityAttempt(client, id, 'sendMessage')));
    assert.ok(attempts.some((a) => a > 1), 'some sendMessage activity was retried after the kill');
    console.log(
      `[faults] worker kill: at the kill ${emailsAtKill}/${AWARDS} emails out (${atKill.sending} rows sending, ${atKill.queued} queued); ` +
        `all sent ${(recoveredMs / 1000).toFixed(1)} s after the kill; provider replays ${fake.requests().replayed}`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.stop(2_000)));
    await fake.stop();
    await temporal.dispose();
    await db.drop();
  }
});
