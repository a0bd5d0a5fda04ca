/**
 * Issue 17 §10 and §15 through the API and the send-message activity:
 *  - a course's `url` (http/https only) is saved, changed and removed on POST/PATCH /api/courses, and
 *    the messages link it; without one they link the COURSE_URL_TEMPLATE pattern;
 *  - an enrollment message with an unknown placeholder is refused with 422 `unknown_placeholder`
 *    (nothing saved);
 *  - names made only of bidi controls or zero-width characters are refused (400 validation_failed);
 *  - an enrollment message stored earlier with a script is sent sanitised.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { createMessageActivities } from '../activities/messages.ts';
import { createMailer, type Mailer } from '../activities/mail/mailer.ts';
import { LogProvider } from '../activities/mail/providers.ts';
import { PLACEHOLDERS } from '../domain/placeholders.ts';
import { createLogger } from '../config/logger.ts';
import type { MessageRow } from '../db/rows.ts';
import { makeAward, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'course_url', env: { COURSE_URL_TEMPLATE: 'https://lms.example.com/learn/{courseId}' } });
});
after(async () => {
  await stack?.stop();
});

interface ErrorAnswer {
  error: { code: string; message: string; details: unknown };
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function courseCount(): Promise<number> {
  const [row] = await stack.sql<{ n: number }[]>`select count(*)::int as n from courses`;
  return row?.n ?? 0;
}

describe('course url', () => {
  test('POST saves an http(s) url; GET and the list return it; without one it is null', async () => {
    const withUrl = await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift', url: 'https://learn.acme.example/c/forklift' });
    assert.equal(withUrl.url, 'https://learn.acme.example/c/forklift');
    assert.equal((await ok<CourseDto>('GET', `/api/courses/${withUrl.id}`)).url, 'https://learn.acme.example/c/forklift');
    const listed = await ok<{ courses: CourseDto[] }>('GET', '/api/courses');
    assert.equal(listed.courses.find((c) => c.id === withUrl.id)?.url, 'https://learn.acme.example/c/forklift');
    const without = await ok<CourseDto>('POST', '/api/courses', { title: 'Hazmat' });
    assert.equal(without.url, null);
  });

  test('a url that is not absolute http or https is 400 validation_failed and saves nothing', async () => {
    const before = await courseCount();
    for (const url of ['javascript:alert(1)', 'ftp://files.example/c', '/courses/1', 'lms.example.com/c', 'mailto:x@example.com', '', 42]) {
      const res = await stack.request<ErrorAnswer>('POST', '/api/courses', { title: 'Bad', url });
      assert.equal(res.status, 400, `${JSON.stringify(url)} → ${res.status}`);
      assert.equal(res.body.error.code, 'validation_failed');
    }
    assert.equal(await courseCount(), before);
  });

  test('PATCH sets, keeps (when left out) and removes (null) the url; a bad url changes nothing', async () => {
    const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Ladders' });
    const set = await ok<CourseDto>('PATCH', `/api/courses/${course.id}`, { url: 'http://lms.example.com/ladders' });
    assert.equal(set.url, 'http://lms.example.com/ladders');
    const kept = await ok<CourseDto>('PATCH', `/api/courses/${course.id}`, { title: 'Ladders 2' });
    assert.equal(kept.url, 'http://lms.example.com/ladders');
    const bad = await stack.request<ErrorAnswer>('PATCH', `/api/courses/${course.id}`, { url: 'javascript:alert(1)' });
    assert.equal(bad.status, 400);
    assert.equal((await ok<CourseDto>('GET', `/api/courses/${course.id}`)).url, 'http://lms.example.com/ladders');
    const removed = await ok<CourseDto>('PATCH', `/api/courses/${course.id}`, { url: null });
    assert.equal(removed.url, null);
  });
});

describe('enrollment message placeholders', () => {
  test('POST with an unknown placeholder is 422 unknown_placeholder naming it and the allowed ones; nothing saved', async () => {
    const before = await courseCount();
    const res = await stack.request<ErrorAnswer>('POST', '/api/courses', {
      title: 'Typos',
      enrollmentMessage: { subject: 'Welcome {{learner.nmae}}', body: 'Start at {{course.link}} or {{ course.link }}, {{course.url}}' },
    });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'unknown_placeholder');
    assert.deepEqual(res.body.error.details, { unknown: ['learner.nmae', 'course.link'], allowed: [...PLACEHOLDERS] });
    assert.match(res.body.error.message, /\{\{learner\.nmae\}\}/);
    assert.equal(await courseCount(), before);
  });

  test('PATCH with an unknown placeholder is 422 and leaves the message as it was', async () => {
    const message = { subject: 'Welcome to {{course.title}}', body: 'Hi {{learner.name}}, start at {{course.url}}' };
    const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Known', enrollmentMessage: message });
    assert.deepEqual(course.enrollmentMessage, message);
    const res = await stack.request<ErrorAnswer>('PATCH', `/api/courses/${course.id}`, { enrollmentMessage: { subject: 'Hi', body: '{{learner.firstName}}' } });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'unknown_placeholder');
    assert.deepEqual((res.body.error.details as { unknown: string[] }).unknown, ['learner.firstName']);
    assert.deepEqual((await ok<CourseDto>('GET', `/api/courses/${course.id}`)).enrollmentMessage, message);
  });
});

describe('invisible names', () => {
  const INVISIBLE = ['\u202E', '\u200B\u200C\u200D', '\u2066\u2069', '\u200E\u200F', '\u2060', '\uFEFF', ' \u202A\u202B\u202C\u202D \u2067\u2068 '];

  test('a learner name, course title or certificate title of bidi controls or zero-width characters only is 400', async () => {
    const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Visible' });
    const cert = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Visible cert' });
    const before = await stack.sql<{ n: number }[]>`select (select count(*) from learners) + (select count(*) from courses) + (select count(*) from certificates) as n`;
    for (const value of INVISIBLE) {
      const calls: [string, string, unknown][] = [
        ['POST', '/api/learners', { email: `x-${randomUUID().slice(0, 8)}@example.com`, name: value }],
        ['POST', '/api/courses', { title: value }],
        ['PATCH', `/api/courses/${course.id}`, { title: value }],
        ['POST', '/api/certificates', { title: value }],
        ['PATCH', `/api/certificates/${cert.certificate.id}`, { title: value }],
      ];
      for (const [method, path, body] of calls) {
        const res = await stack.request<ErrorAnswer>(method, path, body);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(value)} → ${res.status}`);
        assert.equal(res.body.error.code, 'validation_failed');
      }
    }
    const afterCount = await stack.sql<{ n: number }[]>`select (select count(*) from learners) + (select count(*) from courses) + (select count(*) from certificates) as n`;
    assert.deepEqual(afterCount, before);
    assert.equal((await ok<CourseDto>('GET', `/api/courses/${course.id}`)).title, 'Visible');
  });

  test('a name with a visible character among balanced bidi controls, marks or zero-width characters is accepted', async () => {
    // A PDF or PDI with nothing of its kind to close is inert (UAX #9 X6a, X7), as is a PDF inside an isolate: let be.
    for (const name of ['Ada\u200B', 'Ada\u200E', '\u2067\u05D0\u05D3\u05D4\u2069 Cohen', '\u202B\u05D0\u05D1\u202C Cohen', '\u2068\u202Bx\u2069 y', 'Ada\u202C', 'Ada\u2069', '\u2067x\u202C\u2069', '\u202B\u2066x\u202C\u2069\u202C']) {
      const learner = await ok<LearnerDto>('POST', '/api/learners', { email: `v-${randomUUID().slice(0, 8)}@example.com`, name });
      assert.equal(learner.name, name);
    }
  });

  test('a bidi override, or an embedding or isolate left open, is 400 wherever text is taken (a fresh tester stored "abc\\u202Egnp.exe", shown as "abcexe.png")', async () => {
    const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Kept title' });
    const before = await stack.sql<{ n: number }[]>`select (select count(*) from learners) + (select count(*) from courses) + (select count(*) from certificates) as n`;
    const cases: [string, RegExp][] = [
      ['abc\u202Egnp.exe', /bidi overrides \(U\+202E\)/],
      ['\u202DAda\u202C', /bidi overrides \(U\+202D\)/],
      ['Ada \u202B\u05D0', /U\+202B is not closed by U\+202C/],
      ['Ada \u2067\u05D0', /U\+2067 is not closed by U\+2069/],
      ['\u2066\u202Bx\u2069\u202B y', /U\+202B is not closed by U\+202C/],
      ['\u202B\u2066x\u202C', /U\+202B is not closed by U\+202C/],
    ];
    for (const [value, why] of cases) {
      for (const [method, path, body] of [
        ['POST', '/api/learners', { email: `b-${randomUUID().slice(0, 8)}@example.com`, name: value }],
        ['PATCH', `/api/courses/${course.id}`, { title: value }],
        ['POST', '/api/certificates', { title: value }],
      ] as const) {
        const res = await stack.request<ErrorAnswer>(method, path, body);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(value)} → ${res.status}`);
        assert.equal(res.body.error.code, 'validation_failed');
        assert.match(JSON.stringify(res.body.error), why, JSON.stringify(value));
      }
    }
    const afterCount = await stack.sql<{ n: number }[]>`select (select count(*) from learners) + (select count(*) from courses) + (select count(*) from certificates) as n`;
    assert.deepEqual(afterCount, before, 'nothing created');
    assert.equal((await ok<CourseDto>('GET', `/api/courses/${course.id}`)).title, 'Kept title', 'nothing changed');
    // A search term may be a fragment of a name: it is not held to the pairing rule.
    const search = await stack.request('GET', `/api/learners?q=${encodeURIComponent('\u2067\u05D0\u05D3')}`);
    assert.equal(search.status, 200);
  });
});

describe('send-message activity', () => {
  const silent = createLogger('test', 'silent');
  let mailer: Mailer;
  before(() => {
    mailer = createMailer({ sql: stack.sql, provider: new LogProvider(silent), requestsPerSecond: 100, batchSize: 100, lingerMs: 5, log: silent });
  });
  after(async () => {
    await mailer.close();
  });

  /** An active expiring award of a new learner, recertifying with a course of `url`, and its attempt. */
  async function world(courseUrl: string | null, enrollmentMessage: { subject: string; body: string } | null = null): Promise<{ awardId: string; attemptId: string; courseId: string }> {
    const learner = await makeLearner(stack.sql, { email: `m-${randomUUID().slice(0, 8)}@example.com` });
    const course = await makeCourse(stack.sql, { title: 'Forklift Refresher', enrollmentMessage });
    if (courseUrl) await stack.sql`update courses set url = ${courseUrl} where id = ${course.id}`;
    const cert = await makeCertificate(stack.sql, { settings: recertSettings(course.id) });
    const award = await makeAward(stack.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date('2025-03-05T12:00:00Z'), expiresAt: new Date('2026-03-05T12:00:00Z') });
    const [attempt] = await stack.sql<{ id: string }[]>`
      insert into course_attempts (course_id, learner_id, source, award_id) values (${course.id}, ${learner.id}, 'recertification', ${award.id}) returning id`;
    return { awardId: award.id, attemptId: attempt!.id, courseId: course.id };
  }

  async function body(key: string): Promise<string> {
    const [row] = await stack.sql<MessageRow[]>`select * from messages where idempotency_key = ${key}`;
    assert.ok(row, `no message ${key}`);
    return row.body;
  }

  test('a course with a url: the expiring notice links the url', async () => {
    const activities = createMessageActivities({ sql: stack.sql, mailer, appBaseUrl: stack.config.appBaseUrl, courseUrlTemplate: stack.config.courseUrlTemplate, from: 'x@example.com', log: silent });
    const w = await world('https://learn.acme.example/c/forklift');
    const r = await activities.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    assert.equal(r.status, 'sent');
    const html = await body(`award:${w.awardId}:certificate_expiring`);
    assert.ok(html.includes('<a href="https://learn.acme.example/c/forklift">Start the course</a>'), html);
    assert.ok(!html.includes('/courses/'), html);
  });

  test('a course without a url: the expiring notice links COURSE_URL_TEMPLATE with the id', async () => {
    assert.equal(stack.config.courseUrlTemplate, 'https://lms.example.com/learn/{courseId}');
    const activities = createMessageActivities({ sql: stack.sql, mailer, appBaseUrl: stack.config.appBaseUrl, courseUrlTemplate: stack.config.courseUrlTemplate, from: 'x@example.com', log: silent });
    const w = await world(null);
    await activities.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    const html = await body(`award:${w.awardId}:certificate_expiring`);
    assert.ok(html.includes(`<a href="https://lms.example.com/learn/${w.courseId}">Start the course</a>`), html);
  });

  test('no pattern handed in: <appBaseUrl>/courses/<id>', async () => {
    const byDefault = createMessageActivities({ sql: stack.sql, mailer, appBaseUrl: 'https://app.example/', from: 'x@example.com', log: silent });
    const w = await world(null);
    await byDefault.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    assert.ok((await body(`award:${w.awardId}:certificate_expiring`)).includes(`href="https://app.example/courses/${w.courseId}"`));
  });

  test('an enrollment message stored before the rule, with a script and a javascript: link, is sent sanitised', async () => {
    const activities = createMessageActivities({ sql: stack.sql, mailer, appBaseUrl: stack.config.appBaseUrl, courseUrlTemplate: stack.config.courseUrlTemplate, from: 'x@example.com', log: silent });
    const w = await world('https://learn.acme.example/c/forklift', {
      subject: 'Welcome {{learner.nickname}}',
      body: '<p onmouseover="x()">Start <a href="{{course.url}}">here</a> or <a href="javascript:alert(1)">there</a></p><script>alert(1)</script>',
    });
    const r = await activities.sendMessage({ kind: 'course_enrollment', awardId: null, attemptId: w.attemptId });
    assert.equal(r.status, 'sent');
    const html = await body(`attempt:${w.attemptId}:course_enrollment`);
    assert.ok(html.includes('<p>Start <a href="https://learn.acme.example/c/forklift" rel="noopener">here</a> or <a rel="noopener">there</a></p>'), html);
    assert.ok(!/script|javascript:|onmouseover/i.test(html), html);
  });
});
