/**
 * Imports of existing holders through HTTP on the real stack (PostgreSQL, Temporal dev server,
 * workers, API): the bad-input table (each status and code, nothing written), a dry run that plans
 * every outcome and changes nothing, an apply whose workflow awards each row once and starts every
 * workflow (asleep, or enrolled for a row inside the window; none for an expired record), and a
 * re-post of the same rows that is the same import.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ImportCreated, ImportDto, ImportPlan } from '../api/import-schemas.ts';
import type { AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { statusQuery } from '../workflows/contract.ts';
import { ensureAwardWorkflows } from '../api/temporal-gateway.ts';
import { waitForWorkflowTaskBacklog, workflowTaskBacklog } from '../domain/award-workflow-start.ts';
import { seedDueBurst } from './support/due-burst.ts';
import { startStack, type TestStack } from './support/stack.ts';
import { tableSnapshot } from './support/stack/database.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_imports' });
});
after(async () => {
  await stack?.stop();
});

const TABLES = ['learners', 'awards', 'course_attempts', 'messages', 'imports', 'import_rows', 'idempotent_requests'];

/** Every table an import could write: row count and content digest. */
const databaseSnapshot = (tables: readonly string[] = TABLES): Promise<Record<string, string>> => tableSnapshot(stack.sql, tables);

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const day = (n: number): string => new Date(Date.now() + n * DAY_MS).toISOString();

interface World {
  certificate: CertificateDto;
  holder: LearnerDto;
  known: LearnerDto;
}

let world: World | undefined;
async function setUp(): Promise<World> {
  if (world) return world;
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift Refresher', status: 'live' });
  const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Forklift Operator',
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  });
  const holder = await ok<LearnerDto>('POST', '/api/learners', { email: 'holder@example.com', name: 'Has One' });
  const known = await ok<LearnerDto>('POST', '/api/learners', { email: 'Known@Example.com', name: 'Known Learner' });
  await ok<{ award: AwardDto }>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: holder.id });
  world = { certificate, holder, known };
  return world;
}

/** A file with every outcome: row number → what the plan must say. */
function mixedRows(): { rows: { email: string; name: string; awardedAt: string; expiresAt?: string }[]; expected: [string, string | null][] } {
  const rows = [
    { email: 'known@example.com', name: 'ignored', awardedAt: day(-100) }, // 1 schedule (existing learner, other case)
    { email: 'new.one@example.com', name: 'New One', awardedAt: day(-350) }, // 2 enroll_now, created (expires in 15 days)
    { email: 'old@example.com', name: 'Old Timer', awardedAt: day(-400).slice(0, 10) }, // 3 record_expired, created
    { email: 'given@example.com', name: 'Given Expiry', awardedAt: day(-10), expiresAt: day(200) }, // 4 schedule with its own expiry
    { email: 'not-an-email', name: 'X', awardedAt: day(-10) }, // 5 bad_email
    { email: 'holder@example.com', name: 'Has One', awardedAt: day(-10) }, // 6 already_awarded
    { email: 'future@example.com', name: 'Future', awardedAt: day(3) }, // 7 awarded_at_in_future
    { email: 'garbled@example.com', name: 'Garbled', awardedAt: '2025-02-30' }, // 8 unparsable_date
    { email: 'NEW.ONE@example.com', name: 'Again', awardedAt: day(-20) }, // 9 duplicate_row
    { email: 'backwards@example.com', name: 'Backwards', awardedAt: day(-10), expiresAt: day(-20) }, // 10 expires_before_awarded
    { email: 'nameless@example.com', name: '   ', awardedAt: day(-10) }, // 11 bad_name (a learner to create)
  ];
  const expected: [string, string | null][] = [
    ['schedule', null],
    ['enroll_now', null],
    ['record_expired', null],
    ['schedule', null],
    ['reject', 'bad_email'],
    ['reject', 'already_awarded'],
    ['reject', 'awarded_at_in_future'],
    ['reject', 'unparsable_date'],
    ['reject', 'duplicate_row'],
    ['reject', 'expires_before_awarded'],
    ['reject', 'bad_name'],
  ];
  return { rows, expected };
}

test('bad input: each status and code, and nothing written', async () => {
  const { certificate } = await setUp();
  const path = `/api/certificates/${certificate.id}/imports`;
  const row = { email: 'a@example.com', name: 'A', awardedAt: day(-1) };
  // A key used once, then reused with other rows below (422).
  await ok('POST', `${path}?dryRun=false`, { rows: [{ ...row, email: 'keyed@example.com' }] }, );
  const keyed = await stack.request<ImportCreated>('POST', path, { rows: [{ ...row, email: 'keyed2@example.com' }] }, { 'idempotency-key': 'import-key-1' });
  assert.equal(keyed.status, 202);
  await stack.eventually('the keyed imports done', async () => {
    const list = await stack.sql<{ n: number }[]>`select count(*)::int as n from imports where status = 'completed'`;
    return list[0]!.n === 2;
  });
  const before = await databaseSnapshot();
  const cases: { name: string; method?: string; path: string; body?: unknown; headers?: Record<string, string>; raw?: string; status: number; code: string; message?: RegExp }[] = [
    { name: 'no rows', path, body: { rows: [] }, status: 400, code: 'validation_failed', message: /^Invalid json\.rows: the import has no rows: rows needs at least one row\.$/ },
    { name: 'rows not a list', path, body: { rows: 'x' }, status: 400, code: 'validation_failed' },
    { name: 'a row with an unknown field', path, body: { rows: [{ ...row, phone: '1' }] }, status: 400, code: 'validation_failed' },
    { name: 'a row without awardedAt', path, body: { rows: [{ email: 'a@example.com', name: 'A' }] }, status: 400, code: 'validation_failed' },
    { name: 'dryRun neither true nor false', path: `${path}?dryRun=yes`, body: { rows: [row] }, status: 400, code: 'validation_failed' },
    { name: 'an unknown query parameter', path: `${path}?dryrun=true`, body: { rows: [row] }, status: 400, code: 'validation_failed' },
    { name: 'dryRun in the body', path, body: { rows: [row], dryRun: true }, status: 400, code: 'validation_failed' },
    { name: 'a malformed certificate id', path: '/api/certificates/nope/imports', body: { rows: [row] }, status: 400, code: 'validation_failed' },
    { name: 'an unknown certificate (apply)', path: `/api/certificates/${randomUUID()}/imports`, body: { rows: [row] }, status: 404, code: 'not_found' },
    { name: 'an unknown certificate (dry run)', path: `/api/certificates/${randomUUID()}/imports?dryRun=true`, body: { rows: [row] }, status: 404, code: 'not_found' },
    { name: 'an unknown import', method: 'GET', path: `/api/imports/${randomUUID()}`, status: 404, code: 'not_found' },
    { name: 'an unknown import\'s errors', method: 'GET', path: `/api/imports/${randomUUID()}/errors.csv`, status: 404, code: 'not_found' },
    { name: 'a malformed import id', method: 'GET', path: '/api/imports/nope', status: 400, code: 'validation_failed' },
    { name: 'the key reused with other rows', path, body: { rows: [row] }, headers: { 'idempotency-key': 'import-key-1' }, status: 422, code: 'idempotency_key_reused' },
    {
      name: 'more than 100,000 rows',
      path,
      body: { rows: Array.from({ length: 100_001 }, (_, i) => ({ email: `r${i}@example.com`, name: 'R', awardedAt: '2025-01-01' })) },
      status: 400,
      code: 'validation_failed',
      message: /an import takes at most 100,000 rows/,
    },
  ];
  for (const c of cases) {
    const res = await stack.request<{ error: { code: string; message: string } }>(c.method ?? 'POST', c.path, c.body, c.headers);
    assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body).slice(0, 300)}`);
    assert.equal(res.body.error.code, c.code, c.name);
    if (c.message) assert.match(res.body.error.message, c.message, c.name);
  }
  // CSV that cannot be read as the import's table: 400 malformed_csv saying what, in words of the file; another type: 415.
  // (A row with more or fewer cells than the header is a rejected row, not a refused file: see its own test.)
  const csvCases: [string, string, RegExp][] = [
    ['unclosed quote', 'email,name,awardedAt\r\na@example.com,"Ada,2025-01-01\r\n', /cannot be read: a quote opened after line 1 is never closed/],
    ['no awardedAt column', 'email,name\r\na@example.com,A\r\n', /lacks the column awardedAt/],
    ['an unknown column', 'email,name,awardedAt,role\r\na@example.com,A,2025-01-01,x\r\n', /unknown column "role"/],
    ['a repeated column', 'email,Email,name,awardedAt\r\na@example.com,b@example.com,A,2025-01-01\r\n', /email twice/],
    ['only a header', 'email,name,awardedAt\r\n', /^The CSV has a header row \(email, name, awardedAt\) but no rows under it/],
    ['only a header and blank lines', '\uFEFFemail,name,awardedAt\r\n\r\n,,\r\n', /^The CSV has a header row \(email, name, awardedAt\) but no rows under it/],
    ['empty', '', /empty/],
    ['more than 100,000 rows', ['email,name,awardedAt', ...Array.from({ length: 100_001 }, (_, i) => `r${i}@example.com,R,2025-01-01`)].join('\r\n'), /100,001 rows: an import takes at most 100,000/],
  ];
  for (const [what, text, message] of csvCases) {
    const res = await fetch(`${stack.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' }, body: text });
    const answer = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 400, what);
    assert.equal(answer.error.code, 'malformed_csv', `${what}: ${answer.error.message}`);
    assert.match(answer.error.message, message, what);
    assert.doesNotMatch(answer.error.message, /json/i, `${what}: a CSV's refusal speaks of the file`);
  }
  const notUtf8 = await fetch(`${stack.api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' },
    body: new Uint8Array([...Buffer.from('email,name,awardedAt\r\na@example.com,'), 0xe9, ...Buffer.from(',2025-01-01\r\n')]),
  });
  assert.equal(notUtf8.status, 400, 'Latin-1 bytes are not taken for UTF-8');
  const plain = await fetch(`${stack.api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/plain' },
    body: 'email,name,awardedAt\r\na@example.com,A,2025-01-01\r\n',
  });
  assert.equal(plain.status, 415);
  assert.deepEqual(await databaseSnapshot(), before, 'nothing was written by any bad request');
});

test('a dry run plans every outcome, with due dates from the settings, and changes nothing', async () => {
  const { certificate, known } = await setUp();
  const { rows, expected } = mixedRows();
  const before = await databaseSnapshot();
  const plan = await ok<ImportPlan>('POST', `/api/certificates/${certificate.id}/imports?dryRun=true&createLearners=true`, { rows });
  assert.deepEqual(await databaseSnapshot(), before, 'the dry run wrote nothing');
  assert.deepEqual(plan.rows.map((r) => [r.outcome, r.reason]), expected);
  assert.deepEqual(plan.rows.map((r) => r.createLearner), [false, true, true, true, false, false, false, false, false, false, false]);
  assert.equal(plan.rows[0]!.learnerId, known.id, 'the learner is matched by email case-insensitively');
  // 365-day validity, 30 lead days: expiry = awardedAt + 365 d, due = expiry − 30 d.
  const first = plan.rows[0]!;
  assert.equal(Date.parse(first.expiresAt!), Date.parse(first.awardedAt!) + 365 * DAY_MS);
  assert.equal(Date.parse(first.dueAt!), Date.parse(first.expiresAt!) - 30 * DAY_MS);
  assert.equal(plan.rows[3]!.expiresAt, new Date(rows[3]!.expiresAt!).toISOString(), 'a given expiry is kept');
  assert.equal(plan.rows[2]!.dueAt, null, 'an expired record has no due date');
  assert.equal(plan.rows[2]!.awardedAt, `${rows[2]!.awardedAt}T00:00:00.000Z`, 'a date alone is midnight UTC');
  assert.deepEqual(plan.totals.byOutcome, { schedule: 2, enroll_now: 1, record_expired: 1, no_expiry: 0, reject: 7 });
  assert.equal(plan.totals.createLearner, 3);
  // Creation off: the unknown emails are rejected instead.
  const strict = await ok<ImportPlan>('POST', `/api/certificates/${certificate.id}/imports?dryRun=true`, { rows });
  assert.deepEqual(strict.rows.slice(0, 4).map((r) => r.reason), [null, 'unknown_learner', 'unknown_learner', 'unknown_learner']);
  assert.deepEqual(await databaseSnapshot(), before, 'nor did the second');
});

test('apply: each row awarded once by the import workflow, workflows started and asleep; the same rows again are the same import', { timeout: 180_000 }, async () => {
  const { certificate } = await setUp();
  const { rows, expected } = mixedRows();
  const path = `/api/certificates/${certificate.id}/imports?createLearners=true`;
  const posted = await stack.request<ImportCreated>('POST', path, { rows });
  assert.equal(posted.status, 202, JSON.stringify(posted.body));
  assert.equal(posted.body.created, true);
  const id = posted.body.import.id;
  // Intake already rejected what no later state can lift.
  assert.equal(posted.body.import.progress.rejected, 5, 'bad email, future, unparsable, duplicate, expiry before award: rejected at intake');
  const done = await stack.eventually('the import completed', async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 120_000);
  assert.deepEqual(done.progress, { pending: 0, done: 4, rejected: 7, processed: 11 });
  assert.deepEqual(done.byOutcome, { schedule: 2, enroll_now: 1, record_expired: 1, reject: 7 });
  assert.equal(done.learnersCreated, 3);
  assert.deepEqual(done.errors.map((e) => [e.row, e.reason]), expected.flatMap(([, reason], i) => (reason ? [[i + 1, reason]] : [])));

  const awarded = await stack.sql<{ rowNumber: number; awardId: string; status: string; workflowId: string | null; workflowStartedAt: Date | null; n: number }[]>`
    select r.row_number, a.id as award_id, a.status, a.workflow_id, a.workflow_started_at,
           (select count(*)::int from awards b where b.certificate_id = a.certificate_id and b.learner_id = a.learner_id) as n
    from import_rows r join awards a on a.id = r.award_id where r.import_id = ${id} order by r.row_number`;
  assert.deepEqual(awarded.map((a) => [a.rowNumber, a.status, a.n]), [[1, 'active', 1], [2, 'active', 1], [3, 'expired', 1], [4, 'active', 1]]);
  const expired = awarded[2]!;
  assert.equal(expired.workflowId, null, 'an expired record has no workflow');
  const phases: string[] = [];
  for (const a of awarded.filter((x) => x.workflowId)) {
    assert.ok(a.workflowStartedAt, `row ${a.rowNumber}: its workflow start is recorded`);
    const status = await stack.eventually(`row ${a.rowNumber}'s workflow answers`, async () =>
      stack.client.workflow.getHandle(a.workflowId!).query(statusQuery).catch(() => null));
    phases.push(status.phase);
  }
  assert.equal(phases[0], 'scheduled', 'row 1 sleeps until its due date');
  assert.equal(phases[2], 'scheduled', 'row 4 sleeps until its due date');
  assert.equal(phases[1], 'assigned', 'row 2, inside the lead window, is enrolled at once');
  const [messages] = await stack.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = ${expired.awardId}`;
  assert.equal(messages!.n, 0, 'no message for an expired record');

  // The same rows again: the same import, nothing new (the enrolled row's workflow may still be sending its message).
  const IMPORTED = ['learners', 'awards', 'imports', 'import_rows'];
  const before = await databaseSnapshot(IMPORTED);
  const again = await stack.request<ImportCreated>('POST', path, { rows });
  assert.equal(again.status, 200);
  assert.equal(again.body.created, false);
  assert.equal(again.body.import.id, id);
  assert.deepEqual(await databaseSnapshot(IMPORTED), before, 're-posting wrote nothing');
  // With an Idempotency-Key: the first answer again, replayed, and nothing new either.
  const key = { 'idempotency-key': `import-${randomUUID()}` };
  const keyed = await stack.request<ImportCreated>('POST', path, { rows }, key);
  const replay = await stack.request<ImportCreated>('POST', path, { rows }, key);
  assert.equal(replay.status, keyed.status);
  assert.deepEqual(replay.body, keyed.body, 'the same answer, outcome and reason keys as written');
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(keyed.body.import.id, id, 'the keyed post of the same rows is the same import');
  assert.deepEqual(await databaseSnapshot(IMPORTED), before, 'the keyed posts awarded nothing');

  const csv = await fetch(`${stack.api}/api/imports/${id}/errors.csv`, { headers: { authorization: `Bearer ${stack.token}` } });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.equal(lines[0], 'row,email,name,awardedAt,expiresAt,managerEmail,reason');
  assert.equal(lines.length, 8, 'a line per rejected row');
  assert.match(lines[1]!, /^5,not-an-email,X,.*,bad_email$/);
});

test('the lifecycle holds in an import: a deactivated learner\'s row is rejected, an archived certificate takes no import (dry run or apply)', { timeout: 120_000 }, async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Crane Refresher', status: 'live' });
  const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Crane Operator',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' } },
  });
  const gone = await ok<LearnerDto>('POST', '/api/learners', { email: 'gone@example.com', name: 'Has Left' });
  await ok('POST', `/api/learners/${gone.id}/deactivate`);
  const rows = [
    { email: 'gone@example.com', name: 'Has Left', awardedAt: day(-10) },
    { email: 'stays@example.com', name: 'Stays On', awardedAt: day(-10) },
  ];
  const plan = await ok<ImportPlan>('POST', `/api/certificates/${certificate.id}/imports?dryRun=true&createLearners=true`, { rows });
  assert.deepEqual(plan.rows.map((r) => [r.outcome, r.reason]), [['reject', 'learner_deactivated'], ['schedule', null]]);
  const posted = await stack.request<ImportCreated>('POST', `/api/certificates/${certificate.id}/imports?createLearners=true`, { rows });
  assert.equal(posted.status, 202);
  const done = await stack.eventually('the import completed', async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${posted.body.import.id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 60_000);
  assert.equal(done.byOutcome.reject, 1);
  assert.equal(done.byReason.learner_deactivated, 1);
  const [held] = await stack.sql<{ n: number }[]>`select count(*)::int as n from awards where learner_id = ${gone.id}`;
  assert.equal(held!.n, 0, 'nothing was awarded to the deactivated learner');

  await ok('POST', `/api/certificates/${certificate.id}/archive`);
  const before = await databaseSnapshot();
  for (const query of ['?dryRun=true', '']) {
    const res = await stack.request<{ error: { code: string } }>('POST', `/api/certificates/${certificate.id}/imports${query}`, { rows: [{ email: 'late@example.com', name: 'Too Late', awardedAt: day(-1) }] });
    assert.equal(res.status, 409, query || 'apply');
    assert.equal(res.body.error.code, 'certificate_archived');
  }
  assert.deepEqual(await databaseSnapshot(), before, 'nothing written for an archived certificate');
});

test('a CSV file (BOM, CRLF, quoted commas and quotes, columns in any order, an empty expiresAt) plans exactly as the same JSON rows', async () => {
  const { certificate } = await setUp();
  const rows = [
    { email: 'csv.one@example.com', name: 'Lovelace, Ada', awardedAt: day(-100).slice(0, 10) },
    { email: 'csv.two@example.com', name: 'Grace "Amazing" Hopper', awardedAt: day(-20), expiresAt: day(10) },
    { email: 'not-an-email', name: 'Bad', awardedAt: day(-5).slice(0, 10) },
  ];
  const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const csv = '\uFEFF' + ['name,expiresAt,EMAIL,awardedAt', ...rows.map((r) => [r.name, r.expiresAt ?? '', r.email, r.awardedAt].map(quote).join(','))].join('\r\n') + '\r\n';
  const path = `/api/certificates/${certificate.id}/imports?dryRun=true&createLearners=true`;
  const before = await databaseSnapshot();
  const res = await fetch(`${stack.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv; charset=utf-8' }, body: csv });
  assert.equal(res.status, 200);
  const fromCsv = (await res.json()) as ImportPlan;
  const fromJson = await ok<ImportPlan>('POST', path, { rows });
  assert.deepEqual(fromCsv, fromJson);
  assert.deepEqual(fromCsv.rows.map((r) => r.outcome), ['schedule', 'enroll_now', 'reject']);
  assert.deepEqual(await databaseSnapshot(), before, 'a dry run from CSV writes nothing either');
});

test('a CSV row with fewer or more cells than the header is a rejected row (wrong_field_count), not a refused file, on the dry run and the apply; blank lines and empty rows are no rows', { timeout: 120_000 }, async () => {
  const { certificate } = await setUp();
  const path = `/api/certificates/${certificate.id}/imports`;
  const post = (query: string, body: string) =>
    fetch(`${stack.api}${path}${query}`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' }, body });
  const tag = randomUUID().slice(0, 8);
  const date = day(-100).slice(0, 10);

  // The tester's file: one short row, one good row.
  const before = await databaseSnapshot();
  const tester = await post('?dryRun=true&createLearners=true', `email,name,awardedAt\nshort.${tag}@example.com,Short\nok.${tag}@example.com,OK,${date}T00:00:00Z\n`);
  const testerPlan = (await tester.json()) as ImportPlan;
  assert.equal(tester.status, 200, JSON.stringify(testerPlan));
  assert.deepEqual(testerPlan.rows.map((r) => [r.row, r.outcome, r.reason]), [[1, 'reject', 'wrong_field_count'], [2, 'schedule', null]]);
  assert.deepEqual(await databaseSnapshot(), before, 'the dry run wrote nothing');

  // A BOM, CRLF, a short and a long row, a blank line, a row of only commas, a line of spaces, trailing blank lines.
  const csv = [
    '\uFEFFemail,name,awardedAt',
    `short.${tag}@example.com,Short`,
    `ok.${tag}@example.com,OK One,${date}`,
    '',
    ',,',
    `long.${tag}@example.com,Long,${date},extra`,
    '   ',
    `ok2.${tag}@example.com,OK Two,${date}`,
    '',
    '',
  ].join('\r\n');
  const expected = [[1, 'reject', 'wrong_field_count'], [2, 'schedule', null], [3, 'reject', 'wrong_field_count'], [4, 'schedule', null]];
  const dry = await post('?dryRun=true&createLearners=true', csv);
  const plan = (await dry.json()) as ImportPlan;
  assert.equal(dry.status, 200, JSON.stringify(plan));
  assert.deepEqual(plan.rows.map((r) => [r.row, r.outcome, r.reason]), expected);
  assert.deepEqual(plan.rows.map((r) => r.email), [`short.${tag}@example.com`, `ok.${tag}@example.com`, `long.${tag}@example.com`, `ok2.${tag}@example.com`]);
  assert.equal(plan.totals.byReason.wrong_field_count, 2);
  assert.deepEqual(await databaseSnapshot(), before, 'nor did this one');

  const applied = await post('?createLearners=true', csv);
  const created = (await applied.json()) as ImportCreated;
  assert.equal(applied.status, 202, JSON.stringify(created));
  assert.equal(created.import.totalRows, 4);
  assert.equal(created.import.progress.rejected, 2, 'a wrong field count is rejected at intake');
  const done = await stack.eventually('the import completed', async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${created.import.id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 60_000);
  assert.deepEqual(done.errors.map((e) => [e.row, e.email, e.reason]), [[1, `short.${tag}@example.com`, 'wrong_field_count'], [3, `long.${tag}@example.com`, 'wrong_field_count']]);
  assert.deepEqual(done.byOutcome, { schedule: 2, reject: 2 });
  const awarded = await stack.sql<{ email: string }[]>`
    select l.email from awards a join learners l on l.id = a.learner_id where a.certificate_id = ${certificate.id} and l.email like ${`%.${tag}@example.com`} order by l.email`;
  assert.deepEqual(awarded.map((a) => a.email), [`ok.${tag}@example.com`, `ok2.${tag}@example.com`], 'the good rows are awarded, the bad ones not');
  const errorsCsv = await fetch(`${stack.api}/api/imports/${created.import.id}/errors.csv`, { headers: { authorization: `Bearer ${stack.token}` } });
  assert.deepEqual((await errorsCsv.text()).trim().split('\r\n').slice(1), [
    `1,short.${tag}@example.com,Short,,,,wrong_field_count`,
    `3,long.${tag}@example.com,Long,${date},,,wrong_field_count`,
  ]);
  const again = await post('?createLearners=true', csv);
  assert.equal(again.status, 200, 'the same file again is the same import');
  assert.equal(((await again.json()) as ImportCreated).import.id, created.import.id);
});

test('a NUL in any cell of a JSON or CSV import is a rejected row with its reason, never a 500, on the dry run and the apply', { timeout: 120_000 }, async () => {
  const { certificate } = await setUp();
  const rows = [
    { email: 'nul\u0000one@example.com', name: 'Nul One', awardedAt: day(-10).slice(0, 10) },
    { email: 'nul.two@example.com', name: 'Nul\u0000Two', awardedAt: day(-10).slice(0, 10) },
    { email: 'nul.three@example.com', name: 'Nul Three', awardedAt: `${day(-10).slice(0, 10)}\u0000` },
    { email: 'nul.four@example.com', name: 'Nul Four', awardedAt: day(-10).slice(0, 10) },
  ];
  const expected = [['reject', 'bad_email'], ['reject', 'bad_name'], ['reject', 'unparsable_date'], ['schedule', null]];
  const path = `/api/certificates/${certificate.id}/imports`;
  const plan = await ok<ImportPlan>('POST', `${path}?dryRun=true&createLearners=true`, { rows });
  assert.deepEqual(plan.rows.map((r) => [r.outcome, r.reason]), expected);
  const csv = ['email,name,awardedAt', ...rows.map((r) => [r.email, r.name, r.awardedAt].join(','))].join('\r\n');
  const fromCsv = await fetch(`${stack.api}${path}?dryRun=true&createLearners=true`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' }, body: csv });
  assert.equal(fromCsv.status, 200);
  assert.deepEqual(((await fromCsv.json()) as ImportPlan).rows.map((r) => [r.outcome, r.reason]), expected);
  const applied = await stack.request<ImportCreated>('POST', `${path}?createLearners=true`, { rows });
  assert.equal(applied.status, 202, JSON.stringify(applied.body));
  const done = await stack.eventually('the import completed', async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${applied.body.import.id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 60_000);
  assert.deepEqual({ ...done.byReason }, { ...done.byReason, bad_email: 1, bad_name: 1, unparsable_date: 1 });
  assert.equal(done.byOutcome.schedule, 1);
});

test('the import\'s batched starter: each workflow started once, an erased learner\'s award passed over, a Temporal failure mid-page records only what Temporal confirmed and the retry starts the rest', { timeout: 120_000 }, async () => {
  const burst = await seedDueBurst(stack.sql, { count: 8, dueAt: new Date(Date.now() + 100 * DAY_MS) });
  const ids = burst.awards.map((a) => a.id);
  const erased = burst.awards[0]!;
  await stack.sql`update learners set deactivated_at = now(), erased_at = now() where id = ${erased.learnerId}`;
  const failing = burst.awards[5]!;
  // The real client, except that Temporal refuses one start (as if unreachable for it).
  const refusing = new Proxy(stack.client.workflow, {
    get(target, prop, receiver) {
      if (prop !== 'start') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<typeof target.start>) => {
        if (args[1].workflowId === failing.workflowId) throw new Error('Temporal refused this start');
        return target.start(...args);
      };
    },
  });
  const client = new Proxy(stack.client, { get: (target, prop, receiver) => (prop === 'workflow' ? refusing : Reflect.get(target, prop, receiver) as unknown) });
  const deps = { sql: stack.sql, client, log: stack.log, config: { temporal: { taskQueue: stack.config.temporal.taskQueue } } };

  await assert.rejects(ensureAwardWorkflows(deps, ids, 1), /Temporal refused this start/);
  const startedAfterFailure = await stack.sql<{ id: string }[]>`select id from awards where id = any(${ids}::uuid[]) and workflow_started_at is not null`;
  assert.deepEqual(new Set(startedAfterFailure.map((r) => r.id)).has(failing.id), false, 'the refused start is not recorded');
  for (const { id } of startedAfterFailure) {
    const wf = burst.awards.find((a) => a.id === id)!.workflowId!;
    await stack.client.workflow.getHandle(wf).describe(); // throws if Temporal has no such workflow
  }

  const real = { ...deps, client: stack.client };
  const startedNow = await ensureAwardWorkflows(real, ids, 4);
  assert.equal(startedNow, ids.length - 1 - startedAfterFailure.length, 'the retry starts exactly the ones not yet confirmed (none for the erased learner)');
  assert.equal(await ensureAwardWorkflows(real, ids, 4), 0, 'a third call finds every one confirmed');
  const rows = await stack.sql<{ id: string; startedAt: Date | null }[]>`select id, workflow_started_at as started_at from awards where id = any(${ids}::uuid[])`;
  for (const row of rows) assert.equal(row.startedAt !== null, row.id !== erased.id, `award ${row.id}: started iff its learner was not erased`);
  for (const award of burst.awards.slice(1)) {
    // Visibility lags the start: wait until it lists the execution, then there must be exactly one.
    const runs = await stack.eventually(`${award.workflowId} listed`, async () => {
      const c = await stack.client.workflow.count(`WorkflowId = '${award.workflowId}'`);
      return c.count >= 1 ? c : null;
    });
    assert.equal(runs.count, 1, `${award.workflowId}: one execution`);
  }
  await assert.rejects(stack.client.workflow.getHandle(erased.workflowId!).describe(), /not found/i, 'nothing started for the erased learner');
});

test('pacing: an import waits while more new workflows than IMPORT_MAX_TASK_BACKLOG wait for a worker, and goes on once they are taken', async () => {
  // A task queue no worker polls: every started workflow's first task waits there.
  const taskQueue = `pacing-${randomUUID()}`;
  for (let i = 0; i < 6; i++) {
    await stack.client.workflow.start('recertificationWorkflow', { taskQueue, workflowId: `pacing-${i}-${randomUUID()}`, args: [] });
  }
  const seen = await stack.eventually('the task queue reports the six waiting first tasks', async () => {
    const n = await workflowTaskBacklog(stack.client, taskQueue);
    return n !== null && n >= 6 ? n : undefined;
  });
  assert.equal(seen, 6);
  // Over the bound: the wait lasts until its time is up, and says what it saw.
  const held = await waitForWorkflowTaskBacklog(stack.client, taskQueue, 2, { timeoutMs: 1500, pollMs: 200 });
  assert.ok(held.waitedMs >= 1500, `waited ${held.waitedMs} ms`);
  assert.equal(held.backlog, 6);
  // Within the bound: no wait.
  const free = await waitForWorkflowTaskBacklog(stack.client, taskQueue, 6, { timeoutMs: 60_000, pollMs: 200 });
  assert.equal(free.backlog, 6);
  assert.ok(free.waitedMs < 5000, `waited ${free.waitedMs} ms`);
  // A "worker" takes four of the tasks: the wait ends as soon as the queue is back within the bound.
  for (let i = 0; i < 4; i++) {
    const task = await stack.client.withDeadline(Date.now() + 30_000, () =>
      stack.client.workflowService.pollWorkflowTaskQueue({
        namespace: stack.client.options.namespace,
        taskQueue: { name: taskQueue },
        identity: 'pacing-test',
      }),
    );
    assert.ok(task.taskToken?.length, 'a waiting task was handed out');
  }
  const drained = await waitForWorkflowTaskBacklog(stack.client, taskQueue, 2, { timeoutMs: 60_000, pollMs: 200 });
  assert.ok(drained.backlog !== null && drained.backlog <= 2, `backlog ${drained.backlog}`);
  assert.ok(drained.waitedMs < 60_000);
});
