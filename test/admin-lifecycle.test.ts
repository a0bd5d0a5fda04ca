/**
 * The admin page's learner and certificate lifecycle in headless Chromium (Debian's `chromium`,
 * driven by playwright-core) against the real stack: the Learners page (search, paging, detail),
 * editing a learner, deactivating, erasing with a typed confirmation, and archiving a certificate
 * with its confirmation. What the page did is checked in the JSON API.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { browserTest, CHROMIUM, haveChromium, launchAdminBrowser, screenshot, okApi, submitForm } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

if (!haveChromium) console.warn(`[admin-lifecycle] Chromium not found at ${CHROMIUM}: browser tests skipped`);

let stack: TestStack;
let browser: Browser | undefined;
let page: Page;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_lifecycle' });
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

async function recertifying(title: string): Promise<CertificateDto> {
  const course = await api<CourseDto>('POST', '/api/courses', { title: `${title} Refresher`, status: 'live' });
  const { certificate } = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [course.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
      expiringNotice: { enabled: true },
    },
  });
  return certificate;
}

async function award(certificateId: string, learnerId: string): Promise<AwardDto> {
  const awardedAt = new Date(Date.now() - 10 * DAY_MS).toISOString();
  return (await api<{ award: AwardDto }>('POST', `/api/certificates/${certificateId}/awards`, { learnerId, awardedAt })).award;
}

browserTest('the Learners page searches and pages; a learner is edited, deactivated and erased with a typed confirmation', async () => {
  const tag = `lc${Date.now()}`;
  const made: LearnerDto[] = [];
  for (let i = 0; i < 3; i++) made.push(await api<LearnerDto>('POST', '/api/learners', { email: `${tag}-${i}@example.com`, name: `Searchable ${tag} ${i}` }));
  await api('POST', '/api/learners', { email: `other-${tag}@example.com`, name: 'Somebody Else' });

  // Search, then page through the matches (the page shows 50; the API pages the same way: check the search and the link).
  await page.goto(`${stack.api}/admin/learners`);
  await page.fill('#learner-search', tag.toUpperCase());
  await Promise.all([page.waitForURL(`**/admin/learners?q=*`), page.click('form[role=search] button[type=submit]')]);
  const rows = page.locator('#learners tbody tr');
  assert.equal(await rows.count(), 4, 'three by name, one by email');
  await page.goto(`${stack.api}/admin/learners?q=Searchable+${tag}`);
  assert.equal(await rows.count(), 3);
  assert.equal(await page.locator('#next-page').count(), 0, 'one page');
  const badQuery = await page.goto(`${stack.api}/admin/learners?before=nonsense`);
  assert.equal(badQuery?.status(), 400, 'a bad cursor is a 400 page');

  // Detail and edit.
  const target = made[0]!;
  const cert = await recertifying(`Forklift ${tag}`);
  const a = await award(cert.id, target.id);
  await page.goto(`${stack.api}/admin/learners?q=${tag}-0`);
  await Promise.all([page.waitForURL(`**/admin/learners/${target.id}`), page.click(`#learners a[href="/admin/learners/${target.id}"]`)]);
  assert.equal(await page.textContent('#learner-name'), target.name);
  assert.equal(await page.locator(`#learner-awards tr[data-award-id="${a.id}"]`).count(), 1, 'their awards are listed');
  await screenshot(page, 'learner.png');

  await page.fill('#learner-edit input[name=email]', made[1]!.email.toUpperCase());
  assert.equal(await submit(page, '#learner-edit button[type=submit]'), 409, 'another learner\'s email is refused');
  assert.match((await page.textContent('.banner')) ?? '', /Nothing was saved/);
  assert.equal((await api<LearnerDto>('GET', `/api/learners/${target.id}`)).email, target.email, 'nothing saved');
  const newEmail = `renamed-${tag}@example.org`;
  await page.fill('#learner-edit input[name=name]', 'Renamed Learner');
  await page.fill('#learner-edit input[name=email]', newEmail);
  assert.equal(await submit(page, '#learner-edit button[type=submit]'), 200);
  const saved = await api<LearnerDto>('GET', `/api/learners/${target.id}`);
  assert.equal(saved.name, 'Renamed Learner');
  assert.equal(saved.email, newEmail);
  assert.equal(await page.textContent('#learner-email'), newEmail);

  // Deactivate: the box must be ticked (the browser asks), then the award is revoked.
  await page.check('#learner-deactivate input[name=confirm]');
  assert.equal(await submit(page, '#learner-deactivate button[type=submit]'), 200);
  assert.match((await page.textContent('.banner')) ?? '', /deactivated: 1 award revoked/);
  assert.equal(await page.getAttribute('#learner-lifecycle [data-learner-status]', 'data-learner-status'), 'deactivated');
  assert.equal((await api<{ award: AwardDto }>('GET', `/api/awards/${a.id}`)).award.status, 'revoked');
  assert.equal(await page.locator('#learner-deactivate').count(), 0, 'no second deactivation offered');

  // Erase: a wrong confirmation erases nothing; the typed email erases.
  await page.fill('#erase-confirm', 'someone@example.com');
  assert.equal(await submit(page, '#learner-erase button[type=submit]'), 422);
  assert.match((await page.textContent('.banner')) ?? '', /Nothing was erased/);
  assert.equal((await api<LearnerDto>('GET', `/api/learners/${target.id}`)).email, newEmail);
  await page.fill('#erase-confirm', newEmail);
  assert.equal(await submit(page, '#learner-erase button[type=submit]'), 200);
  assert.match((await page.textContent('.banner')) ?? '', /Learner erased/);
  const erased = await api<LearnerDto>('GET', `/api/learners/${target.id}`);
  assert.equal(erased.status, 'erased');
  assert.notEqual(erased.email, newEmail);
  assert.equal(await page.textContent('#learner-name'), erased.name);
  assert.ok(!(await page.content()).includes(newEmail), 'the page shows no trace of the address');
});

browserTest('a certificate is archived from its page after a confirmation, and leaves the list', async () => {
  const tag = `ar${Date.now()}`;
  const cert = await recertifying(`Hazmat ${tag}`);
  const l = await api<LearnerDto>('POST', '/api/learners', { email: `${tag}@example.com`, name: 'Archive Holder' });
  const a = await award(cert.id, l.id);

  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  await Promise.all([page.waitForURL(`**/admin/certificates/${cert.id}/archive`), page.click('#archive-link')]);
  assert.match((await page.textContent('main, body')) ?? '', /1 active award/);
  // Posted without the box ticked (the browser's own check bypassed): refused, nothing archived.
  await page.evaluate(() => document.querySelector('#certificate-archive input[name=confirm]')?.removeAttribute('required'));
  assert.equal(await submit(page, '#certificate-archive button[type=submit]'), 400);
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).status, 'active');

  await page.check('#certificate-archive input[name=confirm]');
  assert.equal(await submit(page, '#certificate-archive button[type=submit]'), 200);
  assert.match((await page.textContent('.banner')) ?? '', /archived: 1 award revoked/);
  assert.ok(!(await page.content()).includes(`/admin/certificates/${cert.id}/`), 'gone from the list');
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${cert.id}`)).status, 'archived');
  const revoked = (await api<{ award: AwardDto }>('GET', `/api/awards/${a.id}`)).award;
  assert.equal(revoked.status, 'revoked');
  assert.equal(revoked.revokedReason, 'certificate archived');
  // Its page still opens (by id), marked archived, without the archive link.
  await page.goto(`${stack.api}/admin/certificates/${cert.id}/settings`);
  assert.equal(await page.locator('#archive-link').count(), 0);
  assert.match((await page.textContent('h1')) ?? '', /archived/);
});
