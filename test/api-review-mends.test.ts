/**
 * Mends from the review of issue 9, over HTTP on the real stack (PostgreSQL, Temporal dev server,
 * workers, API, admin page): each test names the fault it guards against, and each failed before its mend.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ImportCreated, ImportDto, ImportPlan } from '../api/import-schemas.ts';
import { reconcileOnce } from '../api/reconciler.ts';
import type { AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { adminSessionCookie } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_review_mends' });
});
after(async () => {
  await stack?.stop();
});

async function call<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const errorCode = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;
const day = (n: number): string => new Date(Date.now() + n * DAY_MS).toISOString();
let seq = 0;
const uniqueEmail = (what: string): string => `${what}-${++seq}-${Date.now()}@example.com`;

/** A live course and a certificate recertifying with it: 365 days valid, 30 lead days. */
async function certificate(title: string): Promise<CertificateDto> {
  const course = await call<CourseDto>('POST', '/api/courses', { title: `${title} Refresher`, status: 'live' }, 201);
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  }, 201);
  return certificate;
}

async function importDone(id: string): Promise<ImportDto> {
  return await stack.eventually(`import ${id} completed`, async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 90_000);
}

/** Signs in to the admin page; answers the session cookie. */
const adminCookie = (): Promise<string> => adminSessionCookie(stack);

test('an expired record imported again (another flag: a new import) or awarded again by hand is not recorded twice: already_recorded', { timeout: 180_000 }, async () => {
  const cert = await certificate('Expired Records');
  const email = uniqueEmail('expired');
  // Awarded 800 days ago, valid 365 days: expired long since.
  const rows = [{ email, name: 'Old Record', awardedAt: day(-800).slice(0, 10) }];
  const path = `/api/certificates/${cert.id}/imports`;
  const first = await call<ImportCreated>('POST', `${path}?createLearners=true`, { rows }, 202);
  const firstDone = await importDone(first.import.id);
  assert.equal(firstDone.byOutcome.record_expired, 1, JSON.stringify(firstDone));
  const [learner] = await stack.sql<{ id: string }[]>`select id from learners where lower(email) = ${email}`;
  assert.ok(learner);
  const awardsOf = async () => await stack.sql<{ id: string; status: string }[]>`
    select id, status from awards where certificate_id = ${cert.id} and learner_id = ${learner.id}`;
  const [recorded] = await awardsOf();
  assert.equal(recorded?.status, 'expired');

  // The same record, with createLearners off: another content hash, so another import.
  const plan = await call<ImportPlan>('POST', `${path}?dryRun=true`, { rows }, 200);
  assert.deepEqual(plan.rows.map((r) => [r.outcome, r.reason]), [['reject', 'already_recorded']], 'the dry run says so');
  const second = await call<ImportCreated>('POST', path, { rows }, 202);
  assert.equal(second.created, true, 'a new import');
  const secondDone = await importDone(second.import.id);
  assert.equal(secondDone.byReason.already_recorded, 1, JSON.stringify(secondDone));
  assert.equal(secondDone.byOutcome.record_expired ?? 0, 0);
  assert.equal((await awardsOf()).length, 1, 'one award for the record, not two');

  // By hand, the same awardedAt: the same rule, 409.
  const manual = await stack.request('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id, awardedAt: `${rows[0]!.awardedAt}T00:00:00.000Z` });
  assert.equal(manual.status, 409, JSON.stringify(manual.body));
  assert.equal(errorCode(manual.body), 'already_recorded');
  assert.equal((await awardsOf()).length, 1, 'nothing half-written');
  // Another instant is another record.
  await call('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id, awardedAt: day(-700) }, 201);
  assert.equal((await awardsOf()).length, 2);
});

test('an overlong cell rejects its row (cell_too_long), not the file, in JSON and CSV, dry run and apply; an unreadable file is still a 400', { timeout: 180_000 }, async () => {
  const cert = await certificate('Long Cells');
  const path = `/api/certificates/${cert.id}/imports`;
  const good = { email: uniqueEmail('fine'), name: 'Fine Row', awardedAt: day(-10).slice(0, 10) };
  const rows = [
    { email: `${'e'.repeat(1200)}@example.com`, name: 'Long Email', awardedAt: day(-10).slice(0, 10) },
    { email: uniqueEmail('longname'), name: 'N'.repeat(5000), awardedAt: day(-10).slice(0, 10) },
    { email: uniqueEmail('longdate'), name: 'Long Date', awardedAt: `${day(-10).slice(0, 10)}${' x'.repeat(200)}` },
    good,
  ];
  const expected = [['reject', 'cell_too_long'], ['reject', 'cell_too_long'], ['reject', 'cell_too_long'], ['schedule', null]];
  const plan = await call<ImportPlan>('POST', `${path}?dryRun=true&createLearners=true`, { rows }, 200);
  assert.deepEqual(plan.rows.map((r) => [r.outcome, r.reason]), expected);
  assert.ok(plan.rows[0]!.email.length <= 1001, 'the cut text is answered, not the whole cell');

  const csv = ['email,name,awardedAt', ...rows.map((r) => [r.email, r.name, r.awardedAt].join(','))].join('\r\n');
  const fromCsv = await fetch(`${stack.api}${path}?dryRun=true&createLearners=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  assert.equal(fromCsv.status, 200);
  assert.deepEqual(((await fromCsv.json()) as ImportPlan).rows.map((r) => [r.outcome, r.reason]), expected);

  const applied = await call<ImportCreated>('POST', `${path}?createLearners=true`, { rows }, 202);
  const done = await importDone(applied.import.id);
  assert.equal(done.byReason.cell_too_long, 3, JSON.stringify(done.byReason));
  assert.equal(done.byOutcome.schedule, 1);
  const errorsCsv = await fetch(`${stack.api}/api/imports/${applied.import.id}/errors.csv`, { headers: { authorization: `Bearer ${stack.token}` } });
  assert.equal(errorsCsv.status, 200);
  const text = await errorsCsv.text();
  assert.equal(text.split('cell_too_long').length - 1, 3, 'each listed with its reason');

  // A file that cannot be read at all is still refused whole.
  const unreadable = await fetch(`${stack.api}${path}?dryRun=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' },
    body: 'mail,who\r\nx,y\r\n',
  });
  assert.equal(unreadable.status, 400);
  const notRows = await stack.request('POST', path, { rows: 'x' });
  assert.equal(notRows.status, 400);
});

test('an expiry is not moved into the past: PATCH /api/awards/{id} 422 expiry_in_past, the admin Extend form says so; nothing changes', { timeout: 120_000 }, async () => {
  const cert = await certificate('Past Extensions');
  const learner = await call<LearnerDto>('POST', '/api/learners', { email: uniqueEmail('extend'), name: 'Ext End' }, 201);
  const { award } = await call<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id, awardedAt: day(-100) }, 201);
  const res = await stack.request('PATCH', `/api/awards/${award.id}`, { expiresAt: day(-1) });
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.equal(errorCode(res.body), 'expiry_in_past');
  const [row] = await stack.sql<{ expiresAt: Date; status: string }[]>`select expires_at, status from awards where id = ${award.id}`;
  assert.equal(row?.expiresAt.toISOString(), award.expiresAt);
  assert.equal(row?.status, 'active');

  const cookie = await adminCookie();
  const yesterday = day(-1).slice(0, 10);
  const page = await fetch(`${stack.api}/admin/certificates/${cert.id}/awards/${award.id}/extend`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin: stack.api, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ value: yesterday }).toString(),
  });
  assert.equal(page.status, 422);
  const html = await page.text();
  assert.match(html, /is in the past: the new expiry must be in the future/);
  const [after] = await stack.sql<{ expiresAt: Date }[]>`select expires_at from awards where id = ${award.id}`;
  assert.equal(after?.expiresAt.toISOString(), award.expiresAt, 'nothing changed');
  // A later day still extends it.
  await call('PATCH', `/api/awards/${award.id}`, { expiresAt: day(400) }, 200);
});

/** A learner holding an award of `cert` with a running workflow, then erased (her workflows deleted from Temporal). */
async function erasedHolder(cert: CertificateDto): Promise<{ learner: LearnerDto; award: AwardDto }> {
  const email = uniqueEmail('erased');
  const learner = await call<LearnerDto>('POST', '/api/learners', { email, name: 'Gone Away' }, 201);
  const { award } = await call<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id, awardedAt: day(-10) }, 201);
  assert.ok(award.workflowUrl, 'linked while she is here');
  const erased = await call<{ temporal: { done: boolean } }>('POST', `/api/learners/${learner.id}/erase`, { confirm: email }, 200);
  assert.equal(erased.temporal.done, true);
  return { learner, award };
}

test('an erased learner is refused learner_erased (award, enrollment, deactivation), not learner_deactivated', { timeout: 180_000 }, async () => {
  const cert = await certificate('Erased Holders');
  const [course] = await stack.sql<{ id: string }[]>`select id from courses where title = 'Erased Holders Refresher'`;
  const { learner } = await erasedHolder(cert);
  const refusals: [string, string, unknown][] = [
    ['a new award', `/api/certificates/${cert.id}/awards`, { learnerId: learner.id }],
    ['an enrollment', `/api/courses/${course!.id}/enrollments`, { learnerId: learner.id }],
    ['a deactivation', `/api/learners/${learner.id}/deactivate`, undefined],
  ];
  for (const [what, path, body] of refusals) {
    const r = await stack.request('POST', path, body);
    assert.equal(r.status, 409, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(errorCode(r.body), 'learner_erased', what);
  }
  const { awards } = await call<{ awards: AwardDto[] }>('GET', `/api/awards?learnerId=${learner.id}`, undefined, 200);
  assert.equal(awards.length, 1, 'nothing half-made');
});

test('an erased learner\'s awards do not link the workflow the erasure deleted (API, Awards tab, learner page)', { timeout: 180_000 }, async () => {
  const cert = await certificate('Erased Links');
  const { learner, award } = await erasedHolder(cert);
  const one = await call<{ award: AwardDto }>('GET', `/api/awards/${award.id}`, undefined, 200);
  assert.equal(one.award.workflowUrl, null, 'no link to a deleted workflow');
  assert.equal(one.award.workflowId, award.workflowId, 'the id stays in the history');
  const list = await call<{ awards: AwardDto[] }>('GET', `/api/awards?learnerId=${learner.id}`, undefined, 200);
  assert.deepEqual(list.awards.map((a) => a.workflowUrl), [null]);

  const cookie = await adminCookie();
  for (const path of [`/admin/certificates/${cert.id}/awards`, `/admin/learners/${learner.id}`]) {
    const page = await fetch(`${stack.api}${path}`, { headers: { cookie } });
    assert.equal(page.status, 200, path);
    const html = await page.text();
    assert.ok(!html.includes(award.workflowId!), `${path} does not link her deleted workflow`);
    assert.match(html, /deleted with the learner’s data/, path);
  }
});

test('the reconciler drains hundreds of pending award changes in one pass, batch after batch; one it cannot deliver stays pending', { timeout: 180_000 }, async () => {
  const cert = await certificate('Big Archive');
  const n = 450;
  // An archive's revocations whose signals never went out (no workflow to tell: delivered as no_workflow),
  // and three whose workflow never started (not deliverable yet: they stay pending).
  const learners = await stack.sql<{ id: string }[]>`
    insert into learners (email, name) select 'drain-' || g || '-' || ${Date.now()} || '@example.com', 'Drain ' || g
    from generate_series(1, ${n + 3}) g returning id`;
  const ids = learners.map((l) => l.id);
  await stack.sql`
    insert into awards (certificate_id, learner_id, awarded_at, expires_at, status, revoked_reason, workflow_signal_pending_at)
    select ${cert.id}, l, now() - interval '10 days', now() + interval '300 days', 'revoked', 'certificate archived', now() - interval '1 minute'
    from unnest(${ids.slice(0, n)}::uuid[]) l`;
  await stack.sql`
    insert into awards (certificate_id, learner_id, awarded_at, expires_at, status, revoked_reason, workflow_id, workflow_signal_pending_at)
    select ${cert.id}, l, now() - interval '10 days', now() + interval '300 days', 'revoked', 'certificate archived',
      'recertification-never-started-' || l, now() - interval '2 minutes'
    from unnest(${ids.slice(n)}::uuid[]) l`;
  const deps = { config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'silent' }) };
  const report = await reconcileOnce(deps);
  assert.ok(report.awardChangesDelivered >= n, JSON.stringify(report));
  const [left] = await stack.sql<{ n: number }[]>`
    select count(*)::int as n from awards where certificate_id = ${cert.id} and workflow_signal_pending_at is not null`;
  assert.equal(left?.n, 3, 'only the undeliverable ones are left, and the pass ended');
});
