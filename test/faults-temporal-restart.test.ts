/**
 * Fault: the Temporal dev server is stopped and started again on the same SQLite file while the
 * workflows sleep. Their durable timers survive: awards that fell due while the server was down act
 * as soon as it is back, and awards due after the restart act at their due time — each exactly once.
 * The worker process stays up throughout and reconnects on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from './support/db.ts';
import { startFakeResend } from './support/fake-resend.ts';
import {
  deliveryReport,
  eventually,
  progress,
  queryStatuses,
  seedDueBurst,
  sleep,
  spawnWorker,
  startAwardWorkflows,
  startRestartableTemporal,
  type WorkerProcess,
} from './support/faults.ts';
import { DAY_MS } from '../domain/dates.ts';

const TASK_QUEUE = 'faults-temporal-restart';
const PER_GROUP = 10;
const DOWN_MS = 8_000;

test('workflows sleeping across a Temporal restart on the same SQLite file still fire at their due times', { timeout: 120_000 }, async () => {
  const db = await createTestDatabase('faults_temporal');
  const temporal = await startRestartableTemporal();
  const fake = await startFakeResend({ rateLimit: 5 });
  let worker: WorkerProcess | undefined;
  try {
    worker = await spawnWorker({
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      taskQueue: TASK_QUEUE,
      resend: { url: fake.url, apiKey: fake.apiKey },
    });
    const client = await temporal.client();

    // Timeline (t0 = now): start the workflows; stop the server at t0+4 s; group A falls due at
    // t0+7 s while it is down; restart at t0+12 s; group B falls due at t0+27 s, once the worker has
    // surely reconnected (its pollers back off while the server is away: up to ~10 s here).
    const t0 = Date.now();
    const stopAt = t0 + 4_000;
    const restartAt = stopAt + DOWN_MS;
    const dueA = new Date(stopAt + 3_000);
    const dueB = new Date(restartAt + 15_000);
    const leadDays = 30;
    const burst = await seedDueBurst(db.sql, {
      count: 2 * PER_GROUP,
      dueAt: dueA,
      leadDays,
      expiresAt: (i) => new Date((i < PER_GROUP ? dueA : dueB).getTime() + leadDays * DAY_MS),
    });
    const dueOf = new Map(burst.awards.map((a) => [a.id, a.expiresAt!.getTime() - leadDays * DAY_MS]));
    await startAwardWorkflows(client, TASK_QUEUE, burst.awards);
    // Every workflow has started and is asleep in its timer before the server goes down.
    await eventually('all workflows scheduled', async () => {
      const statuses = await queryStatuses(client, burst.awards.map((a) => a.id));
      return statuses.every((s) => s.phase === 'scheduled');
    }, 10_000, 200);
    assert.ok(Date.now() < stopAt, 'set up before the planned stop');
    await sleep(stopAt - Date.now());

    await temporal.stop();
    const stoppedAt = Date.now();
    await sleep(restartAt - Date.now());
    assert.equal((await progress(db.sql, burst)).attempts, 0, 'nothing happened while the server was down');
    await temporal.start();
    const restartedAt = Date.now();

    await eventually('every award enrolled after the restart', async () => (await progress(db.sql, burst)).attempts === 2 * PER_GROUP, 40_000, 200);
    await eventually('every message sent', async () => (await progress(db.sql, burst)).sent === 2 * PER_GROUP, 20_000, 200);
    assert.ok(worker.alive(), `the worker survived the outage:\n${worker.output()}`);

    const enrolled = await db.sql<{ awardId: string; createdAt: Date }[]>`
      select award_id, created_at from course_attempts where award_id = any(${burst.awards.map((a) => a.id)}::uuid[])`;
    const lateA: number[] = [];
    const lateB: number[] = [];
    for (const row of enrolled) {
      const due = dueOf.get(row.awardId)!;
      const at = row.createdAt.getTime();
      assert.ok(at >= due, `award ${row.awardId} did not act before its due time`);
      if (due === dueA.getTime()) {
        assert.ok(at >= restartedAt - 1_000, 'group A acted only once the server was back');
        lateA.push(at - restartedAt);
      } else {
        lateB.push(at - due);
      }
    }
    const max = (xs: number[]): number => Math.max(...xs);
    assert.equal(lateA.length, PER_GROUP);
    assert.equal(lateB.length, PER_GROUP);
    assert.ok(max(lateA) < 15_000, `group A (due during the outage) acted within 15 s of the restart (worst ${max(lateA)} ms)`);
    assert.ok(max(lateB) < 3_000, `group B (due after the restart) acted at its due time, within 3 s (worst lateness ${max(lateB)} ms)`);

    const report = await deliveryReport(db.sql, fake, burst);
    assert.deepEqual(report.violations, []);
    assert.equal(report.providerEmails, 2 * PER_GROUP);
    console.log(
      `[faults] temporal restart: down ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s; group A acted ${max(lateA)} ms after the restart at worst; ` +
        `group B lateness worst ${max(lateB)} ms`,
    );
  } finally {
    await worker?.stop(2_000);
    await fake.stop();
    await temporal.dispose();
    await db.drop();
  }
});
