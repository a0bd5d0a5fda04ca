/**
 * The seed's scenario end to end through HTTP only, on the real stack (PostgreSQL, Temporal dev
 * server, workers, API, fake Resend): set up a recertifying certificate, award it so the due time is
 * seconds away, watch the workflow enroll the learner and send the expiring notice, complete the
 * attempt, and see the renewal and the new award's workflow.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from '../domain/dates.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../api/schemas.ts';
import type { RecertificationStatus } from '../workflows/contract.ts';
import { startStack, type TestStack } from './support/stack.ts';
import { certificateQuery } from '../api/admin/workflows.ts';
import { RECERTIFICATION_WORKFLOW, expiryChangedSignal, recertificationStart } from '../workflows/contract.ts';
import type { recertificationWorkflow } from '../workflows/recertification.ts';
import { RecertificationPhase } from '../workflows/search-attributes.ts';
import { signalUntilContinuedAsNew } from './support/continue-as-new.ts';

interface AwardView {
  award: AwardDto;
  workflowStatus: string | null;
  recertification: RecertificationStatus | null;
  recertificationUnavailable: string | null;
}

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_e2e' });
});
after(async () => {
  await stack?.stop();
});

async function post<T>(path: string, body: unknown, expect = 201): Promise<T> {
  const res = await stack.request<T>('POST', path, body);
  assert.equal(res.status, expect, `POST ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
async function patch<T>(path: string, body: unknown, expect = 200): Promise<T> {
  const res = await stack.request<T>('PATCH', path, body);
  assert.equal(res.status, expect, `PATCH ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
async function get<T>(path: string): Promise<T> {
  const res = await stack.request<T>('GET', path);
  assert.equal(res.status, 200, `GET ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

test('the seed scenario: award → due → enrolled and notified → completed → renewed with a new workflow', async () => {
  const learner = await post<LearnerDto>('/api/learners', { email: 'ada@example.com', name: 'Ada Lovelace' });
  const basics = await post<CourseDto>('/api/courses', { title: 'Forklift Safety', status: 'live' });
  const refresher = await post<CourseDto>('/api/courses', { title: 'Forklift Safety Refresher', status: 'draft' });
  const live = await get<{ courses: CourseDto[] }>('/api/courses?status=live');
  assert.deepEqual(live.courses.map((c) => c.id), [basics.id], 'only live courses are listed as recertification choices');
  await patch<CourseDto>(`/api/courses/${refresher.id}`, { status: 'live' });

  const { certificate } = await post<{ certificate: CertificateDto }>('/api/certificates', {
    title: 'Forklift Operator',
    associatedCourseIds: [basics.id, refresher.id],
  });
  assert.equal(certificate.settings.expiration.enabled, false, 'defaults: no expiration');
  const saved = await patch<{ certificate: CertificateDto; warnings: { code: string }[]; signalled: number }>(`/api/certificates/${certificate.id}`, {
    settings: {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: refresher.id, leadDays: 30 },
      expiringNotice: { enabled: true },
    },
  });
  assert.deepEqual(saved.warnings, []);
  assert.equal(saved.signalled, 0);
  assert.equal(saved.certificate.settingsVersion, 2);

  // expiresAt = awardedAt + 60 days; due = expiresAt − 30 days = awardedAt + 30 days ≈ now + 3 s.
  const dueAt = Date.now() + 3000;
  const awardedAt = new Date(dueAt - 30 * DAY_MS);
  const created = await post<{ award: AwardDto; workflowId: string }>(`/api/certificates/${certificate.id}/awards`, {
    learnerId: learner.id,
    awardedAt: awardedAt.toISOString(),
  });
  const award = created.award;
  assert.equal(created.workflowId, `recertification-${award.id}`);
  assert.equal(award.expiresAt, new Date(awardedAt.getTime() + 60 * DAY_MS).toISOString());
  assert.ok(award.workflowStartedAt, 'the workflow start is confirmed');
  assert.match(award.workflowUrl ?? '', /\/workflows\/recertification-/);

  const desc = await stack.client.workflow.getHandle(created.workflowId).describe();
  assert.equal(desc.status.name, 'RUNNING');
  assert.equal(desc.typedSearchAttributes.getAll().find((p) => p.key.name === 'CertificateId')?.value, certificate.id);

  // The workflow falls due: a fresh recertification attempt and the expiring notice.
  const attempt = await stack.eventually('the recertification attempt', async () => {
    const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${learner.id}&courseId=${refresher.id}`);
    return attempts.find((a) => a.source === 'recertification' && a.awardId === award.id);
  });
  assert.equal(attempt.status, 'enrolled');
  assert.equal(attempt.progress, 0);
  const message = await stack.eventually('the expiring notice', async () => {
    const { messages } = await get<{ messages: MessageDto[] }>(`/api/messages?awardId=${award.id}`);
    return messages.find((m) => m.kind === 'certificate_expiring' && m.status === 'sent');
  });
  assert.equal(message.to, 'ada@example.com');
  assert.equal(message.provider, 'resend');
  assert.ok(stack.fakeResend.sent().some((e) => e.to.includes('ada@example.com') && e.subject === message.subject), 'the fake Resend received it');
  const assigned = await stack.eventually('phase assigned', async () => {
    const view = await get<AwardView>(`/api/awards/${award.id}`);
    return view.recertification?.phase === 'assigned' ? view : null;
  });
  assert.equal(assigned.recertification?.attempt?.attemptId, attempt.id);

  // The learner works through the course and completes it.
  const progressed = await patch<AttemptDto>(`/api/attempts/${attempt.id}`, { progress: 40 });
  assert.equal(progressed.status, 'in_progress');
  const done = await post<{ attempt: AttemptDto; awards: AwardDto[]; renewed: { previousAwardId: string; newAwardId: string }[]; alreadyCompleted: boolean }>(
    `/api/attempts/${attempt.id}/complete`,
    undefined,
    200,
  );
  assert.equal(done.attempt.status, 'completed');
  assert.equal(done.alreadyCompleted, false);
  assert.equal(done.awards.length, 1);
  const renewal = done.awards[0]!;
  assert.deepEqual(done.renewed, [{ previousAwardId: award.id, newAwardId: renewal.id }]);
  assert.equal(renewal.previousAwardId, award.id);
  assert.equal(renewal.sourceAttemptId, attempt.id);
  assert.equal(renewal.expiresAt, new Date(Date.parse(done.attempt.completedAt!) + 60 * DAY_MS).toISOString(), 'anchor completion');
  assert.ok(renewal.workflowStartedAt);

  // The old award is renewed and its workflow ends so; the new one runs.
  const old = await stack.eventually('the old workflow renewed', async () => {
    const view = await get<AwardView>(`/api/awards/${award.id}`);
    return view.recertification?.phase === 'renewed' && view.workflowStatus === 'COMPLETED' ? view : null;
  });
  assert.equal(old.award.status, 'renewed');
  assert.equal(old.award.renewedByAwardId, renewal.id);
  assert.equal(old.workflowStatus, 'COMPLETED');
  const fresh = await get<AwardView>(`/api/awards/${renewal.id}`);
  assert.equal(fresh.workflowStatus, 'RUNNING');
  assert.equal(fresh.recertification?.phase, 'scheduled');
  const { awards } = await get<{ awards: AwardDto[] }>(`/api/awards?certificateId=${certificate.id}&learnerId=${learner.id}&status=active`);
  assert.deepEqual(awards.map((a) => a.id), [renewal.id]);

  // One visibility query finds the certificate's workflows; the awards list can show their phases.
  await stack.eventually('both workflows in visibility', async () => {
    let n = 0;
    for await (const _ of stack.client.workflow.list({ query: `CertificateId = '${certificate.id}'` })) n++;
    return n === 2;
  });
  type Summary = { workflowStatus: string; phase: string | null; dueAt: string | null } | null;
  const listed = await stack.eventually('the phases in the awards list', async () => {
    const page = await get<{ awards: (AwardDto & { recertification: Summary })[] }>(`/api/awards?certificateId=${certificate.id}&include=recertification`);
    const byId = new Map(page.awards.map((a) => [a.id, a.recertification]));
    return byId.get(award.id)?.phase === 'renewed' && byId.get(renewal.id)?.phase === 'scheduled' ? byId : null;
  });
  assert.equal(listed.get(renewal.id)?.workflowStatus, 'RUNNING');
  assert.equal(listed.get(renewal.id)?.dueAt, new Date(Date.parse(renewal.expiresAt!) - 30 * DAY_MS).toISOString());
});

test('a workflow waiting because its course is not live enrolls as soon as the course is published', async () => {
  const learner = await post<LearnerDto>('/api/learners', { email: 'grace@example.com', name: 'Grace Hopper' });
  const course = await post<CourseDto>('/api/courses', { title: 'Crane Refresher', status: 'live' });
  const { certificate } = await post<{ certificate: CertificateDto }>('/api/certificates', {
    title: 'Crane Operator',
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
      expiringNotice: { enabled: false },
    },
  });
  const { award } = await post<{ award: AwardDto }>(`/api/certificates/${certificate.id}/awards`, {
    learnerId: learner.id,
    awardedAt: new Date(Date.now() + 2500 - 30 * DAY_MS).toISOString(),
  });
  await patch<CourseDto>(`/api/courses/${course.id}`, { status: 'draft' });
  const waiting = await stack.eventually('waiting for settings', async () => {
    const v = await get<AwardView>(`/api/awards/${award.id}`);
    return v.recertification?.phase === 'waiting_for_settings' ? v : null;
  });
  assert.match(waiting.recertification?.waitingReason ?? '', /not live/);
  await patch<CourseDto>(`/api/courses/${course.id}`, { status: 'live' });
  const assigned = await stack.eventually('assigned after publishing', async () => {
    const v = await get<AwardView>(`/api/awards/${award.id}`);
    return v.recertification?.phase === 'assigned' ? v : null;
  });
  const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${learner.id}`);
  assert.deepEqual(attempts.map((a) => a.id), [assigned.recertification?.attempt?.attemptId]);
});

/** A live course, a learner, and a certificate with expiration (60 days) and recertification (30 days' lead). */
async function setup(over: { anchor?: 'completion' | 'previous_expiry'; enrollmentMessage?: { subject: string; body: string } } = {}): Promise<{
  learner: LearnerDto;
  course: CourseDto;
  certificate: CertificateDto;
}> {
  const n = Math.random().toString(36).slice(2, 8);
  const learner = await post<LearnerDto>('/api/learners', { email: `learner-${n}@example.com`, name: `Learner ${n}` });
  const course = await post<CourseDto>('/api/courses', { title: `Course ${n}`, status: 'live', enrollmentMessage: over.enrollmentMessage ?? null });
  const { certificate } = await post<{ certificate: CertificateDto }>('/api/certificates', {
    title: `Certificate ${n}`,
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: over.anchor ?? 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  });
  return { learner, course, certificate };
}

test('a settings change is propagated to the running workflows; an expiration-only change is not', async () => {
  const { learner, certificate } = await setup();
  const { award } = await post<{ award: AwardDto }>(`/api/certificates/${certificate.id}/awards`, { learnerId: learner.id });
  await stack.eventually('the workflow scheduled', async () => (await get<AwardView>(`/api/awards/${award.id}`)).recertification?.phase === 'scheduled');

  const changed = await patch<{ certificate: CertificateDto; signalled: number; propagation: { settingsVersion: number; workflowId: string; started: boolean } | null }>(
    `/api/certificates/${certificate.id}`,
    { settings: { recertification: { leadDays: 10 } } },
  );
  assert.equal(changed.signalled, 1);
  assert.equal((changed as { passedOver?: number }).passedOver, 0, 'the lead days moved its due time: woken');
  assert.equal(changed.propagation?.started, true);
  assert.equal(changed.propagation?.settingsVersion, changed.certificate.settingsVersion);
  const view = await stack.eventually('the workflow has the new settings', async () => {
    const v = await get<AwardView>(`/api/awards/${award.id}`);
    return v.recertification?.settingsVersion === changed.certificate.settingsVersion ? v : null;
  });
  assert.equal(view.recertification?.settings?.recertification.leadDays, 10);
  assert.equal(view.recertification?.dueAt, new Date(Date.parse(award.expiresAt!) - 10 * DAY_MS).toISOString());
  await stack.eventually('the propagation recorded as complete', async () => {
    const [row] = await stack.sql<{ completedAt: Date | null; signalled: number }[]>`
      select completed_at, signalled from settings_propagations where certificate_id = ${certificate.id}`;
    return row?.completedAt && row.signalled === 1;
  });

  const expirationOnly = await patch<{ signalled: number; propagation: unknown }>(`/api/certificates/${certificate.id}`, {
    settings: { expiration: { validFor: { amount: 90, unit: 'days' } } },
  });
  assert.equal(expirationOnly.signalled, 0, 'existing awards keep their expiry: nothing to signal');
  assert.equal(expirationOnly.propagation, null);

  // Turning expiration off turns recertification off and says so. The scheduled workflow keeps its
  // due time (the lead days stay), so it is not woken: it reads the settings at its due time.
  const off = await patch<{ certificate: CertificateDto; warnings: { code: string }[]; signalled: number; passedOver: number; propagation: unknown }>(
    `/api/certificates/${certificate.id}`,
    { settings: { expiration: { enabled: false } } },
  );
  assert.equal(off.certificate.settings.recertification.enabled, false);
  assert.deepEqual(off.warnings.map((w) => w.code), ['recertification_disabled_with_expiration']);
  assert.deepEqual({ signalled: off.signalled, passedOver: off.passedOver, propagation: off.propagation }, { signalled: 0, passedOver: 1, propagation: null });
  const still = await get<AwardView>(`/api/awards/${award.id}`);
  assert.equal(still.recertification?.settingsVersion, changed.certificate.settingsVersion, 'not woken: it keeps the copy it had');
});

test('manual enrollment supersedes the current attempt and sends the course enrollment message through Temporal', async () => {
  const { learner, course } = await setup({
    enrollmentMessage: { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}, start at {{course.url}}</p>' },
  });
  const first = await post<{ attempt: AttemptDto; supersededAttemptId: string | null; enrollmentMessageWorkflowId: string | null }>(
    `/api/courses/${course.id}/enrollments`,
    { learnerId: learner.id },
  );
  assert.equal(first.attempt.source, 'manual');
  assert.equal(first.supersededAttemptId, null);
  assert.equal(first.enrollmentMessageWorkflowId, `enrollment-message-${first.attempt.id}`);
  const message = await stack.eventually('the enrollment message', async () => {
    const { messages } = await get<{ messages: MessageDto[] }>(`/api/messages?learnerId=${learner.id}`);
    return messages.find((m) => m.kind === 'course_enrollment' && m.attemptId === first.attempt.id && m.status === 'sent');
  });
  assert.equal(message.subject, `Welcome to ${course.title}`);
  const result = await stack.client.workflow.getHandle(first.enrollmentMessageWorkflowId!).result();
  assert.equal((result as { status: string }).status, 'sent');

  // Progress, completion, then a new enrollment: the completed attempt is kept as history.
  await patch<AttemptDto>(`/api/attempts/${first.attempt.id}`, { progress: 100 });
  await post(`/api/attempts/${first.attempt.id}/complete`, undefined, 200);
  const again = await post<{ attempt: AttemptDto; supersededAttemptId: string | null }>(`/api/courses/${course.id}/enrollments`, { learnerId: learner.id });
  assert.equal(again.supersededAttemptId, first.attempt.id);
  const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${learner.id}&courseId=${course.id}`);
  assert.deepEqual(
    attempts.map((a) => [a.id, a.status]),
    [
      [again.attempt.id, 'enrolled'],
      [first.attempt.id, 'superseded'],
    ],
  );
  const stale = await stack.request('PATCH', `/api/attempts/${first.attempt.id}`, { progress: 10 });
  assert.equal(stale.status, 409);
  assert.equal((stale.body as { error: { code: string } }).error.code, 'attempt_superseded');
});

test('extending and revoking an award signal its workflow', async () => {
  const { learner, certificate } = await setup();
  const { award } = await post<{ award: AwardDto }>(`/api/certificates/${certificate.id}/awards`, { learnerId: learner.id });
  const later = new Date(Date.parse(award.expiresAt!) + 20 * DAY_MS).toISOString();
  const extended = await patch<{ award: AwardDto; signal: string }>(`/api/awards/${award.id}`, { expiresAt: later });
  assert.equal(extended.signal, 'signalled');
  assert.equal(extended.award.expiresAt, later);
  const [pending] = await stack.sql<{ at: Date | null }[]>`select workflow_signal_pending_at as at from awards where id = ${award.id}`;
  assert.equal(pending!.at, null, 'a change Temporal accepted is no longer pending');
  await stack.eventually('the workflow has the new expiry', async () => (await get<AwardView>(`/api/awards/${award.id}`)).recertification?.expiresAt === later);

  const revoked = await post<{ award: AwardDto; signal: string }>(`/api/awards/${award.id}/revoke`, { reason: 'Issued in error' }, 200);
  assert.equal(revoked.award.status, 'revoked');
  assert.equal(revoked.award.revokedReason, 'Issued in error');
  assert.equal(revoked.signal, 'signalled');
  const view = await stack.eventually('the workflow revoked', async () => {
    const v = await get<AwardView>(`/api/awards/${award.id}`);
    return v.recertification?.phase === 'revoked' && v.workflowStatus === 'COMPLETED' ? v : null;
  });
  assert.equal(view.recertification?.revokedReason, 'Issued in error');
  for (const [method, path, body] of [
    ['POST', `/api/awards/${award.id}/revoke`, { reason: 'again' }],
    ['PATCH', `/api/awards/${award.id}`, { expiresAt: later }],
  ] as const) {
    const res = await stack.request<{ error: { code: string } }>(method, path, body);
    assert.equal(res.status, 409, `${method} ${path}`);
    assert.equal(res.body.error.code, 'award_not_active');
  }
  // The learner may be awarded again once the old award is no longer active.
  const again = await stack.request('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: learner.id });
  assert.equal(again.status, 201);
});

test('renewing early with anchor previous_expiry keeps the anniversary; a non-expiring award has no workflow', async () => {
  const { learner, course, certificate } = await setup({ anchor: 'previous_expiry' });
  const { award } = await post<{ award: AwardDto }>(`/api/certificates/${certificate.id}/awards`, { learnerId: learner.id });
  const { attempt } = await post<{ attempt: AttemptDto }>(`/api/courses/${course.id}/enrollments`, { learnerId: learner.id });
  const done = await post<{ awards: AwardDto[] }>(`/api/attempts/${attempt.id}/complete`, undefined, 200);
  assert.equal(done.awards[0]?.expiresAt, new Date(Date.parse(award.expiresAt!) + 60 * DAY_MS).toISOString());
  await stack.eventually('the old workflow renewed', async () => (await get<AwardView>(`/api/awards/${award.id}`)).recertification?.phase === 'renewed');

  const { certificate: plain } = await post<{ certificate: CertificateDto }>('/api/certificates', { title: 'Induction' });
  const created = await post<{ award: AwardDto; workflowId: string | null }>(`/api/certificates/${plain.id}/awards`, { learnerId: learner.id });
  assert.equal(created.workflowId, null);
  assert.equal(created.award.expiresAt, null);
  const view = await get<AwardView>(`/api/awards/${created.award.id}`);
  assert.equal(view.recertification, null);
  assert.match(view.recertificationUnavailable ?? '', /does not expire/);
});

test('a back-dated award whose expiry has passed is recorded expired: no workflow, no message; one inside the window acts at once', async () => {
  const { learner, certificate } = await setup();
  await patch(`/api/certificates/${certificate.id}`, { settings: { expiration: { validFor: { amount: 12, unit: 'months' } }, expiredNotice: { enabled: true } } });
  const old = await post<{ award: AwardDto; workflowId: string | null; plan: string }>(`/api/certificates/${certificate.id}/awards`, {
    learnerId: learner.id,
    awardedAt: '2024-01-15T09:00:00Z',
  });
  assert.equal(old.plan, 'record_expired');
  assert.equal(old.award.status, 'expired');
  assert.equal(old.award.expiresAt, '2025-01-15T09:00:00.000Z');
  assert.equal(old.workflowId, null, 'no automation');
  const view = await get<AwardView>(`/api/awards/${old.award.id}`);
  assert.equal(view.recertification, null);

  // The same learner, a copy given 11 months and 20 days ago: due 20 days ago, expiry 10 days ahead.
  const inWindow = await post<{ award: AwardDto; workflowId: string | null; plan: string }>(`/api/certificates/${certificate.id}/awards`, {
    learnerId: learner.id,
    awardedAt: new Date(Date.now() - 355 * DAY_MS).toISOString(),
  });
  assert.equal(inWindow.plan, 'enroll_now');
  await stack.eventually('enrolled at once', async () => (await get<AwardView>(`/api/awards/${inWindow.award.id}`)).recertification?.phase === 'assigned');
  const messages = await stack.eventually('the expiring notice of the award inside the window', async () => {
    const m = await get<{ messages: MessageDto[] }>(`/api/messages?learnerId=${learner.id}`);
    return m.messages.length > 0 ? m.messages : null;
  });
  assert.deepEqual(messages.map((m) => m.awardId), [inWindow.award.id], 'nothing was sent about the award that lapsed in 2025');
  let workflows = 0;
  for await (const _ of stack.client.workflow.list({ query: `AwardId = '${old.award.id}'` })) workflows++;
  assert.equal(workflows, 0, 'Temporal never heard of the expired award');
});

test('a workflow that continued as new is listed once, with the running run\'s phase, by the API and by the README\'s visibility queries', async () => {
  const { learner, certificate } = await setup();
  // An award as the API records it, but started here with a small history limit (a test-only
  // input), then driven past the limit with signals.
  const expiresAt = new Date(Date.now() + 90 * DAY_MS);
  const [award] = await stack.sql<{ id: string; workflowId: string }[]>`
    insert into awards (certificate_id, learner_id, awarded_at, expires_at, workflow_id, workflow_started_at)
    values (${certificate.id}, ${learner.id}, now(), ${expiresAt}, 'pending', now()) returning id, workflow_id`;
  const start = recertificationStart({ id: award!.id, certificateId: certificate.id, learnerId: learner.id, expiresAt }, 30);
  await stack.sql`update awards set workflow_id = ${start.workflowId} where id = ${award!.id}`;
  award!.workflowId = start.workflowId;
  const wf = await stack.client.workflow.start<typeof recertificationWorkflow>(RECERTIFICATION_WORKFLOW, {
    ...start,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ ...start.args[0], historyEventsLimit: 25 }],
  });
  const firstRunId = wf.firstExecutionRunId;
  await signalUntilContinuedAsNew(stack.client, award!.workflowId, firstRunId, async (n) => {
    await wf.signal(expiryChangedSignal, { expiresAt: new Date(expiresAt.getTime() + (n % 2) * 1000).toISOString() });
  });
  const due = new Date(expiresAt.getTime() - 30 * DAY_MS);
  const month = { from: new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth(), 1)), until: new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() + 1, 1)) };
  const queries = [
    certificateQuery(certificate.id),
    certificateQuery(certificate.id, month),
    `CertificateId = '${certificate.id}' AND RecertificationDueAt BETWEEN '${month.from.toISOString()}' AND '${new Date(month.until.getTime() - 1000).toISOString()}'`,
    `CertificateId = '${certificate.id}' AND ExecutionStatus = 'Running'`,
    `LearnerId = '${learner.id}' AND ExecutionStatus = 'Running'`,
    `CertificateExpiresAt < '${new Date(expiresAt.getTime() + DAY_MS).toISOString()}' AND RecertificationPhase = 'scheduled' AND CertificateId = '${certificate.id}'`,
  ];
  for (const query of queries) {
    await stack.eventually(`one run for ${query}`, async () => {
      const runs: string[] = [];
      for await (const w of stack.client.workflow.list({ query })) runs.push(`${w.workflowId}/${w.status.name}`);
      return runs.length === 1 && runs[0] === `${award!.workflowId}/RUNNING`;
    });
  }
  const listed = await get<{ awards: (AwardDto & { recertification: { phase: string | null; workflowStatus: string } | null })[] }>(
    `/api/awards?certificateId=${certificate.id}&include=recertification`,
  );
  assert.equal(listed.awards.filter((a) => a.id === award!.id).length, 1);
  assert.equal(listed.awards[0]?.recertification?.workflowStatus, 'RUNNING');
  assert.equal(listed.awards[0]?.recertification?.phase, 'scheduled');
  const desc = await stack.client.workflow.getHandle(award!.workflowId).describe();
  assert.equal(desc.typedSearchAttributes.get(RecertificationPhase), 'scheduled');
});
