/**
 * The admin page's access and audit (issue 15) in Chromium: tokens made on the Tokens page (the secret
 * shown once) and revoked there (its sessions end); the Audit page and the histories (a certificate's
 * settings history, an award's history) name the token that changed each thing; a `read` token signs
 * in to read-only pages: nothing to submit, and a form posted anyway is a 403 that changes nothing.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { TokenCreated } from '../api/access-schemas.ts';
import type { AwardCreated, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { browserTest, CHROMIUM, haveChromium, launchAdminBrowser, screenshot, okApi, submitForm } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

if (!haveChromium) console.warn(`[admin-access] Chromium not found at ${CHROMIUM}: browser tests skipped`);

let stack: TestStack;
let browser: Browser | undefined;
let page: Page;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_access' });
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

browserTest('tokens, the Audit page and the histories; a read token sees read-only pages and cannot change anything', async () => {
  const course = await api<CourseDto>('POST', '/api/courses', { title: 'Forklift', status: 'live' });
  const { certificate } = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Forklift Operator', associatedCourseIds: [course.id] });
  const ada = await api<LearnerDto>('POST', '/api/learners', { email: 'ada@example.com', name: 'Ada Lovelace' });
  await api('PATCH', `/api/certificates/${certificate.id}`, { settings: { expiration: { enabled: true, validFor: { amount: 2, unit: 'years' } } } });
  const { award } = await api<AwardCreated>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: ada.id });

  // Tokens page: create one; the secret is shown once.
  await page.goto(`${stack.api}/admin/tokens`);
  await page.fill('#token-name', 'lms-sync');
  await page.selectOption('#token-scope', 'write');
  assert.equal(await submit(page, '#create-token button[type=submit]'), 201);
  const secret = (await page.locator('#token-secret code').first().innerText()).trim();
  assert.match(secret, /^rct_/);
  assert.equal(await page.locator('tr[data-token="lms-sync"] td').nth(1).innerText(), 'write');
  await page.reload();
  assert.equal(await page.locator('#token-secret').count(), 0, 'shown once: a reload does not show it');

  // Changes made with it are named in the histories and on the Audit page.
  const sync = { authorization: `Bearer ${secret}` };
  await api('PATCH', `/api/certificates/${certificate.id}`, { title: 'Forklift Operator II' }, { headers: sync });
  await api('PATCH', `/api/awards/${award.id}`, { expiresAt: new Date(Date.now() + 900 * 86_400_000).toISOString() }, { headers: sync });
  await page.goto(`${stack.api}/admin/certificates/${certificate.id}/history`);
  const rows = page.locator('#audit tbody tr');
  assert.deepEqual(await page.locator('#audit tbody tr td.actor').allInnerTexts(), ['lms-sync', 'ADMIN_API_TOKEN', 'ADMIN_API_TOKEN']);
  assert.match(await rows.first().innerText(), /title.*Forklift Operator II/s);
  await screenshot(page, 'certificate-history.png');
  await page.goto(`${stack.api}/admin/certificates/${certificate.id}/awards`);
  await Promise.all([page.waitForURL('**/history'), page.locator('a.history-link').first().click()]);
  assert.deepEqual(await page.locator('#audit tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action'))), ['award.extended']);
  assert.equal(await page.locator('#audit tbody tr td.actor').innerText(), 'lms-sync');
  await page.goto(`${stack.api}/admin/audit?actor=lms-sync`);
  assert.deepEqual(await page.locator('#audit tbody tr td.actor').allInnerTexts(), ['lms-sync', 'lms-sync']);
  await page.goto(`${stack.api}/admin/audit`);
  await screenshot(page, 'audit.png');

  // A read token: read-only pages.
  const reader = await api<TokenCreated>('POST', '/api/tokens', { name: 'auditor', scope: 'read' });
  const ctx = await browser!.newContext({ viewport: { width: 1200, height: 900 } });
  const ro = await ctx.newPage();
  await ro.goto(`${stack.api}/admin/certificates`);
  await ro.fill('#token', reader.secret);
  await Promise.all([ro.waitForURL('**/admin/certificates'), ro.click('button[type=submit]')]);
  assert.match(await ro.locator('#read-only').innerText(), /Read-only/);
  assert.match(await ro.locator('#signed-in-as').innerText(), /auditor \(read\)/);
  assert.equal(await ro.locator('nav a[href="/admin/tokens"]').count(), 0);
  for (const path of [`/admin/certificates/${certificate.id}/settings`, `/admin/certificates/${certificate.id}/awards`, `/admin/learners/${ada.id}`, `/admin/courses/${course.id}`, '/admin/webhooks']) {
    await ro.goto(`${stack.api}${path}`);
    const visible = await ro.locator('form[method=post] button, form[method=post] input[type=submit]').evaluateAll(
      (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null && !(e.closest('form')?.getAttribute('action') ?? '').endsWith('/logout')).length,
    );
    assert.equal(visible, 0, `${path}: nothing to submit but "Sign out"`);
  }
  await ro.goto(`${stack.api}/admin/certificates/${certificate.id}/settings`);
  await screenshot(ro, 'read-only-settings.png');
  // A form posted anyway (the page's own origin and cookie): 403, nothing changed.
  const forced = await ro.evaluate(async (id) => {
    const archive = await fetch(`/admin/certificates/${id}/archive`, { method: 'POST', body: new URLSearchParams({}) });
    const tokens = await fetch('/admin/tokens', { method: 'POST', body: new URLSearchParams({ name: 'mine', scope: 'admin' }) });
    return [archive.status, tokens.status];
  }, certificate.id);
  assert.deepEqual(forced, [403, 403]);
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${certificate.id}`)).status, 'active', 'not archived');
  assert.equal((await api<{ tokens: { name: string }[] }>('GET', '/api/tokens')).tokens.some((t) => t.name === 'mine'), false, 'no token made');
  await ro.goto(`${stack.api}/admin/tokens`);
  assert.match(await ro.locator('main').innerText(), /Admin only/);

  // Revoking the read token on the Tokens page ends its session.
  await page.goto(`${stack.api}/admin/tokens`);
  await screenshot(page, 'tokens.png');
  assert.equal(await submit(page, 'tr[data-token="auditor"] button.revoke-token'), 200);
  assert.match(await page.locator('#banner').innerText(), /auditor is revoked/);
  await ro.goto(`${stack.api}/admin/certificates`);
  assert.match(ro.url(), /\/admin\/login/, 'the revoked token\'s session ended');
  await ctx.close();
});
