/**
 * The weekly digest in Chromium (issue 14 §4): a learner's manager set through the API and on the
 * learner's page, a bad manager email refused beside the field with nothing saved, and the digest's
 * read-only view (day, hour and zone, the Temporal Schedule's next run, the recipients).
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { LearnerDto } from '../api/schemas.ts';
import type { DigestView } from '../api/digest-schemas.ts';
import { ensureDigestSchedule } from '../domain/digest-schedule.ts';
import { browserTest, launchAdminBrowser, type AdminBrowser } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let admin: AdminBrowser | null = null;

before(async () => {
  stack = await startStack({
    dbPrefix: 'admin_digest',
    workers: false,
    env: { DIGEST_ADMIN_EMAILS: 'head@academy.example', DEFAULT_TIME_ZONE: 'Europe/London', DIGEST_DAY: 'monday', DIGEST_HOUR: '8' },
  });
  admin = await launchAdminBrowser(stack);
});
after(async () => {
  await admin?.browser.close();
  await stack?.stop();
});

async function api<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  const ok = expect ? res.status === expect : res.status >= 200 && res.status < 300;
  assert.ok(ok, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const navigation = (page: AdminBrowser['page'], click: string) =>
  Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click(click)]).then(([r]) => r);

browserTest('digest: a learner\'s manager set and shown, a bad one refused beside the field, and the digest view', async () => {
  const page = admin!.page;
  // The API: created with a manager; a bad one is 400 naming the field.
  const learner = await api<LearnerDto>('POST', '/api/learners', { email: 'marie@example.com', name: 'Marie Curie', managerEmail: 'boss@example.com' }, 201);
  assert.equal(learner.managerEmail, 'boss@example.com');
  const refused = await api<{ error: { code: string; details: { issues: { path: string }[] } } }>('POST', '/api/learners', { email: 'pierre@example.com', name: 'Pierre', managerEmail: 'not an address' }, 400);
  assert.equal(refused.error.details.issues[0]?.path, 'managerEmail');

  // The learner's page shows the manager; the edit form changes it.
  await page.goto(`${stack.api}/admin/learners/${learner.id}`);
  assert.equal((await page.locator('#learner-manager').innerText()).trim(), 'boss@example.com');
  await page.fill('#learner-manager-email', 'grace@example.com');
  const saved = await navigation(page, '#learner-edit button[type="submit"]');
  assert.equal(saved.status(), 200);
  assert.equal((await page.locator('#learner-manager').innerText()).trim(), 'grace@example.com');
  assert.equal((await api<LearnerDto>('GET', `/api/learners/${learner.id}`)).managerEmail, 'grace@example.com');

  // A manager address that cannot receive mail: refused beside the field, nothing saved.
  await page.fill('#learner-manager-email', 'chief@example.invalid');
  const bad = await navigation(page, '#learner-edit button[type="submit"]');
  assert.equal(bad.status(), 400);
  assert.match(await page.locator('#learner-manager-email-error').innerText(), /\.invalid/);
  assert.equal(await page.locator('#learner-manager-email').inputValue(), 'chief@example.invalid', 'the value typed stays in the field');
  assert.equal((await api<LearnerDto>('GET', `/api/learners/${learner.id}`)).managerEmail, 'grace@example.com', 'nothing saved');

  // Audited like the learner's other personal fields.
  const audit = await api<{ entries: { after: Record<string, unknown> | null }[] }>('GET', `/api/audit?entityType=learner&entityId=${learner.id}`);
  assert.ok(audit.entries.some((e) => e.after?.managerEmail === 'grace@example.com'), JSON.stringify(audit.entries));

  // The digest view: before a worker made the Schedule, then after (as a worker's start does).
  await page.goto(`${stack.api}/admin/digest`);
  assert.equal(await page.locator('#digest-schedule-state').getAttribute('data-state'), 'missing');
  assert.equal(await ensureDigestSchedule(stack.client, { taskQueue: stack.config.temporal.taskQueue, digest: stack.config.digest }), 'created');
  await page.goto(`${stack.api}/admin/digest`);
  assert.equal((await page.locator('#digest-when').innerText()).trim(), 'Mondays at 08:00 (Europe/London)');
  assert.equal(await page.locator('#digest-schedule-state').getAttribute('data-state'), 'scheduled');
  const view = await api<DigestView>('GET', '/api/digest');
  assert.ok(view.schedule.nextRunAt, 'the Schedule has a next run');
  const next = new Date(view.schedule.nextRunAt);
  assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(next), 'Monday 08:00');
  assert.doesNotMatch(await page.locator('#digest-next-run').innerText(), /none/);
  assert.match(await page.locator('#digest-admins').innerText(), /head@academy\.example/);
  assert.match(await page.locator('#digest-managers').innerText(), /grace@example\.com/);
  assert.doesNotMatch(await page.locator('#digest-managers').innerText(), /boss@example\.com/);
  assert.equal(await page.locator('nav a[href="/admin/digest"]').getAttribute('aria-current'), 'page');
});
