/**
 * Fault: the API process dies between committing an award and starting its workflow. To land the
 * kill exactly there, the Temporal dev server is frozen (SIGSTOP) so the start hangs right after the
 * commit; the API is SIGKILLed as soon as the award row is visible, then Temporal resumes. The award
 * is left without automation (`workflow_started_at` null, no workflow). A restarted API process runs
 * the reconciler (api/reconciler.ts `reconcileOnce`), which starts the workflow; the award then falls
 * due at its time — its workflow sleeps in a timer until then, and acts when that timer fires — with
 * exactly one attempt and one message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventually } from './support/due-burst.ts';
import { makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { startServices } from './support/stack.ts';
import { sleep } from './support/stack/process.ts';
import { workflowTimers } from './support/workflow-history.ts';
import { TEMPORAL_CALL_TIMEOUT_MS } from '../api/temporal-gateway.ts';
import { DAY_MS } from '../domain/dates.ts';
import type { AwardRow } from '../db/rows.ts';

const TASK_QUEUE = 'faults-api-crash';
/** The reconciler's interval here, and the age below which it leaves rows alone (api/reconciler.ts). */
const RECONCILE_INTERVAL_S = 1;
const RECONCILE_GRACE_MS = 5_000;
/** The least time from the award's request to its due time. */
const MIN_DUE_IN_MS = 25_000;

test('the API killed between writing an award and starting its workflow: the reconciler gives the award its workflow', { timeout: 400_000 }, async () => {
  const stack = await startServices({ dbPrefix: 'faults_api', taskQueue: TASK_QUEUE });
  const { db, temporal, client, fakeResend: fake } = stack;
  try {
    await stack.spawnWorker();
    const spawnBegan = Date.now();
    const first = await stack.spawnApi({ reconcileIntervalSeconds: 0 });
    // The award must fall due after the repair: after a second API process has started (as long as
    // this one took) and its reconciler has found the row (older than the grace, at the next pass);
    // twice that, so a slow machine gets a later due time, not a failed test.
    const dueInMs = Math.max(MIN_DUE_IN_MS, 2 * (Date.now() - spawnBegan + RECONCILE_GRACE_MS + RECONCILE_INTERVAL_S * 1000));

    // Valid 31 days, recertification 30 days before expiry: due one day after awardedAt.
    const course = await makeCourse(db.sql);
    const cert = await makeCertificate(db.sql, {
      settings: recertSettings(course.id, { leadDays: 30 }, { expiration: { enabled: true, validFor: { amount: 31, unit: 'days' }, anchor: 'completion' } }),
      associatedCourseIds: [course.id],
    });
    const learner = await makeLearner(db.sql, { email: 'grace.hopper@example.com', name: 'Grace Hopper' });
    const dueAt = Date.now() + dueInMs;
    const awardedAt = new Date(dueAt - DAY_MS);

    // Freeze Temporal, so the workflow start after the commit hangs; kill the API once the row is in.
    // The start waits at most TEMPORAL_CALL_TIMEOUT_MS before the API answers without it, so the kill
    // must land within that of the commit: the test polls for the row every 10 ms.
    const server = temporal.process()!;
    server.kill('SIGSTOP');
    let award: AwardRow | undefined;
    let answered = false;
    try {
      const request = fetch(`${first.url}/api/certificates/${cert.id}/awards`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ learnerId: learner.id, awardedAt: awardedAt.toISOString() }),
      }).then(
        () => (answered = true),
        () => false,
      );
      await eventually('the award committed', async () => {
        [award] = await db.sql<AwardRow[]>`select * from awards where learner_id = ${learner.id}`;
        return award !== undefined;
      }, 60_000, 10);
      first.kill('SIGKILL');
      await first.exited;
      await request;
    } finally {
      server.kill('SIGCONT');
    }
    assert.equal(answered, false, `the API died before it answered (its Temporal call waits up to ${TEMPORAL_CALL_TIMEOUT_MS} ms)`);
    assert.ok(award?.workflowId, 'the award is expiring and names its workflow');
    const [row] = await db.sql<AwardRow[]>`select * from awards where id = ${award.id}`;
    assert.equal(row!.workflowStartedAt, null, 'Temporal never confirmed a start');
    await assert.rejects(client.workflow.getHandle(award.workflowId).describe(), WorkflowNotFoundError, 'the award has no workflow');

    // A new API process: its reconciler repairs the gap.
    await stack.spawnApi({ reconcileIntervalSeconds: RECONCILE_INTERVAL_S });
    await eventually('the reconciler started the workflow', async () => {
      const [r] = await db.sql<AwardRow[]>`select * from awards where id = ${award!.id}`;
      return r!.workflowStartedAt !== null;
    }, 30_000, 200);
    const description = await client.workflow.getHandle(award.workflowId).describe();
    assert.equal(description.status.name, 'RUNNING');
    const repairedAt = Date.now();
    assert.ok(repairedAt < dueAt, `repaired before the award fell due (${dueAt - repairedAt} ms to spare of ${dueInMs})`);

    await eventually('the award acted at its due time', async () => {
      const [m] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = ${award!.id} and status = 'sent'`;
      return m!.n === 1;
    }, 120_000, 250);
    const attempts = await db.sql<{ createdAt: Date }[]>`select created_at from course_attempts where award_id = ${award.id}`;
    assert.equal(attempts.length, 1, 'one recertification attempt');
    const lateness = attempts[0]!.createdAt.getTime() - dueAt;
    assert.ok(lateness >= 0, `not enrolled before the due time (lateness ${lateness} ms)`);
    // Acting at the due time, as behaviour: the workflow slept in one timer to the due time and acted
    // when it fired (how soon after is timer lateness, which the benchmarks measure).
    const timers = await workflowTimers(client, award.id);
    const sleepTimer = timers.find((t) => t.firedAt !== null);
    assert.ok(sleepTimer, `the workflow slept in a timer that fired (${JSON.stringify(timers)})`);
    assert.ok(sleepTimer.startedAt < dueAt && sleepTimer.firedAt! >= dueAt, 'the timer was set before the due time and fired at or after it');
    assert.ok(attempts[0]!.createdAt.getTime() >= sleepTimer.firedAt!, 'the attempt was created once the timer fired');
    await sleep(500);
    assert.equal(fake.sent().filter((e) => e.to.includes(learner.email)).length, 1, 'one email');
    const [messages] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = ${award.id}`;
    assert.equal(messages!.n, 1, 'one message');
    console.log(`[faults] api crash: workflow started by the reconciler of a restarted API; enrolled ${lateness} ms after the due time`);
  } finally {
    await stack.stop();
  }
});
