/**
 * Issue 9's certificate tools in the admin page, in headless Chromium against the real stack: the
 * change-impact preview on Save (a second click when the change acts at once), checked against the
 * database and what the workflows then do; the Overview tab's counts by phase and its SVG chart of the
 * coming load, checked against the seeded awards.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { AwardCreated, AwardView, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { weekStartOf } from '../domain/certificate-overview.ts';
import { DAY_MS } from '../domain/dates.ts';
import { browserTest, launchAdminBrowser, screenshot, okApi, submitForm } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let browser: Browser | undefined;
let page: Page;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_cert_tools' });
  const admin = await launchAdminBrowser(stack);
  if (!admin) return;
  browser = admin.browser;
  page = admin.page;
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

const api = okApi(() => stack);

const submit = submitForm;

const VALIDITY_DAYS = 365;
const newLearner = () => api<LearnerDto>('POST', '/api/learners', { email: `l-${randomUUID().slice(0, 8)}@example.com`, name: 'Katherine Johnson' });

/** Awards the certificate to a new learner so that it expires `days` from now (back-dated). */
async function awardExpiringIn(certId: string, days: number): Promise<AwardCreated['award']> {
  const learner = await newLearner();
  const awardedAt = new Date(Date.now() + (days - VALIDITY_DAYS) * DAY_MS).toISOString();
  return (await api<AwardCreated>('POST', `/api/certificates/${certId}/awards`, { learnerId: learner.id, awardedAt })).award;
}

/** A live course and a certificate valid 365 days with recertification off and the expiring notice on. */
async function setup(title: string): Promise<{ course: CourseDto; cert: CertificateDto }> {
  const course = await api<CourseDto>('POST', '/api/courses', { title: `${title} Refresher`, status: 'live' });
  const { certificate: cert } = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: VALIDITY_DAYS, unit: 'days' } }, expiringNotice: { enabled: true } },
  });
  return { course, cert };
}

const attemptsOf = async (awardIds: string[]): Promise<number> => {
  const [row] = await stack.sql<{ n: number }[]>`
    select count(*)::int as n from course_attempts where source = 'recertification' and award_id = any(${awardIds}::uuid[])`;
  return row?.n ?? 0;
};
const versionOf = async (id: string): Promise<number> => {
  const [row] = await stack.sql<{ settingsVersion: number }[]>`select settings_version from certificates where id = ${id}`;
  return row!.settingsVersion;
};

/** Waits until every award's workflow is waiting for settings. */
async function waitingForSettings(awardIds: string[]): Promise<void> {
  await stack.eventually('the workflows wait for settings', async () => {
    for (const id of awardIds) {
      const view = await api<AwardView>('GET', `/api/awards/${id}`);
      if (view.recertification?.phase !== 'waiting_for_settings' || view.recertification.messages.length === 0) return false;
    }
    return true;
  });
}

/** Turns recertification on in the Settings form, with `courseId` and `leadDays`. */
async function fillRecertification(p: Page, courseId: string, leadDays: number): Promise<void> {
  await p.check('#recertification-enabled');
  await p.selectOption('#recertification-course', courseId);
  await p.fill('#f-recertification-leadDays', String(leadDays));
}

browserTest('Save shows what the change does at once and saves only on the second click', async () => {
  const { course, cert } = await setup('Crane Operator');
  const waiting = [await awardExpiringIn(cert.id, 10), await awardExpiringIn(cert.id, 15)];
  const scheduled = await awardExpiringIn(cert.id, 40);
  const later = await awardExpiringIn(cert.id, 120);
  const all = [...waiting, scheduled, later].map((a) => a.id);
  await waitingForSettings(waiting.map((a) => a.id));
  const version = await versionOf(cert.id);

  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  await fillRecertification(page, course.id, 45);
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.equal((await page.locator('#impact-headline').innerText()).trim(), 'This change enrolls 3 learners now.');
  const count = async (key: string) => Number(await page.locator(`#impact-lines [data-impact="${key}"]`).getAttribute('data-count'));
  assert.equal(await count('enrollNow'), 1);
  assert.equal(await count('released'), 2);
  assert.equal(await count('rescheduled'), 1);
  assert.equal(await count('secondEmail'), 2);
  assert.equal(await count('emailsNow'), 3);
  const earliest = new Date(Date.parse(later.expiresAt!) - 45 * DAY_MS).toISOString().slice(0, 10);
  assert.match(await page.locator('#impact-lines [data-impact="rescheduled"]').innerText(), new RegExp(`earliest new due date is ${earliest}`));
  // Nothing saved yet, and the form still holds the change.
  assert.equal(await versionOf(cert.id), version);
  assert.equal(await attemptsOf(all), 0);
  assert.equal(await page.inputValue('#f-recertification-leadDays'), '45');
  await screenshot(page, 'change-preview.png');

  assert.equal(await submit(page, '#confirm-save'), 200);
  assert.match(await page.locator('.banner').innerText(), /Settings saved\./);
  assert.equal(await page.locator('#impact-summary [data-impact="released"]').count(), 1);
  assert.equal(await versionOf(cert.id), version + 1);
  await stack.eventually('3 learners enrolled, as previewed', async () => (await attemptsOf(all)) === 3);
});

browserTest('a change that acts on nobody at once saves in one click; a confirm made on a stale version saves nothing', async () => {
  const { course, cert } = await setup('Scaffolder');
  const waiting = await awardExpiringIn(cert.id, 10);
  await waitingForSettings([waiting.id]);

  // The expired notice acts on nobody now: one click saves it.
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  await page.check('#expired-notice');
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.match(await page.locator('.banner').innerText(), /Settings saved\./);
  assert.equal(await page.locator('#change-preview').count(), 0);
  const version = await versionOf(cert.id);

  // Releasing the waiting learner needs the confirmation; someone saves in between: 409, nothing saved.
  await fillRecertification(page, course.id, 30);
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.equal((await page.locator('#impact-headline').innerText()).trim(), 'This change enrolls 1 learner now.');
  await api('PATCH', `/api/certificates/${cert.id}`, { title: 'Scaffolder (renamed)' });
  assert.equal(await submit(page, '#confirm-save'), 409);
  assert.equal(await versionOf(cert.id), version + 1, 'only the rename was saved');
  assert.equal(await attemptsOf([waiting.id]), 0);
  const [row] = await stack.sql<{ enabled: boolean }[]>`select (settings -> 'recertification' ->> 'enabled')::boolean as enabled from certificates where id = ${cert.id}`;
  assert.equal(row?.enabled, false);
});

browserTest('the Overview tab counts awards by phase and charts due dates and expiries per week from the seeded awards', async () => {
  const { course, cert } = await setup('Welder');
  await api('PATCH', `/api/certificates/${cert.id}`, { settings: { recertification: { enabled: true, courseId: course.id, leadDays: 30 } } });
  const scheduled = [await awardExpiringIn(cert.id, 100), await awardExpiringIn(cert.id, 100.5)];
  const enrolled = await awardExpiringIn(cert.id, 10);
  const revoked = await awardExpiringIn(cert.id, 200);
  await api('POST', `/api/awards/${revoked.id}/revoke`, { reason: 'left the company' });
  await awardExpiringIn(cert.id, -5); // history: recorded expired
  await stack.eventually('the one inside the window is enrolled', async () => (await attemptsOf([enrolled.id])) === 1);

  await page.goto(`${stack.api}/admin/certificates/${cert.id}/overview`);
  const phase = async (p: string) => Number(await page.locator(`#phase-counts [data-phase="${p}"]`).getAttribute('data-count'));
  assert.deepEqual(
    { scheduled: await phase('scheduled'), waiting: await phase('waiting_for_settings'), assigned: await phase('assigned'), renewed: await phase('renewed'), expired: await phase('expired'), revoked: await phase('revoked'), notExpiring: await phase('not_expiring') },
    { scheduled: 2, waiting: 0, assigned: 1, renewed: 0, expired: 1, revoked: 1, notExpiring: 0 },
  );

  // The chart: accessible, 53 weeks, and the seeded dates in their weeks.
  const chart = page.locator('svg#load-chart');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.equal(await chart.getAttribute('aria-labelledby'), 'load-chart-title load-chart-desc');
  assert.match(await page.locator('#load-chart-title').textContent() ?? '', /per week, next 12 months/);
  assert.match(await page.locator('#load-chart-desc').textContent() ?? '', /2 recertifications fall due and 3 certificates expire/);
  assert.equal(await page.locator('svg#load-chart g.week').count(), 53);
  const weekOf = (iso: string) => new Date(weekStartOf(Date.parse(iso))).toISOString().slice(0, 10);
  const bars = async () => {
    const out: Record<string, { due: number; expiring: number }> = {};
    for (const g of await page.locator('svg#load-chart g.week').all()) {
      const due = Number(await g.getAttribute('data-due'));
      const expiring = Number(await g.getAttribute('data-expiring'));
      if (due + expiring > 0) out[(await g.getAttribute('data-week'))!] = { due, expiring };
    }
    return out;
  };
  const expected: Record<string, { due: number; expiring: number }> = {};
  const add = (iso: string, what: 'due' | 'expiring') => {
    const w = weekOf(iso);
    expected[w] ??= { due: 0, expiring: 0 };
    expected[w][what]++;
  };
  for (const a of scheduled) {
    add(a.expiresAt!, 'expiring');
    add(new Date(Date.parse(a.expiresAt!) - 30 * DAY_MS).toISOString(), 'due');
  }
  add(enrolled.expiresAt!, 'expiring');
  assert.deepEqual(await bars(), expected);
  // Each bar says what it is, for a pointer or a screen reader.
  const dueWeek = weekOf(new Date(Date.parse(scheduled[0]!.expiresAt!) - 30 * DAY_MS).toISOString());
  assert.equal(await page.locator(`svg#load-chart g.week[data-week="${dueWeek}"] rect.bar-due title`).textContent(), `Week of ${dueWeek}: ${expected[dueWeek]!.due} due`);
  await screenshot(page, 'overview.png');
});

browserTest('Awards tab: award by email, extend and revoke an award through their confirmation pages', async () => {
  const { cert } = await setup('Electrician');
  const learner = await newLearner();
  const awardsUrl = `${stack.api}/admin/certificates/${cert.id}/awards`;
  const awardsOf = () => stack.sql<{ id: string; status: string; expiresAt: Date | null; revokedReason: string | null }[]>`
    select id, status, expires_at, revoked_reason from awards where certificate_id = ${cert.id} and learner_id = ${learner.id}`;

  // An unknown email awards nothing.
  await page.goto(awardsUrl);
  await page.fill('#award-email', 'nobody-here@example.com');
  assert.equal(await submit(page, '#award-submit'), 422);
  assert.match(await page.locator('#award-error').innerText(), /No learner has the email nobody-here@example\.com/);

  // Award, back-dated 100 days: it expires 265 days from now.
  await page.fill('#award-email', learner.email.toUpperCase());
  const awardedOn = new Date(Date.now() - 100 * DAY_MS).toISOString().slice(0, 10);
  await page.fill('#award-awarded-on', awardedOn);
  assert.equal(await submit(page, '#award-submit'), 200);
  assert.match(await page.locator('.banner').innerText(), new RegExp(`Awarded “Electrician” to ${learner.name}`));
  const [award] = await awardsOf();
  assert.ok(award);
  assert.equal(award.status, 'active');
  assert.equal(award.expiresAt!.toISOString(), new Date(Date.parse(`${awardedOn}T00:00:00Z`) + VALIDITY_DAYS * DAY_MS).toISOString());
  assert.equal(await page.locator(`#award-${award.id}`).count(), 1);
  // Awarding again while it is active: the API's 409, shown; still one award.
  await page.fill('#award-email', learner.email);
  assert.equal(await submit(page, '#award-submit'), 409);
  assert.equal(await page.locator('#award-error').count(), 1);
  assert.equal((await awardsOf()).length, 1);

  // Extend: the link opens a confirmation page; the new day keeps the time of day.
  await page.goto(awardsUrl);
  await Promise.all([page.waitForURL(`**/awards/${award.id}/extend`), page.click(`#award-${award.id} .extend-link`)]);
  assert.match(await page.locator('#action-learner').innerText(), new RegExp(learner.email.replace(/[.]/g, '\\.')));
  const newDay = new Date(award.expiresAt!.getTime() + 30 * DAY_MS).toISOString().slice(0, 10);
  await page.fill('#action-value', newDay);
  assert.equal(await submit(page, '#action-confirm'), 200);
  assert.match(await page.locator('.banner').innerText(), new RegExp(`now expires ${newDay}`));
  const [extended] = await awardsOf();
  assert.equal(extended!.expiresAt!.toISOString(), new Date(award.expiresAt!.getTime() + 30 * DAY_MS).toISOString());
  await stack.eventually('the workflow plans from the new expiry', async () => {
    const view = await api<AwardView>('GET', `/api/awards/${award.id}`);
    return view.recertification?.expiresAt === extended!.expiresAt!.toISOString();
  });
  // A day before the award is the API's refusal, shown on the page; nothing changes.
  await page.goto(`${awardsUrl}/${award.id}/extend`);
  await page.fill('#action-value', new Date(Date.now() - 200 * DAY_MS).toISOString().slice(0, 10));
  assert.equal(await submit(page, '#action-confirm'), 422);
  assert.equal(await page.locator('#action-error').count(), 1);
  assert.equal((await awardsOf())[0]!.expiresAt!.toISOString(), extended!.expiresAt!.toISOString());

  // Revoke: confirmation page with a reason; the award is revoked and its workflow ends.
  await page.goto(awardsUrl);
  await Promise.all([page.waitForURL(`**/awards/${award.id}/revoke`), page.click(`#award-${award.id} .revoke-link`)]);
  assert.equal((await awardsOf())[0]!.status, 'active', 'opening the page revokes nothing');
  await page.fill('#action-value', 'Issued in error');
  assert.equal(await submit(page, '#action-confirm'), 200);
  const [revokedRow] = await awardsOf();
  assert.deepEqual({ status: revokedRow!.status, reason: revokedRow!.revokedReason }, { status: 'revoked', reason: 'Issued in error' });
  await stack.eventually('the workflow is revoked', async () => (await api<AwardView>('GET', `/api/awards/${award.id}`)).recertification?.phase === 'revoked');
  assert.equal(await page.locator(`#award-${award.id} .revoke-link`).count(), 0, 'a revoked award offers no actions');
});
