/**
 * Concurrency and recovery on the real stack: Idempotency-Key under 20 simultaneous repeats, the one
 * active award per learner and certificate under 20 simultaneous posts, simultaneous completions of
 * one attempt, and the reconciler catching up an award (and a settings change) that never reached
 * Temporal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InterceptingCall, status as GrpcStatus, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../api/app.ts';
import { TEMPORAL_CALL_TIMEOUT_MS } from '../api/temporal-gateway.ts';
import { reconcileOnce } from '../api/reconciler.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { makeAward } from './support/fixtures.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_concurrency' });
});
after(async () => {
  await stack?.stop();
});

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let counter = 0;
async function world(nCertificates = 1): Promise<{ learner: LearnerDto; course: CourseDto; certificates: CertificateDto[] }> {
  const n = `${process.pid}-${++counter}`;
  const learner = await ok<LearnerDto>('POST', '/api/learners', { email: `c${n}@example.com`, name: `Learner ${n}` });
  const course = await ok<CourseDto>('POST', '/api/courses', { title: `Course ${n}`, status: 'live' });
  const certificates: CertificateDto[] = [];
  for (let i = 0; i < nCertificates; i++) {
    const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
      title: `Certificate ${n}/${i}`,
      associatedCourseIds: [course.id],
      settings: {
        expiration: { enabled: true, validFor: { amount: 1, unit: 'years' }, anchor: 'completion' },
        recertification: { enabled: true, courseId: course.id, leadDays: 30 },
      },
    });
    certificates.push(certificate);
  }
  return { learner, course, certificates };
}

async function workflowsOf(certificateId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of stack.client.workflow.list({ query: `CertificateId = '${certificateId}'` })) ids.push(wf.workflowId);
  return ids.sort();
}

interface TemporalCall {
  method: string;
  /** Epoch ms of the call's deadline, null without one. */
  deadline: number | null;
  startedAt: number;
  /** The gRPC status it ended with (null while open). */
  code: number | null;
}

/** A gRPC client interceptor that records each call's method, deadline and final status. */
function recordCalls(calls: TemporalCall[]): Interceptor {
  return (options, nextCall) => {
    const d = options.deadline;
    const call: TemporalCall = {
      method: options.method_definition.path.split('/').pop() ?? options.method_definition.path,
      deadline: d === undefined || d === Infinity ? null : d instanceof Date ? d.getTime() : d,
      startedAt: Date.now(),
      code: null,
    };
    calls.push(call);
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            call.code = status.code;
            nextStatus(status);
          },
        });
      },
    });
  };
}

/** Visibility is eventually consistent: wait until it shows `n`, then make sure it stays there. */
async function expectWorkflows(certificateId: string, n: number): Promise<string[]> {
  await stack.eventually(`${n} workflow(s) of ${certificateId}`, async () => (await workflowsOf(certificateId)).length >= n);
  await new Promise((r) => setTimeout(r, 1000));
  const ids = await workflowsOf(certificateId);
  assert.equal(ids.length, n, `workflows: ${ids.join(', ')}`);
  return ids;
}

test('the same award posted 20 times at once with one Idempotency-Key creates one award and one workflow', async () => {
  const { learner, certificates } = await world();
  const cert = certificates[0]!;
  const key = `award-${learner.id}`;
  const results = await Promise.all(
    Array.from({ length: 20 }, () => stack.request<{ award: AwardDto; workflowId: string }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id }, { 'idempotency-key': key })),
  );
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([201]), JSON.stringify(results.map((r) => r.body)));
  const awardIds = new Set(results.map((r) => r.body.award.id));
  assert.equal(awardIds.size, 1, 'every answer names the same award');
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19);
  const [{ n } = { n: -1 }] = await stack.sql<{ n: number }[]>`select count(*)::int as n from awards where certificate_id = ${cert.id}`;
  assert.equal(n, 1);
  const [awardId] = [...awardIds];
  assert.deepEqual(await expectWorkflows(cert.id, 1), [`recertification-${awardId}`]);

  // Later repeats answer the final first result; another body with the key is refused.
  const repeat = await stack.request<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id }, { 'idempotency-key': key });
  assert.equal(repeat.status, 201);
  assert.equal(repeat.body.award.id, awardId);
  assert.ok(repeat.body.award.workflowStartedAt, 'the stored answer was updated after the workflow start');
  const other = await ok<LearnerDto>('POST', '/api/learners', { email: `other-${learner.id}@example.com`, name: 'Other' });
  const reused = await stack.request<{ error: { code: string } }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: other.id }, { 'idempotency-key': key });
  assert.equal(reused.status, 422);
  assert.equal(reused.body.error.code, 'idempotency_key_reused');
  const [{ m } = { m: -1 }] = await stack.sql<{ m: number }[]>`select count(*)::int as m from awards where learner_id = ${other.id}`;
  assert.equal(m, 0);
});

test('20 posts at once without a key: one award, the rest 409 already_awarded', async () => {
  const { learner, certificates } = await world();
  const cert = certificates[0]!;
  const results = await Promise.all(
    Array.from({ length: 20 }, () => stack.request<{ award?: AwardDto; error?: { code: string } }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id })),
  );
  const created = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status === 409);
  assert.equal(created.length, 1, JSON.stringify(results.map((r) => [r.status, r.body])));
  assert.equal(refused.length, 19);
  assert.ok(refused.every((r) => r.body.error?.code === 'already_awarded'));
  const rows = await stack.sql<{ id: string }[]>`select id from awards where certificate_id = ${cert.id}`;
  assert.deepEqual(rows.map((r) => r.id), [created[0]!.body.award!.id]);
  await expectWorkflows(cert.id, 1);
});

test('simultaneous completions of one attempt award (and renew) once', async () => {
  const { learner, course, certificates } = await world(2);
  const previous: AwardDto[] = [];
  for (const cert of certificates) previous.push((await ok<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id })).award);
  const { attempt } = await ok<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id });

  type Completion = { attempt: AttemptDto; awards: AwardDto[]; renewed: { previousAwardId: string; newAwardId: string }[]; alreadyCompleted: boolean };
  const results = await Promise.all(Array.from({ length: 2 }, () => stack.request<Completion>('POST', `/api/attempts/${attempt.id}/complete`)));
  assert.deepEqual(results.map((r) => r.status), [200, 200], JSON.stringify(results.map((r) => r.body)));
  assert.deepEqual(results.map((r) => r.body.alreadyCompleted).sort(), [false, true]);
  const [first, second] = results.map((r) => r.body);
  const ids = (c: Completion | undefined) => (c?.awards ?? []).map((a) => a.id).sort();
  assert.equal(ids(first).length, 2, 'one award per certificate');
  assert.deepEqual(ids(first), ids(second), 'the repeat answers the first result');
  assert.deepEqual(
    [...(first?.renewed ?? [])].sort((a, b) => a.previousAwardId.localeCompare(b.previousAwardId)),
    [...(second?.renewed ?? [])].sort((a, b) => a.previousAwardId.localeCompare(b.previousAwardId)),
  );

  // Eight more at once: still nothing new.
  const more = await Promise.all(Array.from({ length: 8 }, () => stack.request<Completion>('POST', `/api/attempts/${attempt.id}/complete`)));
  assert.ok(more.every((r) => r.status === 200 && r.body.alreadyCompleted && ids(r.body).join() === ids(first).join()));

  const rows = await stack.sql<{ certificateId: string; status: string; previousAwardId: string | null; renewedByAwardId: string | null }[]>`
    select certificate_id, status, previous_award_id, renewed_by_award_id from awards where learner_id = ${learner.id} order by created_at`;
  assert.equal(rows.length, 4, 'two earlier awards, two renewals');
  for (const old of previous) {
    const row = rows.find((r) => r.previousAwardId === old.id);
    assert.ok(row, `award ${old.id} renewed once`);
    assert.equal(row.status, 'active');
  }
  assert.equal(rows.filter((r) => r.status === 'renewed').length, 2);
  for (const cert of certificates) await expectWorkflows(cert.id, 2);
});

test('the reconciler starts the workflow of an award left without one, and a settings change not yet propagated', async () => {
  const deps = { config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'silent' }) };
  const { learner, certificates } = await world();
  const cert = certificates[0]!;

  // 1. The API could not reach Temporal: the award is saved (201) with its workflow pending. Every
  // call the request makes to Temporal is recorded (outermost interceptor, so one entry per call
  // however often gRPC retries it; the retry interceptor is the one a real connection has).
  const calls: TemporalCall[] = [];
  const deadTemporal = new Client({
    connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300, interceptors: [recordCalls(calls), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] }),
  });
  const offline = createApp({ ...deps, client: deadTemporal });
  const res = await offline.request(`/api/certificates/${cert.id}/awards`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ learnerId: learner.id }),
  });
  assert.equal(res.status, 201);
  // The request does not hang on Temporal: it answered through its deadline path. It tried (at least
  // the workflow start), each call carried a deadline no later than TEMPORAL_CALL_TIMEOUT_MS after it
  // began, and each ended because that deadline passed — none was left open, none waited longer.
  assert.ok(calls.length >= 1, 'the request tried to start the workflow');
  for (const call of calls) {
    assert.ok(call.deadline !== null, `${call.method} carried a deadline`);
    const budget = call.deadline - call.startedAt;
    assert.ok(budget > 0 && budget <= TEMPORAL_CALL_TIMEOUT_MS, `${call.method}: deadline ${budget} ms after the call began (at most ${TEMPORAL_CALL_TIMEOUT_MS})`);
    assert.equal(call.code, GrpcStatus.DEADLINE_EXCEEDED, `${call.method} ended by its deadline (status ${call.code})`);
  }
  const { award } = (await res.json()) as { award: AwardDto };
  assert.equal(award.workflowStartedAt, null);
  const pending = await ok<{ recertification: unknown; recertificationUnavailable: string }>('GET', `/api/awards/${award.id}`);
  assert.equal(pending.recertification, null);
  assert.match(pending.recertificationUnavailable, /not been started/);

  // 2. An award inserted straight into the database (the API died after its commit).
  const other = await ok<LearnerDto>('POST', '/api/learners', { email: `orphan-${learner.id}@example.com`, name: 'Orphan' });
  const orphan = await makeAward(stack.sql, { certificateId: cert.id, learnerId: other.id, awardedAt: new Date(), expiresAt: new Date(Date.now() + 365 * DAY_MS) });

  // Young rows are left to the request handling them.
  const young = await reconcileOnce(deps, { graceSeconds: 600 });
  assert.equal(young.awardWorkflowsStarted, 0);
  await stack.sql`update awards set created_at = now() - interval '1 minute' where id in ${stack.sql([award.id, orphan.id])}`;

  // 3. A settings change whose propagation never started.
  const changed = await ok<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  await stack.sql`update certificates set settings = jsonb_set(settings, '{recertification,leadDays}', '14'), settings_version = settings_version + 1 where id = ${cert.id}`;
  await stack.sql`insert into settings_propagations (certificate_id, settings_version, created_at) values (${cert.id}, ${changed.settingsVersion + 1}, now() - interval '1 minute')`;

  // Three API processes reconcile at once: each start is idempotent.
  const reports = await Promise.all([reconcileOnce(deps), reconcileOnce(deps), reconcileOnce(deps)]);
  assert.ok(reports.every((r) => r.failures === 0), JSON.stringify(reports));
  const rows = await stack.sql<{ id: string; workflowStartedAt: Date | null }[]>`select id, workflow_started_at from awards where id in ${stack.sql([award.id, orphan.id])}`;
  assert.ok(rows.every((r) => r.workflowStartedAt), 'both marked started');
  for (const id of [award.id, orphan.id]) {
    assert.equal((await stack.client.workflow.getHandle(`recertification-${id}`).describe()).status.name, 'RUNNING');
  }
  await expectWorkflows(cert.id, 2);
  await stack.eventually('the propagation ran', async () => {
    const [p] = await stack.sql<{ completedAt: Date | null; signalled: number }[]>`
      select completed_at, signalled from settings_propagations where certificate_id = ${cert.id} and settings_version = ${changed.settingsVersion + 1}`;
    return p?.completedAt ? p : null;
  });
  const view = await stack.eventually('the workflow got leadDays 14', async () => {
    const v = await ok<{ recertification: { settings: { recertification: { leadDays: number } } | null } | null }>('GET', `/api/awards/${orphan.id}`);
    return v.recertification?.settings?.recertification.leadDays === 14 ? v : null;
  });
  assert.ok(view);
  const again = await reconcileOnce(deps);
  assert.deepEqual(Object.entries(again).filter(([, n]) => n !== 0), [], `a second pass finds nothing to do: ${JSON.stringify(again)}`);
});
