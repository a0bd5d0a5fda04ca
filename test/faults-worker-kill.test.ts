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
import { deliveryReport, diagnoser, eventually, progress, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { sleep } from './support/stack/process.ts';
import { notRiddenOut } from './support/stack/worker-reports.ts';
import type { WorkerProcess, WorkerProcessOptions } from './support/stack/worker.ts';
import { maxActivityAttempt, queryStatuses } from './support/workflow-history.ts';
import { workflowIdForAward } from '../workflows/contract.ts';

const AWARDS = 200;
const TASK_QUEUE = 'faults-worker-kill';

test('a worker SIGKILLed mid-burst: a new worker finishes, exactly one attempt, message and email per award', { timeout: 400_000 }, async () => {
  const stack = await startServices({ dbPrefix: 'faults_kill', taskQueue: TASK_QUEUE, resend: { latencyMs: 400, rateLimit: 5 } });
  const { db, client, fakeResend: fake } = stack;
  const workers: WorkerProcess[] = [];
  try {
    const workerOptions: WorkerProcessOptions = { emailRequestsPerSecond: 2, emailBatchSize: 10, activityLog: true };
    const first = await stack.spawnWorker(workerOptions);
    workers.push(first);

    const burst = await seedDueBurst(db.sql, { count: AWARDS, dueAt: new Date(Date.now() + 12_000) });
    const diagnose = diagnoser(db.sql, () => burst, fake, () => workers, client);
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);
    // Normally every workflow sleeps before the burst falls due; on a slow machine the last ones may
    // start after it and act at once, which is the same burst (nothing below depends on it).
    const startedAfterDueMs = Math.max(0, Date.now() - burst.dueAt.getTime());

    // Kill in the middle of sending: the first emails went out, most are still in the mailer's
    // queue, claimed in batches, or on the wire (and some attempts may still be being created). The
    // next provider request is held unprocessed until the worker is dead, so the sends waiting for it
    // are certainly cut off; its answer is lost with the worker.
    await eventually('the first emails sent', async () => fake.sent().length >= 20, 60_000, 20, diagnose);
    const held = fake.holdNext();
    await eventually('a provider request in flight (held)', async () => held.request() !== null, 60_000, 20, diagnose);
    first.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = await progress(db.sql, burst);
    const emailsAtKill = fake.sent().length;
    const exit = await first.exited;
    held.release();
    assert.equal(exit.signal, 'SIGKILL');
    // What the kill cut off: every activity attempt the first worker started and never ended.
    const cutOff = first.activityAttempts().filter((a) => a.endedAt === null);
    const cutOffSends = cutOff.filter((a) => a.type === 'sendMessage');
    assert.ok(cutOffSends.length > 0, `the kill cut off sends (waiting for the held request): ${cutOff.length} attempts cut off`);
    assert.ok(emailsAtKill < AWARDS / 2, `the kill landed mid-burst (${emailsAtKill} of ${AWARDS} emails out)`);
    assert.ok(atKill.sent < AWARDS, 'messages were still unsent in PostgreSQL when the worker died');

    await sleep(500);
    const second = await stack.spawnWorker(workerOptions);
    workers.push(second);

    await eventually(`all ${AWARDS} messages sent after the restart`, async () => (await progress(db.sql, burst)).sent === AWARDS, 240_000, 250, diagnose);
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
    // Every step the kill cut off was finished by the new worker. A cut-off send on the email queue
    // by a retry of that activity (Temporal's record: an attempt past the one that died with the
    // worker); a cut-off local send (the due step's, SEND_IN_DUE_STEP) died with its workflow task,
    // which the new worker ran again from its start: the send ran again as a fresh local activity,
    // and the history records it completed (its idempotency key kept it to one email, checked above).
    const unfinished = notRiddenOut(cutOff, [], second.activityAttempts());
    assert.deepEqual(unfinished, [], 'every activity cut off by the kill was finished by the new worker');
    const awardByWorkflow = new Map(burst.awards.map((a) => [workflowIdForAward(a.id), a.id]));
    for (const send of cutOffSends) {
      const recorded = await maxActivityAttempt(client, awardByWorkflow.get(send.workflowId!)!, 'sendMessage');
      if (send.local) assert.ok(recorded >= 1, `${send.workflowId}: the local send cut off with its workflow task completed in the re-run task (history: ${recorded ? `attempt ${recorded}` : 'none'})`);
      else assert.ok(recorded > send.attempt, `${send.workflowId}: the send cut off on attempt ${send.attempt} was retried (history: attempt ${recorded})`);
    }
    console.log(
      `[faults] worker kill: at the kill ${emailsAtKill}/${AWARDS} emails out (${atKill.sending} rows sending, ${atKill.queued} queued), ` +
        `${cutOff.length} activity attempts cut off (${cutOffSends.length} sends, ${cutOff.filter((a) => a.local).length} local); ` +
        `all sent ${(recoveredMs / 1000).toFixed(1)} s after the kill; provider replays ${fake.requests().replayed}` +
        (startedAfterDueMs > 0 ? `; the last workflows started ${startedAfterDueMs} ms after the due time` : ''),
    );
  } finally {
    await stack.stop();
  }
});
