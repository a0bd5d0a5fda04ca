/**
 * The admin page against hostile or malformed requests, over HTTP on the real stack (PostgreSQL,
 * Temporal, the API in this process): a body that is not a readable form, query parameters the API
 * refuses, stale or malformed revisions, wrong methods, repeated fields. Each is a clear 4xx page and
 * changes nothing; none is a 500. Also the courses' optimistic concurrency (ETag / If-Match) in the
 * JSON API and on the course form.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DEFAULT_SEND_WINDOW } from '../domain/send-window.ts';
import { TEMPLATE_MESSAGES } from '../domain/settings.ts';
import { adminSessionCookie, okApi } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;

before(async () => {
  stack = await startStack({ dbPrefix: 'admin_hostile', workers: false });
});
after(async () => {
  await stack?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

const api = okApi(() => stack);

/** Signs in (a new session each call) and answers the session cookie. */
const signIn = (): Promise<string> => adminSessionCookie(stack);

let cookie: string | undefined;
const session = async (): Promise<string> => (cookie ??= await signIn());

/** An admin request with the session cookie and this site's Origin; never follows redirects. */
async function admin(method: string, path: string, opts: { body?: BodyInit; type?: string; cookie?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: opts.cookie ?? (await session()), origin: stack.api };
  if (opts.type) headers['content-type'] = opts.type;
  return await fetch(`${stack.api}${path}`, { method, redirect: 'manual', headers, body: opts.body });
}
const form = (fields: Record<string, string | string[]>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  return p.toString();
};
const FORM = 'application/x-www-form-urlencoded';
const postForm = (path: string, fields: Record<string, string | string[]>, c?: string) => admin('POST', path, { body: form(fields), type: FORM, cookie: c });

async function courseRow(id: string): Promise<unknown> {
  const [row] = await stack.sql`select title, status, url, enrollment_message, version, updated_at from courses where id = ${id}`;
  return row;
}
async function certRow(id: string): Promise<unknown> {
  const [row] = await stack.sql`select title, settings, settings_version, updated_at from certificates where id = ${id}`;
  const courses = await stack.sql`select course_id, position from certificate_courses where certificate_id = ${id} order by position`;
  return { row, courses };
}

const course = (title: string, status: 'draft' | 'live' = 'live', url: string | null = null) => api<CourseDto>('POST', '/api/courses', { title, status, url });

async function recertifyingCertificate(): Promise<{ cert: CertificateDto; courseId: string }> {
  const c = await course('Scaffolding Refresher');
  const { certificate } = await api<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Scaffolding',
    associatedCourseIds: [c.id],
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: c.id, leadDays: 30, reminderDaysBeforeExpiry: [7] },
    },
  });
  return { cert: certificate, courseId: c.id };
}

/** The hidden field the Settings form sends naming its tick boxes, so an unticked box (absent) is told from one the post lacks. */
const SETTINGS_CHECKBOXES = 'expiration.enabled recertification.enabled expiringNotice.enabled expiredNotice.enabled associatedCourseIds';

/** The Settings form as the browser posts it for `cert` unchanged (every field it always sends), with `change` applied. */
function settingsForm(cert: CertificateDto, change: Record<string, string | string[] | undefined> = {}): Record<string, string | string[]> {
  const s = cert.settings;
  const repeat = s.recertification.repeatReminder;
  const fields: Record<string, string | string[] | undefined> = {
    revision: String(cert.settingsVersion),
    checkboxes: SETTINGS_CHECKBOXES,
    'expiration.enabled': s.expiration.enabled ? 'on' : undefined,
    'expiration.validFor.amount': String(s.expiration.validFor.amount),
    'expiration.validFor.unit': s.expiration.validFor.unit,
    'expiration.anchor': s.expiration.anchor,
    'expiration.fixedDate.day': String(s.expiration.fixedDate?.day ?? 31),
    'expiration.fixedDate.month': String(s.expiration.fixedDate?.month ?? 12),
    'expiration.fixedDate.minimumActiveDays': String(s.expiration.fixedDate?.minimumActiveDays ?? 90),
    'expiration.graceDays': String(s.expiration.graceDays ?? 0),
    'recertification.enabled': s.recertification.enabled ? 'on' : undefined,
    'recertification.courseId': s.recertification.courseId ?? '',
    'recertification.leadDays': String(s.recertification.leadDays),
    'recertification.reminderDaysBeforeExpiry': s.recertification.reminderDaysBeforeExpiry.join(', '),
    'recertification.repeatReminder.everyDays': repeat ? String(repeat.everyDays) : '',
    'recertification.repeatReminder.maxCount': repeat ? String(repeat.maxCount) : '',
    'expiringNotice.enabled': s.expiringNotice.enabled ? 'on' : undefined,
    'expiredNotice.enabled': s.expiredNotice.enabled ? 'on' : undefined,
    associatedCourseIds: cert.associatedCourseIds,
    ...change,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string | string[]] => e[1] !== undefined));
}

/** The hidden `revision` of the course edit form in `html`. */
const revisionIn = (html: string): string | undefined => /name="revision" value="([^"]*)"/.exec(html)?.[1];

// ---------------------------------------------------------------------------------------------
// 1. a body that is not a readable form

const JUNK_MULTIPART = { body: 'junk', type: 'multipart/form-data' } as const;

test('a malformed multipart body is a 400 page on every admin form, a JSON or text body a 415; nothing changes, no 500', async () => {
  // Sign-in needs no session: a broken form is a 400 and signs nobody in.
  const login = await fetch(`${stack.api}/admin/login`, { method: 'POST', redirect: 'manual', headers: { origin: stack.api, 'content-type': 'multipart/form-data' }, body: 'junk' });
  assert.equal(login.status, 400);
  assert.equal(login.headers.get('set-cookie'), null);
  assert.match(await login.text(), /The form could not be read/);
  const jsonLogin = await fetch(`${stack.api}/admin/login`, { method: 'POST', redirect: 'manual', headers: { origin: stack.api, 'content-type': 'application/json' }, body: JSON.stringify({ token: stack.token }) });
  assert.equal(jsonLogin.status, 415);
  assert.equal(jsonLogin.headers.get('set-cookie'), null);
  const noBoundary = await fetch(`${stack.api}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: stack.api, 'content-type': 'multipart/form-data; boundary=X' },
    body: '--X\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc', // never closed
  });
  assert.equal(noBoundary.status, 400);

  const { cert, courseId } = await recertifyingCertificate();
  const c = await course('Ladder Safety', 'draft', 'https://lms.example.com/ladder');
  const coursesBefore = await stack.sql`select id, title, status, url, version from courses order by id`;
  const certBefore = await certRow(cert.id);
  for (const path of ['/admin/courses', `/admin/courses/${c.id}`, `/admin/certificates/${cert.id}/settings`, `/admin/certificates/${cert.id}/associated-content`]) {
    const junk = await admin('POST', path, JUNK_MULTIPART);
    assert.equal(junk.status, 400, `multipart junk to ${path}`);
    assert.match(await junk.text(), /The form could not be read.*Nothing was changed/s, path);
    for (const [type, body] of [
      ['application/json', JSON.stringify({ title: 'Hijacked', courseId })],
      ['text/plain', 'title=Hijacked'],
    ] as const) {
      const wrong = await admin('POST', path, { body, type });
      assert.equal(wrong.status, 415, `${type} to ${path}`);
      assert.match(await wrong.text(), /takes an HTML form/, path);
    }
  }
  assert.deepEqual(await stack.sql`select id, title, status, url, version from courses order by id`, coursesBefore);
  assert.deepEqual(await certRow(cert.id), certBefore);
});

test('sign-out acts only on a form it can read: a broken body is a 400 and the session goes on; the page\'s own empty form signs out', async () => {
  const mine = await signIn();
  for (const path of ['/admin/logout', '/admin/logout-everywhere']) {
    const junk = await admin('POST', path, { ...JUNK_MULTIPART, cookie: mine });
    assert.equal(junk.status, 400, path);
    assert.equal(junk.headers.get('set-cookie'), null, `${path}: the cookie is kept`);
    const json = await admin('POST', path, { body: '{}', type: 'application/json', cookie: mine });
    assert.equal(json.status, 415, path);
  }
  assert.equal((await admin('GET', '/admin/certificates', { cookie: mine })).status, 200, 'still signed in');
  const out = await admin('POST', '/admin/logout', { body: '', type: FORM, cookie: mine });
  assert.equal(out.status, 303);
  assert.equal((await admin('GET', '/admin/certificates', { cookie: mine })).status, 303, 'signed out');
});

// ---------------------------------------------------------------------------------------------
// 2. query parameters

test('mailbox and expiring soon: a parameter the API (or the page) refuses is a 400 page naming it, never a 500 nor an unfiltered list', async () => {
  const bad: [string, string][] = [
    ['/admin/mailbox?before=0001-01-01T00:00:00Z', 'before'],
    ['/admin/mailbox?before=3000-01-01T00:00:00Z', 'before'],
    ['/admin/mailbox?before=1899-12-31T00:00:00Z', 'before'],
    ['/admin/mailbox?before=99999', 'before'],
    ['/admin/mailbox?before=-000001-01-01T00:00:00Z', 'before'],
    ['/admin/mailbox?before=garbage', 'before'],
    ['/admin/mailbox?before=0001-01-01T00:00:00Z&awardId=00000000-0000-4000-8000-000000000000', 'before'],
    ['/admin/mailbox?learnerId=nope', 'learnerId'],
    ['/admin/mailbox?awardId=nope', 'awardId'],
    ['/admin/mailbox?learnerId=00000000-0000-4000-8000-000000000000&learnerId=00000000-0000-4000-8000-000000000001', 'learnerId'],
    ['/admin/expiring?days=45', 'days'],
    ['/admin/expiring?days=abc', 'days'],
    ['/admin/expiring?certificateId=nope', 'certificateId'],
    ['/admin/expiring.csv?days=7', 'days'],
    ['/admin/expiring.csv?certificateId=nope', 'certificateId'],
  ];
  for (const [path, param] of bad) {
    const res = await admin('GET', path);
    assert.equal(res.status, 400, path);
    assert.match(await res.text(), new RegExp(`The parameter “${param}” is not valid`), path);
  }
  const unknownCert = await admin('GET', '/admin/expiring?certificateId=00000000-0000-4000-8000-000000000000');
  assert.equal(unknownCert.status, 404);
  for (const ok of ['/admin/mailbox', '/admin/mailbox?before=2026-01-01T00:00:00.000Z', '/admin/mailbox?learnerId=', '/admin/expiring?days=30', '/admin/expiring.csv?days=60']) {
    assert.equal((await admin('GET', ok)).status, 200, ok);
  }
});

// ---------------------------------------------------------------------------------------------
// 3. courses: optimistic concurrency

test('courses API: ETag on POST, GET and PATCH; If-Match on PATCH; a stale one is a 409 version_conflict and nothing is saved', async () => {
  const created = await stack.request<CourseDto>('POST', '/api/courses', { title: 'Rigging', status: 'draft' });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('etag'), '"1"');
  const id = created.body.id;
  const got = await stack.request<CourseDto>('GET', `/api/courses/${id}`);
  assert.equal(got.headers.get('etag'), '"1"');

  const first = await stack.request<CourseDto>('PATCH', `/api/courses/${id}`, { url: 'https://lms.example.com/rigging', status: 'live' }, { 'if-match': '"1"' });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('etag'), '"2"');
  const saved = await courseRow(id);

  const stale = await stack.request<{ error: { code: string; details: unknown } }>('PATCH', `/api/courses/${id}`, { title: 'Rigging (old form)' }, { 'if-match': '"1"' });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'version_conflict');
  assert.deepEqual(stale.body.error.details, { version: 2, ifMatch: '"1"' });
  assert.equal(stale.headers.get('etag'), '"2"');
  assert.deepEqual(await courseRow(id), saved, 'nothing saved');
  assert.equal((await stack.request('PATCH', `/api/courses/${id}`, { title: 'x' }, { 'if-match': 'W/"2"' })).status, 409, 'a weak tag never matches');
  assert.equal((await stack.request('PATCH', `/api/courses/${id}`, { title: 'x' }, { 'if-match': '2' })).status, 400, 'an unquoted tag is malformed');
  assert.deepEqual(await courseRow(id), saved);

  // A PATCH that changes nothing raises nothing; without If-Match the change applies to the current version.
  const same = await stack.request('PATCH', `/api/courses/${id}`, { title: 'Rigging', status: 'live' }, { 'if-match': '"2"' });
  assert.equal(same.headers.get('etag'), '"2"');
  const blind = await stack.request('PATCH', `/api/courses/${id}`, { title: 'Rigging II' });
  assert.equal(blind.status, 200);
  assert.equal(blind.headers.get('etag'), '"3"');
  assert.equal((await stack.request('PATCH', `/api/courses/${id}`, { title: 'Rigging III' }, { 'if-match': '"1", "3"' })).headers.get('etag'), '"4"');
});

test('course form: a stale form is a 409 that says someone else changed the course and shows its current values; it never undoes their change', async () => {
  const c = await course('Crane Signals', 'draft', 'https://lms.example.com/crane-old');
  const page = await admin('GET', `/admin/courses/${c.id}`);
  const html = await page.text();
  const revision = revisionIn(html);
  assert.equal(revision, '1', 'the edit form carries the course version');

  // Meanwhile someone publishes the course with a new URL through the API.
  await api('PATCH', `/api/courses/${c.id}`, { status: 'live', url: 'https://lms.example.com/crane-new' });
  const theirs = await courseRow(c.id);
  // The older form, changing only the title, is refused.
  const res = await postForm(`/admin/courses/${c.id}`, { revision: revision ?? '', title: 'Crane Signals (renamed)', status: 'draft', url: 'https://lms.example.com/crane-old' });
  assert.equal(res.status, 409);
  const body = await res.text();
  assert.match(body, /someone else changed this course/);
  assert.match(body, /crane-new/, 'the form shows the current URL');
  assert.equal(revisionIn(body), '2', 'and the current version');
  assert.deepEqual(await courseRow(c.id), theirs, 'their change stands');

  // A fresh form saves; a missing or malformed revision is a 400, not a conflict.
  const saved = await postForm(`/admin/courses/${c.id}`, { revision: '2', title: 'Crane Signals (renamed)', status: 'live', url: 'https://lms.example.com/crane-new' });
  assert.equal(saved.status, 200);
  assert.equal(revisionIn(await saved.text()), '3');
  const now = await courseRow(c.id);
  for (const bad of [undefined, '', 'abc', '-1', '0', ['3', '3']]) {
    const fields: Record<string, string | string[]> = { title: 'Crane Signals (again)', status: 'live', url: '' };
    if (bad !== undefined) fields.revision = bad;
    const r = await postForm(`/admin/courses/${c.id}`, fields);
    assert.equal(r.status, 400, `revision ${JSON.stringify(bad)}`);
    assert.doesNotMatch(await r.text(), /someone else/);
  }
  assert.deepEqual(await courseRow(c.id), now);
});

// ---------------------------------------------------------------------------------------------
// 4. the settings form's revision

test('settings form: a missing or malformed revision is a 400 (not "someone else saved"), a JSON body a 415; nothing is saved', async () => {
  const { cert } = await recertifyingCertificate();
  const before = await certRow(cert.id);
  const path = `/admin/certificates/${cert.id}/settings`;
  for (const revision of ['abc', '', '-1', undefined, ['1', '1']]) {
    const res = await postForm(path, settingsForm(cert, { revision, 'recertification.leadDays': '20' }));
    assert.equal(res.status, 400, `revision ${JSON.stringify(revision)}`);
    const text = await res.text();
    assert.doesNotMatch(text, /someone else saved/, `revision ${JSON.stringify(revision)}`);
    assert.match(text, /revision is missing or malformed/);
  }
  const json = await admin('POST', path, { body: JSON.stringify({ revision: '1', 'recertification.leadDays': '20' }), type: 'application/json' });
  assert.equal(json.status, 415);
  assert.deepEqual(await certRow(cert.id), before);
  // A real stale form is still the 409.
  const stale = await postForm(path, settingsForm(cert, { revision: String(cert.settingsVersion + 1), 'recertification.leadDays': '20' }));
  assert.equal(stale.status, 409);
  assert.deepEqual(await certRow(cert.id), before);
});

// ---------------------------------------------------------------------------------------------
// 5. methods

test('admin paths answer a method they do not take with 405 and Allow (from the registered routes); unknown paths are 404', async () => {
  const c = await course('Hoist Basics', 'draft');
  const cases: [string, string, string][] = [
    ['GET', '/admin/logout', 'POST'],
    ['GET', '/admin/logout-everywhere', 'POST'],
    ['PUT', '/admin/courses', 'GET, HEAD, POST'],
    ['DELETE', `/admin/courses/${c.id}`, 'GET, HEAD, POST'],
    ['PATCH', '/admin/login', 'GET, HEAD, POST'],
    ['POST', '/admin/mailbox', 'GET, HEAD'],
    ['POST', '/admin/expiring.csv', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await admin(method, path, { body: method === 'GET' ? undefined : '', type: method === 'GET' ? undefined : FORM });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
    assert.match(await res.text(), /Method not allowed/);
  }
  for (const path of ['/admin/nope', '/admin/courses/x/y']) assert.equal((await admin('GET', path)).status, 404, path);
});

// ---------------------------------------------------------------------------------------------
// 6. the settings form passes what was typed

test('settings form: a field sent twice is refused beside it; reminders go to the API as typed (over 10 refused, a repeat warned, not fixed)', async () => {
  const { cert } = await recertifyingCertificate();
  const path = `/admin/certificates/${cert.id}/settings`;
  const before = await certRow(cert.id);
  const twice = await postForm(path, settingsForm(cert, { 'recertification.leadDays': ['10', '20'] }));
  assert.equal(twice.status, 400);
  const twiceHtml = await twice.text();
  assert.match(twiceHtml, /data-field="recertification.leadDays"[^>]*>[^<]*more than once/);
  const tooMany = await postForm(path, settingsForm(cert, { 'recertification.reminderDaysBeforeExpiry': Array(20).fill('1').join(',') }));
  assert.equal(tooMany.status, 400);
  assert.match(await tooMany.text(), /data-field="recertification.reminderDaysBeforeExpiry"/);
  assert.deepEqual(await certRow(cert.id), before, 'nothing saved');

  const repeatedDay = await postForm(path, settingsForm(cert, { 'recertification.reminderDaysBeforeExpiry': '7, 1, 1' }));
  assert.equal(repeatedDay.status, 200);
  assert.match(await repeatedDay.text(), /data-warning="duplicate_reminder_days"/);
  const after = await api<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.deepEqual(after.settings.recertification.reminderDaysBeforeExpiry, [7, 1, 1], 'saved as typed');
});

// ---------------------------------------------------------------------------------------------
// 7. partial forms: a post lacking a field its form always sends is refused, never filled in

/** The form a post lacking `names` would be: `fields` without them. */
const without = (fields: Record<string, string | string[]>, ...names: string[]): Record<string, string | string[]> =>
  Object.fromEntries(Object.entries(fields).filter(([k]) => !names.includes(k)));

/** The tick boxes of the Settings form: absent when unticked, so never "missing". */
const SETTINGS_BOXES = SETTINGS_CHECKBOXES.split(' ');

test('settings form: a partial post is a 400 naming every field it lacks (and its bad value); nothing is saved, nothing turned off or emptied', async () => {
  const { cert } = await recertifyingCertificate();
  const path = `/admin/certificates/${cert.id}/settings`;
  const before = await certRow(cert.id);
  // The reported post: a revision and a bad lead days, nothing else.
  const partial = await postForm(path, { revision: String(cert.settingsVersion), 'recertification.leadDays': '0' });
  assert.equal(partial.status, 400);
  const html = await partial.text();
  assert.match(html, /Nothing was saved/);
  for (const name of ['checkboxes', 'expiration.validFor.amount', 'expiration.validFor.unit', 'expiration.anchor', 'expiration.graceDays', 'recertification.courseId', 'recertification.reminderDaysBeforeExpiry']) {
    assert.ok(html.includes(`“${name}”`), `names the missing ${name}`);
  }
  assert.match(html, /Lead days must be a whole number from 1 to 365/, 'the bad value is reported, not ignored');
  assert.deepEqual(await certRow(cert.id), before, 'nothing saved');

  // Every field the form always sends, one at a time (the tick boxes are absent when unticked; the
  // revision has its own 400).
  const full = settingsForm(cert, { 'recertification.leadDays': '20' });
  for (const name of Object.keys(full).filter((n) => n !== 'revision' && !SETTINGS_BOXES.includes(n))) {
    const res = await postForm(path, without(full, name));
    assert.equal(res.status, 400, `without ${name}`);
    const text = await res.text();
    assert.ok(text.includes(`“${name}”`), `names ${name}`);
    assert.match(text, /Nothing was saved/);
  }
  // A marker that is not the form's own (it would let a missing box pass for an unticked one).
  for (const marker of ['', 'expiration.enabled', `${SETTINGS_CHECKBOXES} extra`, [SETTINGS_CHECKBOXES, SETTINGS_CHECKBOXES]]) {
    const res = await postForm(path, settingsForm(cert, { checkboxes: marker, 'recertification.leadDays': '20' }));
    assert.equal(res.status, 400, `checkboxes ${JSON.stringify(marker)}`);
  }
  assert.deepEqual(await certRow(cert.id), before, 'nothing saved');

  // The whole form as a browser sends it saves (an unticked box, with the marker, is off).
  const saved = await postForm(path, full);
  assert.equal(saved.status, 200);
  const after = await api<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(after.settings.recertification.leadDays, 20);
  assert.equal(after.settings.expiration.enabled, true);
  assert.deepEqual(after.associatedCourseIds, cert.associatedCourseIds);
});

test('settings form: a bad value is refused even in a section the form turns off (never ignored); nothing is saved', async () => {
  const { cert } = await recertifyingCertificate();
  const path = `/admin/certificates/${cert.id}/settings`;
  const before = await certRow(cert.id);
  // [change, message, whether the page hides the field (then the banner says it)]
  const cases: [Record<string, string | undefined>, RegExp, boolean][] = [
    [{ 'expiration.enabled': undefined, 'recertification.leadDays': '0' }, /Lead days must be a whole number from 1 to 365/, true],
    [{ 'recertification.enabled': undefined, 'recertification.leadDays': '0' }, /Lead days must be a whole number from 1 to 365/, false], // shown beside the validity
    [{ 'recertification.enabled': undefined, 'recertification.reminderDaysBeforeExpiry': '7, soon' }, /not a list of whole numbers/, true],
    [{ 'recertification.enabled': undefined, 'recertification.repeatReminder.everyDays': '0', 'recertification.repeatReminder.maxCount': '3' }, /Repeat every 1 to 365 days/, true],
    [{ 'expiration.enabled': undefined, 'expiration.validFor.amount': 'x' }, /“x” is not a whole number/, true],
    [{ 'expiration.enabled': undefined, 'expiration.graceDays': '400' }, /Grace days must be a whole number from 0/, true],
    [{ 'expiration.fixedDate.day': '40' }, /day of the month from 1 to 31/, false], // the anchor is not the fixed date
  ];
  for (const [change, message, hidden] of cases) {
    const res = await postForm(path, settingsForm(cert, change));
    assert.equal(res.status, 400, JSON.stringify(change));
    const html = await res.text();
    assert.match(html, /Nothing was saved/, JSON.stringify(change));
    assert.match(html, message, JSON.stringify(change));
    const banner = /<ul id="hidden-field-errors">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
    if (hidden) assert.match(banner, message, `${JSON.stringify(change)}: the banner names the hidden field's error`);
    else assert.equal(banner, '', JSON.stringify(change));
  }
  assert.deepEqual(await certRow(cert.id), before, 'nothing saved');
});

/** The templates form as the browser posts it for `cert` unchanged, with `change` applied. */
function templatesForm(cert: CertificateDto, change: Record<string, string | string[] | undefined> = {}): Record<string, string | string[]> {
  const s = cert.settings;
  const fields: Record<string, string | string[] | undefined> = { revision: String(cert.settingsVersion), checkboxes: 'sendWindow.days' };
  for (const name of TEMPLATE_MESSAGES) {
    fields[`messageTemplates.${name}.subject`] = s.messageTemplates?.[name]?.subject ?? '';
    fields[`messageTemplates.${name}.body`] = s.messageTemplates?.[name]?.body ?? '';
  }
  const w = s.sendWindow ?? DEFAULT_SEND_WINDOW;
  Object.assign(fields, { 'sendWindow.mode': s.sendWindow ? (s.sendWindow.enabled ? 'on' : 'off') : 'org', 'sendWindow.start': w.start, 'sendWindow.end': w.end, 'sendWindow.days': [...w.days] }, change);
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string | string[]] => e[1] !== undefined));
}

test('templates form: a partial post, a field sent twice or an unknown send-window mode is a 400 naming it; templates and window are never erased', async () => {
  const { cert: created } = await recertifyingCertificate();
  await api('PATCH', `/api/certificates/${created.id}`, {
    settings: {
      messageTemplates: { certificateExpiring: { subject: 'Renew {{certificate.title}}', body: '<p>Hello {{learner.name}}</p>' } },
      sendWindow: { enabled: true, start: '09:00', end: '17:00', days: ['mon', 'tue'] },
    },
  });
  const cert = await api<CertificateDto>('GET', `/api/certificates/${created.id}`);
  const path = `/admin/certificates/${cert.id}/templates`;
  const before = await certRow(cert.id);
  const partial = await postForm(path, { revision: String(cert.settingsVersion) });
  assert.equal(partial.status, 400);
  const html = await partial.text();
  for (const name of ['messageTemplates.certificateExpiring.subject', 'messageTemplates.certificateExpired.body', 'sendWindow.mode', 'sendWindow.start', 'checkboxes']) {
    assert.ok(html.includes(`“${name}”`), `names the missing ${name}`);
  }
  assert.match(html, /Nothing was saved/);
  const full = templatesForm(cert);
  for (const name of Object.keys(full).filter((n) => n !== 'revision' && n !== 'sendWindow.days')) {
    const res = await postForm(path, without(full, name));
    assert.equal(res.status, 400, `without ${name}`);
    assert.ok((await res.text()).includes(`“${name}”`), `names ${name}`);
  }
  const bogusMode = await postForm(path, templatesForm(cert, { 'sendWindow.mode': 'bogus' }));
  assert.equal(bogusMode.status, 400);
  assert.match(await bogusMode.text(), /sendWindow\.mode|send window/i);
  const twice = await postForm(path, templatesForm(cert, { 'messageTemplates.certificateExpiring.subject': ['Renew', 'Other'] }));
  assert.equal(twice.status, 400);
  assert.match(await twice.text(), /more than once/);
  assert.deepEqual(await certRow(cert.id), before, 'nothing saved');

  // The whole form as a browser sends it saves, keeping what it shows.
  const saved = await postForm(path, templatesForm(cert, { 'messageTemplates.certificateExpired.subject': 'Expired: {{certificate.title}}', 'messageTemplates.certificateExpired.body': '<p>Sorry {{learner.name}}</p>' }));
  assert.equal(saved.status, 200);
  const after = await api<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(after.settings.messageTemplates?.certificateExpiring?.subject, 'Renew {{certificate.title}}');
  assert.equal(after.settings.messageTemplates?.certificateExpired?.subject, 'Expired: {{certificate.title}}');
  assert.deepEqual(after.settings.sendWindow, { enabled: true, start: '09:00', end: '17:00', days: ['mon', 'tue'] });
});

test('course and learner edit forms: a post lacking a field the form always sends is a 400 naming it; the URL or the manager is never removed by it', async () => {
  const c = await course('Fall Arrest', 'live', 'https://lms.example.com/fall-arrest');
  const courseBefore = await courseRow(c.id);
  const noUrl = await postForm(`/admin/courses/${c.id}`, { revision: '1', title: 'Fall Arrest II', status: 'live' });
  assert.equal(noUrl.status, 400);
  const noUrlText = await noUrl.text();
  assert.ok(noUrlText.includes('“url”'), 'names url');
  assert.match(noUrlText, /Nothing was (saved|changed)/);
  const noStatus = await postForm(`/admin/courses/${c.id}`, { revision: '1', title: 'Fall Arrest II', url: 'https://lms.example.com/fall-arrest' });
  assert.equal(noStatus.status, 400);
  assert.ok((await noStatus.text()).includes('“status”'), 'names status');
  assert.deepEqual(await courseRow(c.id), courseBefore, 'nothing saved');
  const whole = await postForm(`/admin/courses/${c.id}`, { revision: '1', title: 'Fall Arrest II', status: 'live', url: 'https://lms.example.com/fall-arrest' });
  assert.equal(whole.status, 200, 'the whole form saves');

  const learner = await api<LearnerDto>('POST', '/api/learners', { email: `kim-${Date.now()}@example.com`, name: 'Kim Lee', managerEmail: 'boss@example.com' });
  const learnerBefore = await api<LearnerDto>('GET', `/api/learners/${learner.id}`);
  const noManager = await postForm(`/admin/learners/${learner.id}`, { name: 'Kim Lee-Park', email: learner.email });
  assert.equal(noManager.status, 400);
  const noManagerText = await noManager.text();
  assert.ok(noManagerText.includes('“managerEmail”'), 'names managerEmail');
  assert.match(noManagerText, /Nothing was (saved|changed)/);
  assert.deepEqual(await api<LearnerDto>('GET', `/api/learners/${learner.id}`), learnerBefore, 'nothing saved: the manager stays');
  const wholeLearner = await postForm(`/admin/learners/${learner.id}`, { name: 'Kim Lee-Park', email: learner.email, managerEmail: 'boss@example.com' });
  assert.equal(wholeLearner.status, 200);
  const after = await api<LearnerDto>('GET', `/api/learners/${learner.id}`);
  assert.equal(after.name, 'Kim Lee-Park');
  assert.equal(after.managerEmail, 'boss@example.com');
});

test('a form over the size limit is a 413 read to its end: the next request on the same keep-alive connection is answered, not reset', async () => {
  const { request } = await import('node:http');
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${stack.api}/admin/courses`);
  const c = await session();
  const post = (body: string): Promise<{ status: number; socket: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { cookie: c, origin: stack.api, 'content-type': FORM, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    const big = await post(`title=${'x'.repeat(3_000_000)}&status=draft`);
    assert.equal(big.status, 413);
    const title = `After a refused form ${Date.now()}`;
    const next = await post(form({ title, status: 'draft' }));
    assert.ok(next.status < 500, `answered ${next.status}`);
    assert.equal(next.socket, big.socket, 'the same connection carried both');
    const courses = await api<{ courses: CourseDto[] }>('GET', '/api/courses?limit=1000');
    assert.ok(courses.courses.some((x) => x.title === title), 'the second form was read and saved');
  } finally {
    agent.destroy();
  }
});
