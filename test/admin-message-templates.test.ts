/**
 * The Settings tab's message templates in Chromium (issue 13 §1): a template with an unknown
 * placeholder is refused beside its field on Preview and nothing is saved; a good one is previewed
 * before saving (subject, the HTML in a sandboxed frame, the text part, the sample learner's time
 * zone) without saving it, then saved through the API, and shown again on the next visit.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import { browserTest, launchAdminBrowser, screenshot, type AdminBrowser, okApi } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let admin: AdminBrowser | null = null;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_templates', workers: false });
  admin = await launchAdminBrowser(stack);
});
after(async () => {
  await admin?.browser.close();
  await stack?.stop();
});

const api = okApi(() => stack);

const navigation = (page: AdminBrowser['page'], click: string) =>
  Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click(click)]).then(([r]) => r);

browserTest('templates: previewed before saving (subject, sandboxed HTML, text part), an unknown placeholder refused beside its field, then saved', async () => {
  const page = admin!.page;
  const course = await api<CourseDto>('POST', '/api/courses', { title: 'Harness Refresher', status: 'live' });
  const { certificate } = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Working at Height',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true }, recertification: { enabled: true, courseId: course.id }, expiringNotice: { enabled: true } },
  });
  const settingsUrl = `${stack.api}/admin/certificates/${certificate.id}/settings`;
  await page.goto(settingsUrl);
  const subject = '[name="messageTemplates.certificateExpiring.subject"]';
  const body = '[name="messageTemplates.certificateExpiring.body"]';

  // An unknown placeholder: refused beside the body, nothing saved.
  await page.fill(subject, 'Renew {{certificate.title}}');
  await page.fill(body, '<p>Hello {{learner.nickname}}</p>');
  const bad = await navigation(page, '#preview-certificateExpiring');
  assert.equal(bad.status(), 422);
  const error = await page.locator('.field-error[data-field="messageTemplates.certificateExpiring.body"]').innerText();
  assert.match(error, /learner\.nickname/);
  assert.match(error, /learner\.name/, 'the error lists what is allowed');
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${certificate.id}`)).settings.messageTemplates?.certificateExpiring ?? null, null);

  // A good template: previewed, still not saved.
  await page.fill(body, '<p>Hello {{learner.name}} &amp; team,</p><ul><li>expires {{expiresAt}}</li></ul><p><a href="{{course.url}}">Renew now</a></p>');
  const shown = await navigation(page, '#preview-certificateExpiring');
  assert.equal(shown.status(), 200);
  assert.equal(await page.locator('#preview-subject').innerText(), 'Renew Working at Height');
  assert.equal(await page.getAttribute('#preview-html', 'sandbox'), '', 'the HTML runs in a sandbox: no scripts, no same origin');
  const frame = page.frameLocator('#preview-html');
  assert.match(await frame.locator('body').innerText(), /Hello .+ & team,/);
  const text = await page.locator('#preview-text').innerText();
  assert.match(text, /^Hello .+ & team,$/m);
  assert.match(text, /^- expires \d{1,2} \w+ \d{4}, \d{2}:\d{2} \(/m, 'the date is written in the sample learner’s zone, with its name');
  assert.match(text, /Renew now \(http/);
  assert.equal(await page.inputValue(body), '<p>Hello {{learner.name}} &amp; team,</p><ul><li>expires {{expiresAt}}</li></ul><p><a href="{{course.url}}">Renew now</a></p>', 'the form keeps what was typed');
  assert.equal((await api<CertificateDto>('GET', `/api/certificates/${certificate.id}`)).settings.messageTemplates?.certificateExpiring ?? null, null, 'a preview saves nothing');
  await screenshot(page, 'message-templates.png');

  // Saved, and shown again on the next visit.
  const saved = await navigation(page, '#save-templates');
  assert.equal(saved.status(), 200);
  const after = await api<CertificateDto>('GET', `/api/certificates/${certificate.id}`);
  assert.equal(after.settings.messageTemplates?.certificateExpiring?.subject, 'Renew {{certificate.title}}');
  await page.goto(settingsUrl);
  assert.equal(await page.inputValue(subject), 'Renew {{certificate.title}}');
});
