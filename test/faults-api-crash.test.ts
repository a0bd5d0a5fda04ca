/**
 * Fault: the API process dies between committing an award and starting its workflow. To land the
 * kill exactly there, the Temporal dev server is frozen (SIGSTOP) so the start hangs right after the
 * commit; the API is SIGKILLed as soon as the award row is visible, then Temporal resumes. The award
 * is left without automation (`workflow_started_at` null, no workflow). A restarted API process runs
 * the reconciler (api/reconciler.ts `reconcileOnce`), which starts the workflow; the award then falls
 * due at its time with exactly one attempt and one message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createTestDatabase } from './support/db.ts';
import { startFakeResend } from './support/fake-resend.ts';
import { makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { eventually, sleep, spawnApi, spawnWorker, startRestartableTemporal, type ApiProcess, type WorkerProcess } from './support/faults.ts';
import { DAY_MS } from '../domain/dates.ts';
import type { AwardRow } from '../db/rows.ts';

const TASK_QUEUE = 'faults-api-crash';

test('the API killed between writing an award and starting its workflow: the reconciler gives the award its workflow', { timeout: 120_000 }, async () => {
  const db = await createTestDatabase('faults_api');
  const temporal = await startRestartableTemporal();
  const fake = await startFakeResend();
  const apis: ApiProcess[] = [];
  let worker: WorkerProcess | undefined;
  try {
    worker = await spawnWorker({ databaseUrl: db.url, temporalAddress: temporal.address, taskQueue: TASK_QUEUE, resend: { url: fake.url, apiKey: fake.apiKey } });
    const apiEnv = { databaseUrl: db.url, temporalAddress: temporal.address, taskQueue: TASK_QUEUE };
    const first = await spawnApi({ ...apiEnv, reconcileIntervalSeconds: 0 });
    apis.push(first);
    const client = await temporal.client();

    // Valid 31 days, recertification 30 days before expiry: due one day after awardedAt.
    const course = await makeCourse(db.sql);
    const cert = await makeCertificate(db.sql, {
      settings: recertSettings(course.id, { leadDays: 30 }, { expiration: { enabled: true, validFor: { amount: 31, unit: 'days' }, anchor: 'completion' } }),
      associatedCourseIds: [course.id],
    });
    const learner = await makeLearner(db.sql, { email: 'grace.hopper@example.com', name: 'Grace Hopper' });
    const dueAt = Date.now() + 25_000;
    const awardedAt = new Date(dueAt - DAY_MS);

    // Freeze Temporal, so the workflow start after the commit hangs; kill the API once the row is in.
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
      }, 4_000, 10);
      first.kill('SIGKILL');
      await first.exited;
      await request;
    } finally {
      server.kill('SIGCONT');
    }
    assert.equal(answered, false, 'the API died before it answered');
    assert.ok(award?.workflowId, 'the award is expiring and names its workflow');
    const [row] = await db.sql<AwardRow[]>`select * from awards where id = ${award.id}`;
    assert.equal(row!.workflowStartedAt, null, 'Temporal never confirmed a start');
    await assert.rejects(client.workflow.getHandle(award.workflowId).describe(), WorkflowNotFoundError, 'the award has no workflow');

    // A new API process: its reconciler repairs the gap.
    const second = await spawnApi({ ...apiEnv, reconcileIntervalSeconds: 1 });
    apis.push(second);
    await eventually('the reconciler started the workflow', async () => {
      const [r] = await db.sql<AwardRow[]>`select * from awards where id = ${award!.id}`;
      return r!.workflowStartedAt !== null;
    }, 30_000, 200);
    const description = await client.workflow.getHandle(award.workflowId).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.ok(Date.now() < dueAt, 'repaired before the award fell due');

    await eventually('the award acted at its due time', async () => {
      const [m] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = ${award!.id} and status = 'sent'`;
      return m!.n === 1;
    }, 60_000, 250);
    const attempts = await db.sql<{ createdAt: Date }[]>`select created_at from course_attempts where award_id = ${award.id}`;
    assert.equal(attempts.length, 1, 'one recertification attempt');
    const lateness = attempts[0]!.createdAt.getTime() - dueAt;
    assert.ok(lateness >= 0 && lateness < 5_000, `enrolled at the due time (lateness ${lateness} ms)`);
    await sleep(500);
    assert.equal(fake.sent().filter((e) => e.to.includes(learner.email)).length, 1, 'one email');
    const [messages] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = ${award.id}`;
    assert.equal(messages!.n, 1, 'one message');
    console.log(`[faults] api crash: workflow started by the reconciler of a restarted API; enrolled ${lateness} ms after the due time`);
  } finally {
    await Promise.all(apis.map((a) => a.stop(2_000)));
    await worker?.stop(2_000);
    await fake.stop();
    await temporal.dispose();
    await db.drop();
  }
});
