/**
 * The admin page in headless Chromium (Debian's `chromium`, driven by playwright-core; no browser
 * download) against the real stack: PostgreSQL, a Temporal dev server with its Web UI, the workers and
 * the API. Changes made through the page are checked in the JSON API and the database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { createApp } from '../api/app.ts';
import { insertOrGetMessage } from '../db/queries/messages.ts';
import type { AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { workflowUiUrl } from '../config/temporal.ts';
import { DAY_MS, addDuration } from '../domain/dates.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { adminSessionCookie, screenshot, okApi, submitForm } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// In CI the browser is provisioned, so a missing one fails the tests instead of skipping them.
const runOrSkip = haveChromium || process.env.CI ? test : test.skip;
/** A browser test: node:test runs it (the promise `test` returns is its own to track, not ours). */
function browserTest(name: string, fn: () => Promise<void>): void {
  void runOrSkip(name, fn);
}
if (!haveChromium) console.warn(`[admin-page] Chromium not found at ${CHROMIUM}: browser tests skipped (scripts/provision.sh --with-browser installs it)`);

let stack: TestStack;
let browser: Browser | undefined;
let ctx: BrowserContext;
let page: Page;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_page', temporalUi: true });
  if (!haveChromium) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  page = await ctx.newPage();
  await signIn(page);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

const api = okApi(() => stack);
const uid = () => Math.random().toString(36).slice(2, 8);
// Titles need not be unique (tests work by id); emails must be.
const course = (title: string, status: 'draft' | 'live' | 'archived', enrollmentMessage: { subject: string; body: string } | null = null) =>
  api<CourseDto>('POST', '/api/courses', { title, status, enrollmentMessage });
const learner = (name: string) =>
  api<LearnerDto>('POST', '/api/learners', { name, email: `${name.toLowerCase().replace(/[^a-z]+/g, '.').replace(/^\.|\.$/g, '')}.${uid()}@example.com` });
async function certificate(title: string, associatedCourseIds: string[], settings?: unknown): Promise<CertificateDto> {
  return (await api<{ certificate: CertificateDto }>('POST', '/api/certificates', { title, associatedCourseIds, settings })).certificate;
}
const getCertificate = (id: string) => api<CertificateDto>('GET', `/api/certificates/${id}`);

async function signIn(p: Page): Promise<void> {
  await p.goto(`${stack.api}/admin/certificates`);
  await p.fill('#token', stack.token);
  await Promise.all([p.waitForURL('**/admin/certificates'), p.click('button[type=submit]')]);
}

const submit = submitForm;

const settingsUrl = (id: string) => `${stack.api}/admin/certificates/${id}/settings`;
const awardsUrl = (id: string) => `${stack.api}/admin/certificates/${id}/awards`;
const fieldError = (p: Page, field: string) => p.locator(`.field-error[data-field="${field}"]`);
const fieldWarning = (p: Page, field: string, code: string) => p.locator(`.field-warning[data-field="${field}"][data-warning="${code}"]`);

async function dbState(id: string): Promise<unknown> {
  const [row] = await stack.sql`select settings, settings_version, updated_at from certificates where id = ${id}`;
  const courses = await stack.sql`select course_id, position from certificate_courses where certificate_id = ${id} order by position`;
  return { row, courses };
}

// ---------------------------------------------------------------------------------------------
// sign-in

browserTest('sign-in: pages need it, a wrong token is refused, the cookie holds no token and does not open /api', async () => {
  const fresh = await browser!.newContext();
  try {
    const p = await fresh.newPage();
    await p.goto(`${stack.api}/admin/mailbox`);
    assert.match(p.url(), /\/admin\/login\?next=%2Fadmin%2Fmailbox$/);
    await p.fill('#token', 'not-the-token-at-all');
    assert.equal(await submit(p, 'button[type=submit]'), 401);
    assert.match(await p.locator('#token-error').innerText(), /not the admin token/);
    assert.deepEqual(await fresh.cookies(), []);

    await p.fill('#token', stack.token);
    await Promise.all([p.waitForURL('**/admin/mailbox'), p.click('button[type=submit]')]);
    const [cookie] = await fresh.cookies();
    assert.ok(cookie, 'a session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.ok(!cookie.value.includes(stack.token), 'the cookie is not the token');
    // The JSON API stays bearer-only: the cookie does not authorize it.
    const apiRes = await fresh.request.get(`${stack.api}/api/certificates`);
    assert.equal(apiRes.status(), 401);
    // A cross-site form post is refused even with the cookie.
    const forged = await fresh.request.post(`${stack.api}/admin/logout`, { headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, data: 'x=1' });
    assert.equal(forged.status(), 403);

    await Promise.all([p.waitForURL('**/admin/login'), p.click('text=Sign out')]);
    assert.deepEqual(await fresh.cookies(), []);
  } finally {
    await fresh.close();
  }
});

// ---------------------------------------------------------------------------------------------
// settings

browserTest('settings: a change made on the page is saved (reload and GET /api) with the warnings beside the fields; the one-click fix adds the course', async () => {
  const basics = await course('Forklift Safety', 'live');
  const refresher = await course('Forklift Safety Refresher', 'live', { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}</p>' });
  const cert = await certificate('Forklift Operator', [basics.id]);
  assert.equal(cert.settings.expiration.enabled, false);

  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.locator('#recertification-section').isVisible(), false, 'hidden while expiration is off');
  await page.check('#expiration-enabled');
  assert.equal(await page.locator('#recertification-section').isVisible(), true);
  await page.fill('[name="expiration.validFor.amount"]', '2');
  await page.selectOption('[name="expiration.validFor.unit"]', 'years');
  await page.selectOption('[name="expiration.anchor"]', 'previous_expiry');
  assert.equal(await page.locator('#recertification-course').isVisible(), false, 'the dropdown shows once recertification is on');
  await page.check('#recertification-enabled');
  await page.selectOption('#recertification-course', refresher.id);
  assert.match(await page.locator('#enrollment-note').innerText(), /Course Enrollment message of “Forklift Safety Refresher” \(subject “Welcome to \{\{course.title\}\}”\)/);
  await page.fill('[name="recertification.leadDays"]', '45');
  await page.fill('[name="recertification.reminderDaysBeforeExpiry"]', '1, 14 7');
  await page.check('#expired-notice');
  assert.equal(await submit(page, '#save-settings'), 200);

  // Saved, as the API says.
  const expected: CertificateSettings = {
    expiration: { enabled: true, validFor: { amount: 2, unit: 'years' }, anchor: 'previous_expiry' },
    recertification: { enabled: true, courseId: refresher.id, leadDays: 45, reminderDaysBeforeExpiry: [14, 7, 1] },
    expiringNotice: { enabled: true },
    expiredNotice: { enabled: true },
  };
  assert.deepEqual((await getCertificate(cert.id)).settings, expected);
  // The save's warnings (the chosen course is not in the associated content; the course's own enrollment
  // message duplicates the expiring notice), beside their fields and in the summary.
  assert.match(await page.locator('#banner').innerText(), /Settings saved/);
  assert.equal(await fieldWarning(page, 'recertification.courseId', 'course_not_in_associated_content').count(), 1);
  assert.equal(await fieldWarning(page, 'expiringNotice.enabled', 'duplicate_messages').count(), 1);
  assert.deepEqual(await page.locator('#warnings-summary li').evaluateAll((els) => els.map((e) => e.getAttribute('data-warning'))), ['course_not_in_associated_content', 'duplicate_messages']);
  assert.equal(new URL(page.url()).pathname, `/admin/certificates/${cert.id}/settings`);
  await screenshot(page, 'settings.png');

  // Reloaded, the page shows the saved values.
  await page.goto(settingsUrl(cert.id));
  assert.equal(await page.inputValue('[name="recertification.leadDays"]'), '45');
  assert.equal(await page.inputValue('[name="recertification.reminderDaysBeforeExpiry"]'), '14, 7, 1');
  assert.equal(await page.inputValue('#recertification-course'), refresher.id);
  assert.equal(await page.inputValue('[name="expiration.validFor.unit"]'), 'years');
  assert.equal(await page.isChecked('#expired-notice'), true);

  // The one-click fix: a save shows the warning with its button, which adds the course.
  await submit(page, '#save-settings');
  assert.equal(await submit(page, '#fix-associated-content'), 200);
  assert.match(await page.locator('#banner').innerText(), /Added “Forklift Safety Refresher” to the associated content/);
  assert.deepEqual((await getCertificate(cert.id)).associatedCourseIds, [basics.id, refresher.id]);
  assert.equal(await fieldWarning(page, 'recertification.courseId', 'course_not_in_associated_content').count(), 0, 'the warning is gone');
  assert.equal(await page.isChecked(`#assoc-${refresher.id}`), true);

  // Turning the expiring message off removes the duplicate; a course without its own message would then be silent.
  await page.uncheck('#expiring-notice');
  await submit(page, '#save-settings');
  assert.equal(await fieldWarning(page, 'expiringNotice.enabled', 'duplicate_messages').count(), 0);
  assert.equal((await getCertificate(cert.id)).settings.expiringNotice.enabled, false);
});

browserTest('settings: associated content is editable', async () => {
  const a = await course('Rigging Basics', 'live');
  const b = await course('Rigging Theory', 'draft');
  const cert = await certificate('Rigger', [a.id]);
  await page.goto(settingsUrl(cert.id));
  await page.check(`#assoc-${b.id}`);
  await page.uncheck(`#assoc-${a.id}`);
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.deepEqual((await getCertificate(cert.id)).associatedCourseIds, [b.id]);
});

browserTest('settings: the Recertification Course dropdown lists LIVE courses only', async () => {
  const live = await course('Crane Refresher', 'live');
  const draft = await course('Crane Refresher (draft)', 'draft');
  const archived = await course('Crane Refresher (old)', 'archived');
  const cert = await certificate('Crane Operator', [live.id], {
    expiration: { enabled: true },
    recertification: { enabled: true, courseId: live.id },
  });
  await page.goto(settingsUrl(cert.id));
  const options = await page.locator('#recertification-course option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value).filter(Boolean));
  const { courses: liveCourses } = await api<{ courses: CourseDto[] }>('GET', '/api/courses?status=live');
  assert.deepEqual(new Set(options), new Set(liveCourses.map((c) => c.id)));
  assert.ok(options.includes(live.id));
  assert.ok(!options.includes(draft.id), 'no draft course');
  assert.ok(!options.includes(archived.id), 'no archived course');
  // They exist on the page all the same (associated content lists every course).
  assert.equal(await page.locator(`#assoc-${draft.id}`).count(), 1);
  assert.equal(await page.locator(`#assoc-${archived.id}`).count(), 1);
});

browserTest('settings: the Recertification sub-section hides when expiration is unchecked, and saving so turns recertification off', async () => {
  const c = await course('Ladder Safety', 'live');
  const cert = await certificate('Ladder User', [c.id], { expiration: { enabled: true }, recertification: { enabled: true, courseId: c.id } });
  await page.goto(settingsUrl(cert.id));
  const section = page.locator('#recertification-section');
  assert.equal(await section.isVisible(), true);
  await page.uncheck('#expiration-enabled');
  assert.equal(await section.isVisible(), false);
  assert.equal(await page.locator('#messages-section').isVisible(), false);
  await page.check('#expiration-enabled');
  assert.equal(await section.isVisible(), true);
  await page.uncheck('#expiration-enabled');
  assert.equal(await submit(page, '#save-settings'), 200);
  const saved = await getCertificate(cert.id);
  assert.equal(saved.settings.expiration.enabled, false);
  assert.equal(saved.settings.recertification.enabled, false, 'turned off with expiration');
  assert.deepEqual(await page.locator('#warnings-summary li').evaluateAll((els) => els.map((e) => e.getAttribute('data-warning'))), ['recertification_disabled_with_expiration']);
  await page.goto(settingsUrl(cert.id));
  assert.equal(await section.isVisible(), false, 'hidden as the server renders it too');
});

browserTest('settings: bad input shows a clear message next to the field and saves nothing', async () => {
  const c = await course('Scaffold Safety', 'live');
  const cert = await certificate('Scaffolder', [c.id], { expiration: { enabled: true }, recertification: { enabled: true, courseId: c.id, leadDays: 30 } });
  const before = await dbState(cert.id);
  const cases: { field: string; value: string; message: RegExp }[] = [
    { field: 'recertification.leadDays', value: '0', message: /Lead days must be a whole number from 1 to 365/ },
    { field: 'recertification.leadDays', value: '366', message: /Lead days must be a whole number from 1 to 365/ },
    { field: 'recertification.leadDays', value: 'thirty', message: /“thirty” is not a whole number/ },
    { field: 'expiration.validFor.amount', value: '1.5', message: /“1.5” is not a whole number/ },
    { field: 'recertification.reminderDaysBeforeExpiry', value: '7, soon', message: /not a list of whole numbers/ },
  ];
  for (const k of cases) {
    await page.goto(settingsUrl(cert.id));
    await page.check('#expired-notice'); // a valid change alongside: it must not be saved either
    await page.fill(`[name="${k.field}"]`, k.value);
    assert.equal(await submit(page, '#save-settings'), 400, `${k.field} = ${k.value}`);
    assert.match(await fieldError(page, k.field).innerText(), k.message);
    assert.match(await page.locator('#banner').innerText(), /Nothing was saved/);
    assert.equal(await page.inputValue(`[name="${k.field}"]`), k.value, 'the entry is shown back as typed');
    assert.equal(await page.getAttribute(`[name="${k.field}"]`, 'aria-invalid'), 'true');
    assert.deepEqual(await dbState(cert.id), before, `nothing saved for ${k.field} = ${k.value}`);
  }
  // A rule the API enforces (422): recertification needs a course.
  const noCourse = await certificate('Welder', [c.id], { expiration: { enabled: true } });
  const beforeNoCourse = await dbState(noCourse.id);
  await page.goto(settingsUrl(noCourse.id));
  await page.check('#recertification-enabled');
  assert.equal(await submit(page, '#save-settings'), 422);
  assert.match(await fieldError(page, 'recertification.courseId').innerText(), /Choose a recertification course/);
  assert.deepEqual(await dbState(noCourse.id), beforeNoCourse);
});

browserTest('settings: lead days that do not fit the validity are refused beside the lead-days field, naming the largest lead that fits', async () => {
  const c = await course('Tower Crane Refresher', 'live');
  const cert = await certificate('Tower Crane Operator', [c.id], { expiration: { enabled: true }, recertification: { enabled: true, courseId: c.id, leadDays: 30 } });
  const before = await dbState(cert.id);
  await page.goto(settingsUrl(cert.id));
  await page.fill('[name="expiration.validFor.amount"]', '1');
  await page.selectOption('[name="expiration.validFor.unit"]', 'months');
  assert.equal(await submit(page, '#save-settings'), 422);
  const error = page.locator('.field:has([name="recertification.leadDays"]) .field-error[data-field="recertification.leadDays"]');
  assert.equal(await error.count(), 1, 'the message sits in the lead-days field');
  assert.equal(await error.isVisible(), true);
  assert.match(await error.innerText(), /at most 27 lead days fit/);
  assert.equal(await page.getAttribute('[name="recertification.leadDays"]', 'aria-invalid'), 'true');
  assert.match(await page.locator('#banner').innerText(), /Nothing was saved/);
  assert.deepEqual(await dbState(cert.id), before);
  // The largest lead that fits saves.
  await page.fill('[name="recertification.leadDays"]', '27');
  assert.equal(await submit(page, '#save-settings'), 200);
  const saved = await getCertificate(cert.id);
  assert.deepEqual(saved.settings.expiration.validFor, { amount: 1, unit: 'months' });
  assert.equal(saved.settings.recertification.leadDays, 27);
  // A validity over 50 years is stopped beside the validity, naming the limit.
  const beforeLong = await dbState(cert.id);
  await page.fill('[name="expiration.validFor.amount"]', '51');
  await page.selectOption('[name="expiration.validFor.unit"]', 'years');
  assert.equal(await submit(page, '#save-settings'), 400);
  assert.match(await fieldError(page, 'expiration.validFor.amount').innerText(), /at most 50 years/);
  assert.deepEqual(await dbState(cert.id), beforeLong);
});

// ---------------------------------------------------------------------------------------------
// awards, mailbox, Temporal UI

interface Scenario {
  cert: CertificateDto;
  due: AwardDto;
  later: AwardDto;
  dueLearner: LearnerDto;
}
let scenario: Promise<Scenario> | undefined;
/** A certificate with two awards: one falls due seconds after creation, one in 30 days. */
function awardsScenario(): Promise<Scenario> {
  scenario ??= (async () => {
    const c = await course('Hazmat Refresher', 'live');
    const cert = await certificate('Hazmat Handler', [c.id], {
      expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: c.id, leadDays: 30 },
      expiringNotice: { enabled: true },
    });
    const dueLearner = await learner('Katherine Johnson');
    const laterLearner = await learner('Dorothy Vaughan');
    const due = (await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: dueLearner.id, awardedAt: new Date(Date.now() + 3000 - 30 * DAY_MS).toISOString() })).award;
    const later = (await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: laterLearner.id })).award;
    return { cert, due, later, dueLearner };
  })();
  return scenario;
}

const phaseOf = (p: Page, awardId: string) => p.locator(`tr[data-award-id="${awardId}"] td[data-col="phase"]`).getAttribute('data-phase');

browserTest('awards view: learner, expiry, status, workflow phase and due date, and the link to the workflow', async () => {
  const { cert, due, later } = await awardsScenario();
  await page.goto(awardsUrl(cert.id));
  const row = page.locator(`tr[data-award-id="${later.id}"]`);
  assert.match(await row.innerText(), /Dorothy Vaughan/);
  assert.equal(await phaseOf(page, later.id), 'scheduled');
  const expectedDue = new Date(Date.parse(later.expiresAt!) - 30 * DAY_MS).toISOString();
  assert.equal(await row.locator('td[data-col="due"]').getAttribute('data-due'), expectedDue);
  assert.match(await row.locator('td[data-col="due"]').innerText(), new RegExp(expectedDue.slice(0, 16).replace('T', ' ')));
  assert.match(await row.locator('td[data-col="expires"]').innerText(), new RegExp(later.expiresAt!.slice(0, 16).replace('T', ' ')));
  assert.equal(await row.locator('a.workflow-link').getAttribute('href'), workflowUiUrl(stack.config, `recertification-${later.id}`));

  // The due award is enrolled within seconds; the page shows it once it happened.
  await stack.eventually('the due award assigned on the page', async () => {
    await page.goto(awardsUrl(cert.id));
    return (await phaseOf(page, due.id)) === 'assigned';
  });
  assert.match(await page.locator(`tr[data-award-id="${due.id}"]`).innerText(), /Katherine Johnson[\s\S]*active[\s\S]*Assigned/);
  await screenshot(page, 'awards.png');
});

browserTest('mailbox: the message log lists the expiring notice, newest first, and shows its rendered body', async () => {
  const { due, dueLearner } = await awardsScenario();
  const message = await stack.eventually('the expiring notice recorded', async () => {
    const [m] = await stack.sql<{ id: string; subject: string }[]>`select id, subject from messages where award_id = ${due.id} and kind = 'certificate_expiring' and status = 'sent'`;
    return m;
  });
  // A newer message: a manual enrollment into a course with its own enrollment message.
  const welcome = await course('Hazmat Basics', 'live', { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}, start at {{course.url}}</p>' });
  await api('POST', `/api/courses/${welcome.id}/enrollments`, { learnerId: dueLearner.id }, 201);
  const newer = await stack.eventually('the enrollment message recorded', async () => {
    const [m] = await stack.sql<{ id: string }[]>`select id from messages where learner_id = ${dueLearner.id} and kind = 'course_enrollment' and status = 'sent'`;
    return m;
  });
  await page.goto(`${stack.api}/admin/mailbox`);
  const ids = await page.locator('tr[data-message-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
  assert.ok(ids.indexOf(newer.id) >= 0 && ids.indexOf(newer.id) < ids.indexOf(message.id), 'newest first');
  assert.match(await page.locator(`tr[data-message-id="${newer.id}"]`).innerText(), /Course enrollment[\s\S]*Welcome to Hazmat Basics/);
  const row = page.locator(`tr[data-message-id="${message.id}"]`);
  const text = await row.innerText();
  assert.match(text, /Certificate expiring/);
  assert.match(text, /Katherine Johnson/);
  assert.ok(text.includes(dueLearner.email), 'the address');
  assert.match(text, /sent/);
  assert.match(text, /resend/, 'provider');
  await row.locator('a.subject').click();
  await page.waitForURL(`**/admin/mailbox/${message.id}`);
  assert.equal(await page.locator('#message-subject').innerText(), message.subject);
  const frame = page.frameLocator('#message-body');
  assert.match(await frame.locator('body').innerText(), /Katherine Johnson/);
  assert.equal(await page.getAttribute('#message-body', 'sandbox'), '', 'the body runs sandboxed');
});

test("the Temporal UI link of an award opens its workflow (dev server with the Web UI)", async () => {
  const { cert, later } = await awardsScenario();
  const ui = stack.temporal.uiUrl;
  assert.ok(ui, 'the stack runs the Web UI');
  const workflowId = `recertification-${later.id}`;
  // The link as the Awards view renders it.
  const res = await adminGet(`/admin/certificates/${cert.id}/awards`);
  const html = await res.text();
  const link = workflowUiUrl(stack.config, workflowId);
  assert.ok(html.includes(`href="${link}"`), 'the Awards view links the workflow');
  assert.ok(link.startsWith(ui));
  await stack.eventually('the Web UI serving', async () => (await fetch(ui).catch(() => null))?.ok, 30_000);
  const pageRes = await fetch(link);
  assert.equal(pageRes.status, 200);
  assert.match(pageRes.headers.get('content-type') ?? '', /text\/html/);
  // The SPA then asks the UI server's API for the workflow: it answers with it.
  const apiRes = await fetch(`${ui}/api/v1/namespaces/${stack.config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`);
  assert.equal(apiRes.status, 200);
  const body = (await apiRes.json()) as { workflowExecutionInfo?: { execution?: { workflowId?: string }; type?: { name?: string } } };
  assert.equal(body.workflowExecutionInfo?.execution?.workflowId, workflowId);
  assert.equal(body.workflowExecutionInfo?.type?.name, 'recertificationWorkflow');
  // The "due this month" link's query, through the same UI API, finds exactly this certificate's workflows due this month.
  const dueLink = /id="due-this-month-link"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="due-this-month-link"/.exec(html);
  const href = (dueLink?.[1] ?? dueLink?.[2] ?? '').replace(/&amp;/g, '&').replace(/&#39;/g, "'");
  const query = new URL(href).searchParams.get('query') ?? '';
  assert.match(query, new RegExp(`^CertificateId = '${cert.id}' AND RecertificationDueAt >= '.*' AND RecertificationDueAt < '.*'$`));
  const [, from, until] = /'([^']+)' AND RecertificationDueAt < '([^']+)'/.exec(query) ?? [];
  const listed = await stack.eventually('the due-this-month query answered', async () => {
    const r = await fetch(`${ui}/api/v1/namespaces/${stack.config.temporal.namespace}/workflows?query=${encodeURIComponent(query)}`);
    if (!r.ok) return null;
    const j = (await r.json()) as { executions?: { execution: { workflowId: string } }[] };
    return (j.executions ?? []).map((e) => e.execution.workflowId).sort();
  });
  const { due } = await awardsScenario();
  const expected = [due, later]
    .filter((a) => {
      const t = Date.parse(a.expiresAt!) - 30 * DAY_MS;
      return t >= Date.parse(from!) && t < Date.parse(until!);
    })
    .map((a) => `recertification-${a.id}`)
    .sort();
  assert.deepEqual(listed, expected);
});

/** GET an admin page outside the browser, with a session made by signing in over HTTP. */
let cookieHeader: string | undefined;
async function adminGet(path: string): Promise<Response> {
  cookieHeader ??= await adminSessionCookie(stack);
  const res = await fetch(`${stack.api}${path}`, { headers: { cookie: cookieHeader ?? '' } });
  assert.equal(res.status, 200, `GET ${path}`);
  return res;
}

// ---------------------------------------------------------------------------------------------
// expiring soon

browserTest('expiring soon: the next 30/60/90 days, and a CSV export with the right rows, properly escaped', async () => {
  const cert = await certificate('First Aid', [], { expiration: { enabled: true, validFor: { amount: 100, unit: 'days' }, anchor: 'completion' }, expiringNotice: { enabled: false } });
  const make = async (name: string, expiresInDays: number) => {
    const l = await learner(name);
    const awardedAt = new Date(Date.now() + expiresInDays * DAY_MS - 100 * DAY_MS).toISOString();
    const { award } = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id, awardedAt });
    return { learner: l, award };
  };
  const soon = await make('Smith, "Jo"', 5);
  const mid = await make('=HYPERLINK("http://evil.example")', 45);
  const late = await make('Mary Jackson', 80);
  await make('Not Yet', 99.9);

  await page.goto(`${stack.api}/admin/expiring?days=60&certificateId=${cert.id}`);
  assert.deepEqual(await page.locator('#expiring tbody tr').evaluateAll((els) => els.map((e) => e.getAttribute('data-award-id'))), [soon.award.id, mid.award.id]);
  await page.click('text=Next 90 days');
  await page.waitForURL(`**/admin/expiring?days=90&certificateId=${cert.id}`);
  assert.deepEqual(await page.locator('#expiring tbody tr').evaluateAll((els) => els.map((e) => e.getAttribute('data-award-id'))), [soon.award.id, mid.award.id, late.award.id]);
  await page.click('text=Next 30 days');
  assert.equal(await page.locator('#expiring tbody tr').count(), 1);
  await page.click('text=Next 60 days');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
  assert.match(download.suggestedFilename(), /^expiring-next-60-days-\d{4}-\d{2}-\d{2}\.csv$/);
  const file = readFileSync((await download.path())!, 'utf8');
  assert.ok(file.startsWith('\uFEFF'), 'starts with the UTF-8 byte-order mark');
  const csv = file.slice(1);
  const lines = csv.split('\r\n');
  assert.equal(lines.pop(), '', 'ends with CRLF');
  assert.equal(lines[0], 'award_id,certificate_id,certificate,learner_id,learner,email,awarded_at,expires_at,days_left,workflow_url');
  assert.equal(lines.length, 3, 'header and two rows');
  const rowFor = (a: { award: AwardDto; learner: LearnerDto }, escapedName: string, days: number) =>
    [a.award.id, cert.id, cert.title, a.learner.id, escapedName, a.learner.email, a.award.awardedAt, a.award.expiresAt, String(days), workflowUiUrl(stack.config, `recertification-${a.award.id}`)].join(',');
  assert.equal(lines[1], rowFor(soon, '"Smith, ""Jo"""', 4));
  assert.equal(lines[2], rowFor(mid, `"'=HYPERLINK(""http://evil.example"")"`, 44));

  const res = await page.request.get(`${stack.api}/admin/expiring.csv?days=90&certificateId=${cert.id}`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'] ?? '', /^text\/csv/);
  assert.match(res.headers()['content-disposition'] ?? '', /^attachment; filename="expiring-next-90-days-/);
  assert.equal((await res.text()).split('\r\n').filter(Boolean).length, 4);
});

// ---------------------------------------------------------------------------------------------
// issue 17 §5: two admins saving the same settings at once

/**
 * Runs `actions` while another transaction holds the certificate's row lock, and releases it once
 * `waiting` statements wait for it: the saves then reach the database at the same moment, after each
 * has read the same version (a read-then-write check would let both through).
 */
async function whileRowLocked<T>(certId: string, waiting: number, actions: () => Promise<T>): Promise<T> {
  let pending: Promise<T> | undefined;
  await stack.sql.begin(async (tx) => {
    await tx`select id from certificates where id = ${certId} for update`;
    pending = actions();
    await stack.eventually(`${waiting} saves waiting for the certificate's row lock`, async () => {
      const [row] = await stack.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
      return (row?.n ?? 0) >= waiting;
    });
  });
  return await pending!;
}

browserTest('settings: two admins save the form opened at the same version at the same moment: one is saved, the other gets 409 with the current values', async () => {
  const c = await course('Boom Lift Refresher', 'live');
  const cert = await certificate('Boom Lift Operator', [c.id], { expiration: { enabled: true }, recertification: { enabled: true, courseId: c.id, leadDays: 30 } });
  const other = await ctx.newPage();
  try {
    await page.goto(settingsUrl(cert.id));
    await other.goto(settingsUrl(cert.id));
    assert.equal(await page.inputValue('[name="revision"]'), String(cert.settingsVersion), 'the form carries the version it shows');
    await page.fill('[name="recertification.leadDays"]', '20');
    await other.fill('[name="recertification.leadDays"]', '25');
    await other.fill('[name="recertification.reminderDaysBeforeExpiry"]', '14');
    const [mine, theirs] = await whileRowLocked(cert.id, 2, () => Promise.all([submit(page, '#save-settings'), submit(other, '#save-settings')]));
    assert.deepEqual([mine, theirs].sort(), [200, 409], 'exactly one is saved');
    const [winner, loser] = mine === 200 ? [page, other] : [other, page];
    const winnerLead = mine === 200 ? 20 : 25;

    const saved = await getCertificate(cert.id);
    assert.equal(saved.settings.recertification.leadDays, winnerLead, 'the saved settings are the winner\'s');
    assert.deepEqual(saved.settings.recertification.reminderDaysBeforeExpiry, mine === 200 ? [] : [14]);
    assert.equal(saved.settingsVersion, cert.settingsVersion + 1);
    assert.match(await winner.locator('#banner').innerText(), /Settings saved/);
    // The loser is told, and sees the current values (and version) to make the change again.
    assert.match(await loser.locator('#banner').innerText(), /Nothing was saved: someone else saved these settings while you were editing/);
    assert.equal(await loser.inputValue('[name="recertification.leadDays"]'), String(winnerLead));
    assert.equal(await loser.inputValue('[name="recertification.reminderDaysBeforeExpiry"]'), saved.settings.recertification.reminderDaysBeforeExpiry.join(', '));
    assert.equal(await loser.inputValue('[name="revision"]'), String(saved.settingsVersion));
    assert.equal(new URL(loser.url()).pathname, `/admin/certificates/${cert.id}/settings`);
    // Made again on the current form, the change saves.
    await loser.fill('[name="recertification.leadDays"]', '15');
    assert.equal(await submit(loser, '#save-settings'), 200);
    assert.equal((await getCertificate(cert.id)).settings.recertification.leadDays, 15);

    // A change made through the API meanwhile (here: the associated content) also makes the open form stale.
    await page.goto(settingsUrl(cert.id));
    await api('PATCH', `/api/certificates/${cert.id}`, { associatedCourseIds: [] });
    const before = await dbState(cert.id);
    await page.fill('[name="recertification.leadDays"]', '10');
    assert.equal(await submit(page, '#save-settings'), 409);
    assert.match(await page.locator('#banner').innerText(), /someone else saved/);
    assert.equal(await page.isChecked(`#assoc-${c.id}`), false, 'the current associated content');
    assert.deepEqual(await dbState(cert.id), before, 'nothing saved');
  } finally {
    await other.close();
  }
});

browserTest('settings: the one-click fix racing another save adds its course without losing the other change (re-read and retried)', async () => {
  const refresher = await course('Pallet Jack Refresher', 'live');
  const basics = await course('Pallet Jack Basics', 'live');
  const cert = await certificate('Pallet Jack Operator', [], { expiration: { enabled: true }, recertification: { enabled: true, courseId: refresher.id } });
  await page.goto(settingsUrl(cert.id));
  await submit(page, '#save-settings');
  assert.equal(await fieldWarning(page, 'recertification.courseId', 'course_not_in_associated_content').count(), 1);
  // Someone else adds another course at the same moment; their save takes the row first (PostgreSQL
  // grants a row's waiters in turn), so the fix was computed from the associated content before it.
  let racing: Promise<[unknown, number]> | undefined;
  await stack.sql.begin(async (tx) => {
    await tx`select id from certificates where id = ${cert.id} for update`;
    const waiters = async (n: number) =>
      stack.eventually(`${n} waiting for the row lock`, async () => {
        const [row] = await stack.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
        return (row?.n ?? 0) >= n;
      });
    const theirs = api('PATCH', `/api/certificates/${cert.id}`, { associatedCourseIds: [basics.id] });
    await waiters(1);
    const fix = submit(page, '#fix-associated-content');
    racing = Promise.all([theirs, fix]);
    await waiters(2);
  });
  const [, fixStatus] = await racing!;
  assert.equal(fixStatus, 200);
  assert.deepEqual((await getCertificate(cert.id)).associatedCourseIds, [basics.id, refresher.id], 'both courses: nothing lost');
  assert.match(await page.locator('#banner').innerText(), /Added “Pallet Jack Refresher” to the associated content/);
});

// ---------------------------------------------------------------------------------------------
// issue 17 §12: reminder settings that cannot work as meant

browserTest('settings: reminders on or before the enrollment, or before the award, are saved with a warning beside the reminders field', async () => {
  const c = await course('Welding Refresher', 'live');
  const cert = await certificate('Welder (class C)', [c.id], { expiration: { enabled: true }, recertification: { enabled: true, courseId: c.id, leadDays: 30 } });
  await page.goto(settingsUrl(cert.id));
  await page.fill('[name="recertification.leadDays"]', '20');
  await page.fill('[name="recertification.reminderDaysBeforeExpiry"]', '30, 20, 7');
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.deepEqual((await getCertificate(cert.id)).settings.recertification.reminderDaysBeforeExpiry, [30, 20, 7], 'saved all the same');
  const warning = page.locator('.field:has([name="recertification.reminderDaysBeforeExpiry"]) .field-warning[data-warning="reminder_before_enrollment"]');
  assert.equal(await warning.count(), 1, 'beside the reminders field');
  assert.match(await warning.innerText(), /The reminders 30 and 20 days before expiry fall on or before the enrollment \(20 lead days before expiry\)/);
  assert.deepEqual(await page.locator('#warnings-summary li').evaluateAll((els) => els.map((e) => e.getAttribute('data-warning'))), ['reminder_before_enrollment']);

  // A shorter validity: a reminder at or before the award.
  await page.fill('[name="expiration.validFor.amount"]', '1');
  await page.selectOption('[name="expiration.validFor.unit"]', 'months');
  await page.fill('[name="recertification.reminderDaysBeforeExpiry"]', '28, 7');
  assert.equal(await submit(page, '#save-settings'), 200);
  const beyond = page.locator('.field:has([name="recertification.reminderDaysBeforeExpiry"]) .field-warning[data-warning="reminder_exceeds_validity"]');
  assert.match(await beyond.innerText(), /The reminder 28 days before expiry falls on or before the day the certificate is awarded \(a validity of 1 months can be as short as 28 days\)/);
  assert.equal(await fieldWarning(page, 'recertification.reminderDaysBeforeExpiry', 'reminder_before_enrollment').count(), 0, 'one warning per day');

  // Fixed: no warning.
  await page.fill('[name="recertification.reminderDaysBeforeExpiry"]', '7, 1');
  assert.equal(await submit(page, '#save-settings'), 200);
  assert.equal(await page.locator('.field-warning[data-field="recertification.reminderDaysBeforeExpiry"]').count(), 0);
});

// ---------------------------------------------------------------------------------------------
// issue 17 §6: sessions end on the server

/** Signs in over HTTP; returns the `name=value` of the session cookie. */
async function httpSignIn(): Promise<string> {
  const login = await fetch(`${stack.api}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: stack.api, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: stack.token, next: '/admin/certificates' }),
  });
  assert.equal(login.status, 303);
  const setCookie = login.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  assert.match(setCookie, /Path=\//);
  assert.match(setCookie, /Max-Age=43200/);
  return setCookie.split(';')[0] ?? '';
}
const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
  fetch(`${stack.api}${path}`, { redirect: 'manual', ...init, headers: { cookie, origin: stack.api, ...(init.headers ?? {}) } });
const sessionRows = async () => (await stack.sql<{ n: number }[]>`select count(*)::int as n from admin_sessions`)[0]!.n;

browserTest('sign out ends the session on the server: a copy of the old cookie is sent to sign-in', async () => {
  const fresh = await browser!.newContext();
  try {
    const p = await fresh.newPage();
    await signIn(p);
    const [cookie] = await fresh.cookies();
    assert.ok(cookie);
    const copy = `${cookie.name}=${cookie.value}`;
    assert.equal((await withCookie(copy, '/admin/certificates')).status, 200, 'the copy works while signed in');
    await Promise.all([p.waitForURL('**/admin/login'), p.click('#sign-out')]);
    assert.deepEqual(await fresh.cookies(), []);

    // The copy taken before signing out opens nothing any more: pages, forms, the sign-in page.
    const res = await withCookie(copy, '/admin/certificates');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/admin/login?next=%2Fadmin%2Fcertificates');
    const post = await withCookie(copy, '/admin/logout-everywhere', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
    assert.equal(post.status, 303);
    assert.match(post.headers.get('location') ?? '', /^\/admin\/login\?next=/, 'not signed in, so not allowed to sign anyone out');
    assert.equal((await withCookie(copy, '/admin/login')).status, 200, 'the sign-in page, not a redirect into the app');
    // And in a browser.
    const thief = await browser!.newContext();
    try {
      await thief.addCookies([{ ...cookie }]);
      const tp = await thief.newPage();
      await tp.goto(`${stack.api}/admin/mailbox`);
      assert.match(tp.url(), /\/admin\/login\?next=%2Fadmin%2Fmailbox$/);
    } finally {
      await thief.close();
    }
  } finally {
    await fresh.close();
  }
  // The shared page's session is untouched.
  await page.goto(`${stack.api}/admin/certificates`);
  assert.equal(new URL(page.url()).pathname, '/admin/certificates');
});

test('sessions: the table holds a hash, not the cookie; an expired session is sent to sign-in; a forged cookie too', async () => {
  const cookie = await httpSignIn();
  const value = cookie.split('=')[1] ?? '';
  const id = value.split('.')[1] ?? '';
  assert.ok(id.length === 43, value);
  const [row] = await stack.sql<{ idHash: Buffer; ttl: number }[]>`
    select id_hash, extract(epoch from expires_at - created_at)::int as ttl from admin_sessions where id_hash = ${createHash('sha256').update(id).digest()}`;
  assert.ok(row, 'stored under the SHA-256 of its id');
  assert.equal(row.ttl, 12 * 3600, '12 hours');
  const stored = await stack.sql<{ t: string }[]>`select encode(id_hash, 'escape') || ' ' || encode(id_hash, 'base64') as t from admin_sessions`;
  assert.ok(stored.every((r) => !r.t.includes(id)), 'the id itself is stored nowhere');
  assert.equal((await withCookie(cookie, '/admin/certificates')).status, 200);
  await stack.sql`update admin_sessions set expires_at = now() - interval '1 second' where id_hash = ${row.idHash}`;
  assert.equal((await withCookie(cookie, '/admin/certificates')).status, 303, 'expired');
  // A well-formed cookie for a session that was never started.
  const forged = `${cookie.split('=')[0]}=v2.${'A'.repeat(43)}.${value.split('.')[2]}`;
  assert.equal((await withCookie(forged, '/admin/certificates')).status, 303);
  // Signing in clears expired sessions.
  await httpSignIn();
  assert.equal((await stack.sql`select 1 from admin_sessions where id_hash = ${row.idHash}`).length, 0);
});

browserTest('"Sign out everywhere" ends every session, in every browser', async () => {
  const a = await browser!.newContext();
  const b = await browser!.newContext();
  try {
    const pa = await a.newPage();
    const pb = await b.newPage();
    await signIn(pa);
    await signIn(pb);
    const viaHttp = await httpSignIn();
    assert.ok((await sessionRows()) >= 3);
    await Promise.all([pa.waitForURL('**/admin/login?signed-out=everywhere'), pa.click('#sign-out-everywhere')]);
    assert.match(await pa.locator('#signed-out').innerText(), /signed out everywhere/);
    assert.deepEqual(await a.cookies(), []);
    assert.equal(await sessionRows(), 0, 'no session left');
    // The other browser, the shared page, and the HTTP session are all signed out.
    await pb.goto(`${stack.api}/admin/certificates`);
    assert.match(pb.url(), /\/admin\/login\?next=%2Fadmin%2Fcertificates$/);
    assert.equal((await withCookie(viaHttp, '/admin/certificates')).status, 303);
    await page.goto(`${stack.api}/admin/expiring`);
    assert.match(page.url(), /\/admin\/login\?next=%2Fadmin%2Fexpiring$/);
  } finally {
    await a.close();
    await b.close();
    // Sign the shared page (and the HTTP helper) in again for any later test.
    cookieHeader = undefined;
    await signIn(page);
  }
});

// ---------------------------------------------------------------------------------------------
// issue 17 §16: the demo agrees with itself

test('expiring soon opens on a window that lists an award the Awards tab says expires in 30 days (as in the demo)', async () => {
  const cert = await certificate('Forklift Operator', [], { expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' }, expiringNotice: { enabled: false } });
  // As scripts/seed-demo.ts: one award expires 30 days and two minutes from now, one in 62 days.
  const make = async (name: string, expiresInMs: number) => {
    const l = await learner(name);
    const awardedAt = addDuration(new Date(Date.now() + expiresInMs), { amount: -12, unit: 'months' }).toISOString();
    return (await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id, awardedAt })).award;
  };
  const ada = await make('Ada Lovelace', 30 * DAY_MS + 2 * 60_000);
  const alan = await make('Alan Turing', 62 * DAY_MS);
  const html = await (await adminGet(`/admin/expiring?certificateId=${cert.id}`)).text();
  assert.ok(html.includes(`data-award-id="${ada.id}"`), 'the award expiring in 30 days is listed by default');
  assert.ok(html.includes(`data-award-id="${alan.id}"`), 'the award expiring in 62 days is listed by default');
  assert.doesNotMatch(html, /Nothing expires in this window/);
});

test('expiring-soon CSV: a UTF-8 byte-order mark first (Excel), and accented names intact', async () => {
  const cert = await certificate('Sécurité incendie', [], { expiration: { enabled: true, validFor: { amount: 100, unit: 'days' }, anchor: 'completion' }, expiringNotice: { enabled: false } });
  const name = 'Zoë Ångström-Núñez';
  const l = await learner(name);
  await api('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id, awardedAt: new Date(Date.now() - 90 * DAY_MS).toISOString() });
  const res = await adminGet(`/admin/expiring.csv?days=30&certificateId=${cert.id}`);
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops the BOM, as Excel does
  const [header, row] = text.split('\r\n');
  assert.ok(header?.startsWith('award_id,'), 'the header starts right after the BOM');
  assert.ok(row?.includes(`,Sécurité incendie,${l.id},${name},`), row);
});

test('a message page links to the award (its certificate Awards tab) and to the learner\'s admin page, not to mailbox filters', async () => {
  const cert = await certificate('Working at Height', [], { expiration: { enabled: true, validFor: { amount: 100, unit: 'days' }, anchor: 'completion' }, expiringNotice: { enabled: false } });
  const l = await learner('Mary Jackson');
  const { award } = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id, awardedAt: new Date().toISOString() });
  const { message } = await insertOrGetMessage(stack.sql, {
    kind: 'certificate_expiring',
    learnerId: l.id,
    awardId: award.id,
    attemptId: null,
    toAddress: l.email,
    fromAddress: 'noreply@example.com',
    subject: 'Your certificate expires soon',
    body: '<p>Hello</p>',
    provider: 'log',
    idempotencyKey: `test-message-links-${award.id}`,
  });
  const html = await (await adminGet(`/admin/mailbox/${message.id}`)).text();
  const href = (id: string) => html.match(new RegExp(`<a href="([^"]*)"[^>]*id="${id}"`))?.[1]?.replace(/&amp;/g, '&');
  assert.equal(href('message-award'), `/admin/certificates/${cert.id}/awards#award-${award.id}`);
  assert.equal(href('message-learner'), `/admin/learners/${l.id}`);
  assert.doesNotMatch(html, /href="\/admin\/mailbox\?/, 'no link to a mailbox filter');
  // The award link's anchor is the award's row on the Awards tab.
  const awards = await (await adminGet(`/admin/certificates/${cert.id}/awards`)).text();
  assert.ok(awards.includes(`id="award-${award.id}"`));
});

test('an admin page request is logged once: its in-process API calls are not logged as requests too', async () => {
  await adminGet('/admin/certificates'); // signs in: cookieHeader
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const app = createApp({ config: stack.config, sql: stack.sql, client: stack.client, log: pino({ level: 'info' }, sink) });
  const res = await app.request('/admin/certificates', { headers: { cookie: cookieHeader ?? '' } });
  assert.equal(res.status, 200);
  await res.text();
  const requests = lines.map((l) => JSON.parse(l) as { msg: string; method?: string; path?: string; status?: number }).filter((e) => e.msg === 'request');
  assert.deepEqual(requests.map((e) => [e.method, e.path, e.status]), [['GET', '/admin/certificates', 200]]);
  // A direct API request is still logged.
  assert.equal((await app.request('/api/certificates', { headers: { authorization: `Bearer ${stack.token}` } })).status, 200);
  assert.equal(lines.map((l) => JSON.parse(l) as { msg: string; path?: string }).filter((e) => e.msg === 'request').length, 2);
});

// ---------------------------------------------------------------------------------------------
// issue 17 §10: long names wrap in tables

browserTest('long unbroken names, titles, subjects and URLs wrap: no admin table is wider than the viewport', async () => {
  // The longest the API accepts: names and titles 200 characters, a subject 300, a URL of 300 here.
  const long = (prefix: string, n: number) => `${prefix}${'W'.repeat(n - prefix.length)}`;
  const lmsUrl = `https://lms.example.com/${'c'.repeat(300 - 'https://lms.example.com/'.length)}`;
  const c = (await api<CourseDto>('POST', '/api/courses', { title: long('Course', 200), status: 'live', url: lmsUrl }));
  const cert = await certificate(long('Certificate', 200), [c.id], { expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' }, expiringNotice: { enabled: false } });
  const l = await api<LearnerDto>('POST', '/api/learners', { name: long('Learner', 200), email: `long.${uid()}@example.com` });
  const { award } = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id });
  await api('POST', `/api/courses/${c.id}/enrollments`, { learnerId: l.id }, 201);
  const { message } = await insertOrGetMessage(stack.sql, {
    kind: 'certificate_expiring',
    learnerId: l.id,
    awardId: award.id,
    attemptId: null,
    toAddress: l.email,
    fromAddress: 'noreply@example.com',
    subject: long('Subject', 300),
    body: '<p>Hello</p>',
    provider: 'log',
    idempotencyKey: `test-long-names-${award.id}`,
  });
  const pages: [string, string][] = [
    ['/admin/certificates', '#certificates'],
    [`/admin/certificates/${cert.id}/awards`, '#awards'],
    [`/admin/expiring?certificateId=${cert.id}`, '#expiring'],
    ['/admin/mailbox', '#messages'],
    [`/admin/mailbox/${message.id}`, 'dl.meta'],
    ['/admin/courses', '#courses'],
    [`/admin/courses/${c.id}`, 'main'],
    [`/admin/learners/${l.id}`, '#learner-awards'],
    [`/admin/learners/${l.id}`, '#learner-attempts'],
    [`/admin/learners/${l.id}`, '#learner-messages'],
    [`/admin/certificates/${cert.id}/settings`, '#associated-section'],
  ];
  for (const [path, selector] of pages) {
    await page.goto(`${stack.api}${path}`);
    const text = await page.locator(selector).innerText();
    assert.ok(text.includes('WWWWWWWWWW') || text.includes('cccccccccc') || path.endsWith('/settings'), `${path}: ${selector} shows a long name`);
    const widths = await page.evaluate((sel) => {
      const el = document.querySelector(sel);
      return { viewport: window.innerWidth, element: el ? el.scrollWidth : -1, right: el ? el.getBoundingClientRect().right : -1, document: document.documentElement.scrollWidth };
    }, selector);
    assert.ok(widths.element > 0, `${path}: ${selector} found`);
    assert.ok(widths.element <= widths.viewport && widths.right <= widths.viewport, `${path}: ${selector} is ${widths.element}px wide (right edge ${widths.right}px) in a ${widths.viewport}px viewport`);
    assert.ok(widths.document <= widths.viewport, `${path}: the page scrolls sideways (${widths.document}px in ${widths.viewport}px)`);
  }
});

// ---------------------------------------------------------------------------------------------
// issue 17 §15: a course's URL in the LMS, seen and set on the admin page

const courseRow = (id: string) => stack.sql<{ title: string; status: string; url: string | null; updatedAt: Date }[]>`select title, status, url, updated_at from courses where id = ${id}`;

browserTest('courses page: lists courses with status and URL, creates a course, edits its URL and title; a bad URL is refused beside the field with the API\'s message and nothing is saved', async () => {
  const existing = await api<CourseDto>('POST', '/api/courses', { title: 'Boom Lift Basics', status: 'live', url: 'https://lms.example.com/courses/boom-lift' });
  const noUrl = await course('Boom Lift Theory', 'draft');
  await page.goto(`${stack.api}/admin/certificates`);
  await Promise.all([page.waitForURL('**/admin/courses'), page.click('header.top nav >> text=Courses')]);
  const row = page.locator(`tr[data-course-id="${existing.id}"]`);
  assert.match(await row.innerText(), /Boom Lift Basics[\s\S]*live[\s\S]*https:\/\/lms\.example\.com\/courses\/boom-lift/);
  assert.equal(await row.locator('a.course-url').getAttribute('href'), 'https://lms.example.com/courses/boom-lift');
  assert.match(await page.locator(`tr[data-course-id="${noUrl.id}"] td[data-col="url"]`).innerText(), new RegExp(`default: ${stack.config.appBaseUrl}/courses/${noUrl.id}`));

  // Create: a bad URL first (nothing created), then a good one.
  const title = `Scissor Lift ${uid()}`;
  const countByTitle = async () => (await stack.sql<{ n: number }[]>`select count(*)::int as n from courses where title = ${title}`)[0]!.n;
  await page.fill('#new-course-title', title);
  await page.selectOption('#new-course-status', 'live');
  await page.fill('#new-course-url', 'ftp://lms.example.com/scissor');
  assert.equal(await submit(page, '#create-course'), 400);
  assert.match(await page.locator('.field-error[data-field="url"]').innerText(), /URL: must be an absolute http or https URL/);
  assert.equal(await page.getAttribute('#new-course-url', 'aria-invalid'), 'true');
  assert.match(await page.locator('#banner').innerText(), /Nothing was saved/);
  assert.equal(await page.inputValue('#new-course-url'), 'ftp://lms.example.com/scissor', 'shown back as typed');
  assert.equal(await page.inputValue('#new-course-title'), title);
  assert.equal(await countByTitle(), 0, 'nothing created');
  await page.fill('#new-course-url', 'https://lms.example.com/courses/scissor-lift');
  assert.equal(await submit(page, '#create-course'), 200);
  assert.match(await page.locator('#banner').innerText(), new RegExp(`Course “${title}” created`));
  assert.equal(new URL(page.url()).pathname, '/admin/courses');
  const [created] = await stack.sql<{ id: string }[]>`select id from courses where title = ${title}`;
  assert.ok(created);
  const viaApi = await api<CourseDto>('GET', `/api/courses/${created.id}`);
  assert.equal(viaApi.url, 'https://lms.example.com/courses/scissor-lift');
  assert.equal(viaApi.status, 'live');
  assert.equal(await page.inputValue('#new-course-title'), '', 'the form is empty again');

  // Edit: a bad URL changes nothing (the title changed alongside is not saved either).
  await page.goto(`${stack.api}/admin/courses/${existing.id}`);
  assert.equal(await page.inputValue('#course-url'), 'https://lms.example.com/courses/boom-lift');
  const before = await courseRow(existing.id);
  await page.fill('#course-title', 'Boom Lift Basics (2027)');
  await page.fill('#course-url', 'javascript:alert(1)');
  assert.equal(await submit(page, '#save-course'), 400);
  assert.match(await page.locator('.field:has(#course-url) .field-error[data-field="url"]').innerText(), /must be an absolute http or https URL/);
  assert.equal(await page.inputValue('#course-url'), 'javascript:alert(1)');
  assert.deepEqual(await courseRow(existing.id), before, 'nothing saved');
  // A good URL and the new title are saved.
  await page.fill('#course-url', 'https://lms.example.com/courses/boom-lift-2027');
  assert.equal(await submit(page, '#save-course'), 200);
  assert.match(await page.locator('#banner').innerText(), /Course saved/);
  const saved = await api<CourseDto>('GET', `/api/courses/${existing.id}`);
  assert.equal(saved.url, 'https://lms.example.com/courses/boom-lift-2027');
  assert.equal(saved.title, 'Boom Lift Basics (2027)');
  assert.equal(saved.status, 'live');
  assert.equal(await page.locator('#course-heading').innerText(), 'Boom Lift Basics (2027)');
  // An empty URL removes it: messages use COURSE_URL_TEMPLATE again.
  await page.fill('#course-url', '');
  assert.equal(await submit(page, '#save-course'), 200);
  assert.equal((await api<CourseDto>('GET', `/api/courses/${existing.id}`)).url, null);
  // An empty title is refused by the API, beside the title.
  const beforeEmpty = await courseRow(existing.id);
  await page.fill('#course-title', '   ');
  assert.equal(await submit(page, '#save-course'), 400);
  assert.equal(await page.locator('.field-error[data-field="title"]').count(), 1);
  assert.deepEqual(await courseRow(existing.id), beforeEmpty);
});

browserTest('courses page: a form opened before someone else changed the course is refused with a banner and the current values; their change stands', async () => {
  const c = await api<CourseDto>('POST', '/api/courses', { title: 'Telehandler Basics', status: 'draft', url: 'https://lms.example.com/tele-old' });
  await page.goto(`${stack.api}/admin/courses/${c.id}`);
  // Meanwhile the course is published with a new URL through the API.
  await api('PATCH', `/api/courses/${c.id}`, { status: 'live', url: 'https://lms.example.com/tele-new' });
  const theirs = await courseRow(c.id);
  // The open form changes only the title.
  await page.fill('#course-title', 'Telehandler Basics (renamed)');
  assert.equal(await submit(page, '#save-course'), 409);
  assert.match(await page.locator('#banner').innerText(), /Nothing was saved: someone else changed this course while you were editing/);
  assert.equal(await page.inputValue('#course-url'), 'https://lms.example.com/tele-new', 'the form shows the current URL');
  assert.equal(await page.inputValue('#course-status'), 'live');
  assert.deepEqual(await courseRow(c.id), theirs, 'not reverted to draft with the old URL');
  // Made again on the current form, the change is saved.
  await page.fill('#course-title', 'Telehandler Basics (renamed)');
  assert.equal(await submit(page, '#save-course'), 200);
  const [now] = await courseRow(c.id);
  assert.deepEqual({ title: now?.title, status: now?.status, url: now?.url }, { title: 'Telehandler Basics (renamed)', status: 'live', url: 'https://lms.example.com/tele-new' });
});

test('courses page: a cross-site form post is refused and changes nothing; an unknown or malformed course is a 404 page', async () => {
  const c = await api<CourseDto>('POST', '/api/courses', { title: 'Aerial Work Platform', status: 'draft', url: 'https://lms.example.com/awp' });
  await adminGet('/admin/courses'); // signs in: cookieHeader
  const before = await courseRow(c.id);
  const forged = await fetch(`${stack.api}/admin/courses/${c.id}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieHeader ?? '', origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ title: 'Hijacked', status: 'live', url: 'https://evil.example/' }),
  });
  assert.equal(forged.status, 403);
  assert.deepEqual(await courseRow(c.id), before);
  const forgedCreate = await fetch(`${stack.api}/admin/courses`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieHeader ?? '', origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ title: 'Forged course', status: 'live', url: '' }),
  });
  assert.equal(forgedCreate.status, 403);
  assert.equal((await stack.sql`select 1 from courses where title = 'Forged course'`).length, 0);
  for (const path of ['/admin/courses/00000000-0000-4000-8000-000000000000', '/admin/courses/not-a-uuid', `/admin/courses/${c.id}x`]) {
    const res = await fetch(`${stack.api}${path}`, { headers: { cookie: cookieHeader ?? '' } });
    assert.equal(res.status, 404, path);
    assert.match(await res.text(), /That course does not exist/);
  }
  // A status that is not one is refused on the page, before the API.
  const bad = await fetch(`${stack.api}/admin/courses/${c.id}`, {
    method: 'POST',
    headers: { cookie: cookieHeader ?? '', origin: stack.api, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ revision: '1', title: 'Aerial Work Platform', status: 'published', url: 'https://lms.example.com/awp' }),
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Choose draft, live or archived/);
  assert.deepEqual(await courseRow(c.id), before);
});

// ---------------------------------------------------------------------------------------------
// the learner page

browserTest('learner page: name, email, awards with certificate, status, expiry and phase, attempts and messages, each linked; reached from the Awards tab and a message page', async () => {
  const refresher = await course('Chainsaw Refresher', 'live', { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}</p>' });
  const cert = await certificate('Chainsaw Operator', [refresher.id], {
    expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
    recertification: { enabled: true, courseId: refresher.id, leadDays: 30 },
    expiringNotice: { enabled: true },
  });
  const other = await certificate('Brush Cutter', [], { expiration: { enabled: false } });
  const l = await learner('Grace Hopper');
  const { award } = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: l.id });
  const { award: noExpiry } = await api<{ award: AwardDto }>('POST', `/api/certificates/${other.id}/awards`, { learnerId: l.id });
  const { attempt } = await api<{ attempt: { id: string } }>('POST', `/api/courses/${refresher.id}/enrollments`, { learnerId: l.id }, 201);
  const message = await stack.eventually('the enrollment message recorded', async () => {
    const [m] = await stack.sql<{ id: string; subject: string }[]>`select id, subject from messages where learner_id = ${l.id} and kind = 'course_enrollment' and status = 'sent'`;
    return m;
  });
  // Someone else's award is not on this learner's page.
  const stranger = await learner('Not Grace');
  const { award: theirs } = await api<{ award: AwardDto }>('POST', `/api/certificates/${cert.id}/awards`, { learnerId: stranger.id });

  // From the Awards tab, the learner's name opens their page.
  await page.goto(awardsUrl(cert.id));
  await Promise.all([page.waitForURL(`**/admin/learners/${l.id}`), page.click(`tr[data-award-id="${award.id}"] a.learner-link`)]);
  assert.equal(await page.locator('#learner-name').innerText(), 'Grace Hopper');
  assert.equal(await page.locator('#learner-email').innerText(), l.email);

  const awardRow = page.locator(`#learner-awards tr[data-award-id="${award.id}"]`);
  assert.match(await awardRow.innerText(), /Chainsaw Operator/);
  assert.equal(await awardRow.locator('td[data-col="status"]').innerText(), 'active');
  assert.match(await awardRow.locator('td[data-col="expires"]').innerText(), new RegExp(award.expiresAt!.slice(0, 16).replace('T', ' ')));
  assert.equal(await awardRow.locator('td[data-col="phase"]').getAttribute('data-phase'), 'scheduled');
  assert.equal(await awardRow.locator('a.award-link').getAttribute('href'), `/admin/certificates/${cert.id}/awards#award-${award.id}`);
  assert.equal(await awardRow.locator('a.workflow-link').getAttribute('href'), workflowUiUrl(stack.config, `recertification-${award.id}`));
  const noExpiryRow = page.locator(`#learner-awards tr[data-award-id="${noExpiry.id}"]`);
  assert.match(await noExpiryRow.innerText(), /Brush Cutter[\s\S]*never[\s\S]*active[\s\S]*no workflow/);
  assert.equal(await page.locator(`tr[data-award-id="${theirs.id}"]`).count(), 0, 'only this learner\'s awards');

  const attemptRow = page.locator(`#learner-attempts tr[data-attempt-id="${attempt.id}"]`);
  assert.match(await attemptRow.innerText(), /Chainsaw Refresher[\s\S]*enrolled[\s\S]*0%[\s\S]*manual/);
  assert.equal(await attemptRow.locator('a.course-link').getAttribute('href'), `/admin/courses/${refresher.id}`);

  const messageRow = page.locator(`#learner-messages tr[data-message-id="${message.id}"]`);
  assert.match(await messageRow.innerText(), /Course enrollment[\s\S]*Welcome to Chainsaw Refresher[\s\S]*sent/);
  // The links lead to pages that exist: the message, then back to the learner from it.
  await Promise.all([page.waitForURL(`**/admin/mailbox/${message.id}`), messageRow.locator('a.subject').click()]);
  assert.equal(await page.locator('#message-subject').innerText(), message.subject);
  assert.equal(await page.getAttribute('#message-learner', 'href'), `/admin/learners/${l.id}`);
  const [back] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/admin/learners/${l.id}`)), page.click('#message-learner')]);
  assert.equal(back.status(), 200, 'the message page\'s learner link opens with the admin cookie');
  assert.equal(await page.locator('#learner-name').innerText(), 'Grace Hopper');
  const [toCourse] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/admin/courses/${refresher.id}`)), attemptRow.locator('a.course-link').click()]);
  assert.equal(toCourse.status(), 200);
  await page.goto(`${stack.api}/admin/learners/${l.id}`);
  await Promise.all([page.waitForURL(`**/admin/certificates/${cert.id}/awards#award-${award.id}`), awardRow.locator('a.award-link').click()]);
  assert.equal(await page.locator(`#award-${award.id}`).count(), 1);
});

test('learner page: an unknown or malformed id is a 404 page, not a 500', async () => {
  await adminGet('/admin/certificates'); // signs in: cookieHeader
  for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '%00', '1%27%20or%201%3D1', 'a'.repeat(500), '__proto__']) {
    const res = await fetch(`${stack.api}/admin/learners/${id}`, { headers: { cookie: cookieHeader ?? '' } });
    assert.equal(res.status, 404, id);
    assert.match(await res.text(), /That learner does not exist/, id);
  }
});
