/**
 * A tester's hostile sweep of the JSON API, on the real stack:
 *  - paging is keyset on (createdAt, id) with an opaque cursor: rows created in the same instant (the
 *    awards of one completion) are each reached once, in awards, messages, learners, certificates and attempts;
 *  - an unknown query parameter (a misspelt filter) is a 400 naming it; so is an empty Idempotency-Key;
 *  - a repeated query parameter, a repeated Idempotency-Key header, a body where none is expected and a
 *    content-coded body are refused (4xx) and change nothing;
 *  - the OpenAPI document states the validity's bound; the lead-days rule waits for recertification;
 *  - an explicit expiry on an award of a certificate that does not expire starts its workflow.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AttemptDto, AwardDto, AwardList, CertificateDto, CertificateList, CourseDto, LearnerDto, LearnerList } from '../api/schemas.ts';
import { defaultSettings } from '../domain/settings.ts';
import { startStack, type StackResponse, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_paging' });
});
after(async () => {
  await stack?.stop();
});

interface ErrorAnswer {
  error: { code: string; message: string; details: unknown };
}

async function ok<T>(res: Promise<StackResponse<T>>): Promise<T> {
  const r = await res;
  assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Every page of `path` (a list answered with `nextBefore`) at `limit` a page: the rows in order, and the pages' sizes. */
async function walk<T>(path: string, key: string, limit: number): Promise<{ rows: T[]; pages: number[] }> {
  const rows: T[] = [];
  const pages: number[] = [];
  let before: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: Record<string, unknown> & { nextBefore: string | null } = await ok(
      stack.request(`GET`, `${path}${sep}limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`),
    );
    const items = page[key] as T[];
    rows.push(...items);
    pages.push(items.length);
    if (page.nextBefore === null) return { rows, pages };
    before = page.nextBefore;
  }
  throw new Error('paging did not end');
}

/** A raw HTTP/1.1 request, headers given as [name, value] lines (so one header can be sent twice). */
function rawRequest(method: string, path: string, headers: [string, string][], body?: string | Buffer): Promise<{ status: number; body: string }> {
  const url = new URL(stack.api);
  return new Promise((resolve, reject) => {
    const lines: [string, string][] = [['Host', url.host], ...headers];
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: lines.flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (): [string, string] => ['Authorization', `Bearer ${stack.token}`];

async function count(table: string): Promise<number> {
  const [row] = await stack.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return row?.n ?? 0;
}

test('awards made by one completion share createdAt, and every one of them is reached with limit=1', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'Shared instant', status: 'live' }));
  const certs: CertificateDto[] = [];
  for (const n of [1, 2, 3, 4]) {
    certs.push((await ok(stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: `Same instant ${n}`, associatedCourseIds: [course.id] }))).certificate);
  }
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: 'same-instant@example.com', name: 'Same Instant' }));
  const { attempt } = await ok(stack.request<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  const completion = await ok(stack.request<{ awards: AwardDto[] }>('POST', `/api/attempts/${attempt.id}/complete`));
  assert.equal(completion.awards.length, 4);
  assert.equal(new Set(completion.awards.map((a) => a.createdAt)).size, 1, 'the four awards share one createdAt');

  const { rows, pages } = await walk<AwardDto>(`/api/awards?learnerId=${learner.id}`, 'awards', 1);
  assert.deepEqual(pages, [1, 1, 1, 1], 'four pages of one, and the last says so (nextBefore null)');
  assert.deepEqual(rows.map((a) => a.id).sort(), completion.awards.map((a) => a.id).sort(), 'each award once');
  // The same with include=recertification, and two a page.
  assert.deepEqual((await walk<AwardDto>(`/api/awards?learnerId=${learner.id}&include=recertification`, 'awards', 3)).pages, [3, 1]);

  // A plain ISO instant in `before` is still accepted (only awards created strictly before it).
  const future = await ok(stack.request<AwardList>('GET', `/api/awards?learnerId=${learner.id}&before=2999-01-01T00:00:00Z`));
  assert.equal(future.awards.length, 4);
  const past = await ok(stack.request<AwardList>('GET', `/api/awards?learnerId=${learner.id}&before=${encodeURIComponent(completion.awards[0]!.createdAt)}`));
  assert.equal(past.awards.length, 0);
  // A cursor that is not one is a 400 naming `before`.
  for (const bad of ['not-a-cursor', 'MjAyNi0wMS0wMVQwMDowMDowMC4wMDAwMDBaIHh4eA', '%00']) {
    const res = await stack.request<ErrorAnswer>('GET', `/api/awards?before=${bad}`);
    assert.equal(res.status, 400, bad);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.match(res.body.error.message, /before/);
  }
});

test('messages created in the same instant are each reached once with limit=1', async () => {
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: 'same-instant-mail@example.com', name: 'Mail Twin' }));
  const at = new Date('2026-05-01T10:00:00.123456Z');
  for (const n of [1, 2, 3, 4]) {
    await stack.sql`
      insert into messages (kind, learner_id, to_address, from_address, subject, body, provider, idempotency_key, created_at)
      values ('course_enrollment', ${learner.id}, 'same-instant-mail@example.com', 'r@example.com', ${`Twin ${n}`}, '<p>x</p>', 'log', ${`twin-${randomUUID()}`},
              '2026-05-01T10:00:00.123456Z'::timestamptz)`;
  }
  const { rows, pages } = await walk<{ id: string; createdAt: string }>(`/api/messages?learnerId=${learner.id}`, 'messages', 1);
  assert.deepEqual(pages, [1, 1, 1, 1]);
  assert.equal(new Set(rows.map((m) => m.id)).size, 4, 'each message once');
  assert.ok(rows.every((m) => m.createdAt === at.toISOString()));
});

test('learners and certificates are paged too: every row is reached, ties included, past the first page', async () => {
  // Three learners and three certificates created in one instant, besides the ones the API made.
  await stack.sql.begin(async (tx) => {
    for (const n of [1, 2, 3]) {
      await tx`insert into learners (email, name) values (${`tie-${n}@example.com`}, ${`Tie ${n}`})`;
      await tx`insert into certificates (title, settings) values (${`Tie ${n}`}, ${tx.json(JSON.parse(JSON.stringify(defaultSettings())) as Parameters<typeof tx.json>[0])})`;
    }
  });
  for (const n of [1, 2]) {
    await ok(stack.request('POST', '/api/learners', { email: `paged-${n}@example.com`, name: `Paged ${n}` }));
    await ok(stack.request('POST', '/api/certificates', { title: `Paged ${n}` }));
  }
  for (const [path, key, table] of [['/api/learners', 'learners', 'learners'], ['/api/certificates', 'certificates', 'certificates']] as const) {
    const total = await count(table);
    assert.ok(total >= 5, `${table}: ${total}`);
    for (const limit of [1, 2]) {
      const { rows } = await walk<{ id: string; createdAt: string }>(path, key, limit);
      assert.equal(rows.length, total, `${path} limit=${limit}: every row`);
      assert.equal(new Set(rows.map((r) => r.id)).size, total, `${path} limit=${limit}: each once`);
      const times = rows.map((r) => Date.parse(r.createdAt));
      assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    }
    const all = await ok(stack.request<LearnerList & CertificateList>('GET', path));
    assert.equal(all.nextBefore, null, 'one page holds them all: no next page');
  }
});

test('numeric query parameters are decimal integers, and a repeated query parameter is a 400 naming it', async () => {
  for (const path of ['/api/awards', '/api/messages', '/api/learners', '/api/certificates', '/api/courses', '/api/attempts']) {
    for (const limit of ['0x10', '1e2', '+5', '1.0', '-1', ' 5', '0', '1001', '', 'ten']) {
      const res = await stack.request<ErrorAnswer>('GET', `${path}?limit=${encodeURIComponent(limit)}`);
      assert.equal(res.status, 400, `${path}?limit=${JSON.stringify(limit)}`);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.match(res.body.error.message, /query\.limit: limit must be/, `${path} ${limit}: ${res.body.error.message}`);
    }
    assert.equal((await stack.request(`GET`, `${path}?limit=16`)).status, 200, `${path}?limit=16`);
    const repeated = await stack.request<ErrorAnswer>('GET', `${path}?limit=1&limit=2`);
    assert.equal(repeated.status, 400, path);
    assert.equal(repeated.body.error.code, 'validation_failed');
    assert.match(repeated.body.error.message, /limit is given 2 times/);
    assert.doesNotMatch(repeated.body.error.message, /NaN/);
  }
  const twice = await stack.request<ErrorAnswer & { error: { details: { issues: { path: string; code: string }[] } } }>('GET', '/api/courses?status=live&status=draft');
  assert.equal(twice.status, 400);
  assert.deepEqual(twice.body.error.details.issues.map((i) => [i.path, i.code]), [['status', 'repeated_parameter']]);
});

test('a body where none is expected is refused; no body, an empty one or {} is fine', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'Body test', status: 'live' }));
  const { certificate } = await ok(stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Body test', associatedCourseIds: [course.id] }));
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: 'body-test@example.com', name: 'Body Test' }));
  const enroll = async (): Promise<AttemptDto> => (await ok(stack.request<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }))).attempt;
  const attempt = await enroll();
  const complete = `/api/attempts/${attempt.id}/complete`;
  for (const [body, type] of [['{"x":1}', 'application/json'], ['{"attemptId":"x"}', 'application/json'], ['[]', 'application/json'], ['hello', 'text/plain'], ['null', 'application/json']] as const) {
    const res = await stack.request<ErrorAnswer>('POST', complete, body, { 'content-type': type });
    assert.equal(res.status, 400, body);
    assert.equal(res.body.error.code, 'validation_failed', body);
  }
  const named = await stack.request<ErrorAnswer & { error: { details: { issues: { keys?: string[] }[] } } }>('POST', complete, { x: 1 });
  assert.deepEqual(named.body.error.details.issues[0]?.keys, ['x'], 'the unknown key is named');
  assert.equal((await stack.request<AttemptDto>('GET', `/api/attempts?learnerId=${learner.id}`)).status, 200);
  const [stored] = await stack.sql<{ status: string }[]>`select status from course_attempts where id = ${attempt.id}`;
  assert.equal(stored?.status, 'enrolled', 'nothing was completed');
  const [{ n: awards } = { n: -1 }] = await stack.sql<{ n: number }[]>`select count(*)::int as n from awards where certificate_id = ${certificate.id}`;
  assert.equal(awards, 0, 'nothing awarded');

  // No body, {} and an empty body all complete.
  assert.equal((await stack.request('POST', complete, {})).status, 200, '{}');
  assert.equal((await stack.request('POST', `/api/attempts/${(await enroll()).id}/complete`, '', { 'content-type': 'application/json' })).status, 200, 'empty');

  // A GET (or HEAD) with a body: its framing says so, and it is refused (fetch cannot send one; raw HTTP can).
  for (const method of ['GET', 'HEAD']) {
    const res = await rawRequest(method, '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Content-Length', '7']], '{"a":1}');
    assert.equal(res.status, 400, method);
  }
  const get = await rawRequest('GET', '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Content-Length', '7']], '{"a":1}');
  assert.match(get.body, /GET \/api\/learners takes no body/);
  assert.equal((await rawRequest('GET', '/api/learners', [auth()])).status, 200);
});

test('an Idempotency-Key sent twice (joined "a1, a2") is refused and creates nothing; so is one with a comma or a space', async () => {
  const before = await count('learners');
  const keysBefore = await count('idempotent_requests');
  const body = JSON.stringify({ email: 'twice-key@example.com', name: 'Twice Key' });
  const twice = await rawRequest('POST', '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Idempotency-Key', 'a1'], ['Idempotency-Key', 'a2']], body);
  assert.equal(twice.status, 400, twice.body);
  const answer = JSON.parse(twice.body) as ErrorAnswer;
  assert.equal(answer.error.code, 'validation_failed');
  assert.match(answer.error.message, /Idempotency-Key must be sent once/);
  for (const key of ['a1, a2', 'a,b', 'a b']) {
    const res = await stack.request<ErrorAnswer>('POST', '/api/learners', { email: 'twice-key@example.com', name: 'Twice Key' }, { 'idempotency-key': key });
    assert.equal(res.status, 400, key);
    assert.equal(res.body.error.code, 'validation_failed', key);
  }
  assert.equal(await count('learners'), before, 'no learner was created');
  assert.equal(await count('idempotent_requests'), keysBefore, 'no key was claimed');
  // One key of visible characters still works.
  assert.equal((await stack.request('POST', '/api/learners', { email: 'twice-key@example.com', name: 'Twice Key' }, { 'idempotency-key': 'learner:twice-key/2026' })).status, 201);
});

test('a content-coded body (gzip, br, …) is 415 naming the coding, and nothing changes; identity is fine', async () => {
  const before = await count('learners');
  const json = JSON.stringify({ email: 'gzip@example.com', name: 'Gzip' });
  const cases: [string, string | Buffer][] = [['gzip', json], ['gzip', gzipSync(json)], ['br', json], ['deflate, gzip', json], ['x-custom', json]];
  for (const [coding, body] of cases) {
    const res = await rawRequest('POST', '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Content-Encoding', coding]], body);
    assert.equal(res.status, 415, `${coding}: ${res.body}`);
    const answer = JSON.parse(res.body) as ErrorAnswer & { error: { details: { contentEncoding: string[] } } };
    assert.equal(answer.error.code, 'unsupported_media_type');
    assert.match(answer.error.message, new RegExp(coding.split(',')[0]!));
  }
  assert.equal(await count('learners'), before, 'nothing created');
  const identity = await rawRequest('POST', '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Content-Encoding', 'identity']], json);
  assert.equal(identity.status, 201, identity.body);
});

test('the OpenAPI document states the validity bound (validFor.amount ≤ 18250); the per-unit limit still applies', async () => {
  type Schema = { properties?: Record<string, Schema>; maximum?: number; minimum?: number; description?: string };
  const doc = await ok(stack.request<{ components: { schemas: Record<string, Schema> } }>('GET', '/api/openapi.json', undefined, { authorization: null }));
  for (const name of ['CertificateSettings', 'CertificateSettingsPatch']) {
    const amount = doc.components.schemas[name]?.properties?.expiration?.properties?.validFor?.properties?.amount;
    assert.equal(amount?.maximum, 18250, name);
    assert.equal(amount?.minimum, 1, name);
    assert.match(amount?.description ?? '', /50 years/);
  }
  const { certificate } = await ok(stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Bounded' }));
  for (const validFor of [{ amount: 51, unit: 'years' }, { amount: 18251, unit: 'days' }, { amount: 100000, unit: 'days' }]) {
    const res = await stack.request<ErrorAnswer>('PATCH', `/api/certificates/${certificate.id}`, { settings: { expiration: { validFor } } });
    assert.equal(res.status, 400, JSON.stringify(validFor));
    assert.match(res.body.error.message, /at most 50 years/);
  }
});

test('lead days do not constrain the validity while they time nothing (recertification and the expiring notice off); turning recertification on checks them', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'Lead rule', status: 'live' }));
  const { certificate } = await ok(
    stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', {
      title: 'Lead rule',
      settings: {
        expiration: { enabled: true, validFor: { amount: 12, unit: 'months' } },
        recertification: { enabled: false, courseId: course.id, leadDays: 60 },
        expiringNotice: { enabled: false },
      },
    }),
  );
  const path = `/api/certificates/${certificate.id}`;
  const changed = await stack.request<{ certificate: CertificateDto }>('PATCH', path, { settings: { expiration: { validFor: { amount: 1, unit: 'months' } } } });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.deepEqual(changed.body.certificate.settings.expiration.validFor, { amount: 1, unit: 'months' });
  const on = await stack.request<ErrorAnswer>('PATCH', path, { settings: { recertification: { enabled: true } } });
  assert.equal(on.status, 422);
  assert.equal(on.body.error.code, 'lead_days_exceed_validity');
  assert.equal((await stack.request('PATCH', path, { settings: { recertification: { enabled: true, leadDays: 20 } } })).status, 200);
});

test('an expiry set on an award of a certificate that does not expire is kept, and starts its workflow', async () => {
  const { certificate } = await ok(stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'No expiry' }));
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: 'explicit-expiry@example.com', name: 'Explicit Expiry' }));
  const created = await ok(stack.request<{ award: AwardDto; workflowId: string | null; plan: string }>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: learner.id }));
  assert.equal(created.plan, 'no_expiry');
  assert.equal(created.award.workflowId, null);
  const expiresAt = new Date(Date.now() + 400 * 86_400_000).toISOString();
  const patched = await ok(stack.request<{ award: AwardDto; signal: string }>('PATCH', `/api/awards/${created.award.id}`, { expiresAt }));
  assert.equal(patched.award.expiresAt, expiresAt);
  assert.equal(patched.award.workflowId, `recertification-${created.award.id}`);
  await stack.eventually('the workflow scheduled', async () => {
    const view = await stack.request<{ workflowStatus: string | null; recertification: { phase: string; expiresAt: string } | null }>('GET', `/api/awards/${created.award.id}`);
    return view.body.workflowStatus === 'RUNNING' && view.body.recertification?.phase === 'scheduled' && view.body.recertification.expiresAt === expiresAt;
  });
  const [cert] = await stack.sql<{ settings: CertificateDto['settings'] }[]>`select settings from certificates where id = ${certificate.id}`;
  assert.equal(cert?.settings.expiration.enabled, false, 'the certificate still does not expire');
  // The OpenAPI description says so.
  const doc = await ok(stack.request<{ paths: Record<string, Record<string, { description?: string }>> }>('GET', '/api/openapi.json', undefined, { authorization: null }));
  assert.match(doc.paths['/api/awards/{id}']?.patch?.description ?? '', /An award without an expiry .* its recertification workflow is started/);
});

test('completing an attempt again after a newer enrollment superseded it answers its completion (200, alreadyCompleted), not 409', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'Completed then re-enrolled', status: 'live' }));
  await ok(
    stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', {
      title: 'Completed then re-enrolled',
      associatedCourseIds: [course.id],
      settings: { expiration: { enabled: true, validFor: { amount: 12, unit: 'months' } } },
    }),
  );
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: `re-${randomUUID().slice(0, 8)}@example.com`, name: 'Re Enrolled' }));
  const first = await ok(stack.request<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  const completed = await ok(stack.request<{ awards: AwardDto[]; alreadyCompleted: boolean }>('POST', `/api/attempts/${first.attempt.id}/complete`));
  assert.equal(completed.alreadyCompleted, false);
  assert.equal(completed.awards.length, 1);
  await ok(stack.request('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  const again = await stack.request<{ awards: AwardDto[]; alreadyCompleted: boolean }>('POST', `/api/attempts/${first.attempt.id}/complete`);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.alreadyCompleted, true);
  assert.deepEqual(again.body.awards.map((a) => a.id), completed.awards.map((a) => a.id), 'the same award, none more');
});

test('attempts are paged too: every attempt is reached past the first page, ties included, and the answer carries nextBefore', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'Paged attempts', status: 'live' }));
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: `paged-attempts-${randomUUID().slice(0, 8)}@example.com`, name: 'Paged Attempts' }));
  for (let n = 0; n < 3; n++) await ok(stack.request('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  // Two more created in one instant (as history), so the cursor must tell ties apart.
  await stack.sql.begin(async (tx) => {
    for (let n = 0; n < 2; n++) {
      await tx`insert into course_attempts (course_id, learner_id, status, progress, source, created_at, superseded_at)
               values (${course.id}, ${learner.id}, 'superseded', 0, 'manual', '2026-01-01T00:00:00.000001Z'::timestamptz, now())`;
    }
  });
  const all = await ok(stack.request<{ attempts: AttemptDto[]; nextBefore: string | null }>('GET', `/api/attempts?learnerId=${learner.id}`));
  assert.equal(all.attempts.length, 5);
  assert.equal(all.nextBefore, null, 'one page holds them all');
  for (const limit of [1, 2]) {
    const { rows, pages } = await walk<AttemptDto>(`/api/attempts?learnerId=${learner.id}`, 'attempts', limit);
    assert.equal(pages.length, Math.ceil(5 / limit), `limit=${limit}: ${JSON.stringify(pages)}`);
    assert.deepEqual(rows.map((a) => a.id), all.attempts.map((a) => a.id), `limit=${limit}: each once, in order`);
  }
  const bad = await stack.request<ErrorAnswer>('GET', `/api/attempts?before=not-a-cursor`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /before/);
});

test('an unknown query parameter is a 400 naming it, on every route; declared ones still work', async () => {
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: `typo-${randomUUID().slice(0, 8)}@example.com`, name: 'Typo' }));
  type Issues = ErrorAnswer & { error: { details: { issues: { path: string; code: string }[] } } };
  const typo = await stack.request<Issues>('GET', `/api/awards?learnerid=${learner.id}`);
  assert.equal(typo.status, 400, JSON.stringify(typo.body));
  assert.equal(typo.body.error.code, 'validation_failed');
  assert.match(typo.body.error.message, /learnerid is not a query parameter of GET \/api\/awards/);
  assert.deepEqual(typo.body.error.details.issues.map((i) => [i.path, i.code]), [['learnerid', 'unknown_parameter']]);
  for (const path of ['/api/learners', '/api/certificates', '/api/courses', '/api/attempts', '/api/messages', `/api/learners/${learner.id}`, `/api/attempts/${randomUUID()}/complete`]) {
    const method = path.endsWith('/complete') ? 'POST' : 'GET';
    const res = await stack.request<ErrorAnswer>(method, `${path}?bogus=1`);
    assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.match(res.body.error.message, /bogus is not a query parameter/);
  }
  assert.equal((await stack.request('GET', `/api/awards?learnerId=${learner.id}&limit=5&include=recertification`)).status, 200);
  assert.equal((await stack.request('GET', `/api/learners?email=${encodeURIComponent(learner.email)}&limit=5`)).status, 200);
});

test('an empty Idempotency-Key header is refused (400) and creates nothing', async () => {
  const before = await count('learners');
  const body = JSON.stringify({ email: 'empty-key@example.com', name: 'Empty Key' });
  const raw = await rawRequest('POST', '/api/learners', [auth(), ['Content-Type', 'application/json'], ['Idempotency-Key', '']], body);
  assert.equal(raw.status, 400, raw.body);
  assert.equal((JSON.parse(raw.body) as ErrorAnswer).error.code, 'validation_failed');
  const res = await stack.request<ErrorAnswer>('POST', '/api/learners', { email: 'empty-key@example.com', name: 'Empty Key' }, { 'idempotency-key': '' });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'validation_failed');
  assert.match(res.body.error.message, /Idempotency-Key must be 1–255/);
  assert.equal(await count('learners'), before, 'no learner was created');
});
