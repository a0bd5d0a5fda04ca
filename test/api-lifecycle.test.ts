/**
 * Learners change and leave, certificates retire (issue 9, sections 2 and 3), over HTTP on the real
 * stack (PostgreSQL, Temporal dev server, workers, API, fake Resend): search and paging, editing a
 * learner (later messages go to the new address), deactivating (workflows end revoked, no message
 * after, also when the signal never went out), erasing (nothing personal left in PostgreSQL or
 * Temporal), archiving a certificate, and each route's bad input with nothing half-written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DAY_MS } from '../domain/dates.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../api/schemas.ts';
import { reconcileOnce } from '../api/reconciler.ts';
import { deactivateLearner, eraseLearner } from '../domain/lifecycle.ts';
import { BOOTSTRAP_ACTOR } from '../domain/audit.ts';

/** The actor of the domain calls this test makes directly. */
const TEST_AUDIT = { actor: BOOTSTRAP_ACTOR, route: 'test' };
import type { RecertificationStatus } from '../workflows/contract.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_lifecycle' });
});
after(async () => {
  await stack?.stop();
});

async function call<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const get = <T>(path: string): Promise<T> => call<T>('GET', path, undefined, 200);
const errorCode = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;

let seq = 0;
async function learner(name = 'Ada Lovelace'): Promise<LearnerDto> {
  seq++;
  return await call<LearnerDto>('POST', '/api/learners', { email: `learner-${seq}-${Date.now()}@example.com`, name }, 201);
}

/** A live recertification course (with an enrollment message) and a certificate recertifying with it: 60 days valid, 30 lead days. */
async function recertifying(title = 'Forklift Operator'): Promise<{ course: CourseDto; certificate: CertificateDto }> {
  const course = await call<CourseDto>('POST', '/api/courses', {
    title: `${title} Refresher`,
    status: 'live',
    enrollmentMessage: { subject: 'Enrolled in {{course.title}}', body: '<p>Hi {{learner.name}} ({{learner.email}})</p>' },
  }, 201);
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
      expiringNotice: { enabled: true },
    },
  }, 201);
  return { course, certificate };
}

/** Awards `certificate` to `learnerId` so that its due time (expiry − 30 days) is `dueInMs` from now. */
async function awardDueIn(certificateId: string, learnerId: string, dueInMs: number): Promise<AwardDto> {
  const awardedAt = new Date(Date.now() + dueInMs - 30 * DAY_MS);
  const { award } = await call<{ award: AwardDto }>('POST', `/api/certificates/${certificateId}/awards`, { learnerId, awardedAt: awardedAt.toISOString() }, 201);
  return award;
}

/** The closed workflow's final status (its result), once it has closed. */
async function closedStatus(workflowId: string): Promise<RecertificationStatus> {
  const handle = stack.client.workflow.getHandle(workflowId);
  await stack.eventually(`${workflowId} closes`, async () => (await handle.describe()).status.name !== 'RUNNING');
  return (await handle.result()) as RecertificationStatus;
}

async function messagesOf(learnerId: string): Promise<MessageDto[]> {
  return (await get<{ messages: MessageDto[] }>(`/api/messages?learnerId=${learnerId}`)).messages;
}

test('GET /api/learners?q= finds by email or name without regard to case, pages every match once, takes % and _ literally', async () => {
  const tag = `zq${Date.now()}`;
  const made: LearnerDto[] = [];
  for (const name of ['Grace Hopper', 'grace kelly', 'Alan Turing', 'Graceful Exit', 'Edsger Dijkstra']) {
    made.push(await call<LearnerDto>('POST', '/api/learners', { email: `${tag}.${name.split(' ')[1]!.toLowerCase()}@example.com`, name: `${name} ${tag}` }, 201));
  }
  await call('POST', '/api/learners', { email: `${tag}_x@example.com`, name: `Percent 100% ${tag}` }, 201);

  const seen: string[] = [];
  let before: string | null = null;
  let pages = 0;
  do {
    const page: { learners: LearnerDto[]; nextBefore: string | null } = await get(
      `/api/learners?q=${encodeURIComponent(`GRACE`)}&limit=1${before ? `&before=${before}` : ''}`,
    );
    seen.push(...page.learners.map((l) => l.id));
    before = page.nextBefore;
    pages++;
  } while (before && pages < 20);
  const graces = made.filter((l) => /grace/i.test(l.name)).map((l) => l.id);
  assert.deepEqual([...seen].sort(), [...graces].sort(), 'three Graces, each once, over pages of one');
  assert.equal(new Set(seen).size, seen.length);

  const byEmail = await get<{ learners: LearnerDto[] }>(`/api/learners?q=${encodeURIComponent(`${tag}.TURING`)}`);
  assert.deepEqual(byEmail.learners.map((l) => l.name), [`Alan Turing ${tag}`], 'matches the email too');
  const percent = await get<{ learners: LearnerDto[] }>(`/api/learners?q=${encodeURIComponent('100%')}`);
  assert.deepEqual(percent.learners.map((l) => l.name), [`Percent 100% ${tag}`], '% is literal');
  const underscore = await get<{ learners: LearnerDto[] }>(`/api/learners?q=${encodeURIComponent(`${tag}_`)}`);
  assert.deepEqual(underscore.learners.map((l) => l.email), [`${tag}_x@example.com`], '_ is literal');
  const active = await get<{ learners: LearnerDto[] }>(`/api/learners?q=${tag}&status=active`);
  assert.equal(active.learners.length, 6);
  assert.ok(active.learners.every((l) => l.status === 'active' && l.deactivatedAt === null && l.erasedAt === null));

  for (const bad of ['q=%00', `q=${'x'.repeat(321)}`, 'status=gone', 'q=a&q=b']) {
    const res = await stack.request('GET', `/api/learners?${bad}`);
    assert.equal(res.status, 400, `${bad}: ${JSON.stringify(res.body)}`);
  }
});

test('PATCH /api/learners/{id}: bad input refused with nothing written; later messages go to the new address', async () => {
  const ada = await learner('Ada Lovelace');
  const other = await learner('Charles Babbage');
  const cases: [string, string, unknown, number, string][] = [
    ['an empty body', ada.id, {}, 400, 'validation_failed'],
    ['a bad email', ada.id, { email: 'not-an-email', name: 'Changed' }, 400, 'validation_failed'],
    ['an empty name', ada.id, { name: '   ' }, 400, 'validation_failed'],
    ['an unknown field', ada.id, { name: 'Changed', role: 'admin' }, 400, 'validation_failed'],
    ['another learner\'s email (other case)', ada.id, { email: other.email.toUpperCase(), name: 'Changed' }, 409, 'email_taken'],
    ['an unknown learner', '00000000-0000-4000-8000-000000000000', { name: 'X' }, 404, 'not_found'],
    ['a malformed id', 'nope', { name: 'X' }, 400, 'validation_failed'],
  ];
  for (const [what, id, body, status, code] of cases) {
    const res = await stack.request('PATCH', `/api/learners/${id}`, body);
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(errorCode(res.body), code, what);
  }
  assert.deepEqual(await get<LearnerDto>(`/api/learners/${ada.id}`), ada, 'nothing half-written');

  // Her own email in another case is hers: no conflict.
  const renamed = await call<LearnerDto>('PATCH', `/api/learners/${ada.id}`, { name: 'Ada King' }, 200);
  assert.equal(renamed.name, 'Ada King');
  assert.equal(renamed.email, ada.email);

  // A workflow started while she had her old address sends to the new one: the step reads the learner when it sends.
  const { certificate } = await recertifying('Crane Operator');
  const award = await awardDueIn(certificate.id, ada.id, 4000);
  const newEmail = `ada.king-${Date.now()}@example.org`;
  const moved = await call<LearnerDto>('PATCH', `/api/learners/${ada.id}`, { email: newEmail }, 200);
  assert.equal(moved.email, newEmail);
  const notice = await stack.eventually('the expiring notice', async () =>
    (await messagesOf(ada.id)).find((m) => m.kind === 'certificate_expiring' && m.awardId === award.id && m.status === 'sent'));
  assert.equal(notice.to, newEmail, 'sent to the current address');
  assert.ok(stack.fakeResend.sent().some((e) => e.to.includes(newEmail)), 'the provider got the new address');
  assert.ok(!stack.fakeResend.sent().some((e) => e.to.includes(ada.email)), 'nothing went to the old one');
});

test('deactivating a learner ends their workflows as revoked, refuses new awards and enrollments, sends nothing more', async () => {
  const { course, certificate } = await recertifying('Welding');
  const { certificate: second } = await recertifying('Scaffolding');
  const grace = await learner('Grace Hopper');
  const scheduled = await awardDueIn(certificate.id, grace.id, 20 * DAY_MS);
  const soon = await awardDueIn(second.id, grace.id, 5000);

  const res = await call<{ learner: LearnerDto; revokedAwards: number; signalled: number; pending: number }>(
    'POST', `/api/learners/${grace.id}/deactivate`, undefined, 200);
  assert.equal(res.learner.status, 'deactivated');
  assert.ok(res.learner.deactivatedAt);
  assert.equal(res.revokedAwards, 2);
  // Each is signalled, left to the reconciler, or (the second, due 5 s after its award, on a slow
  // machine) has already read the revoke from the database at its due time and ended, so its signal
  // finds it closed. The scheduled one is always signalled or left pending. Each ends revoked (below).
  const told = res.signalled + res.pending;
  assert.ok(told >= 1 && told <= 2, `each signalled, left to the reconciler, or already ended: ${JSON.stringify(res)}`);

  for (const award of [scheduled, soon]) {
    const status = await closedStatus(award.workflowId!);
    assert.equal(status.phase, 'revoked');
    assert.equal(status.revokedReason, 'learner deactivated');
    const row = await get<{ award: AwardDto }>(`/api/awards/${award.id}`);
    assert.equal(row.award.status, 'revoked', 'the award keeps its history, revoked');
    assert.equal(row.award.revokedReason, 'learner deactivated');
    assert.equal(row.award.awardedAt, award.awardedAt);
  }

  // Past the due time of the second award: no enrollment, no message.
  await new Promise((r) => setTimeout(r, 6000));
  assert.deepEqual(await messagesOf(grace.id), [], 'no message after deactivation');
  const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${grace.id}`);
  assert.deepEqual(attempts, [], 'no enrollment');

  const refusals: [string, string, unknown, number, string][] = [
    ['a new award', `/api/certificates/${certificate.id}/awards`, { learnerId: grace.id }, 409, 'learner_deactivated'],
    ['an enrollment', `/api/courses/${course.id}/enrollments`, { learnerId: grace.id }, 409, 'learner_deactivated'],
    ['a second deactivation', `/api/learners/${grace.id}/deactivate`, undefined, 409, 'learner_deactivated'],
    ['an unknown learner', '/api/learners/00000000-0000-4000-8000-000000000000/deactivate', undefined, 404, 'not_found'],
    ['a malformed id', '/api/learners/nope/deactivate', undefined, 400, 'validation_failed'],
  ];
  for (const [what, path, body, status, code] of refusals) {
    const r = await stack.request('POST', path, body);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(errorCode(r.body), code, what);
  }
  const { awards } = await get<{ awards: AwardDto[] }>(`/api/awards?learnerId=${grace.id}`);
  assert.equal(awards.length, 2, 'no award was half-made');
});

test('a deactivation whose signals never went out still ends the workflow when it wakes, with no message; the reconciler delivers the rest', async () => {
  const { certificate } = await recertifying('Rigging');
  const alan = await learner('Alan Turing');
  const award = await awardDueIn(certificate.id, alan.id, 4000);
  // The API died right after its commit: the transaction ran, no signal was sent.
  await stack.sql.begin((tx) => deactivateLearner(tx, alan.id, TEST_AUDIT));
  const status = await closedStatus(award.workflowId!);
  assert.equal(status.phase, 'revoked', 'the workflow read the revocation from the database at its due time');
  assert.deepEqual(await messagesOf(alan.id), [], 'no message');
  const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${alan.id}`);
  assert.deepEqual(attempts, [], 'no enrollment');

  await stack.sql`update awards set workflow_signal_pending_at = now() - interval '1 minute' where id = ${award.id}`;
  const deps = { config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'silent' }) };
  const report = await reconcileOnce(deps);
  assert.ok(report.awardChangesDelivered >= 1, JSON.stringify(report));
  const [row] = await stack.sql<{ pending: Date | null }[]>`select workflow_signal_pending_at as pending from awards where id = ${award.id}`;
  assert.equal(row?.pending, null, 'nothing left pending');
});

test('archiving a certificate ends its workflows as revoked, refuses new awards, leaves the default list; awards keep their history', async () => {
  const { course, certificate } = await recertifying('Hazmat');
  const learners = [await learner('Marie Curie'), await learner('Pierre Curie')];
  const awards: AwardDto[] = [];
  for (const l of learners) awards.push(await awardDueIn(certificate.id, l.id, 20 * DAY_MS));

  const res = await call<{ certificate: CertificateDto; revokedAwards: number; signalled: number; pending: number }>(
    'POST', `/api/certificates/${certificate.id}/archive`, undefined, 200);
  assert.equal(res.certificate.status, 'archived');
  assert.ok(res.certificate.archivedAt);
  assert.equal(res.revokedAwards, 2);
  // Each is signalled, left to the reconciler, or (its start confirmed but its first workflow task
  // run after the archive's commit, on a loaded machine: a CI run saw one) has already read the
  // revocation from the database and ended, so its signal finds it closed. Each ends revoked (below).
  const told = res.signalled + res.pending;
  assert.ok(told <= 2, `each signalled, left to the reconciler, or already ended: ${JSON.stringify(res)}`);
  for (const award of awards) {
    const status = await closedStatus(award.workflowId!);
    assert.equal(status.phase, 'revoked');
    assert.equal(status.revokedReason, 'certificate archived');
  }
  const kept = await get<{ awards: AwardDto[] }>(`/api/awards?certificateId=${certificate.id}`);
  assert.equal(kept.awards.length, 2);
  assert.ok(kept.awards.every((a) => a.status === 'revoked' && a.revokedReason === 'certificate archived'));

  const ids = async (query: string): Promise<string[]> => (await get<{ certificates: CertificateDto[] }>(`/api/certificates${query}`)).certificates.map((c) => c.id);
  assert.ok(!(await ids('')).includes(certificate.id), 'not in the default list');
  assert.ok(!(await ids('?status=active')).includes(certificate.id));
  assert.ok((await ids('?include=archived')).includes(certificate.id));
  assert.ok((await ids('?status=archived')).includes(certificate.id));
  assert.equal((await get<CertificateDto>(`/api/certificates/${certificate.id}`)).status, 'archived', 'still readable by id');

  const newcomer = await learner('Lise Meitner');
  const refusals: [string, string, unknown, number, string][] = [
    ['a new award', `/api/certificates/${certificate.id}/awards`, { learnerId: newcomer.id }, 409, 'certificate_archived'],
    ['a second archive', `/api/certificates/${certificate.id}/archive`, undefined, 409, 'certificate_archived'],
    ['an unknown certificate', '/api/certificates/00000000-0000-4000-8000-000000000000/archive', undefined, 404, 'not_found'],
    ['a malformed id', '/api/certificates/nope/archive', undefined, 400, 'validation_failed'],
    ['a bad include', '/api/certificates?include=everything', undefined, 400, 'validation_failed'],
  ];
  for (const [what, path, body, status, code] of refusals) {
    const r = path.includes('?') ? await stack.request('GET', path) : await stack.request('POST', path, body);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(errorCode(r.body), code, what);
  }
  // Completing one of its courses awards it no more.
  const enrolled = await call<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: newcomer.id }, 201);
  const done = await call<{ awards: AwardDto[] }>('POST', `/api/attempts/${enrolled.attempt.id}/complete`, undefined, 200);
  assert.deepEqual(done.awards, [], 'an archived certificate is not awarded by a completion');
});

test('erasing a learner leaves no name or email in PostgreSQL or Temporal; it is confirmed, idempotent, and keeps the row', async () => {
  const { course, certificate } = await recertifying('Confined Space');
  const name = 'Rosalind Franklin';
  const email = `rosalind-${Date.now()}@example.com`;
  // Created with an Idempotency-Key: the stored answer quotes her name and email.
  const key = `erase-test-${Date.now()}`;
  const created = await stack.request<LearnerDto>('POST', '/api/learners', { email, name }, { 'idempotency-key': key });
  assert.equal(created.status, 201);
  const rosalind = created.body;
  const award = await awardDueIn(certificate.id, rosalind.id, 3000);
  const enrolled = await call<{ attempt: AttemptDto; enrollmentMessageWorkflowId: string }>(
    'POST', `/api/courses/${course.id}/enrollments`, { learnerId: rosalind.id }, 201);
  await stack.eventually('her messages', async () => (await messagesOf(rosalind.id)).filter((m) => m.status === 'sent').length >= 2);

  // Ids only in Temporal's summary.
  const summary = await stack.client.workflow.getHandle(award.workflowId!).describe().then((d) => d.staticSummary());
  assert.ok(summary?.includes(rosalind.id), summary);
  assert.ok(!summary?.includes(name) && !summary?.includes(email), `no personal data in the summary: ${summary}`);

  // An import names her too: a row for her (rejected: she holds the award) and a duplicate of it,
  // posted with an Idempotency-Key, so her email and name are in import rows and a stored answer.
  const imported = await stack.request<{ import: { id: string } }>('POST', `/api/certificates/${certificate.id}/imports`, {
    rows: [{ email, name, awardedAt: '2026-01-01' }, { email: email.toUpperCase(), name, awardedAt: '2026-01-02' }],
  }, { 'idempotency-key': `${key}-import` });
  assert.equal(imported.status, 202, JSON.stringify(imported.body));
  await stack.eventually('the import done', async () => (await get<{ status: string }>(`/api/imports/${imported.body.import.id}`)).status === 'completed', 60_000);

  // Bad input: nothing erased.
  const bad: [string, string, unknown, number, string][] = [
    ['a wrong confirmation', rosalind.id, { confirm: 'someone@example.com' }, 422, 'confirmation_mismatch'],
    ['no confirmation', rosalind.id, {}, 400, 'validation_failed'],
    ['an unknown learner', '00000000-0000-4000-8000-000000000000', { confirm: email }, 404, 'not_found'],
    ['a malformed id', 'nope', { confirm: email }, 400, 'validation_failed'],
  ];
  for (const [what, id, body, status, code] of bad) {
    const r = await stack.request('POST', `/api/learners/${id}/erase`, body);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(errorCode(r.body), code, what);
  }
  assert.equal((await get<LearnerDto>(`/api/learners/${rosalind.id}`)).email, email, 'nothing erased yet');

  const erased = await call<{ learner: LearnerDto; alreadyErased: boolean; messagesRedacted: number; revokedAwards: number; temporal: { deleted: number; done: boolean } }>(
    'POST', `/api/learners/${rosalind.id}/erase`, { confirm: email.toUpperCase() }, 200);
  assert.equal(erased.learner.status, 'erased');
  assert.equal(erased.learner.id, rosalind.id, 'the row is kept');
  assert.notEqual(erased.learner.name, name);
  assert.notEqual(erased.learner.email, email);
  assert.equal(erased.alreadyErased, false);
  assert.ok(erased.messagesRedacted >= 2);
  assert.equal(erased.temporal.done, true);
  assert.ok(erased.temporal.deleted >= 2, JSON.stringify(erased.temporal));

  // PostgreSQL: not a trace of her name or email in any table.
  const tables = await stack.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public'`;
  for (const { tablename } of tables) {
    const hits = await stack.sql.unsafe(
      `select count(*)::int as n from ${tablename} t where strpos(lower(t::text), lower($1)) > 0 or strpos(t::text, $2) > 0`,
      [email, name],
    );
    assert.equal((hits[0] as unknown as { n: number }).n, 0, `${tablename} still holds her name or email`);
  }
  const replay = await stack.request<LearnerDto>('POST', '/api/learners', { email, name }, { 'idempotency-key': key });
  assert.equal(replay.status, 201, 'a repeat of her creation still answers the first answer…');
  assert.equal(replay.body.id, rosalind.id);
  assert.equal(replay.body.email, erased.learner.email, '…with the placeholders');
  const awardRow = await get<{ award: AwardDto }>(`/api/awards/${award.id}`);
  assert.equal(awardRow.award.status, 'revoked', 'her award keeps its history');
  const importReplay = await stack.request<{ import: { errors: { email: string; name: string }[] } }>('POST', `/api/certificates/${certificate.id}/imports`, {
    rows: [{ email, name, awardedAt: '2026-01-01' }, { email: email.toUpperCase(), name, awardedAt: '2026-01-02' }],
  }, { 'idempotency-key': `${key}-import` });
  assert.ok(!JSON.stringify(importReplay.body).toLowerCase().includes(email.toLowerCase()), 'the import\'s replayed answer no longer names her');
  // Nobody can take the placeholder address (an erasure would then collide with them): .invalid is refused.
  for (const probe of [erased.learner.email, erased.learner.email.toUpperCase(), 'someone@example.invalid']) {
    const taken = await stack.request('POST', '/api/learners', { email: probe, name: 'Squatter' });
    assert.equal(taken.status, 400, `${probe}: ${JSON.stringify(taken.body)}`);
  }

  // Temporal: her workflows are gone from visibility and history.
  await stack.eventually('her executions deleted', async () => {
    const listed = [];
    for await (const wf of stack.client.workflow.list({ query: `LearnerId = '${rosalind.id}'` })) listed.push(wf.workflowId);
    return listed.length === 0;
  }, 90_000);
  for (const workflowId of [award.workflowId!, enrolled.enrollmentMessageWorkflowId]) {
    await stack.eventually(`${workflowId} gone`, async () => {
      try {
        await stack.client.workflow.getHandle(workflowId).describe();
        return false;
      } catch (err) {
        return err instanceof WorkflowNotFoundError;
      }
    }, 90_000);
  }
  // The reconciler does not start them again.
  await stack.sql`update awards set created_at = now() - interval '1 minute' where learner_id = ${rosalind.id}`;
  const deps = { config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'silent' }) };
  const report = await reconcileOnce(deps);
  assert.equal(report.awardWorkflowsStarted, 0, JSON.stringify(report));
  await assert.rejects(stack.client.workflow.getHandle(award.workflowId!).describe(), WorkflowNotFoundError);

  // Idempotent: again, 200, nothing changes.
  const again = await call<{ learner: LearnerDto; alreadyErased: boolean }>('POST', `/api/learners/${rosalind.id}/erase`, { confirm: 'anything' }, 200);
  assert.equal(again.alreadyErased, true);
  assert.deepEqual(again.learner, erased.learner);
  const edit = await stack.request('PATCH', `/api/learners/${rosalind.id}`, { name: name });
  assert.equal(edit.status, 409);
  assert.equal(errorCode(edit.body), 'learner_erased');
});

test('an erasure whose Temporal part failed is finished by the reconciler', async () => {
  const { certificate } = await recertifying('Fall Protection');
  const email = `dorothy-${Date.now()}@example.com`;
  const dorothy = await call<LearnerDto>('POST', '/api/learners', { email, name: 'Dorothy Hodgkin' }, 201);
  const award = await awardDueIn(certificate.id, dorothy.id, 20 * DAY_MS);
  // The API died after the commit: PostgreSQL erased, Temporal not yet.
  await stack.sql.begin((tx) => eraseLearner(tx, dorothy.id, email, TEST_AUDIT));
  assert.equal((await stack.client.workflow.getHandle(award.workflowId!).describe()).status.name, 'RUNNING');
  await stack.sql`update learners set erased_at = now() - interval '1 minute' where id = ${dorothy.id}`;
  const deps = { config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'silent' }) };
  const report = await reconcileOnce(deps);
  assert.equal(report.erasuresFinished, 1, JSON.stringify(report));
  const diag = await stack.client.workflow.getHandle(award.workflowId!).describe().then((d) => `${d.status.name} ${d.runId}`, (e: unknown) => String(e));
  await stack.eventually(`her workflow deleted (after the reconciler: ${diag})`, async () => {
    try {
      await stack.client.workflow.getHandle(award.workflowId!).describe();
      return false;
    } catch (err) {
      return err instanceof WorkflowNotFoundError;
    }
  }, 90_000);
  const [row] = await stack.sql<{ done: Date | null }[]>`select erasure_temporal_done_at as done from learners where id = ${dorothy.id}`;
  assert.ok(row?.done, 'recorded done');
  assert.equal((await reconcileOnce(deps)).erasuresFinished, 0, 'once');
});
