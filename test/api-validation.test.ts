/**
 * Bad input per route: each answers its documented status and error code, and neither the database
 * nor Temporal changes (every table's content and every workflow's history length are compared before
 * and after). Also: auth, the OpenAPI document and docs page, health and readiness, request logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../api/app.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { createSql } from '../db/client.ts';
import { startStack, type TestStack } from './support/stack.ts';
import { tableSnapshot } from './support/stack/database.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_validation' });
});
after(async () => {
  await stack?.stop();
});

const TABLES = ['learners', 'courses', 'certificates', 'certificate_courses', 'awards', 'course_attempts', 'messages', 'settings_propagations', 'idempotent_requests'];

const databaseSnapshot = (): Promise<Record<string, string>> => tableSnapshot(stack.sql, TABLES);

async function temporalSnapshot(): Promise<string[]> {
  const out: string[] = [];
  for await (const wf of stack.client.workflow.list()) {
    const d = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    out.push(`${wf.workflowId} ${d.status.name} ${d.historyLength}`);
  }
  return out.sort();
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string | null>;
  status: number;
  code: string;
}

test('bad input answers its status and code and changes nothing in the database or Temporal', async () => {
  // The world the bad requests hit.
  const learner = await ok<LearnerDto>('POST', '/api/learners', { email: 'grace@example.com', name: 'Grace Hopper' });
  const other = await ok<LearnerDto>('POST', '/api/learners', { email: 'alan@example.com', name: 'Alan Turing' });
  const live = await ok<CourseDto>('POST', '/api/courses', { title: 'Live', status: 'live' });
  const draft = await ok<CourseDto>('POST', '/api/courses', { title: 'Draft' });
  const archived = await ok<CourseDto>('POST', '/api/courses', { title: 'Archived', status: 'archived' });
  const { certificate: expiring } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Expiring',
    associatedCourseIds: [live.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: live.id, leadDays: 30 },
    },
  });
  const { certificate: plain } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Plain' });
  const { award } = await ok<{ award: AwardDto }>('POST', `/api/certificates/${expiring.id}/awards`, { learnerId: learner.id });
  const { award: revoked } = await ok<{ award: AwardDto }>('POST', `/api/certificates/${plain.id}/awards`, { learnerId: learner.id });
  await ok('POST', `/api/awards/${revoked.id}/revoke`, { reason: 'test' });
  const { attempt: superseded } = await ok<{ attempt: AttemptDto }>('POST', `/api/courses/${live.id}/enrollments`, { learnerId: other.id });
  const { attempt: completed } = await ok<{ attempt: AttemptDto }>('POST', `/api/courses/${live.id}/enrollments`, { learnerId: other.id });
  await ok('POST', `/api/attempts/${completed.id}/complete`);
  // An open attempt whose completion would award (and renew) Grace's certificate: the bad completions below must not.
  const { attempt: open } = await ok<{ attempt: AttemptDto }>('POST', `/api/courses/${live.id}/enrollments`, { learnerId: learner.id });
  await stack.eventually('the award workflow scheduled', async () => {
    const res = await stack.request<{ recertification: { phase: string } | null }>('GET', `/api/awards/${award.id}`);
    return res.body.recertification?.phase === 'scheduled';
  });
  // Let the completion's award workflow and every other start settle before the snapshot.
  await new Promise((r) => setTimeout(r, 500));

  const unknown = randomUUID();
  const certPatch = `/api/certificates/${expiring.id}`;
  const awards = `/api/certificates/${expiring.id}/awards`;
  const cases: Case[] = [
    // auth
    { name: 'no token', method: 'GET', path: '/api/learners', headers: { authorization: null }, status: 401, code: 'unauthorized' },
    { name: 'a foreign token', method: 'POST', path: awards, body: { learnerId: other.id }, headers: { authorization: 'Bearer not-the-admin-token-0123456789' }, status: 401, code: 'unauthorized' },
    { name: 'a foreign token on a settings change', method: 'PATCH', path: certPatch, body: { title: 'Hacked' }, headers: { authorization: `Bearer ${stack.token}x` }, status: 401, code: 'unauthorized' },
    { name: 'another scheme', method: 'GET', path: '/api/certificates', headers: { authorization: `Basic ${stack.token}` }, status: 401, code: 'unauthorized' },
    { name: 'unknown route', method: 'GET', path: '/api/nothing-here', status: 404, code: 'not_found' },
    // malformed bodies
    { name: 'malformed JSON (learner)', method: 'POST', path: '/api/learners', body: '{"email": ', status: 400, code: 'malformed_json' },
    { name: 'malformed JSON (settings)', method: 'PATCH', path: certPatch, body: '{settings: {}}', status: 400, code: 'malformed_json' },
    { name: 'malformed JSON (award)', method: 'POST', path: awards, body: '[', status: 400, code: 'malformed_json' },
    { name: 'not JSON', method: 'POST', path: '/api/learners', body: 'email=x', headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
    { name: 'no body', method: 'POST', path: '/api/learners', status: 400, code: 'validation_failed' },
    { name: 'an array body', method: 'POST', path: '/api/learners', body: [], status: 400, code: 'validation_failed' },
    { name: 'a body over 1 MB', method: 'POST', path: '/api/learners', body: { email: 'x@example.com', name: 'x'.repeat(1_100_000) }, status: 413, code: 'payload_too_large' },
    // learners
    { name: 'invalid email', method: 'POST', path: '/api/learners', body: { email: 'not-an-email', name: 'X' }, status: 400, code: 'validation_failed' },
    { name: 'missing name', method: 'POST', path: '/api/learners', body: { email: 'x@example.com' }, status: 400, code: 'validation_failed' },
    { name: 'unknown field', method: 'POST', path: '/api/learners', body: { email: 'x@example.com', name: 'X', admin: true }, status: 400, code: 'validation_failed' },
    { name: 'email taken (other case)', method: 'POST', path: '/api/learners', body: { email: 'GRACE@example.com', name: 'G' }, status: 409, code: 'email_taken' },
    { name: 'unknown learner', method: 'GET', path: `/api/learners/${unknown}`, status: 404, code: 'not_found' },
    { name: 'malformed id', method: 'GET', path: '/api/learners/42', status: 400, code: 'validation_failed' },
    // courses
    { name: 'unknown course status', method: 'POST', path: '/api/courses', body: { title: 'C', status: 'published' }, status: 400, code: 'validation_failed' },
    { name: 'empty title', method: 'POST', path: '/api/courses', body: { title: '  ' }, status: 400, code: 'validation_failed' },
    { name: 'wrong message type', method: 'POST', path: '/api/courses', body: { title: 'C', enrollmentMessage: { subject: 1, body: 'b' } }, status: 400, code: 'validation_failed' },
    { name: 'patch unknown course', method: 'PATCH', path: `/api/courses/${unknown}`, body: { status: 'live' }, status: 404, code: 'not_found' },
    { name: 'list by a bad status', method: 'GET', path: '/api/courses?status=open', status: 400, code: 'validation_failed' },
    // certificates
    { name: 'unknown associated course', method: 'POST', path: '/api/certificates', body: { title: 'X', associatedCourseIds: [unknown] }, status: 422, code: 'unknown_course' },
    { name: 'create with recertification but no expiration', method: 'POST', path: '/api/certificates', body: { title: 'X', settings: { recertification: { enabled: true, courseId: live.id } } }, status: 422, code: 'expiration_required' },
    { name: 'recertification without expiration', method: 'PATCH', path: `/api/certificates/${plain.id}`, body: { settings: { recertification: { enabled: true, courseId: live.id } } }, status: 422, code: 'expiration_required' },
    { name: 'recertification without a course', method: 'PATCH', path: `/api/certificates/${plain.id}`, body: { settings: { expiration: { enabled: true }, recertification: { enabled: true } } }, status: 422, code: 'course_required' },
    { name: 'draft recertification course', method: 'PATCH', path: certPatch, body: { title: 'Renamed', settings: { recertification: { courseId: draft.id } } }, status: 422, code: 'course_not_live' },
    { name: 'archived recertification course', method: 'PATCH', path: certPatch, body: { settings: { recertification: { courseId: archived.id } } }, status: 422, code: 'course_not_live' },
    { name: 'unknown recertification course', method: 'PATCH', path: certPatch, body: { settings: { recertification: { courseId: unknown } } }, status: 422, code: 'course_not_live' },
    { name: 'leadDays 0', method: 'PATCH', path: certPatch, body: { settings: { recertification: { leadDays: 0 } } }, status: 400, code: 'validation_failed' },
    { name: 'leadDays 366', method: 'PATCH', path: certPatch, body: { settings: { recertification: { leadDays: 366 } } }, status: 400, code: 'validation_failed' },
    { name: 'leadDays 1.5', method: 'PATCH', path: certPatch, body: { settings: { recertification: { leadDays: 1.5 } } }, status: 400, code: 'validation_failed' },
    { name: 'leadDays as a string', method: 'PATCH', path: certPatch, body: { settings: { recertification: { leadDays: '30' } } }, status: 400, code: 'validation_failed' },
    { name: 'unknown duration unit', method: 'PATCH', path: certPatch, body: { settings: { expiration: { validFor: { amount: 2, unit: 'fortnights' } } } }, status: 400, code: 'validation_failed' },
    { name: 'unknown settings key', method: 'PATCH', path: certPatch, body: { settings: { autoRenew: true } }, status: 400, code: 'validation_failed' },
    { name: 'repeated associated course', method: 'PATCH', path: certPatch, body: { associatedCourseIds: [live.id, live.id] }, status: 400, code: 'validation_failed' },
    { name: 'unknown course in associated content', method: 'PATCH', path: certPatch, body: { title: 'Renamed', associatedCourseIds: [live.id, unknown] }, status: 422, code: 'unknown_course' },
    { name: 'patch unknown certificate', method: 'PATCH', path: `/api/certificates/${unknown}`, body: { title: 'X' }, status: 404, code: 'not_found' },
    // awards
    { name: 'award an unknown certificate', method: 'POST', path: `/api/certificates/${unknown}/awards`, body: { learnerId: other.id }, status: 404, code: 'not_found' },
    { name: 'award to an unknown learner', method: 'POST', path: awards, body: { learnerId: unknown }, status: 422, code: 'unknown_learner' },
    { name: 'award with a malformed learner id', method: 'POST', path: awards, body: { learnerId: 'ada' }, status: 400, code: 'validation_failed' },
    { name: 'award with a malformed date', method: 'POST', path: awards, body: { learnerId: other.id, awardedAt: 'yesterday' }, status: 400, code: 'validation_failed' },
    // instants the product cannot mean (Date.UTC reads years below 100 as 19xx; PostgreSQL has no year 0)
    { name: 'award in year 0001', method: 'POST', path: awards, body: { learnerId: other.id, awardedAt: '0001-01-01T00:00:00Z' }, status: 400, code: 'validation_failed' },
    { name: 'award in year 0000', method: 'POST', path: awards, body: { learnerId: other.id, awardedAt: '0000-01-01T00:00:00Z' }, status: 400, code: 'validation_failed' },
    { name: 'award in 1899', method: 'POST', path: awards, body: { learnerId: other.id, awardedAt: '1899-12-31T23:59:59Z' }, status: 400, code: 'validation_failed' },
    { name: 'expiry in year 3500', method: 'PATCH', path: `/api/awards/${award.id}`, body: { expiresAt: '3500-01-01T00:00:00Z' }, status: 400, code: 'validation_failed' },
    { name: 'awards before year 0050', method: 'GET', path: '/api/awards?before=0050-01-01T00:00:00Z', status: 400, code: 'validation_failed' },
    // text PostgreSQL cannot store
    { name: 'a NUL in a learner name', method: 'POST', path: '/api/learners', body: { email: 'nul@example.com', name: 'A\u0000B' }, status: 400, code: 'validation_failed' },
    { name: 'a NUL in a revoke reason', method: 'POST', path: `/api/awards/${award.id}/revoke`, body: { reason: '\u0000nul' }, status: 400, code: 'validation_failed' },
    // …and its siblings: text PostgreSQL would silently change, controls, invisible-only names
    { name: 'a NUL in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://a.example/\u0000' }, status: 400, code: 'validation_failed' },
    { name: 'a NUL in a course url (PATCH)', method: 'PATCH', path: `/api/courses/${live.id}`, body: { url: 'https://a.example/?q=\u0000' }, status: 400, code: 'validation_failed' },
    { name: 'a NUL in the learner email search', method: 'GET', path: '/api/learners?email=a%00b', status: 400, code: 'validation_failed' },
    { name: 'a control character in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://a.example/\u0001\u001b' }, status: 400, code: 'validation_failed' },
    { name: 'a raw space in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://a.example/a b' }, status: 400, code: 'validation_failed' },
    // URLs the WHATWG parser forgives but the database's CHECK (and a mail client) does not: were 500s
    { name: 'a course url without //', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https:evil.example.com' }, status: 400, code: 'validation_failed' },
    { name: 'a course url with a backslash for //', method: 'PATCH', path: `/api/courses/${live.id}`, body: { url: 'https:/\\evil.example.com' }, status: 400, code: 'validation_failed' },
    { name: 'a course url with backslashes', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https:\\\\x.example.com' }, status: 400, code: 'validation_failed' },
    { name: 'a zero-width space in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://a.example.com/x\u200by' }, status: 400, code: 'validation_failed' },
    { name: 'a bidi override in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://a.example.com/\u202e' }, status: 400, code: 'validation_failed' },
    { name: 'credentials in a course url', method: 'POST', path: '/api/courses', body: { title: 'U', url: 'https://user:pass@a.example.com/' }, status: 400, code: 'validation_failed' },
    { name: 'an expiry with a +15:00 offset', method: 'PATCH', path: `/api/awards/${award.id}`, body: { expiresAt: '2030-01-01T00:00:00+15:00' }, status: 400, code: 'validation_failed' },
    { name: 'an unpaired surrogate in a learner name', method: 'POST', path: '/api/learners', body: { email: 'sur@example.com', name: '\ud800' }, status: 400, code: 'validation_failed' },
    { name: 'U+FFFD (bytes that were not UTF-8) in a learner name', method: 'POST', path: '/api/learners', body: { email: 'fffd@example.com', name: 'caf\ufffd' }, status: 400, code: 'validation_failed' },
    { name: 'an escape sequence in a learner name', method: 'POST', path: '/api/learners', body: { email: 'esc@example.com', name: '\u001b[31mRed\u001b[0m' }, status: 400, code: 'validation_failed' },
    { name: 'a line break in a course title', method: 'POST', path: '/api/courses', body: { title: 'Line1\nLine2' }, status: 400, code: 'validation_failed' },
    { name: 'a line separator in a learner name', method: 'POST', path: '/api/learners', body: { email: 'ls@example.com', name: 'x\u2028y' }, status: 400, code: 'validation_failed' },
    { name: 'a paragraph separator in a course title', method: 'POST', path: '/api/courses', body: { title: 'x\u2029y' }, status: 400, code: 'validation_failed' },
    { name: 'a noncharacter in a learner name', method: 'POST', path: '/api/learners', body: { email: 'nonchar@example.com', name: 'x\uffffy' }, status: 400, code: 'validation_failed' },
    { name: 'a control character in a message body', method: 'POST', path: '/api/courses', body: { title: 'B', enrollmentMessage: { subject: 'S', body: 'bell \u0007' } }, status: 400, code: 'validation_failed' },
    ...['\u00AD', '\u3164', '\u115F\u1160', '\uFFA0', '\u2800', '\u061C', '\u034F', '\u180E', '\u2062', '\u206A\u206F', '\uFE0F', '\u{E0001}\u{E0041}', '\uFFF9', '\u{1BCA0}', '\u0301\u0308'].map((name) => ({
      name: `an invisible-only learner name ${JSON.stringify(name)}`,
      method: 'POST',
      path: '/api/learners',
      body: { email: `inv-${name.codePointAt(0)!.toString(16)}@example.com`, name },
      status: 400,
      code: 'validation_failed',
    })),
    { name: 'an email whose local part is over 64 characters', method: 'POST', path: '/api/learners', body: { email: `${'a'.repeat(65)}@example.com`, name: 'Long' }, status: 400, code: 'validation_failed' },
    { name: 'award in the future', method: 'POST', path: awards, body: { learnerId: other.id, awardedAt: new Date(Date.now() + 86_400_000).toISOString() }, status: 422, code: 'awarded_at_in_future' },
    { name: 'award twice', method: 'POST', path: awards, body: { learnerId: learner.id }, status: 409, code: 'already_awarded' },
    { name: 'list awards by a bad status', method: 'GET', path: '/api/awards?status=lapsed', status: 400, code: 'validation_failed' },
    { name: 'unknown award', method: 'GET', path: `/api/awards/${unknown}`, status: 404, code: 'not_found' },
    { name: 'expiry before the award', method: 'PATCH', path: `/api/awards/${award.id}`, body: { expiresAt: '2000-01-01T00:00:00Z' }, status: 422, code: 'invalid_expiry' },
    { name: 'expiry not a date', method: 'PATCH', path: `/api/awards/${award.id}`, body: { expiresAt: 'soon' }, status: 400, code: 'validation_failed' },
    { name: 'extend a revoked award', method: 'PATCH', path: `/api/awards/${revoked.id}`, body: { expiresAt: '2099-01-01T00:00:00Z' }, status: 409, code: 'award_not_active' },
    { name: 'revoke without a reason', method: 'POST', path: `/api/awards/${award.id}/revoke`, body: {}, status: 400, code: 'validation_failed' },
    { name: 'revoke an unknown award', method: 'POST', path: `/api/awards/${unknown}/revoke`, body: { reason: 'x' }, status: 404, code: 'not_found' },
    // attempts
    { name: 'enroll in a draft course', method: 'POST', path: `/api/courses/${draft.id}/enrollments`, body: { learnerId: learner.id }, status: 422, code: 'course_not_live' },
    { name: 'enroll in an unknown course', method: 'POST', path: `/api/courses/${unknown}/enrollments`, body: { learnerId: learner.id }, status: 404, code: 'not_found' },
    { name: 'enroll an unknown learner', method: 'POST', path: `/api/courses/${live.id}/enrollments`, body: { learnerId: unknown }, status: 422, code: 'unknown_learner' },
    { name: 'progress 101', method: 'PATCH', path: `/api/attempts/${completed.id}`, body: { progress: 101 }, status: 400, code: 'validation_failed' },
    { name: 'progress -1', method: 'PATCH', path: `/api/attempts/${completed.id}`, body: { progress: -1 }, status: 400, code: 'validation_failed' },
    { name: 'progress as a string', method: 'PATCH', path: `/api/attempts/${completed.id}`, body: { progress: '50' }, status: 400, code: 'validation_failed' },
    { name: 'progress on a superseded attempt', method: 'PATCH', path: `/api/attempts/${superseded.id}`, body: { progress: 50 }, status: 409, code: 'attempt_superseded' },
    { name: 'progress on a completed attempt', method: 'PATCH', path: `/api/attempts/${completed.id}`, body: { progress: 50 }, status: 409, code: 'attempt_completed' },
    { name: 'complete a superseded attempt', method: 'POST', path: `/api/attempts/${superseded.id}/complete`, status: 409, code: 'attempt_superseded' },
    { name: 'complete an unknown attempt', method: 'POST', path: `/api/attempts/${unknown}/complete`, status: 404, code: 'not_found' },
    // messages
    { name: 'messages by a malformed learner id', method: 'GET', path: '/api/messages?learnerId=ada', status: 400, code: 'validation_failed' },
    { name: 'messages with a bad limit', method: 'GET', path: '/api/messages?limit=0', status: 400, code: 'validation_failed' },
    // numbers in a query string are decimal integers, and no query parameter is given twice
    { name: 'a repeated limit', method: 'GET', path: '/api/awards?limit=1&limit=2', status: 400, code: 'validation_failed' },
    { name: 'a hexadecimal limit', method: 'GET', path: '/api/awards?limit=0x10', status: 400, code: 'validation_failed' },
    { name: 'an exponent limit', method: 'GET', path: '/api/learners?limit=1e2', status: 400, code: 'validation_failed' },
    { name: 'a repeated status', method: 'GET', path: '/api/courses?status=live&status=draft', status: 400, code: 'validation_failed' },
    // paging cursors
    { name: 'a before that is neither a cursor nor an instant', method: 'GET', path: '/api/messages?before=yesterday', status: 400, code: 'validation_failed' },
    { name: 'a before on certificates that is not a cursor', method: 'GET', path: '/api/certificates?before=abc', status: 400, code: 'validation_failed' },
    // a body where none is expected
    { name: 'complete with an unknown key in the body', method: 'POST', path: `/api/attempts/${open.id}/complete`, body: { x: 1 }, status: 400, code: 'validation_failed' },
    { name: 'complete with a text body', method: 'POST', path: `/api/attempts/${open.id}/complete`, body: 'complete please', headers: { 'content-type': 'text/plain' }, status: 400, code: 'validation_failed' },
    // Idempotency-Key sent twice (Node joins the two headers with ", ")
    { name: 'award with a repeated Idempotency-Key', method: 'POST', path: awards, body: { learnerId: other.id }, headers: { 'idempotency-key': 'a1, a2' }, status: 400, code: 'validation_failed' },
    { name: 'complete with a repeated Idempotency-Key', method: 'POST', path: `/api/attempts/${open.id}/complete`, headers: { 'idempotency-key': 'k1, k2' }, status: 400, code: 'validation_failed' },
    // a content-coded body
    { name: 'a gzip Content-Encoding on a plain body', method: 'POST', path: '/api/learners', body: { email: 'gz@example.com', name: 'Gz' }, headers: { 'content-encoding': 'gzip' }, status: 415, code: 'unsupported_media_type' },
    { name: 'a br Content-Encoding on a settings change', method: 'PATCH', path: certPatch, body: { title: 'Compressed' }, headers: { 'content-encoding': 'br' }, status: 415, code: 'unsupported_media_type' },
  ];

  const dbBefore = await databaseSnapshot();
  const temporalBefore = await temporalSnapshot();
  const failures: string[] = [];
  for (const c of cases) {
    const res = await stack.request<{ error?: { code?: string; message?: string; details?: unknown } }>(c.method, c.path, c.body, c.headers);
    const code = res.body?.error?.code;
    if (res.status !== c.status || code !== c.code) failures.push(`${c.name}: ${c.method} ${c.path} → ${res.status} ${JSON.stringify(res.body)} (expected ${c.status} ${c.code})`);
    else if (typeof res.body.error?.message !== 'string' || !('details' in (res.body.error ?? {}))) failures.push(`${c.name}: error shape ${JSON.stringify(res.body)}`);
  }
  assert.deepEqual(failures, []);
  // Give anything wrongly started a moment to show up.
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await databaseSnapshot(), dbBefore, 'the database is unchanged');
  assert.deepEqual(await temporalSnapshot(), temporalBefore, 'Temporal is unchanged');
});

test('a body that is not UTF-8 (raw Latin-1 bytes, declared or not) is 400 naming the field, and creates nothing', async () => {
  const bytes = Buffer.concat([Buffer.from('{"email":"raw-latin1@example.com","name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
  for (const type of ['application/json', 'application/json; charset=iso-8859-1']) {
    const res = await fetch(`${stack.api}/api/learners`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.config.adminApiToken}`, 'content-type': type },
      body: bytes,
    });
    const answer = (await res.json()) as { error?: { code?: string; message?: string } };
    assert.equal(res.status, 400, `${type}: ${JSON.stringify(answer)}`);
    assert.equal(answer.error?.code, 'validation_failed');
    assert.match(answer.error?.message ?? '', /name/);
  }
  const found = await stack.request<{ learners: LearnerDto[] }>('GET', '/api/learners?email=raw-latin1@example.com');
  assert.deepEqual(found.body.learners, [], 'no learner was created');
});

test('a 422 names the rule and the field; a 400 lists the issues', async () => {
  const draft = await ok<CourseDto>('POST', '/api/courses', { title: 'Draft 2' });
  const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Rules',
    settings: { expiration: { enabled: true } },
  });
  const rule = await stack.request<{ error: { code: string; message: string; details: { field: string } } }>('PATCH', `/api/certificates/${certificate.id}`, {
    settings: { recertification: { enabled: true, courseId: draft.id } },
  });
  assert.equal(rule.status, 422);
  assert.equal(rule.body.error.code, 'course_not_live');
  assert.equal(rule.body.error.details.field, 'recertification.courseId');
  assert.match(rule.body.error.message, /Draft 2/);
  const invalid = await stack.request<{ error: { details: { target: string; issues: { path: string }[] } } }>('PATCH', `/api/certificates/${certificate.id}`, {
    settings: { recertification: { leadDays: 0 } },
  });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.details.target, 'json');
  assert.deepEqual(invalid.body.error.details.issues.map((i) => i.path), ['settings.recertification.leadDays']);
});

test('an unknown key leads the 400, before the issues it causes (a fresh tester sent {"status":"completed"} to an attempt and was told first that progress was missing)', async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Leading issue', status: 'live' });
  const learner = await ok<{ id: string }>('POST', '/api/learners', { email: 'leading-issue@example.com', name: 'Lead' });
  const { attempt } = await ok<{ attempt: { id: string } }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id });
  const res = await stack.request<{ error: { code: string; message: string; details: { issues: { path: string; code: string }[]; issueCount: number } } }>(
    'PATCH',
    `/api/attempts/${attempt.id}`,
    { status: 'completed' },
  );
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'validation_failed');
  assert.ok(res.body.error.details.issueCount >= 2, JSON.stringify(res.body.error.details));
  assert.equal(res.body.error.details.issues[0]?.code, 'unrecognized_keys', JSON.stringify(res.body.error.details.issues));
  assert.match(res.body.error.message, /^Invalid json: .*status/, res.body.error.message);
  const [row] = await stack.sql<{ progress: number }[]>`select progress from course_attempts where id = ${attempt.id}`;
  assert.equal(row?.progress, 0, 'nothing changed');
});

test('the OpenAPI document, generated from the routes, and the docs page are public; everything else needs the token', async () => {
  const doc = await stack.request<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } }>(
    'GET',
    '/api/openapi.json',
    undefined,
    { authorization: null },
  );
  assert.equal(doc.status, 200);
  const routes = Object.entries(doc.body.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  for (const r of [
    'POST /api/learners', 'GET /api/learners/{id}',
    'POST /api/courses', 'GET /api/courses', 'GET /api/courses/{id}', 'PATCH /api/courses/{id}',
    'POST /api/certificates', 'GET /api/certificates', 'GET /api/certificates/{id}', 'PATCH /api/certificates/{id}',
    'POST /api/certificates/{id}/awards', 'GET /api/awards', 'GET /api/awards/{id}', 'PATCH /api/awards/{id}', 'POST /api/awards/{id}/revoke',
    'POST /api/courses/{id}/enrollments', 'GET /api/attempts', 'PATCH /api/attempts/{id}', 'POST /api/attempts/{id}/complete',
    'GET /api/messages', 'GET /healthz', 'GET /readyz',
  ]) assert.ok(routes.includes(r), `the document has ${r}`);
  assert.ok('Bearer' in doc.body.components.securitySchemes);
  for (const s of ['Certificate', 'CertificateSettings', 'Award', 'Error', 'RecertificationStatus']) assert.ok(s in doc.body.components.schemas, `schema ${s}`);

  const docs = await stack.request<string>('GET', '/api/docs', undefined, { authorization: null });
  assert.equal(docs.status, 200);
  assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
  assert.match(docs.body, /openapi\.json/);
  assert.match(docs.body, /swagger-ui-bundle\.js/, 'Swagger UI');
  assert.match(docs.body, /POST \/api\/certificates\/\{id\}\/awards/, 'the plain list readable before Swagger UI loads');
  assert.doesNotMatch(docs.body, /https?:\/\/(?!127\.0\.0\.1|localhost)[^"']*\.(js|css)/, 'no asset from another host');
  for (const [file, type] of [['swagger-ui-bundle.js', /javascript/], ['swagger-ui.css', /css/]] as const) {
    const asset = await stack.request<string>('GET', `/api/docs/assets/${file}`, undefined, { authorization: null });
    assert.equal(asset.status, 200, `${file} is served locally`);
    assert.match(asset.headers.get('content-type') ?? '', type);
    assert.ok(asset.body.length > 10_000, `${file} has content`);
  }
  assert.equal((await stack.request('GET', '/api/docs/assets/package.json', undefined, { authorization: null })).status, 404);

  assert.equal((await stack.request('GET', '/healthz', undefined, { authorization: null })).status, 200);
  const ready = await stack.request<{ status: string; checks: { database: { ok: boolean }; temporal: { ok: boolean } } }>('GET', '/readyz', undefined, { authorization: null });
  assert.equal(ready.status, 200);
  assert.equal(ready.body.status, 'ready');
});

test('readiness is 503 when the database or Temporal is unreachable', async () => {
  const log = pino({ level: 'silent' });
  const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
  const deadDb = createSql('postgres://nobody:nothing@127.0.0.1:1/none', { max: 1 });
  try {
    for (const [name, deps] of [
      ['temporal', { config: stack.config, sql: stack.sql, client: deadTemporal, log }],
      ['database', { config: stack.config, sql: deadDb, client: stack.client, log }],
    ] as const) {
      const res = await createApp(deps).request('/readyz');
      assert.equal(res.status, 503, name);
      const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
      assert.equal(body.status, 'not_ready');
      assert.equal(body.checks[name]?.ok, false, `${name} check fails`);
      assert.ok(body.checks[name]?.error);
    }
  } finally {
    await deadDb.end({ timeout: 1 });
  }
});

test('requests are logged with method, path, status and duration, never the token', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const app = createApp({ config: stack.config, sql: stack.sql, client: stack.client, log });
  const auth = { authorization: `Bearer ${stack.token}` };
  assert.equal((await app.request('/api/courses?status=live', { headers: auth })).status, 200);
  assert.equal((await app.request('/api/courses', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{' })).status, 400);
  assert.equal((await app.request('/api/courses', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  const entries = lines.map((l) => JSON.parse(l) as { msg: string; method?: string; path?: string; status?: number; ms?: number });
  const requests = entries.filter((e) => e.msg === 'request');
  assert.deepEqual(requests.map((e) => [e.method, e.path, e.status]), [['GET', '/api/courses', 200], ['POST', '/api/courses', 400], ['GET', '/api/courses', 401]]);
  assert.ok(requests.every((e) => typeof e.ms === 'number'));
  const all = lines.join('\n');
  assert.ok(!all.includes(stack.token) && !all.includes('wrong-token'), 'no token in the logs');
});
