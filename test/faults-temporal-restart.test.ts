/**
 * Fault: the Temporal dev server is stopped and started again on the same SQLite file while the
 * workflows sleep. Their durable timers survive: awards that fell due while the server was down act
 * once it is back, and awards due after the restart act at their due time — each exactly once, each
 * woken by the very timer it set before the outage (read from its history). The worker process stays
 * up throughout and reconnects on its own.
 *
 * How soon after its due time a timer fires is a benchmark's question (bench/: timer lateness), not
 * this test's: here a workflow must never act before its due time, nor before the server is back, and
 * must act on the timer that survived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryReport, eventually, mapLimit, progress, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { sleep } from './support/stack/process.ts';
import { queryStatuses, workflowTimers } from './support/workflow-history.ts';
import { DAY_MS } from '../domain/dates.ts';
import { expiryChangedSignal, workflowIdForAward } from '../workflows/contract.ts';

const TASK_QUEUE = 'faults-temporal-restart';
const PER_GROUP = 10;
/** The least time the timeline leaves for moving every workflow's timer onto it. */
const MIN_REPLAN_MS = 5_000;

test('workflows sleeping across a Temporal restart on the same SQLite file still fire at their due times', { timeout: 400_000 }, async () => {
  const stack = await startServices({ dbPrefix: 'faults_temporal', taskQueue: TASK_QUEUE, resend: { rateLimit: 5 } });
  const { db, temporal, client, fakeResend: fake } = stack;
  try {
    const worker = await stack.spawnWorker();

    // The workflows start with their due time a day away and go to sleep in their timers (their
    // histories hold the TimerStarted events; their status says 'scheduled' from the start, before).
    const leadDays = 30;
    const burst = await seedDueBurst(db.sql, { count: 2 * PER_GROUP, dueAt: new Date(Date.now() + DAY_MS), leadDays });
    const setupBegan = Date.now();
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);
    const timersSet = async (n: number): Promise<boolean> => {
      const timers = await mapLimit(burst.awards, 8, (a) => workflowTimers(client, a.id));
      return timers.every((ts) => ts.length === n && ts[n - 1]!.firedAt === null);
    };
    await eventually('all workflows asleep in their timers', () => timersSet(1), 300_000, 200);
    const setupMs = Date.now() - setupBegan;

    // Then onto the test's timeline, as the API moves an award's expiry: the database first, then the
    // signal; each workflow re-plans into a new timer. Timeline (t0 = now): group A falls due while
    // the server is down, group B after the restart, once the worker has normally reconnected (its
    // pollers back off while the server is away). Re-planning costs each workflow one task, less
    // than starting it and loading its award did, so the timeline leaves it twice the measured setup
    // time: a slow machine gets a later timeline, not a failed test.
    const replanMs = Math.max(MIN_REPLAN_MS, 2 * setupMs);
    const t0 = Date.now();
    const dueA = new Date(t0 + replanMs);
    const restartAt = dueA.getTime() + 3_000;
    const dueB = new Date(restartAt + 15_000);
    const dueOf = new Map(burst.awards.map((a, i) => [a.id, (i < PER_GROUP ? dueA : dueB).getTime()]));
    for (const [id, due] of dueOf) {
      const expiresAt = new Date(due + leadDays * DAY_MS);
      await db.sql`update awards set expires_at = ${expiresAt} where id = ${id}`;
      await client.workflow.getHandle(workflowIdForAward(id)).signal(expiryChangedSignal, { expiresAt: expiresAt.toISOString() });
    }
    await eventually('all workflows asleep in their re-planned timers', () => timersSet(2), Math.max(0, dueA.getTime() - Date.now()), 200);
    const statuses = await queryStatuses(client, burst.awards.map((a) => a.id));
    assert.ok(statuses.every((st) => st.phase === 'scheduled'), 'every workflow is scheduled');

    const stopBegan = Date.now();
    await temporal.stop();
    const stoppedAt = Date.now();
    assert.ok(stoppedAt < dueA.getTime(), `the server was down before group A fell due (re-planning took ${stoppedAt - t0} ms of ${replanMs})`);
    await sleep(restartAt - Date.now());
    assert.equal((await progress(db.sql, burst)).attempts, 0, 'nothing happened while the server was down');
    const restartBegan = Date.now();
    await temporal.start();
    const restartedAt = Date.now();

    await eventually('every award enrolled after the restart', async () => (await progress(db.sql, burst)).attempts === 2 * PER_GROUP, 180_000, 200);
    await eventually('every message sent', async () => (await progress(db.sql, burst)).sent === 2 * PER_GROUP, 120_000, 200);
    assert.ok(worker.alive(), `the worker survived the outage:\n${worker.output()}`);

    const enrolled = await db.sql<{ awardId: string; createdAt: Date }[]>`
      select award_id, created_at from course_attempts where award_id = any(${burst.awards.map((a) => a.id)}::uuid[])`;
    const lateA: number[] = [];
    const lateB: number[] = [];
    for (const row of enrolled) {
      const due = dueOf.get(row.awardId)!;
      const at = row.createdAt.getTime();
      assert.ok(at >= due, `award ${row.awardId} did not act before its due time`);
      // The workflow slept across the outage in the timer it set before it (the re-planned one; the
      // first never fired); that timer fired, at or after the due time, and woke it to act: it was
      // neither lost nor replaced.
      const timers = await workflowTimers(client, row.awardId);
      const setBefore = timers.filter((t) => t.startedAt < stopBegan);
      assert.equal(setBefore.length, 2, `award ${row.awardId}: two timers set before the outage, the first and the re-planned one (${JSON.stringify(timers)})`);
      const sleepTimer = setBefore[1];
      assert.equal(setBefore[0]!.firedAt, null, `award ${row.awardId}: the first timer, a day out, never fired`);
      const firstFired = timers.filter((t) => t.firedAt !== null).sort((x, y) => x.firedAt! - y.firedAt!)[0];
      assert.equal(firstFired?.timerId, sleepTimer!.timerId, `award ${row.awardId}: the timer set before the outage is the one that fired`);
      assert.ok(sleepTimer!.firedAt! >= due, `award ${row.awardId}: its timer fired at or after the due time`);
      assert.ok(sleepTimer!.firedAt! >= restartBegan, `award ${row.awardId}: its timer fired once the server was back`);
      assert.ok(at >= sleepTimer!.firedAt!, `award ${row.awardId}: acted once its timer fired`);
      if (due === dueA.getTime()) {
        assert.ok(at >= restartBegan, 'group A acted only once the server was back');
        lateA.push(at - restartedAt);
      } else {
        lateB.push(at - due);
      }
    }
    const max = (xs: number[]): number => Math.max(...xs);
    assert.equal(lateA.length, PER_GROUP);
    assert.equal(lateB.length, PER_GROUP);

    const report = await deliveryReport(db.sql, fake, burst);
    assert.deepEqual(report.violations, []);
    assert.equal(report.providerEmails, 2 * PER_GROUP);
    console.log(
      `[faults] temporal restart: down ${((restartBegan - stoppedAt) / 1000).toFixed(1)} s; group A acted ${max(lateA)} ms after the restart at worst; ` +
        `group B lateness worst ${max(lateB)} ms`,
    );
  } finally {
    await stack.stop();
  }
});
