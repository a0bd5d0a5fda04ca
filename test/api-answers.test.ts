/**
 * What the API answers and logs at its edges (issue 17, items 4 and 9), on the real stack:
 *  - names from the URL never reach an object's prototype (`/admin/assets/__proto__` is a 404, not a 500);
 *  - a 400's details stay small whatever the input (the first issues and unknown keys, with counts);
 *  - a client that aborts its upload is no server error (499, an info line, no stack);
 *  - a known path asked with another method is 405 with `Allow`, derived from the routes;
 *  - `Idempotency-Key` is honoured by every POST and refused (400) where it means nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../config/logger.ts';
import { createApp } from '../api/app.ts';
import { MAX_LISTED_ISSUES, MAX_LISTED_KEYS, type ValidationDetails } from '../api/errors.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { startApiServer } from '../api/server.ts';
import { claimIdempotencyKey, storeIdempotentResponse } from '../db/queries/idempotency.ts';
import { startStack, type StackResponse, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_answers' });
});
after(async () => {
  await stack?.stop();
});

interface ErrorAnswer<D = unknown> {
  error: { code: string; message: string; details: D };
}

/** A logger whose JSON lines the test reads. */
function capturingLog(): { log: Logger; entries: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), entries: () => lines.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function ok<T>(res: Promise<StackResponse<T>>): Promise<T> {
  const r = await res;
  assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// --- 4. object lookups --------------------------------------------------------------------------

test('asset names from the URL are looked up in a Map: prototype names are a 404, never a 500 with a stack', async () => {
  const { log, entries } = capturingLog();
  const app = createApp({ config: stack.config, sql: stack.sql, client: stack.client, log });
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    for (const base of ['/admin/assets', '/api/docs/assets']) {
      const res = await app.request(`${base}/${name}`); // both are public: no token, no cookie
      assert.equal(res.status, 404, `${base}/${name}`);
    }
  }
  assert.equal((await app.request('/admin/assets/admin.css')).status, 200, 'a real asset is still served');
  assert.equal((await app.request('/api/docs/assets/swagger-ui.css')).status, 200);
  const errors = entries().filter((e) => e.level >= 50);
  assert.deepEqual(errors, [], 'nothing logged as an error');
});

// --- 9. answers and logs ------------------------------------------------------------------------

type Details = ValidationDetails;

test('a body with 50,000 unknown keys is a small 400 naming the first keys and their count', async () => {
  const body: Record<string, string> = { email: 'many@example.com', name: 'Many Keys' };
  for (let i = 0; i < 50_000; i++) body[`k${i}`] = 'x';
  const res = await fetch(`${stack.api}/api/learners`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 400);
  assert.ok(text.length < 4_000, `the answer is ${text.length} bytes (was 1.18 MB)`);
  const { error } = JSON.parse(text) as ErrorAnswer<Details>;
  assert.equal(error.code, 'validation_failed');
  assert.equal(error.details.issueCount, 1);
  const [issue] = error.details.issues;
  assert.equal(issue?.code, 'unrecognized_keys');
  assert.equal(issue?.keyCount, 50_000);
  assert.deepEqual(issue?.keys, Array.from({ length: MAX_LISTED_KEYS }, (_, i) => `k${i}`));
  assert.match(issue?.message ?? '', /"k0", "k1".*"k19", … and 49980 more$/);
  assert.match(error.message, /^Invalid json: Unrecognized keys: "k0"/);
  assert.equal((await stack.sql`select 1 from learners where email = 'many@example.com'`).length, 0);
});

test('a 400 lists the first 20 issues and counts them all', async () => {
  const { certificate } = await ok(stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Issues' }));
  const ids = Array.from({ length: 100 }, (_, i) => `not-a-uuid-${i}`);
  const many = await stack.request<ErrorAnswer<Details>>('PATCH', `/api/certificates/${certificate.id}`, { associatedCourseIds: ids });
  assert.equal(many.status, 400);
  assert.equal(many.body.error.details.issues.length, MAX_LISTED_ISSUES);
  assert.equal(many.body.error.details.issueCount, 100);
  assert.deepEqual(many.body.error.details.issues.map((i) => i.path), ids.slice(0, MAX_LISTED_ISSUES).map((_, i) => `associatedCourseIds.${i}`));
  assert.match(many.body.error.message, /\(and 99 more issues\)$/);
});

test('a 400 for an unknown key 300,000 characters long clips it', async () => {
  const long = 'y'.repeat(300_000);
  const res = await stack.request<ErrorAnswer<Details>>('POST', '/api/learners', { email: 'long@example.com', name: 'Long', [long]: 1 });
  assert.equal(res.status, 400);
  const size = JSON.stringify(res.body).length;
  assert.ok(size < 2_000, `the answer is ${size} characters`);
  const [issue] = res.body.error.details.issues;
  assert.equal(issue?.keyCount, 1);
  assert.ok((issue?.keys?.[0]?.length ?? 0) <= 200 && issue?.keys?.[0]?.endsWith('…'), 'the key is clipped');
});

/** Sends the head of a POST and part of its body, then drops the connection. */
async function abortUpload(url: string, framing: 'chunked' | 'length', target = { path: '/api/learners', type: 'application/json' }): Promise<void> {
  const { hostname, port } = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const length = framing === 'chunked' ? 'Transfer-Encoding: chunked' : 'Content-Length: 100000';
      socket.write(
        `POST ${target.path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${stack.token}\r\nContent-Type: ${target.type}\r\n${length}\r\n\r\n`,
      );
      socket.write(framing === 'chunked' ? 'c\r\n{"email": "a\r\n' : '{"email": "a');
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 150);
    });
    socket.on('error', reject);
  });
}

for (const framing of ['chunked', 'length'] as const) {
  test(`a client that aborts its upload (${framing === 'chunked' ? 'chunked body' : 'body with a Content-Length'}) is logged at info as 499, not as a server error`, async () => {
    const { log, entries } = capturingLog();
    const server = await startApiServer({ config: stack.config, sql: stack.sql, client: stack.client, log, port: 0, host: '127.0.0.1' });
    try {
      await abortUpload(server.url, framing);
      const lines = await stack.eventually('the request\'s log line', async () => (entries().some((e) => e.msg === 'request') ? entries() : undefined), 5_000);
      const request = lines.find((e) => e.msg === 'request');
      assert.equal(request?.status, 499, JSON.stringify(lines));
      assert.equal(request?.level, 30, 'at info');
      assert.deepEqual(lines.filter((e) => e.level >= 40), [], 'no warning or error');
      assert.ok(lines.some((e) => e.level === 30 && /client closed the connection/.test(e.msg)), 'says what happened');
      // A whole request on the same server is answered as usual.
      const res = await fetch(`${server.url}/api/learners`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        body: '{"email": "a',
      });
      assert.equal(res.status, 400, 'malformed JSON from a client that stays is still a 400');
      assert.equal(((await res.json()) as ErrorAnswer).error.code, 'malformed_json');
    } finally {
      await server.close();
    }
  });
}

test('a known path asked with another method is 405 with Allow; an unknown path stays 404', async () => {
  const learners = await stack.request<ErrorAnswer<{ allow: string[] }>>('DELETE', '/api/learners');
  assert.equal(learners.status, 405);
  assert.equal(learners.headers.get('allow'), 'GET, HEAD, POST');
  assert.equal(learners.body.error.code, 'method_not_allowed');
  assert.deepEqual(learners.body.error.details.allow, ['GET', 'HEAD', 'POST']);

  const id = randomUUID();
  for (const [method, path, allow] of [
    ['GET', `/api/awards/${id}/revoke`, 'POST'],
    ['POST', `/api/attempts/${id}`, 'PATCH'],
    ['PUT', '/healthz', 'GET, HEAD'],
    ['POST', '/api/openapi.json', 'GET, HEAD'],
  ] as const) {
    const res = await stack.request<ErrorAnswer>(method, path, undefined, path === '/healthz' ? { authorization: null } : {});
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
  }
  const unknown = await stack.request<ErrorAnswer>('DELETE', '/api/nothing-here');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not_found');
  assert.equal((await stack.request('DELETE', '/api/learners', undefined, { authorization: null })).status, 401, 'the token first');

  // Derived from the routes: for every path of the OpenAPI document, Allow names exactly its methods.
  const doc = await ok(stack.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json'));
  for (const [template, ops] of Object.entries(doc.paths)) {
    const path = template.replaceAll(/\{[^}]+\}/g, id);
    const methods = Object.keys(ops).map((m) => m.toUpperCase());
    if (methods.includes('GET')) methods.push('HEAD');
    // A path that answers DELETE (a webhook subscription) is probed with PUT, which no route answers.
    const probe = methods.includes('DELETE') ? 'PUT' : 'DELETE';
    const res = await stack.request(probe, path, undefined, { authorization: `Bearer ${stack.token}` });
    assert.equal(res.status, 405, `${probe} ${template}`);
    assert.equal(res.headers.get('allow'), methods.sort().join(', '), template);
  }
});

/** Idempotency-Key headers with a fresh key. */
const key = (): Record<string, string> => ({ 'idempotency-key': randomUUID() });

/** The OpenAPI document's routes (`POST /api/learners`) and those declaring the Idempotency-Key header. */
/** POST routes that do not take an Idempotency-Key (see documentedRoutes). */
const NOT_REPLAYED = new Set(['POST /api/certificates/{id}/message-preview', 'POST /api/tokens', 'POST /api/tokens/{id}/revoke']);

async function documentedRoutes(): Promise<{ posts: string[]; declaring: string[] }> {
  const doc = await ok(stack.request<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>('GET', '/api/openapi.json'));
  const all = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ route: `${m.toUpperCase()} ${path}`, op })));
  return {
    // POST /webhooks/resend is outside /api: Resend's event id (svix-id) is its idempotency key.
    // Not creations: the message preview (it changes nothing) and the token routes (a token's secret
    // is shown once, so a replayed creation could not answer it; a revocation is idempotent as it is).
    posts: all.filter((r) => r.route.startsWith('POST /api/') && !NOT_REPLAYED.has(r.route)).map((r) => r.route).sort(),
    declaring: all.filter((r) => r.op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')).map((r) => r.route).sort(),
  };
}

/** A live course, a learner and an expiring certificate awarded by completing the course. */
async function world(tag: string): Promise<{ learner: LearnerDto; course: CourseDto; certificate: CertificateDto }> {
  const learner = await ok(stack.request<LearnerDto>('POST', '/api/learners', { email: `${tag}@example.com`, name: tag }));
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: `${tag} course`, status: 'live' }));
  const { certificate } = await ok(
    stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', {
      title: `${tag} certificate`,
      associatedCourseIds: [course.id],
      settings: { expiration: { enabled: true, validFor: { amount: 1, unit: 'years' } } },
    }),
  );
  return { learner, course, certificate };
}

type Completion = { attempt: AttemptDto; awards: AwardDto[]; alreadyCompleted: boolean };
type Changed = { award: AwardDto; signal: string };

test('every POST route, and only they, declare Idempotency-Key in the OpenAPI document', async () => {
  const { posts, declaring } = await documentedRoutes();
  assert.equal(posts.length, 12); // 7, the lifecycle's deactivate, erase and archive, the import, and the webhook subscriptions (not NOT_REPLAYED)
  assert.deepEqual(declaring, posts);
});

test('POST /api/learners with Idempotency-Key: a repeat is the first answer, not a 409', async () => {
  const k = key();
  const body = { email: 'idem@example.com', name: 'Idem Potent' };
  const first = await stack.request<LearnerDto>('POST', '/api/learners', body, k);
  const repeat = await stack.request<LearnerDto>('POST', '/api/learners', body, k);
  assert.equal(first.status, 201);
  assert.equal(repeat.status, 201, 'the repeat is answered as the first');
  assert.deepEqual(repeat.body, first.body);
  assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const reused = await stack.request<ErrorAnswer>('POST', '/api/learners', { ...body, name: 'Other' }, k);
  assert.equal(reused.status, 422);
  assert.equal(reused.body.error.code, 'idempotency_key_reused');
  assert.equal((await stack.request('POST', '/api/learners', body)).status, 409, 'without a key the repeat is still a conflict');
});

test('POST /api/courses with Idempotency-Key: a repeat creates no second course', async () => {
  const k = key();
  const first = await stack.request<CourseDto>('POST', '/api/courses', { title: 'Idempotent course', status: 'live' }, k);
  const repeat = await stack.request<CourseDto>('POST', '/api/courses', { title: 'Idempotent course', status: 'live' }, k);
  assert.equal(first.status, 201);
  assert.equal(repeat.status, 201);
  assert.deepEqual(repeat.body, first.body);
  assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
  assert.equal((await stack.sql`select 1 from courses where title = 'Idempotent course'`).length, 1);
  assert.equal((await stack.request<ErrorAnswer>('POST', '/api/courses', { title: 'Another' }, k)).body.error.code, 'idempotency_key_reused');
});

test('POST /api/certificates with Idempotency-Key: a repeat creates no second certificate', async () => {
  const course = await ok(stack.request<CourseDto>('POST', '/api/courses', { title: 'For the certificate', status: 'live' }));
  const k = key();
  const body = { title: 'Idempotent certificate', associatedCourseIds: [course.id], settings: { expiration: { enabled: true, validFor: { amount: 1, unit: 'years' } } } };
  const first = await stack.request<{ certificate: CertificateDto; warnings: unknown[] }>('POST', '/api/certificates', body, k);
  const repeat = await stack.request<{ certificate: CertificateDto; warnings: unknown[] }>('POST', '/api/certificates', body, k);
  assert.equal(first.status, 201);
  assert.equal(repeat.status, 201);
  assert.deepEqual(repeat.body, first.body, 'certificate and warnings');
  assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
  assert.equal((await stack.sql`select 1 from certificates where title = 'Idempotent certificate'`).length, 1);
  assert.equal((await stack.request<ErrorAnswer>('POST', '/api/certificates', { ...body, title: 'Other' }, k)).body.error.code, 'idempotency_key_reused');
});

test('POST /api/attempts/{id}/complete with Idempotency-Key: a repeat is the very first answer, workflow start included', async () => {
  const { learner, course } = await world('completion');
  const { attempt } = await ok(stack.request<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  const k = key();
  const first = await stack.request<Completion>('POST', `/api/attempts/${attempt.id}/complete`, undefined, k);
  const repeat = await stack.request<Completion>('POST', `/api/attempts/${attempt.id}/complete`, undefined, k);
  assert.equal(first.status, 200);
  assert.equal(first.body.alreadyCompleted, false);
  assert.equal(first.body.awards.length, 1);
  assert.ok(first.body.awards[0]?.workflowStartedAt, 'the award\'s workflow started');
  assert.equal(repeat.status, 200);
  assert.deepEqual(repeat.body, first.body, 'alreadyCompleted false and the started workflow, as first answered');
  assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
  const plain = await ok(stack.request<Completion>('POST', `/api/attempts/${attempt.id}/complete`));
  assert.equal(plain.alreadyCompleted, true, 'without a key a repeat still says it was completed before');
  assert.equal((await stack.sql`select 1 from awards where source_attempt_id = ${attempt.id}`).length, 1);
  assert.equal((await stack.request<ErrorAnswer>('POST', `/api/attempts/${randomUUID()}/complete`, undefined, k)).body.error.code, 'idempotency_key_reused');
});

test('POST /api/awards/{id}/revoke with Idempotency-Key: a repeat is the first 200 with its signal, not a 409', async () => {
  const { learner, certificate } = await world('revoke');
  const { award } = await ok(stack.request<{ award: AwardDto }>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: learner.id }));
  const k = key();
  const first = await stack.request<Changed>('POST', `/api/awards/${award.id}/revoke`, { reason: 'left the company' }, k);
  const repeat = await stack.request<Changed>('POST', `/api/awards/${award.id}/revoke`, { reason: 'left the company' }, k);
  assert.equal(first.status, 200);
  assert.equal(first.body.signal, 'signalled');
  assert.equal(repeat.status, 200);
  assert.deepEqual(repeat.body, first.body, 'the first answer, the signal\'s outcome included');
  assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
  assert.equal((await stack.request('POST', `/api/awards/${award.id}/revoke`, { reason: 'left the company' })).status, 409, 'without a key: award_not_active');
  assert.equal((await stack.request<ErrorAnswer>('POST', `/api/awards/${award.id}/revoke`, { reason: 'other' }, k)).body.error.code, 'idempotency_key_reused');
});

test('Idempotency-Key where it means nothing (GET, PATCH) is a 400 naming the routes that honour it, and changes nothing', async () => {
  const { learner, course, certificate } = await world('refused');
  const { attempt } = await ok(stack.request<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }));
  const { posts } = await documentedRoutes();
  for (const [method, path, body] of [
    ['GET', '/api/learners', undefined],
    ['GET', `/api/certificates/${certificate.id}`, undefined],
    ['PATCH', `/api/courses/${course.id}`, { title: 'Renamed' }],
    ['PATCH', `/api/attempts/${attempt.id}`, { progress: 50 }],
  ] as const) {
    const res = await stack.request<ErrorAnswer<{ route: string; honouredBy: string[] }>>(method, path, body, key());
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.body.error.code, 'idempotency_key_unsupported');
    assert.deepEqual(res.body.error.details.honouredBy, posts);
  }
  const [row] = await stack.sql<{ title: string }[]>`select title from courses where id = ${course.id}`;
  assert.equal(row?.title, 'refused course', 'the refused PATCH changed nothing');
  const [progress] = await stack.sql<{ progress: number }[]>`select progress from course_attempts where id = ${attempt.id}`;
  assert.equal(progress?.progress, 0);
});

test('a precondition (If-Match, If-None-Match, If-Unmodified-Since) sent with a change to a route without a version is a 400 naming the routes that honour it, and changes nothing', async () => {
  const { learner, course, certificate } = await world('precondition');
  const { award } = await ok(stack.request<{ award: AwardDto }>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: learner.id }));
  const doc = await ok(stack.request<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>('GET', '/api/openapi.json'));
  const declaringIfMatch = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op.parameters?.some((p) => p.in === 'header' && p.name === 'if-match')).map(([m]) => `${m.toUpperCase()} ${path}`))
    .sort();
  assert.ok(declaringIfMatch.includes('PATCH /api/certificates/{id}') && declaringIfMatch.includes('PATCH /api/courses/{id}'), declaringIfMatch.join(', '));
  const awardBefore = await stack.sql`select expires_at, status from awards where id = ${award.id}`;
  const learnerBefore = await stack.sql`select name from learners where id = ${learner.id}`;
  const certificateBefore = await stack.sql`select settings, settings_version from certificates where id = ${certificate.id}`;
  for (const [method, path, body, headers, honouredBy] of [
    ['PATCH', `/api/awards/${award.id}`, { expiresAt: '2031-01-01T00:00:00Z' }, { 'if-match': '"999"' }, declaringIfMatch],
    ['PATCH', `/api/awards/${award.id}`, { expiresAt: '2031-01-01T00:00:00Z' }, { 'if-match': '*' }, declaringIfMatch],
    ['PATCH', `/api/learners/${learner.id}`, { name: 'Renamed' }, { 'if-match': '"1"' }, declaringIfMatch],
    ['POST', `/api/awards/${award.id}/revoke`, { reason: 'left' }, { 'if-match': '"1"' }, declaringIfMatch],
    ['PATCH', `/api/certificates/${certificate.id}`, { settings: { recertification: { leadDays: 45 } } }, { 'if-none-match': '*' }, []],
    ['PATCH', `/api/learners/${learner.id}`, { name: 'Renamed' }, { 'if-unmodified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' }, []],
  ] as const) {
    const res = await stack.request<ErrorAnswer<{ header: string; route: string; honouredBy: string[] }>>(method, path, body, { ...headers });
    const what = `${method} ${path} ${JSON.stringify(headers)}`;
    assert.equal(res.status, 400, what);
    assert.equal(res.body.error.code, 'precondition_unsupported', what);
    assert.match(res.body.error.message, /nothing was changed/, what);
    assert.deepEqual(res.body.error.details.honouredBy, [...honouredBy], what);
  }
  assert.deepEqual(await stack.sql`select expires_at, status from awards where id = ${award.id}`, awardBefore, 'the award is as it was');
  assert.deepEqual(await stack.sql`select name from learners where id = ${learner.id}`, learnerBefore, 'the learner is as they were');
  assert.deepEqual(await stack.sql`select settings, settings_version from certificates where id = ${certificate.id}`, certificateBefore, 'the settings are as they were');
  // Reads may carry them (caches do): they change nothing and are answered.
  assert.equal((await stack.request('GET', `/api/awards/${award.id}`, undefined, { 'if-none-match': '"1"', 'if-match': '"1"' })).status, 200);
  // Where the route honours If-Match it is still compared.
  const course2 = await stack.request<CourseDto>('PATCH', `/api/courses/${course.id}`, { title: 'Kept' }, { 'if-match': '"1"' });
  assert.equal(course2.status, 200);
});

test('a version conflict says what is wrong with the If-Match sent: changed since, not reached, or no version at all', async () => {
  const { certificate } = await world('conflict-words');
  const change = { settings: { recertification: { leadDays: 40 } } };
  await ok(stack.request('PATCH', `/api/certificates/${certificate.id}`, change));
  const [{ version: now } = { version: 0 }] = await stack.sql<{ version: number }[]>`select settings_version as version from certificates where id = ${certificate.id}`;
  assert.ok(now >= 2, `the certificate moved on (${now})`);
  const cases: [string, RegExp][] = [
    ['"1"', /changed since the version in If-Match \("1"\)/],
    [`"${now + 7}"`, /names a version the certificate has not reached/],
    ['"abc"', /names no version a certificate can have/],
    [`W/"${now}"`, /a weak W\/ tag never matches/],
  ];
  for (const [ifMatch, words] of cases) {
    const res = await stack.request<ErrorAnswer>('PATCH', `/api/certificates/${certificate.id}`, { settings: { recertification: { leadDays: 50 } } }, { 'if-match': ifMatch });
    assert.equal(res.status, 409, ifMatch);
    assert.equal(res.body.error.code, 'version_conflict', ifMatch);
    assert.match(res.body.error.message, words, ifMatch);
    assert.match(res.body.error.message, new RegExp(`it is now at settingsVersion ${now}\\. Nothing was saved`), ifMatch);
  }
  const [{ version: after } = { version: 0 }] = await stack.sql<{ version: number }[]>`select settings_version as version from certificates where id = ${certificate.id}`;
  assert.equal(after, now, 'nothing was saved');
});

test('a client that aborts a form upload to the admin page is logged at info, not as a server error', async () => {
  const { log, entries } = capturingLog();
  const server = await startApiServer({ config: stack.config, sql: stack.sql, client: stack.client, log, port: 0, host: '127.0.0.1' });
  try {
    await abortUpload(server.url, 'chunked', { path: '/admin/login', type: 'application/x-www-form-urlencoded' });
    const lines = await stack.eventually('the request\'s log line', async () => (entries().some((e) => e.msg === 'request') ? entries() : undefined), 5_000);
    assert.deepEqual(lines.filter((e) => e.level >= 50), [], 'no error logged');
    assert.notEqual(lines.find((e) => e.msg === 'request')?.status, 500);
  } finally {
    await server.close();
  }
});

test('a stored Idempotency-Key answer replays word for word: snake_case keys inside it are not renamed by the driver\'s camelCase columns', async () => {
  const route = `test-route-${randomUUID()}`;
  const answer = { outcome: 'enroll_now', by_reason: { already_awarded: 2 }, rows: [{ row_number: 1, reason: 'bad_email' }] };
  await stack.sql.begin(async (tx) => {
    assert.deepEqual(await claimIdempotencyKey(tx, { route, key: 'k1', requestHash: 'h' }), { kind: 'claimed' });
    await storeIdempotentResponse(tx, { route, key: 'k1', statusCode: 202, response: answer });
  });
  const replay = await stack.sql.begin((tx) => claimIdempotencyKey(tx, { route, key: 'k1', requestHash: 'h' }));
  assert.deepEqual(replay, { kind: 'replay', statusCode: 202, response: answer });
});
