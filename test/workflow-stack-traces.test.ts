/**
 * WORKFLOW_STACK_TRACES (worker/workers.ts STACK_TRACES_ENV, patches/@temporalio+worker+1.24.0.patch):
 * off by default, the SDK's per-promise stack trace hook is not installed and the stack trace query
 * (the Temporal UI's Stack Trace tab) answers that traces are off; on, it answers where the workflow waits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from '../domain/dates.ts';
import { ConfigError, loadConfig } from '../config/env.ts';
import { createHarness, type Harness } from './support/workflow-harness.ts';
import { makeAward, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { statusQuery } from '../workflows/contract.ts';

const BASE_ENV = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', ADMIN_API_TOKEN: 'x'.repeat(32) };

test('WORKFLOW_STACK_TRACES: off unless set to on; anything else is refused with the variable named', () => {
  assert.equal(loadConfig(BASE_ENV).workflowStackTraces, false);
  assert.equal(loadConfig({ ...BASE_ENV, WORKFLOW_STACK_TRACES: 'on' }).workflowStackTraces, true);
  assert.equal(loadConfig({ ...BASE_ENV, WORKFLOW_STACK_TRACES: 'off' }).workflowStackTraces, false);
  assert.throws(() => loadConfig({ ...BASE_ENV, WORKFLOW_STACK_TRACES: 'yes' }), (err: unknown) => err instanceof ConfigError && /WORKFLOW_STACK_TRACES: must be on or off/.test(err.message));
});

/** Starts one sleeping recertification workflow and returns what the stack trace query answers. */
async function stackTraceAnswer(h: Harness): Promise<{ ok: true; trace: string } | { ok: false; error: string }> {
  const learner = await makeLearner(h.db.sql, {});
  const course = await makeCourse(h.db.sql, {});
  const cert = await makeCertificate(h.db.sql, { settings: recertSettings(course.id), associatedCourseIds: [course.id] });
  const now = await h.now();
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date(now - DAY_MS), expiresAt: new Date(now + 365 * DAY_MS) });
  return await h.withWorkers(async () => {
    const wf = await h.start(award);
    for (let i = 0; i < 300 && (await wf.query(statusQuery)).dueAt === null; i++) await new Promise((r) => setTimeout(r, 100));
    assert.notEqual((await wf.query(statusQuery)).dueAt, null, 'the workflow read its settings and sleeps until its due time');
    try {
      return { ok: true, trace: await wf.query<string>('__stack_trace') };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

test('stack traces off (the default): the stack trace query of a sleeping workflow says they are off', async () => {
  const h = await createHarness();
  try {
    const answer = await stackTraceAnswer(h);
    assert.equal(answer.ok, false, 'no trace without the hook');
    assert.match(answer.ok ? '' : answer.error, /stack traces are not enabled/);
  } finally {
    await h.close();
  }
});

test('stack traces on: the query shows where the workflow waits', async () => {
  const h = await createHarness({ workflowStackTraces: true });
  try {
    const answer = await stackTraceAnswer(h);
    assert.ok(answer.ok, `a trace: ${answer.ok ? '' : answer.error}`);
    assert.match(answer.trace, /sleepUntil/, 'the timer it sleeps in');
  } finally {
    await h.close();
  }
});
