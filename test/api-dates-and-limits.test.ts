/**
 * Issue 18 §2, §3 and §5 through the real API (PostgreSQL, Temporal dev server, workers): a monthly
 * renewal chain keeps its anniversary across month ends; lead days that do not fit the validity are a
 * 422 naming the largest lead that fits (and change nothing); a validity over 50 years is a 400 naming
 * the limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_dates_limits' });
});
after(async () => {
  await stack?.stop();
});

async function call<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

interface ApiError {
  error: { code: string; message: string; details: Record<string, unknown> | null };
}

async function fixtures(): Promise<{ learner: LearnerDto; course: CourseDto }> {
  const n = Math.random().toString(36).slice(2, 8);
  const learner = await call<LearnerDto>('POST', '/api/learners', { email: `learner-${n}@example.com`, name: `Learner ${n}` }, 201);
  const course = await call<CourseDto>('POST', '/api/courses', { title: `Course ${n}`, status: 'live' }, 201);
  return { learner, course };
}

/** The latest 31st of a month at 09:00 UTC that is before now. */
function lastThirtyFirst(now: Date): Date {
  for (let back = 0; ; back++) {
    const candidate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 31, 9));
    if (candidate.getUTCDate() === 31 && candidate.getTime() < now.getTime()) return candidate;
  }
}

test('a monthly chain renewed early through the API keeps its anniversary: 28 Feb → 31 Mar → 30 Apr → 31 May', async () => {
  const { learner, course } = await fixtures();
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Monthly permit',
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'previous_expiry' },
      recertification: { leadDays: 20 },
    },
  }, 201);
  // The chain starts on a 31st (a manual award in the past): its anchor day is 31.
  const now = new Date();
  const awardedAt = lastThirtyFirst(now);
  const { award: first } = await call<{ award: AwardDto }>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: learner.id, awardedAt: awardedAt.toISOString() }, 201);
  const [stored] = await stack.sql<{ anchorDay: number | null }[]>`select anchor_day from awards where id = ${first.id}`;
  assert.equal(stored?.anchorDay, 31, 'a manual award stores its awarded day as the anchor day');

  // Then the certificate becomes valid one month, and the award's expiry falls on 28 Feb of a coming
  // non-leap year (the 31st clamped), as if the chain had reached it.
  await call('PATCH', `/api/certificates/${certificate.id}`, { settings: { expiration: { validFor: { amount: 1, unit: 'months' } } } }, 200);
  let year = now.getUTCFullYear();
  while (year % 4 === 0 || Date.UTC(year, 1, 28, 9) <= now.getTime()) year++;
  await call('PATCH', `/api/awards/${first.id}`, { expiresAt: `${year}-02-28T09:00:00.000Z` }, 200);

  // Each renewal is completed now, before the current expiry.
  const expiries: string[] = [];
  let current = first.id;
  for (let i = 0; i < 3; i++) {
    const { attempt } = await call<{ attempt: AttemptDto }>('POST', `/api/courses/${course.id}/enrollments`, { learnerId: learner.id }, 201);
    const done = await call<{ awards: AwardDto[]; renewed: { previousAwardId: string; newAwardId: string }[] }>('POST', `/api/attempts/${attempt.id}/complete`, undefined, 200);
    const next = done.awards[0];
    assert.ok(next?.expiresAt);
    assert.deepEqual(done.renewed, [{ previousAwardId: current, newAwardId: next.id }]);
    const [row] = await stack.sql<{ anchorDay: number | null }[]>`select anchor_day from awards where id = ${next.id}`;
    assert.equal(row?.anchorDay, 31, `renewal ${i + 1} inherits the chain's anchor day`);
    expiries.push(next.expiresAt);
    current = next.id;
  }
  assert.deepEqual(expiries, [`${year}-03-31T09:00:00.000Z`, `${year}-04-30T09:00:00.000Z`, `${year}-05-31T09:00:00.000Z`]);
});

test('lead days that do not fit the validity: 422 lead_days_exceed_validity naming the largest lead that fits; nothing saved', async () => {
  const { course } = await fixtures();
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Yearly',
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  }, 201);
  const path = `/api/certificates/${certificate.id}`;
  const [savedBefore] = await stack.sql`select settings, settings_version, updated_at from certificates where id = ${certificate.id}`;
  const cases: [{ amount: number; unit: string }, number, number][] = [
    [{ amount: 1, unit: 'months' }, 28, 27],
    [{ amount: 4, unit: 'weeks' }, 28, 27],
    [{ amount: 14, unit: 'days' }, 14, 13],
  ];
  for (const [validFor, shortest, maxLead] of cases) {
    const label = `${validFor.amount} ${validFor.unit}`;
    const res = await call<ApiError>('PATCH', path, { title: 'Renamed', settings: { expiration: { validFor } } }, 422);
    assert.equal(res.error.code, 'lead_days_exceed_validity', label);
    assert.match(res.error.message, new RegExp(`at most ${maxLead} lead days`), label);
    assert.equal(res.error.details?.field, 'recertification.leadDays', label);
    assert.equal(res.error.details?.maxLeadDays, maxLead, label);
    assert.equal(res.error.details?.shortestValidityDays, shortest, label);
  }
  const [savedAfter] = await stack.sql`select settings, settings_version, updated_at from certificates where id = ${certificate.id}`;
  assert.deepEqual(savedAfter, savedBefore, 'nothing saved, not even the title');
  // Created with one month, recertification on and the default lead of 30: refused too.
  const created = await call<ApiError>('POST', '/api/certificates', {
    title: 'Monthly',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: 1, unit: 'months' } }, recertification: { enabled: true, courseId: course.id } },
  }, 422);
  assert.equal(created.error.code, 'lead_days_exceed_validity');
  assert.equal(created.error.details?.maxLeadDays, 27);
  // The largest lead that fits is accepted.
  const fits = await call<{ certificate: CertificateDto }>('PATCH', path, { settings: { expiration: { validFor: { amount: 1, unit: 'months' } }, recertification: { leadDays: 27 } } }, 200);
  assert.deepEqual(fits.certificate.settings.expiration.validFor, { amount: 1, unit: 'months' });
  assert.equal(fits.certificate.settings.recertification.leadDays, 27);
});

test('a certificate saved before the lead rule can still be renamed; a change touching the rule must fix it', async () => {
  const { course } = await fixtures();
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Old fortnightly',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: 14, unit: 'days' } }, recertification: { enabled: true, courseId: course.id, leadDays: 13 } },
  }, 201);
  // As saved before the rule existed: 14 days with the default lead of 30.
  await stack.sql`update certificates set settings = jsonb_set(settings, '{recertification,leadDays}', '30') where id = ${certificate.id}`;
  const path = `/api/certificates/${certificate.id}`;
  const renamed = await call<{ certificate: CertificateDto }>('PATCH', path, { title: 'Fortnightly' }, 200);
  assert.equal(renamed.certificate.title, 'Fortnightly');
  await call('PATCH', path, { settings: { expiredNotice: { enabled: true } } }, 200);
  const refused = await call<ApiError>('PATCH', path, { settings: { recertification: { leadDays: 20 } } }, 422);
  assert.equal(refused.error.code, 'lead_days_exceed_validity');
  assert.equal(refused.error.details?.maxLeadDays, 13);
});

test('a validity over 50 years is a 400 naming the limit', async () => {
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Lifetime' }, 201);
  const path = `/api/certificates/${certificate.id}`;
  for (const validFor of [{ amount: 51, unit: 'years' }, { amount: 1200, unit: 'years' }, { amount: 601, unit: 'months' }, { amount: 2601, unit: 'weeks' }, { amount: 18251, unit: 'days' }]) {
    const res = await call<ApiError>('PATCH', path, { settings: { expiration: { enabled: true, validFor } } }, 400);
    assert.equal(res.error.code, 'validation_failed');
    assert.match(res.error.message, /validFor must be at most 50 years \(600 months, 2600 weeks or 18250 days\)/, JSON.stringify(validFor));
  }
  const created = await call<ApiError>('POST', '/api/certificates', { title: 'Forever', settings: { expiration: { enabled: true, validFor: { amount: 99, unit: 'years' } } } }, 400);
  assert.match(created.error.message, /at most 50 years/);
  const ok = await call<{ certificate: CertificateDto }>('PATCH', path, { settings: { expiration: { enabled: true, validFor: { amount: 50, unit: 'years' } } } }, 200);
  assert.deepEqual(ok.certificate.settings.expiration.validFor, { amount: 50, unit: 'years' });
});
