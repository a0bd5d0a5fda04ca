/**
 * Every issue-14 control of the admin Settings tab in Chromium, as an administrator: the fixed-date
 * expiry (31 December, 90 minimum days), the grace period and the repeating reminder are each set on
 * the page, saved (the API says so) and shown again on the next visit; a bad value for each (month 13,
 * 31 February, grace −1, every 0 days, …) is refused with a clear message beside its field and
 * nothing is saved. Also the repeating reminder through the JSON API: its 400s name the field, its
 * warning, its OpenAPI description.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import { browserTest, launchAdminBrowser, submitForm, type AdminBrowser, okApi } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let admin: AdminBrowser | null = null;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_policies', workers: false });
  admin = await launchAdminBrowser(stack);
});
after(async () => {
  await admin?.browser.close();
  await stack?.stop();
});

const api = okApi(() => stack);

/** A certificate with expiration and recertification on (30 lead days, a live course), as the Settings tab needs to show every control. */
async function certificate(title: string): Promise<CertificateDto> {
  const course = await api<CourseDto>('POST', '/api/courses', { title: `${title} Refresher`, status: 'live', enrollmentMessage: null });
  const made = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true }, recertification: { enabled: true, courseId: course.id, leadDays: 30 }, expiringNotice: { enabled: true } },
  });
  return made.certificate;
}

const getCertificate = (id: string) => api<CertificateDto>('GET', `/api/certificates/${id}`);
/** What the database holds of a certificate's settings: unchanged means nothing was saved. */
async function dbState(id: string): Promise<unknown> {
  const [row] = await stack.sql`select settings, settings_version from certificates where id = ${id}`;
  return row;
}
const settingsUrl = (id: string) => `${stack.api}/admin/certificates/${id}/settings`;
const fieldError = (field: string) => admin!.page.locator(`.field-error[data-field="${field}"]`);

const F = {
  anchor: 'expiration.anchor',
  day: 'expiration.fixedDate.day',
  month: 'expiration.fixedDate.month',
  minimum: 'expiration.fixedDate.minimumActiveDays',
  grace: 'expiration.graceDays',
  every: 'recertification.repeatReminder.everyDays',
  max: 'recertification.repeatReminder.maxCount',
} as const;
const field = (name: string) => `[name="${name}"]`;

/** Submits the Settings form; on a refusal, asserts the message beside `field`, the banner, and that nothing was saved. */
async function expectRefused(cert: CertificateDto, name: string, status: number, message: RegExp): Promise<void> {
  const page = admin!.page;
  const before = await dbState(cert.id);
  assert.equal(await submitForm(page, '#save-settings'), status, `${name}: status`);
  assert.match(await fieldError(name).innerText(), message, `${name}: the message beside the field`);
  assert.match(await page.locator('#banner').innerText(), /Nothing was saved/);
  assert.deepEqual(await dbState(cert.id), before, `${name}: nothing saved`);
}

browserTest('policies: a fixed-date expiry (31 December, 90 minimum days) is set, saved and shown again; month 13 and 31 February are refused beside their fields', async () => {
  const page = admin!.page;
  const cert = await certificate('Fire Warden');
  await page.goto(settingsUrl(cert.id));
  await page.selectOption(field(F.anchor), 'fixed_date');

  // 31 February: the API's rule (422 invalid_fixed_date), beside the day.
  await page.fill(field(F.day), '31');
  await page.selectOption(field(F.month), '2');
  await page.fill(field(F.minimum), '90');
  await expectRefused(cert, F.day, 422, /Month 2 has at most 29 days; 31 is not a date/);
  assert.equal(await page.inputValue(field(F.day)), '31', 'the entry is shown back');

  // Month 13 (a crafted post: the dropdown offers 1–12), beside the month.
  await page.evaluate((name) => {
    const select = document.querySelector<HTMLSelectElement>(`[name="${name}"]`)!;
    select.add(new Option('Thirteenth', '13'));
    select.value = '13';
  }, F.month);
  await page.fill(field(F.day), '1');
  await expectRefused(cert, F.month, 400, /Choose a month/);

  // A minimum below the lead days: the lead days no longer fit (422), beside the lead days.
  await page.selectOption(field(F.month), '12');
  await page.fill(field(F.day), '31');
  await page.fill(field(F.minimum), '10');
  await expectRefused(cert, 'recertification.leadDays', 422, /at most 9 lead days fit/);

  // 31 December, 90 days: saved, and shown again.
  await page.fill(field(F.minimum), '90');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  const saved = await getCertificate(cert.id);
  assert.equal(saved.settings.expiration.anchor, 'fixed_date');
  assert.deepEqual(saved.settings.expiration.fixedDate, { month: 12, day: 31, minimumActiveDays: 90 });
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue(field(F.anchor)), 'fixed_date');
  assert.equal(await page.inputValue(field(F.day)), '31');
  assert.equal(await page.inputValue(field(F.month)), '12');
  assert.equal(await page.inputValue(field(F.minimum)), '90');
});

browserTest('policies: grace days are set, saved and shown again; -1, 366 and a word are refused beside the field', async () => {
  const page = admin!.page;
  const cert = await certificate('Signaller');
  for (const [value, status, message] of [
    ['-1', 400, /Grace days must be a whole number from 0/],
    ['366', 400, /Grace days must be a whole number from 0/],
    ['two weeks', 400, /“two weeks” is not a whole number/],
  ] as const) {
    await page.goto(settingsUrl(cert.id));
    await page.fill(field(F.grace), value);
    await expectRefused(cert, F.grace, status, message);
    assert.equal(await page.inputValue(field(F.grace)), value, 'the entry is shown back as typed');
  }
  await page.goto(settingsUrl(cert.id));
  await page.fill(field(F.grace), '14');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  assert.equal((await getCertificate(cert.id)).settings.expiration.graceDays, 14);
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue(field(F.grace)), '14');
  // Emptied, the field means none (a fresh reviewer saw "Settings saved" while 14 stayed).
  await page.fill(field(F.grace), '');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  assert.equal((await getCertificate(cert.id)).settings.expiration.graceDays ?? 0, 0);
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue(field(F.grace)), '0');
});

browserTest('policies: a repeating reminder (every 7 days, at most 3) is set, saved and shown again, then turned off; 0, 53, a word or half a pair are refused beside the field', async () => {
  const page = admin!.page;
  const cert = await certificate('Crane Operator');
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue(field(F.every)), '', 'off by default');
  assert.equal(await page.inputValue(field(F.max)), '');

  const bad: { every: string; max: string; name: string; status: number; message: RegExp }[] = [
    { every: '0', max: '3', name: F.every, status: 400, message: /Repeat every 1 to 365 days/ },
    { every: '7', max: '53', name: F.max, status: 400, message: /At most 1 to 52 repeating reminders/ },
    { every: 'weekly', max: '3', name: F.every, status: 400, message: /“weekly” is not a whole number/ },
    { every: '7', max: '', name: F.max, status: 400, message: /Enter this too, or leave both empty/ },
  ];
  for (const k of bad) {
    await page.goto(settingsUrl(cert.id));
    await page.fill(field(F.every), k.every);
    await page.fill(field(F.max), k.max);
    await expectRefused(cert, k.name, k.status, k.message);
    assert.equal(await page.inputValue(field(F.every)), k.every, 'the entry is shown back as typed');
    assert.equal(await page.getAttribute(field(k.name), 'aria-invalid'), 'true');
  }

  await page.goto(settingsUrl(cert.id));
  await page.fill(field(F.every), '7');
  await page.fill(field(F.max), '3');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  assert.deepEqual((await getCertificate(cert.id)).settings.recertification.repeatReminder, { everyDays: 7, maxCount: 3 });
  assert.equal(await page.locator(`.field-warning[data-field="${F.every}"]`).count(), 0, 'no warning: 7 < 30 lead days');
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue(field(F.every)), '7');
  assert.equal(await page.inputValue(field(F.max)), '3');

  // Every 30 days with 30 lead days: saved, with the warning beside the field that it never sends.
  await page.fill(field(F.every), '30');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  assert.match(await page.locator(`.field-warning[data-field="${F.every}"][data-warning="repeat_reminder_never_sent"]`).innerText(), /never sent/);
  assert.deepEqual((await getCertificate(cert.id)).settings.recertification.repeatReminder, { everyDays: 30, maxCount: 3 });

  // Both emptied: off.
  await page.goto(settingsUrl(cert.id));
  await page.fill(field(F.every), '');
  await page.fill(field(F.max), '');
  assert.equal(await submitForm(page, '#save-settings'), 200);
  assert.equal((await getCertificate(cert.id)).settings.recertification.repeatReminder, null);
});

test('API: a repeating reminder out of range is a 400 naming the field, nothing saved; everyDays ≥ lead days saves with repeat_reminder_never_sent; OpenAPI documents it', async () => {
  const cert = await certificate('Rigger');
  const cases: [unknown, string][] = [
    [{ everyDays: 0, maxCount: 3 }, 'settings.recertification.repeatReminder.everyDays'],
    [{ everyDays: 366, maxCount: 3 }, 'settings.recertification.repeatReminder.everyDays'],
    [{ everyDays: 7, maxCount: 0 }, 'settings.recertification.repeatReminder.maxCount'],
    [{ everyDays: 7, maxCount: 53 }, 'settings.recertification.repeatReminder.maxCount'],
    [{ everyDays: 1.5, maxCount: 3 }, 'settings.recertification.repeatReminder.everyDays'],
    [{ everyDays: 7 }, 'settings.recertification.repeatReminder.maxCount'],
  ];
  for (const [repeatReminder, path] of cases) {
    const res = await stack.request<{ error: { code: string; details: { issues: { path: string; message: string }[] } } }>('PATCH', `/api/certificates/${cert.id}`, {
      settings: { recertification: { repeatReminder } },
    });
    assert.equal(res.status, 400, JSON.stringify(repeatReminder));
    assert.equal(res.body.error.code, 'validation_failed');
    assert.ok(res.body.error.details.issues.some((i) => i.path === path), `${JSON.stringify(repeatReminder)} names ${path}: ${JSON.stringify(res.body.error.details.issues)}`);
  }
  assert.equal((await getCertificate(cert.id)).settingsVersion, cert.settingsVersion, 'nothing saved');

  const res = await stack.request<{ certificate: CertificateDto; warnings: { code: string; field: string }[] }>('PATCH', `/api/certificates/${cert.id}`, {
    settings: { recertification: { repeatReminder: { everyDays: 30, maxCount: 2 } } },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.certificate.settings.recertification.repeatReminder, { everyDays: 30, maxCount: 2 });
  assert.deepEqual(res.body.warnings.filter((w) => w.code === 'repeat_reminder_never_sent').map((w) => w.field), ['recertification.repeatReminder.everyDays']);
  const ok = await stack.request<{ warnings: { code: string }[] }>('PATCH', `/api/certificates/${cert.id}`, { settings: { recertification: { repeatReminder: { everyDays: 7, maxCount: 2 } } } });
  assert.equal(ok.status, 200);
  assert.ok(!ok.body.warnings.some((w) => w.code === 'repeat_reminder_never_sent'));

  const doc = await (await fetch(`${stack.api}/api/openapi.json`)).text();
  assert.match(doc, /"repeatReminder"/);
  assert.match(doc, /every `everyDays` days after the enrollment/);
  assert.match(doc, /repeat_reminder_never_sent/);
});
