/**
 * Fault: the worker process is killed (SIGKILL) in the middle of an import, while a page or its
 * workflow starts are in flight. A new worker resumes the import workflow where the database says it
 * stopped: every row is done exactly once (one award per row and learner, no award outside the
 * import's rows, each learner created once), and every award's recertification workflow is started
 * once and asleep.
 *
 * Real Temporal dev server, real PostgreSQL, the API in this process, workers in processes of their own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImportCreated, ImportDto } from '../api/import-schemas.ts';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { startStack } from './support/stack.ts';
import type { WorkerProcess } from './support/stack/worker.ts';

// Three pages of 500. Every award's workflow starts on the same worker, whose first steps (context
// read, timer) share its two cores with the import's own activities: a few seconds per hundred here.
const ROWS = 1500;
const TASK_QUEUE = 'faults-import-kill';

test('a worker SIGKILLed mid-import: a new worker resumes it, every row done exactly once, every workflow started and asleep', { timeout: 600_000 }, async () => {
  const stack = await startStack({ dbPrefix: 'faults_import', taskQueue: TASK_QUEUE, workers: false });
  const workers: WorkerProcess[] = [];
  try {
    const first = await stack.spawnWorker({ activityLog: true });
    workers.push(first);
    const course = await stack.request<CourseDto>('POST', '/api/courses', { title: 'Refresher', status: 'live' });
    const { body: created } = await stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', {
      title: 'Imported',
      associatedCourseIds: [course.body.id],
      settings: {
        expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
        recertification: { enabled: true, courseId: course.body.id, leadDays: 30 },
      },
    });
    const certificateId = created.certificate.id;
    // Every row schedules: awarded 1 to 300 days ago, expiring in 65 to 364 days.
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      email: `holder${i}@example.com`,
      name: `Holder ${i}`,
      awardedAt: new Date(Date.now() - (1 + (i % 300)) * DAY_MS).toISOString(),
    }));
    const posted = await stack.request<ImportCreated>('POST', `/api/certificates/${certificateId}/imports?createLearners=true`, { rows });
    assert.equal(posted.status, 202, JSON.stringify(posted.body).slice(0, 300));
    const importId = posted.body.import.id;
    const view = async (): Promise<ImportDto> => (await stack.request<ImportDto>('GET', `/api/imports/${importId}`)).body;

    // Kill while the import is under way: some pages done, an activity of the import in flight.
    await stack.eventually(
      'the first page done and an import activity in flight',
      async () => (await view()).progress.done >= ROWS / 3 && first.activityAttempts().some((a) => a.endedAt === null && a.workflowId?.startsWith('import-')),
      180_000,
    );
    first.kill('SIGKILL');
    const atKill = await view();
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL');
    const cutOff = first.activityAttempts().filter((a) => a.endedAt === null && a.workflowId?.startsWith('import-'));
    assert.ok(cutOff.length > 0, 'the kill cut an import activity off');
    assert.ok(atKill.progress.pending > 0, `the kill landed mid-import (${atKill.progress.done} of ${ROWS} done)`);

    const second = await stack.spawnWorker({ activityLog: true });
    workers.push(second);
    let lastReport = Date.now();
    const done = await stack.eventually('the import completed by the new worker', async () => {
      const v = await view();
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        const [awaiting] = await stack.sql<{ n: number }[]>`select count(*)::int as n from awards where workflow_started_at is null`;
        const attempts = second.activityAttempts().filter((a) => a.workflowId?.startsWith('import-'));
        console.log(`# progress ${JSON.stringify(v.progress)}, awards awaiting their start ${awaiting?.n}, import activity attempts ${attempts.length} (${attempts.filter((a) => a.endedAt === null).length} open, max attempt ${Math.max(0, ...attempts.map((a) => a.attempt))})`);
      }
      return v.status === 'completed' ? v : null;
    }, 360_000);
    assert.deepEqual(done.progress, { pending: 0, done: ROWS, rejected: 0, processed: ROWS });
    assert.equal(done.byOutcome.schedule, ROWS);
    assert.equal(done.learnersCreated, ROWS);

    const [facts] = await stack.sql<{ awards: number; learners: number; pairs: number; outside: number; unstarted: number; learnersTotal: number }[]>`
      select count(*)::int as awards,
             count(distinct learner_id)::int as learners,
             count(distinct (certificate_id, learner_id))::int as pairs,
             count(*) filter (where id not in (select award_id from import_rows where import_id = ${importId} and award_id is not null))::int as outside,
             count(*) filter (where workflow_started_at is null)::int as unstarted,
             (select count(*)::int from learners) as learners_total
      from awards where certificate_id = ${certificateId}`;
    assert.deepEqual(facts, { awards: ROWS, learners: ROWS, pairs: ROWS, outside: 0, unstarted: 0, learnersTotal: ROWS }, 'one award and one learner per row');

    // Every workflow started once and asleep (scheduled), none closed.
    const running = await stack.eventually('every award workflow visible as running', async () => {
      const n = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND ExecutionStatus = 'Running'`)).count;
      return n === ROWS ? n : null;
    }, 60_000);
    assert.equal(running, ROWS);
    const closed = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND ExecutionStatus != 'Running'`)).count;
    assert.equal(closed, 0, 'no workflow closed (none ran twice and failed its start)');
    const asleep = (await stack.client.workflow.count(`WorkflowType = 'recertificationWorkflow' AND RecertificationPhase = 'scheduled'`)).count;
    assert.equal(asleep, ROWS, 'every workflow sleeps until its due date');
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await stack.stop();
  }
});
