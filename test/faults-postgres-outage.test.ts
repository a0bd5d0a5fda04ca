/**
 * Fault: PostgreSQL goes away in the middle of a due burst — while due steps run, email batches are
 * claimed and provider requests in flight — and comes back about ten seconds later; meanwhile the
 * workflows of a few more due awards start (the API committed them just before the outage), so due
 * steps (the local activities that load the award and create the attempt) meet the outage on a fast
 * machine too. A step under way during the outage either fails and is retried with backoff, or waits
 * in the driver for a connection; once the database is back every award ends with exactly one
 * attempt, one message and one email. The batch the provider accepted just after the stop is recorded
 * once, one of two ways: its recording fails and the batch is re-sent with its stored idempotency key
 * and answered from the provider's store, not emailed again; or the recording waits in the driver
 * (postgres.js holds a query on a closed connection for its reconnect backoff, up to 20 s after many
 * connection errors) and lands once the database is back. Which one happens depends on the connection
 * the query meets, so both are accepted, and whichever it was is checked through.
 *
 * What ran and what retried is read from the worker itself: the harness reports every activity
 * attempt, local ones included (test/support/worker-process.ts); the workflow histories confirm it.
 *
 * This test stops a PostgreSQL it started for itself (never the one the other tests share).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { deliveryReport, diagnoser, eventually, progress, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { startDedicatedPostgres } from './support/stack/database.ts';
import { sleep } from './support/stack/process.ts';
import { notRiddenOut, stepOf, type ActivityAttempt } from './support/stack/worker-reports.ts';
import { maxActivityAttempt } from './support/workflow-history.ts';
import { workflowIdForAward } from '../workflows/contract.ts';

const AWARDS = 100;
/** Awards whose workflows start while PostgreSQL is down (the last ones of the burst). */
const STARTED_DURING_OUTAGE = 10;
const DOWN_MS = 10_000;
const TASK_QUEUE = 'faults-postgres-outage';

/** Attempts counted by type, locality and outcome, for messages. */
function attemptSummary(attempts: readonly ActivityAttempt[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts) {
    const k = `${a.type}${a.local ? ' (local)' : ''} ${a.ok ? 'ok' : 'failed'}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(', ') || 'none';
}

test('PostgreSQL down during a due burst: activities retry and finish once it is back, exactly once', { timeout: 400_000 }, async () => {
  // A PostgreSQL of the stack's own, to stop and start.
  const stack = await startServices({ postgres: 'dedicated', dbPool: 4, taskQueue: TASK_QUEUE, resend: { latencyMs: 1_500, rateLimit: 5 } });
  const { sql, client, fakeResend: fake } = stack;
  const pg = stack.postgres!;
  try {
    const worker = await stack.spawnWorker({ emailRequestsPerSecond: 2, emailBatchSize: 10, activityLog: true });
    const burst = await seedDueBurst(sql, { count: AWARDS, dueAt: new Date(Date.now() + 8_000) });
    const diagnose = diagnoser(sql, () => burst, fake, () => [worker]);
    const startedBefore = burst.awards.slice(0, AWARDS - STARTED_DURING_OUTAGE);
    const startedDuring = burst.awards.slice(AWARDS - STARTED_DURING_OUTAGE);
    await startAwardWorkflows(client, TASK_QUEUE, startedBefore);

    // The burst is under way: the first emails are out, most are not. The next provider request is
    // held unprocessed until PostgreSQL is down, so its answer can never be recorded before the outage.
    await eventually('the first emails sent', async () => fake.sent().length >= 10, 60_000, 20, diagnose);
    const held = fake.holdNext();
    await eventually('a provider request in flight (held)', async () => held.request() !== null, 60_000, 20, diagnose);
    const before = await progress(sql, burst);
    const heldKey = held.request()!.idempotencyKey;
    assert.ok(heldKey, 'the held provider request carries an idempotency key');
    const inFlightAtStop = fake.requestLog().filter((r) => r.status === 0).length;
    const stopBegan = Date.now();
    await pg.stop();
    const stoppedAt = Date.now();
    held.release();
    const emailsAtStop = fake.sent().length;
    assert.ok(emailsAtStop < AWARDS, `PostgreSQL stopped mid-burst (${emailsAtStop} of ${AWARDS} emails out)`);
    // More due awards get their workflows now (the API committed them just before the outage): their
    // first step, a local activity, needs the database. On a fast machine these are the due steps that
    // meet the outage; on a slow one, the burst's own due steps are still running when it begins.
    await startAwardWorkflows(client, TASK_QUEUE, startedDuring);
    const w = worker;
    await sleep(DOWN_MS);
    // The outage lasts DOWN_MS and, on a slow machine, until both kinds of step have failed against
    // it: a local activity (a due step) and a regular one (a send).
    const failedSince = (t: number): ActivityAttempt[] => w.activityAttempts().filter((a) => a.ok === false && a.endedAt! >= t);
    await eventually('a local and a regular activity to fail against the stopped database', async () => {
      const failed = failedSince(stopBegan);
      return failed.some((a) => a.local) && failed.some((a) => !a.local);
    }, 60_000, 100, async () => `activity attempts since the stop: ${attemptSummary(w.activityAttempts().filter((a) => (a.endedAt ?? Infinity) >= stopBegan))}\n${w.output().slice(-4000)}`);
    // With the database down no message can be recorded or claimed, so none can be handed to the
    // provider; only the requests already in flight when it stopped (of 10 emails each; one more may
    // have left between the count and the stop) may still land.
    const emailsDuringOutage = fake.sent().length - emailsAtStop;
    assert.ok(emailsDuringOutage <= (inFlightAtStop + 1) * 10, `at most the requests in flight reached the provider during the outage (${emailsDuringOutage} emails, ${inFlightAtStop} requests in flight)`);
    const restartBegan = Date.now();
    await pg.start();
    const restartedAt = Date.now();

    const db = sql;
    await eventually(`all ${AWARDS} messages sent once PostgreSQL is back`, async () => (await progress(db, burst)).sent === AWARDS, 240_000, 250, diagnose);
    const drainedMs = Date.now() - restartedAt;
    assert.ok(worker.alive(), `the worker process survived the outage:\n${worker.output()}`);

    const report = await deliveryReport(sql, fake, burst);
    assert.deepEqual(report.violations, [], 'exactly one attempt, message and email per award');
    assert.equal(report.providerEmails, AWARDS);
    assert.deepEqual(report.duplicateRecipients, []);

    // How the outage was ridden out, from every activity attempt the worker ran, local ones included.
    // The attempt reports trail the database writes they make by a moment: wait until none is open.
    await eventually('every activity attempt to end', async () => w.activityAttempts().every((a) => a.endedAt !== null), 30_000, 100);
    const attempts = w.activityAttempts();
    if (process.env.FAULTS_DEBUG) {
      // Timelines (seconds from the stop) of every tenth workflow and of those started during the outage.
      const duringIds = new Set(startedDuring.map((a) => workflowIdForAward(a.id)));
      const byWf = new Map<string, ActivityAttempt[]>();
      for (const a of attempts) byWf.set(a.workflowId ?? '', [...(byWf.get(a.workflowId ?? '') ?? []), a]);
      const rel = (t: number | null): string => (t === null ? '-' : ((t - stopBegan) / 1000).toFixed(1));
      let i = 0;
      for (const [wf, list] of byWf) {
        if (i++ % 10 !== 0 && !duringIds.has(wf)) continue;
        console.log(`[faults] ${duringIds.has(wf) ? 'started during' : 'started before'} ${wf}: ${list.map((a) => `${a.type}${a.local ? 'L' : ''}#${a.attempt}[${rel(a.startedAt)}..${rel(a.endedAt)}]${a.ok ? '' : 'X'}`).join(' ')}`);
      }
    }
    const ended = (a: ActivityAttempt): number => a.endedAt!;
    // Every step needs the database: none that began once it was down succeeded before it was back.
    const succeededDuringOutage = attempts.filter((a) => a.ok && a.startedAt > stoppedAt && ended(a) < restartBegan);
    assert.deepEqual(succeededDuringOutage, [], 'no step succeeded while PostgreSQL was down');
    // The steps that ran during the outage: attempts under way at some moment of it. Each either
    // failed, or waited in the driver for a connection and succeeded once the database was back.
    const ranDuring = attempts.filter((a) => a.startedAt < restartBegan && ended(a) > stopBegan);
    const failed = ranDuring.filter((a) => a.ok === false);
    assert.ok(failed.some((a) => a.local) && failed.some((a) => !a.local), `local and regular activities failed against the stopped database (${attemptSummary(failed)})`);
    // Each failed attempt was followed by a successful attempt of the same step: a retry (of a local
    // activity: possibly scheduled again from attempt 1, when its workflow task was lost meanwhile).
    const unfinished = notRiddenOut(attempts.filter((a) => a.ok === false), attempts);
    assert.deepEqual(unfinished, [], `every failed step was finished by a retry (${unfinished.length} were not)`);
    // Temporal's record agrees with the worker's for every workflow whose local activity failed: its
    // history holds the local-activity marker of an attempt on which the worker finished the step.
    const localSteps = new Set(failed.filter((a) => a.local).map(stepOf));
    const awardByWorkflow = new Map(burst.awards.map((a) => [workflowIdForAward(a.id), a.id]));
    for (const step of localSteps) {
      const [workflowId = '', type = ''] = step.split(' ');
      const finishedOn = attempts.filter((a) => stepOf(a) === step && a.ok).map((a) => a.attempt);
      const recorded = await maxActivityAttempt(client, awardByWorkflow.get(workflowId)!, type);
      assert.ok(finishedOn.includes(recorded), `${workflowId}: the history records ${type} on attempt ${recorded}, one the worker finished it on (${finishedOn.join(', ')})`);
    }
    const [resent] = await sql<{ n: number }[]>`select count(*)::int as n from messages where send_attempts > 1`;
    if (process.env.FAULTS_DEBUG) console.log(worker.output());
    // The request held at the stop reached the provider once its hold was released, with the database
    // down. Its messages (a batch, or one message sent on its own key) were recorded once either way.
    const heldMessages = await sql<{ status: string; sendAttempts: number }[]>`
      select m.status, m.send_attempts from messages m
      where m.id = any(coalesce((select message_ids from email_batches where idempotency_key = ${heldKey}), '{}'::uuid[]))
         or m.idempotency_key = ${heldKey}`;
    assert.ok(heldMessages.length > 0, `the held request's messages are in the ledger (key ${heldKey})`);
    assert.ok(heldMessages.every((m) => m.status === 'sent'), `the held request's messages are sent (${heldMessages.map((m) => m.status).join(', ')})`);
    // The requests that carried its key and were answered (a 429 or 5xx would be answered too, but
    // is neither a send nor a replay).
    const heldRequests = fake.requestLog().filter((r) => r.idempotencyKey === heldKey && r.status >= 200 && r.status < 300);
    const heldEmails = fake.sent().filter((e) => e.idempotencyKey === heldKey).length;
    const heldResent = heldMessages.every((m) => m.sendAttempts > 1);
    let heldPath: string;
    if (heldResent) {
      // Its recording failed: the same stored batch was sent again and answered from the provider's
      // idempotency store, not emailed again.
      assert.ok(heldRequests.length >= 2 && !heldRequests[0]!.replayed && heldRequests.slice(1).every((r) => r.replayed), `the held batch was re-sent with its stored key and every re-send answered from the store (${heldRequests.map((r) => `${r.status}${r.replayed ? ' replayed' : ''}`).join(', ')})`);
      heldPath = `re-sent ${heldRequests.length - 1}× with its stored key, answered from the provider's store`;
    } else {
      // Its recording waited in the driver for a connection: one request, one send attempt. (The
      // re-send of a stored batch whose answer was lost is covered deterministically by
      // faults-email-provider's lost answer; here the driver decides which path the batch takes.)
      assert.ok(heldMessages.every((m) => m.sendAttempts === 1), `the held batch's messages were each sent in one attempt (${heldMessages.map((m) => m.sendAttempts).join(', ')})`);
      assert.equal(heldRequests.length, 1, 'the held batch went to the provider once');
      heldPath = 'recorded once the database was back (the query waited in the driver)';
    }
    assert.equal(heldEmails, heldMessages.length, 'the held request emailed each of its messages once');
    console.log(
      `[faults] postgres outage: the batch held at the stop ${heldPath}; ${resent!.n} messages re-sent in their stored batch; stopped after ${emailsAtStop} emails (${before.attempts} attempts, ${before.sending} sending) for ` +
        `${((restartBegan - stoppedAt) / 1000).toFixed(1)} s; ${emailsDuringOutage} emails landed during it; drained ${(drainedMs / 1000).toFixed(1)} s after the restart; ` +
        `attempts under way during it: ${attemptSummary(ranDuring)}; retries in all: ${attemptSummary(attempts.filter((a) => a.attempt > 1))}, ` +
        `highest attempt ${Math.max(...attempts.map((a) => a.attempt))}; provider replays ${fake.requests().replayed}`,
    );
  } finally {
    await stack.stop();
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
    // Its failure is taken at once: the kill may reject it before the killer's own answer arrives,
    // and a rejection nobody handles yet fails the test run (a CI run saw it).
    const failure = sql
      .begin(async (t) => {
        const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
        pid = row!.pid;
        await t`select pg_sleep(5)`;
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    await eventually('the transaction to start', async () => pid !== null, 10_000, 20);
    await killer`select pg_terminate_backend(${pid})`;
    const err = await failure;
    assert.ok(err instanceof Error, `the transaction failed (${String(err)})`);
    assert.match(`${String((err as { code?: unknown }).code ?? '')} ${err.message}`, /CONNECTION_CLOSED|terminating connection/);
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
