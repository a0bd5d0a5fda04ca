/**
 * Fault: the email provider misbehaves during a due burst — it answers 429 with `retry-after`, then
 * 500 for a while, then accepts a batch but the connection drops before the answer. Every message
 * is still sent exactly once: the mailer pauses for `retry-after` (no request reaches the provider
 * before it), failed batches are retried with backoff as the *same* stored request, and the batch
 * whose answer was lost is answered from the provider's idempotency store, not emailed twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryReport, eventually, progress, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { failedLocalAttempts, maxActivityAttempt } from './support/workflow-history.ts';

const AWARDS = 60;
const RETRY_AFTER_S = 3;
const TASK_QUEUE = 'faults-email-provider';

test('provider 429 with retry-after, then 500s, then a lost answer: every message sent exactly once', { timeout: 400_000 }, async () => {
  const stack = await startServices({ dbPrefix: 'faults_email', taskQueue: TASK_QUEUE, resend: { latencyMs: 50, rateLimit: 5 } });
  const { db, client, fakeResend: fake } = stack;
  try {
    await stack.spawnWorker({
      // One request a second: a request leaves at least a second after the one before it, by when the
      // mailer has read that one's 429, so no request is already on its way when a pause begins (with
      // more a second, requests that left together before the answer came are rightly not held back,
      // and the gaps below would depend on the machine's speed).
      emailRequestsPerSecond: 1,
      emailBatchSize: 10,
    });
    const burst = await seedDueBurst(db.sql, { count: AWARDS, dueAt: new Date(Date.now() + 6_000) });
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);

    // The first requests of the burst meet the faults, in this order.
    fake.failNext(2, 429, { retryAfterSeconds: RETRY_AFTER_S });
    fake.failNext(3, 500);
    fake.failNext(1, 'lose-response');
    const started = Date.now();

    await eventually(`all ${AWARDS} messages sent`, async () => (await progress(db.sql, burst)).sent === AWARDS, 240_000, 250);
    const drainedMs = Date.now() - started;

    const report = await deliveryReport(db.sql, fake, burst);
    assert.deepEqual(report.violations, [], 'exactly one attempt, message and email per award');
    assert.equal(report.providerEmails, AWARDS, 'the provider emailed each learner once');
    assert.deepEqual(report.duplicateRecipients, []);

    const log = fake.requestLog().sort((a, b) => a.at - b.at);
    const statuses = log.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 429).length, 2, 'only the two injected 429s: the mailer never tripped the rate limit itself');
    assert.equal(statuses.filter((s) => s === 500).length, 3, 'the three injected 500s');
    assert.equal(statuses.filter((s) => s === -1).length, 1, 'the lost answer');
    assert.ok(fake.requests().replayed >= 1, 'the batch whose answer was lost was re-sent with its key and answered from the idempotency store');
    assert.ok(fake.maxRequestsInAnySecond() <= 5, `at most 5 requests in any second (${fake.maxRequestsInAnySecond()})`);
    // retry-after: after each 429, nothing reached the provider for RETRY_AFTER_S seconds. The mailer
    // pauses from the moment it reads a 429, which is after the 429 left here (both arrivals are
    // stamped by one clock, the test's), so the gap is at least retry-after exactly.
    for (const [i, r] of log.entries()) {
      if (r.status !== 429) continue;
      const next = log[i + 1];
      assert.ok(next, 'requests followed the 429');
      const gap = next.at - r.at;
      const timeline = log.map((x) => `${(x.at - log[0]!.at).toFixed(0)} ms ${x.status} (${x.size})`).join(', ');
      assert.ok(gap >= RETRY_AFTER_S * 1000, `the next request came ${gap.toFixed(0)} ms after a 429 with retry-after ${RETRY_AFTER_S} s: ${timeline}`);
    }
    // The faults cost sends a second try: a retry of the activity, or (SEND_IN_DUE_STEP) a local send
    // that failed and was handed over to the email task queue.
    const retried = await Promise.all(
      burst.awards.slice(0, 20).map(async (a) => (await maxActivityAttempt(client, a.id, 'sendMessage')) > 1 || (await failedLocalAttempts(client, a.id, 'sendMessage')) > 0),
    );
    assert.ok(retried.some(Boolean), 'sends were retried or handed over');
    console.log(
      `[faults] email provider: ${log.length} requests (${statuses.filter((s) => s === 429).length}×429, ${statuses.filter((s) => s === 500).length}×500, 1 lost answer, ` +
        `${fake.requests().replayed} replayed); all ${AWARDS} sent ${(drainedMs / 1000).toFixed(1)} s after the faults were armed`,
    );
  } finally {
    await stack.stop();
  }
});
