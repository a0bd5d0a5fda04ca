/**
 * Issue 14's policies through the API and the admin Settings tab, on the real stack (PostgreSQL,
 * Temporal, workers, API; Chromium for the page): the fixed-date anchor's awards and renewals, its
 * refusals (422), and its controls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { fixedDateExpiry } from '../domain/dates.ts';
import { browserTest, launchAdminBrowser, type AdminBrowser, okApi } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let admin: AdminBrowser | null = null;

before(async () => {
  stack = await startStack({ dbPrefix: 'policies' });
  admin = await launchAdminBrowser(stack);
});
after(async () => {
  await admin?.browser.close();
  await stack?.stop();
});

const api = okApi(() => stack);
const uid = () => Math.random().toString(36).slice(2, 8);
const course = (title: string) => api<CourseDto>('POST', '/api/courses', { title, status: 'live', enrollmentMessage: null });
const learner = (name: string) => api<LearnerDto>('POST', '/api/learners', { name, email: `${name.toLowerCase()}.${uid()}@example.com` });
async function certificate(title: string, associatedCourseIds: string[], settings?: unknown): Promise<CertificateDto> {
  return (await api<{ certificate: CertificateDto }>('POST', '/api/certificates', { title, associatedCourseIds, settings })).certificate;
}
const DEC31 = { month: 12, day: 31, minimumActiveDays: 90 };

test('fixed-date expiry: awards expire on 31 December 23:59:59 with 90 minimum days, renewals too', async () => {
  const c = await course('Fire Warden Basics');
  const cert = await certificate('Fire Warden', [c.id], {
    expiration: { enabled: true, anchor: 'fixed_date', fixedDate: DEC31 },
    recertification: { enabled: true, courseId: c.id, leadDays: 30 },
  });
  assert.deepEqual(cert.settings.expiration.fixedDate, DEC31);
  const late = await learner('Ada');
  const early = await learner('Grace');
  const a = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: late.id, awardedAt: '2026-11-01T09:00:00Z' });
  assert.equal(a.award.expiresAt, '2027-12-31T23:59:59.000Z');
  const b = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: early.id, awardedAt: '2026-09-01T09:00:00Z' });
  assert.equal(b.award.expiresAt, '2026-12-31T23:59:59.000Z');

  // A renewal by completing a course of the certificate follows the same rule, from the completion.
  const enrolled = await api<{ attempt: AttemptDto }>('POST', `/api/courses/${c.id}/enrollments`, { learnerId: early.id });
  const done = await api<{ awards: AwardDto[]; attempt: AttemptDto }>('POST', `/api/attempts/${enrolled.attempt.id}/complete`, undefined, 200);
  const renewal = done.awards[0]!;
  assert.equal(renewal.previousAwardId, b.award.id);
  const completedAt = new Date(renewal.awardedAt);
  assert.equal(renewal.expiresAt, fixedDateExpiry(completedAt, DEC31, 'UTC').toISOString());
  assert.match(renewal.expiresAt ?? '', /-12-31T23:59:59\.000Z$/);
});

test('fixed-date expiry: bad inputs are refused and nothing is saved', async () => {
  const c = await course('Ladder Safety');
  const cert = await certificate('Ladder User', [c.id], { expiration: { enabled: true } });
  const cases: [unknown, number, string][] = [
    [{ expiration: { anchor: 'fixed_date' } }, 422, 'fixed_date_required'],
    [{ expiration: { anchor: 'fixed_date', fixedDate: { month: 4, day: 31, minimumActiveDays: 90 } } }, 422, 'invalid_fixed_date'],
    [{ expiration: { anchor: 'fixed_date', fixedDate: { month: 2, day: 30, minimumActiveDays: 90 } } }, 422, 'invalid_fixed_date'],
    // A date kept under another anchor is a date too (a fresh reviewer saved 31 February with anchor completion).
    [{ expiration: { fixedDate: { month: 2, day: 31, minimumActiveDays: 90 } } }, 422, 'invalid_fixed_date'],
    [{ expiration: { anchor: 'previous_expiry', fixedDate: { month: 4, day: 31, minimumActiveDays: 0 } } }, 422, 'invalid_fixed_date'],
    [{ expiration: { anchor: 'fixed_date', fixedDate: { month: 12, day: 31, minimumActiveDays: 10 } }, expiringNotice: { enabled: true } }, 422, 'lead_days_exceed_validity'],
    [{ expiration: { anchor: 'fixed_date', fixedDate: { month: 13, day: 1, minimumActiveDays: 90 } } }, 400, 'validation_failed'],
    [{ expiration: { anchor: 'fixed_date', fixedDate: { month: 12, day: 31 } } }, 400, 'validation_failed'],
  ];
  for (const [settings, status, code] of cases) {
    const res = await stack.request<{ error: { code: string } }>('PATCH', `/api/certificates/${cert.id}`, { settings });
    assert.equal(res.status, status, JSON.stringify(settings));
    assert.equal(res.body.error.code, code, JSON.stringify(settings));
  }
  const after = await api<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(after.settings.expiration.anchor, 'completion');
  assert.equal(after.settings.expiration.fixedDate, undefined);
  assert.equal(after.settingsVersion, cert.settingsVersion);
});

browserTest('settings: the fixed expiry date is chosen on the page, refused beside its field when it is no date', async () => {
  const page = admin!.page;
  const c = await course('Scaffold Safety');
  const cert = await certificate('Scaffolder', [c.id], { expiration: { enabled: true } });
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  await page.selectOption('[name="expiration.anchor"]', 'fixed_date');
  await page.fill('[name="expiration.fixedDate.day"]', '31');
  await page.selectOption('[name="expiration.fixedDate.month"]', '4');
  await page.fill('[name="expiration.fixedDate.minimumActiveDays"]', '60');
  const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#save-settings')]);
  assert.equal(bad.status(), 422);
  assert.match(await page.locator('.field-error[data-field="expiration.fixedDate.day"]').innerText(), /Month 4 has at most 30 days/);
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).settings.expiration.anchor, 'completion');

  await page.selectOption('[name="expiration.fixedDate.month"]', '12');
  const [ok] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#save-settings')]);
  assert.equal(ok.status(), 200);
  const saved = await api<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(saved.settings.expiration.anchor, 'fixed_date');
  assert.deepEqual(saved.settings.expiration.fixedDate, { month: 12, day: 31, minimumActiveDays: 60 });
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  assert.equal(await page.inputValue('[name="expiration.fixedDate.month"]'), '12');
  assert.equal(await page.inputValue('[name="expiration.fixedDate.minimumActiveDays"]'), '60');
});

browserTest('settings: the grace period is set on the page; a bad number is refused beside its field and nothing is saved', async () => {
  const page = admin!.page;
  const c = await course('Crane Signals');
  const cert = await certificate('Signaller', [c.id], { expiration: { enabled: true } });
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  assert.equal(await page.inputValue('[name="expiration.graceDays"]'), '0');
  await page.fill('[name="expiration.graceDays"]', '400');
  const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#save-settings')]);
  assert.equal(bad.status(), 400);
  assert.match(await page.locator('.field-error[data-field="expiration.graceDays"]').innerText(), /Grace days must be a whole number from 0/);
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).settings.expiration.graceDays, undefined);

  await page.fill('[name="expiration.graceDays"]', '14');
  const [ok] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#save-settings')]);
  assert.equal(ok.status(), 200);
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).settings.expiration.graceDays, 14);
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  assert.equal(await page.inputValue('[name="expiration.graceDays"]'), '14');
});

test('grace period: graceDays out of range is a 400 and nothing is saved; an award in grace shows as in_grace', async () => {
  const c = await course('Hoist Safety');
  const cert = await certificate('Hoist Operator', [c.id], { expiration: { enabled: true } });
  for (const graceDays of [-1, 366, 1.5]) {
    const res = await stack.request<{ error: { code: string } }>('PATCH', `/api/certificates/${cert.id}`, { settings: { expiration: { graceDays } } });
    assert.equal(res.status, 400, String(graceDays));
    assert.equal(res.body.error.code, 'validation_failed');
  }
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).settingsVersion, cert.settingsVersion);
  // An award the workflow put in grace is listed with that status (the vocabulary reaches the API).
  const l = await learner('Lin');
  const made = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id, awardedAt: '2026-09-01T09:00:00Z' });
  await stack.sql`update awards set status = 'in_grace', grace_ends_at = expires_at + interval '14 days' where id = ${made.award.id}`;
  const got = await api<{ award: AwardDto }>('GET', `/api/awards/${made.award.id}`);
  assert.equal(got.award.status, 'in_grace');
});
