/**
 * The award path after its commit (issue 11, "Award path: API + workflow start ≥ 90% of raw
 * `workflow.start` at saturation: no post-commit re-reads, the inserted row goes to the start"):
 * a manual award and a completion start their workflows from the rows their transaction inserted.
 * After the commit the only query is the one recording Temporal's confirmation; the award is not
 * read back. Counted on a real PostgreSQL with postgres.js's `debug` hook, started on a real Temporal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSql } from '../db/client.ts';
import { awardWorkflows } from '../api/temporal-gateway.ts';
import { awardCertificate, startAwardAutomation } from '../domain/awarding.ts';
import { completeAttempt } from '../domain/attempts.ts';
import { makeAttempt, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { startServices } from './support/stack.ts';

/** The statement kind of each query (`select`, `update`, …), in order. */
const kinds = (queries: readonly string[]): string[] => queries.map((q) => q.trim().split(/\s+/)[0]!.toLowerCase());

test('award path: a new award and a completion start their workflows from the inserted rows; after the commit one update records it, nothing is read back', async () => {
  const stack = await startServices({ dbPrefix: 'award_path' });
  const queries: string[] = [];
  const sql = createSql(stack.config.databaseUrl, { max: 2, debug: (q) => queries.push(q) });
  try {
    const course = await makeCourse(stack.sql);
    const certificate = await makeCertificate(stack.sql, { settings: recertSettings(course.id), associatedCourseIds: [course.id] });
    const learner = await makeLearner(stack.sql);
    const workflows = awardWorkflows({ sql, client: stack.client, config: stack.config, log: stack.log });

    const made = await sql.begin((tx) => awardCertificate(tx, { certificateId: certificate.id, learnerId: learner.id }));
    assert.equal(made.start.award.id, made.award.id);
    assert.equal(made.start.certificateTitle, certificate.title);
    assert.equal(made.start.leadDays, 30);
    queries.length = 0;
    const [started] = await startAwardAutomation(workflows, { awards: [made.start] });
    assert.deepEqual(kinds(queries), ['update'], `after the commit: ${queries.join(' | ')}`);
    assert.ok(started?.workflowStartedAt, 'the start is recorded');
    const described = await stack.client.workflow.getHandle(made.award.workflowId!).describe();
    assert.equal(described.status.name, 'RUNNING');
    assert.ok((await described.staticSummary())?.startsWith(`${certificate.title} for learner ${learner.id}`));

    // A completion that renews: its new award starts from its start facts as well.
    const attempt = await makeAttempt(stack.sql, { learnerId: learner.id, courseId: course.id, status: 'in_progress', progress: 50 });
    const completion = await sql.begin((tx) => completeAttempt(tx, attempt.id));
    assert.equal(completion.starts.length, 1);
    queries.length = 0;
    const [renewal] = await startAwardAutomation({ ...workflows, deliverChange: async () => {} }, { awards: completion.starts });
    assert.deepEqual(kinds(queries), ['update'], `after the completion's commit: ${queries.join(' | ')}`);
    assert.ok(renewal?.workflowStartedAt);
    assert.equal((await stack.client.workflow.getHandle(renewal.workflowId!).describe()).status.name, 'RUNNING');

    // Given a bare row (the reconciler's way), the start facts are read first: the path the others avoid.
    const other = await sql.begin(async (tx) => awardCertificate(tx, { certificateId: certificate.id, learnerId: (await makeLearner(stack.sql)).id }));
    queries.length = 0;
    await startAwardAutomation(workflows, { awards: [other.award] });
    assert.ok(kinds(queries).filter((k) => k === 'select').length >= 1, 'a bare row is read back before its start');
  } finally {
    await sql.end({ timeout: 1 });
    await stack.stop();
  }
});
