/**
 * The admin page's pure parts: the session cookie, CSV escaping, and the turn of the Settings form
 * into the API's PATCH (only what changed; bad numbers stop it, next to their field).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { versionOfEtag } from '../api/admin/api-client.ts';
import {
  courseErrorsFromApi,
  courseRevisionOf,
  courseValuesFromCourse,
  courseValuesFromForm,
  createBody,
  patchBody,
  repeatedCourseFieldErrors,
} from '../api/admin/course-form.ts';
import { formGaps, formGapsText, PageRefusal, queryParam, readForm, refusedParameterMessage, repeatedFields } from '../api/admin/requests.ts';
import { courseUrl, courseUrlFromTemplate, defaultCourseUrlTemplate } from '../domain/course-url.ts';
import { csvField, toCsv } from '../api/admin/csv.ts';
import {
  buildPatch,
  errorsFromApi,
  expectedVersionOf,
  hiddenFields,
  revisionOf,
  SETTINGS_CHECKBOXES,
  SETTINGS_FORM_SHAPE,
  SINGLE_FIELDS,
  valuesFromCertificate,
  valuesFromForm,
  type FormBody,
} from '../api/admin/forms.ts';
import { newSessionValue, safeNext, sessionIdHash, sessionIdHashOf } from '../api/admin/session.ts';
import { certificateQuery, thisMonth } from '../api/admin/workflows.ts';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import { defaultSettings } from '../domain/settings.ts';

const TOKEN = 'test-token-0123456789abcdef';
const COURSE = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

function certificate(over: Partial<CertificateDto['settings']> = {}, associatedCourseIds = [COURSE]): CertificateDto {
  const s = defaultSettings();
  return {
    id: '33333333-3333-4333-8333-333333333333',
    title: 'Forklift Operator',
    associatedCourseIds,
    settings: {
      ...s,
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: COURSE, leadDays: 30, reminderDaysBeforeExpiry: [7, 1] },
      ...over,
    },
    settingsVersion: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** The form as the browser posts it for these values (a ticked box sends `on`, an unticked one nothing). */
function form(cert: CertificateDto, change: Record<string, string | string[] | boolean> = {}): FormBody {
  const v = valuesFromCertificate(cert);
  const body: FormBody = {
    revision: v.revision,
    'expiration.validFor.amount': v.amount,
    'expiration.validFor.unit': v.unit,
    'expiration.anchor': v.anchor,
    'expiration.fixedDate.month': v.fixedMonth,
    'expiration.fixedDate.day': v.fixedDay,
    'expiration.fixedDate.minimumActiveDays': v.fixedMinimum,
    'expiration.graceDays': v.graceDays ?? '0',
    'recertification.courseId': v.courseId,
    'recertification.leadDays': v.leadDays,
    'recertification.reminderDaysBeforeExpiry': v.reminders,
    'recertification.repeatReminder.everyDays': v.repeatEvery,
    'recertification.repeatReminder.maxCount': v.repeatMax,
    checkboxes: SETTINGS_CHECKBOXES.value,
    associatedCourseIds: v.associatedCourseIds,
  };
  const boxes: Record<string, boolean> = {
    'expiration.enabled': v.expirationEnabled,
    'recertification.enabled': v.recertificationEnabled,
    'expiringNotice.enabled': v.expiringNotice,
    'expiredNotice.enabled': v.expiredNotice,
  };
  for (const [k, val] of Object.entries(change)) {
    if (typeof val === 'boolean') boxes[k] = val;
    else body[k] = val;
  }
  for (const [k, on] of Object.entries(boxes)) if (on) body[k] = 'on';
  return body;
}

const LIVE = new Set([COURSE, OTHER]);

test('session cookie: a random id with a MAC; a tampered, foreign or old-format value names no session; never contains the token', () => {
  const { value, idHash } = newSessionValue(TOKEN);
  assert.ok(!value.includes(TOKEN));
  assert.match(value, /^v2\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(sessionIdHashOf(value, TOKEN), idHash, 'its own value names its row');
  const [v, id, mac] = value.split('.');
  assert.deepEqual(idHash, sessionIdHash(id!), 'the row key is the hash of the id, not the id');
  assert.notEqual(newSessionValue(TOKEN).value, value, 'ids are random');
  assert.equal(sessionIdHashOf(value, 'another-token-0123456789'), null, 'signed with another token (a rotated token ends every session)');
  const otherId = newSessionValue(TOKEN).value.split('.')[1];
  assert.equal(sessionIdHashOf(`${v}.${otherId}.${mac}`, TOKEN), null, 'another id under this MAC');
  for (const last of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']) {
    const altered = `${v}.${id}.${mac!.slice(0, -1)}${last}`;
    if (altered !== value) assert.equal(sessionIdHashOf(altered, TOKEN), null, `altered mac (last character ${last})`);
  }
  assert.equal(sessionIdHashOf(undefined, TOKEN), null);
  assert.equal(sessionIdHashOf(TOKEN, TOKEN), null, 'the token itself is not a session');
  assert.equal(sessionIdHashOf(`v1.1893456000.${mac}`, TOKEN), null, 'the old stateless cookie opens nothing');
});

test('sign-in follows only admin paths', () => {
  assert.equal(safeNext('/admin/mailbox?learnerId=x'), '/admin/mailbox?learnerId=x');
  assert.equal(safeNext('https://evil.example/admin'), '/admin/certificates');
  assert.equal(safeNext('//evil.example/admin'), '/admin/certificates');
  assert.equal(safeNext('/api/certificates'), '/admin/certificates');
  assert.equal(safeNext(undefined), '/admin/certificates');
});

test('CSV: RFC 4180 quoting, CRLF records, formulas kept as text', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('Smith, Jo'), '"Smith, Jo"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField('-1'), "'-1");
  assert.equal(csvField(-1), '-1', 'numbers are numbers');
  assert.equal(csvField(null), '');
  assert.equal(csvField(new Date(Date.UTC(2026, 1, 3))), '2026-02-03T00:00:00.000Z');
  assert.equal(toCsv(['a', 'b'], [['1', 'x,y']]), 'a,b\r\n1,"x,y"\r\n');
});

test('the form sends only what changed', () => {
  const cert = certificate();
  const unchanged = buildPatch(valuesFromForm(form(cert)), cert, LIVE);
  assert.deepEqual(unchanged, { patch: {}, errors: {} });

  const changed = buildPatch(
    valuesFromForm(form(cert, { 'recertification.leadDays': ' 14 ', 'recertification.courseId': OTHER, 'recertification.reminderDaysBeforeExpiry': '1 7, 3', 'expiredNotice.enabled': true })),
    cert,
    LIVE,
  );
  assert.deepEqual(changed.errors, {});
  assert.deepEqual(changed.patch, {
    settings: {
      recertification: { courseId: OTHER, leadDays: 14, reminderDaysBeforeExpiry: [7, 3, 1] },
      expiredNotice: { enabled: true },
    },
  });

  const assoc = buildPatch(valuesFromForm(form(cert, { associatedCourseIds: [OTHER, COURSE] })), cert, LIVE);
  assert.deepEqual(assoc.patch, { associatedCourseIds: [COURSE, OTHER] }, 'kept in order, the new one at the end');
});

test('turning expiration off sends only that; a bad value in a section turned off is still refused, never ignored', () => {
  const cert = certificate();
  const off = buildPatch(valuesFromForm(form(cert, { 'expiration.enabled': false })), cert, LIVE);
  assert.deepEqual(off, { patch: { settings: { expiration: { enabled: false } } }, errors: {} });
  for (const [field, bad] of [['recertification.leadDays', 'abc'], ['recertification.leadDays', '0'], ['expiration.validFor.amount', '0'], ['recertification.reminderDaysBeforeExpiry', '400']] as const) {
    const r = buildPatch(valuesFromForm(form(cert, { 'expiration.enabled': false, [field]: bad })), cert, LIVE);
    assert.ok(r.errors[field], `${field} = ${bad} while expiration is off`);
    assert.deepEqual(hiddenFields(valuesFromForm(form(cert, { 'expiration.enabled': false }))).includes(field), true, `${field} is hidden: the banner says it`);
  }
});

test('formGaps: a post lacking a field its form always sends is named (zod); a tick box counts as unticked only with the form\'s marker', () => {
  const cert = certificate();
  const full = form(cert);
  assert.deepEqual(formGaps(full, SETTINGS_FORM_SHAPE), { missing: [], malformed: {} });
  const partial = formGaps({ revision: '3', 'recertification.leadDays': '0' }, SETTINGS_FORM_SHAPE);
  assert.ok(partial.missing.includes('checkboxes') && partial.missing.includes('expiration.validFor.amount') && !partial.missing.includes('recertification.leadDays'), JSON.stringify(partial));
  assert.ok(!partial.missing.includes('expiration.enabled') && !partial.missing.includes('associatedCourseIds'), 'tick boxes are vouched for by the marker');
  assert.match(formGapsText(partial), /did not send .*“checkboxes”.*Reload the page/);
  const wrong = formGaps({ ...full, checkboxes: 'expiration.enabled' }, SETTINGS_FORM_SHAPE);
  assert.deepEqual(Object.keys(wrong.malformed), ['checkboxes']);
  const { 'expiration.graceDays': _grace, ...noGrace } = full;
  assert.deepEqual(formGaps(noGrace, SETTINGS_FORM_SHAPE).missing, ['expiration.graceDays']);
});

test('bad numbers stop the save with a message per field, in one go', () => {
  const cert = certificate();
  for (const [lead, why] of [['0', /1 to 365/], ['366', /1 to 365/], ['abc', /not a whole number.*1 to 365/], ['3.5', /not a whole number/], ['', /not a whole number/]] as const) {
    const r = buildPatch(valuesFromForm(form(cert, { 'recertification.leadDays': lead })), cert, LIVE);
    assert.match(r.errors['recertification.leadDays'] ?? '', why, `lead days ${JSON.stringify(lead)}`);
  }
  const many = buildPatch(
    valuesFromForm(form(cert, { 'expiration.validFor.amount': 'x', 'recertification.leadDays': '400', 'recertification.reminderDaysBeforeExpiry': '7, soon' })),
    cert,
    LIVE,
  );
  assert.deepEqual(Object.keys(many.errors).sort(), ['expiration.validFor.amount', 'recertification.leadDays', 'recertification.reminderDaysBeforeExpiry']);
});

test('an empty course choice keeps a saved course that is no longer live; otherwise it clears it', () => {
  const cert = certificate();
  const notLive = buildPatch(valuesFromForm(form(cert, { 'recertification.courseId': '' })), cert, new Set([OTHER]));
  assert.deepEqual(notLive.patch, {});
  const live = buildPatch(valuesFromForm(form(cert, { 'recertification.courseId': '' })), cert, LIVE);
  assert.deepEqual(live.patch, { settings: { recertification: { courseId: null } } });
});

test('API failures land beside their field', () => {
  assert.deepEqual(
    errorsFromApi({
      code: 'validation_failed',
      message: 'Invalid json.settings.recertification.leadDays',
      details: { target: 'json', issues: [{ path: 'settings.recertification.leadDays', code: 'too_big', message: 'leadDays must be at most 365' }] },
    }).fields,
    { 'recertification.leadDays': 'Lead days must be a whole number from 1 to 365.' },
  );
  const rule = errorsFromApi({
    code: 'course_required',
    message: 'Choose a recertification course to enable recertification.',
    details: { field: 'recertification.courseId', violations: [{ code: 'course_required', field: 'recertification.courseId', message: 'Choose a recertification course to enable recertification.' }] },
  });
  assert.deepEqual(rule, { fields: { 'recertification.courseId': 'Choose a recertification course to enable recertification.' }, general: null });
  assert.deepEqual(errorsFromApi({ code: 'internal_error', message: 'Something went wrong', details: null }), { fields: {}, general: 'Something went wrong' });
});

test('the revision is the certificate\'s settingsVersion (its ETag), which every change raises', () => {
  const a = certificate();
  assert.equal(revisionOf(a), '3');
  assert.equal(revisionOf({ ...a, settingsVersion: 4 }), '4');
  assert.equal(expectedVersionOf(valuesFromForm(form(a))), 3, 'the form posts back the version it was rendered from');
  for (const bad of ['', '0', '-3', '3.0', 'abc', '3"', '12345678901']) {
    assert.equal(expectedVersionOf(valuesFromForm({ ...form(a), revision: bad })), null, `revision ${JSON.stringify(bad)}`);
  }
});

test('visibility queries: a certificate, and its workflows due this month', () => {
  const month = thisMonth(new Date(Date.UTC(2026, 11, 31, 23, 59)));
  assert.deepEqual(month, { from: new Date(Date.UTC(2026, 11, 1)), until: new Date(Date.UTC(2027, 0, 1)) });
  assert.equal(
    certificateQuery(COURSE, month),
    `CertificateId = '${COURSE}' AND RecertificationDueAt >= '2026-12-01T00:00:00.000Z' AND RecertificationDueAt < '2027-01-01T00:00:00.000Z'`,
  );
  assert.throws(() => certificateQuery("x' OR '1'='1"), /UUID/);
});

// ---------------------------------------------------------------------------------------------
// the course form

const savedCourse: CourseDto = {
  id: COURSE,
  title: 'Forklift Refresher',
  status: 'live',
  enrollmentMessage: null,
  url: 'https://lms.example.com/forklift',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

test('course form: an unchanged form patches nothing; only changed fields are sent; an emptied URL removes it', () => {
  const same = courseValuesFromForm({ title: 'Forklift Refresher', status: 'live', url: 'https://lms.example.com/forklift', revision: '4' });
  assert.deepEqual(patchBody(same, savedCourse), { body: {}, errors: {} });
  assert.deepEqual(courseValuesFromCourse(savedCourse, 4), same);
  assert.deepEqual(patchBody({ ...same, url: 'https://lms.example.com/new' }, savedCourse).body, { url: 'https://lms.example.com/new' });
  assert.deepEqual(patchBody({ ...same, url: '  ' }, savedCourse).body, { url: null });
  assert.deepEqual(patchBody({ ...same, title: 'New title', status: 'draft' }, savedCourse).body, { title: 'New title', status: 'draft' });
  assert.deepEqual(patchBody({ ...same, url: '' }, { ...savedCourse, url: null }).body, {}, 'no URL stays no URL');
  // A status that is not one is refused before the API, and nothing is sent.
  assert.deepEqual(patchBody({ ...same, status: 'published' }, savedCourse), { body: {}, errors: { status: 'Choose draft, live or archived.' } });
  assert.deepEqual(createBody({ title: 'T', status: 'live', url: '', revision: '' }), { body: { title: 'T', status: 'live', url: null }, errors: {} });
  assert.deepEqual(createBody({ title: 'T', status: '', url: '', revision: '' }).errors, { status: 'Choose draft, live or archived.' });
  // A file is no value; a field sent twice is refused beside it (repeatedCourseFieldErrors), never one picked.
  assert.deepEqual(courseValuesFromForm({ title: 'A', status: 'live', url: new File(['x'], 'x.txt') }), { title: 'A', status: 'live', url: '', revision: '' });
  assert.deepEqual(repeatedCourseFieldErrors({ title: ['A', 'B'], status: 'live', url: '' }), { title: 'The form sent this field more than once; send it once.' });
});

test('course form: the revision is the course version it was rendered from; missing, repeated or malformed is null', () => {
  assert.equal(courseRevisionOf({ revision: '7' }), 7);
  for (const bad of [undefined, '', '0', '-1', 'abc', '7.0', '"7"', ['7', '7'], '12345678901']) {
    assert.equal(courseRevisionOf(bad === undefined ? {} : { revision: bad }), null, JSON.stringify(bad));
  }
  assert.equal(versionOfEtag('"7"'), 7);
  for (const bad of [null, 'W/"7"', '7', '"x"', '"0"']) assert.equal(versionOfEtag(bad), null, String(bad));
});

test('course form: the API\'s validation issues land beside their fields with the API\'s message; the rest is general', () => {
  const failure = {
    code: 'validation_failed',
    message: 'json.url: must be an absolute http or https URL',
    details: { target: 'json', issues: [{ path: 'url', code: 'custom', message: 'must be an absolute http or https URL' }, { path: 'other', code: 'x', message: 'ignored' }], issueCount: 2 },
  };
  assert.deepEqual(courseErrorsFromApi(failure), { fields: { url: 'must be an absolute http or https URL' }, general: null });
  assert.deepEqual(courseErrorsFromApi({ code: 'unknown_placeholder', message: 'Unknown placeholder.', details: null }), { fields: {}, general: 'Unknown placeholder.' });
});

// ---------------------------------------------------------------------------------------------
// what a request carries

/** A tiny app answering what readForm / queryParam make of a request (a PageRefusal as its status). */
const probe = new Hono()
  .post('/form', async (c) => c.json(await readForm(c)))
  .get('/query', (c) => c.json({ v: queryParam(c, 'v') ?? null }))
  .onError((err, c) => (err instanceof PageRefusal ? c.text(`${err.title}: ${err.message}`, err.status) : c.text(String(err), 500)));

test('readForm: a form of either type with every value; not a form is 415, a broken multipart body 400; an empty body is an empty form', async () => {
  const post = (body: BodyInit | undefined, type?: string) => probe.request('/form', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
  const url = await post('a=1&a=2&b=x', 'application/x-www-form-urlencoded; charset=UTF-8');
  assert.deepEqual(await url.json(), { a: ['1', '2'], b: 'x' });
  const fd = new FormData();
  fd.append('t', 'v');
  const multi = await probe.request('/form', { method: 'POST', body: fd });
  assert.deepEqual(await multi.json(), { t: 'v' });
  for (const [body, type] of [['junk', 'multipart/form-data'], ['--X\r\nContent-Disposition: form-data; name="t"\r\n\r\nv', 'multipart/form-data; boundary=X']] as const) {
    const r = await post(body, type);
    assert.equal(r.status, 400, type);
    assert.match(await r.text(), /could not be read/);
  }
  for (const [body, type] of [['{}', 'application/json'], ['a=1', 'text/plain'], ['a=1', undefined]] as const) assert.equal((await post(body, type)).status, 415, String(type));
  assert.deepEqual(await (await post(undefined)).json(), {});
});

test('queryParam: absent or empty is undefined, repeated is a 400 naming it; the API\'s query refusal names its parameter', async () => {
  assert.deepEqual(await (await probe.request('/query?v=x')).json(), { v: 'x' });
  assert.deepEqual(await (await probe.request('/query?v=')).json(), { v: null });
  const twice = await probe.request('/query?v=a&v=b');
  assert.equal(twice.status, 400);
  assert.match(await twice.text(), /The parameter “v” is not valid: it is given more than once/);
  assert.equal(
    refusedParameterMessage({ message: 'Invalid query.before', details: { target: 'query', issues: [{ path: 'before', code: 'x', message: 'Invalid ISO datetime' }], issueCount: 1 } }),
    'The parameter “before” is not valid: Invalid ISO datetime.',
  );
  assert.equal(refusedParameterMessage({ message: 'Other', details: null }), null, 'not about a query parameter: the page\'s own fault (a 500)');
  assert.equal(refusedParameterMessage({ message: 'Bad id', details: { target: 'param', issues: [{ path: 'id', message: 'x' }] } }), null);
});

test('settings form: fields sent twice are found (not one picked); reminders go as typed, over the limit refused beside the field; a course chosen twice is refused', () => {
  const cert = certificate();
  const body = form(cert, { 'recertification.leadDays': ['10', '20'] });
  assert.deepEqual(repeatedFields(body, SINGLE_FIELDS), ['recertification.leadDays']);
  assert.ok(SINGLE_FIELDS.includes('revision') && !SINGLE_FIELDS.includes('associatedCourseIds'));
  const twenty = buildPatch(valuesFromForm(form(cert, { 'recertification.reminderDaysBeforeExpiry': Array(20).fill('1').join(',') })), cert, LIVE);
  assert.ok(twenty.errors['recertification.reminderDaysBeforeExpiry'], 'twenty days: the limit of 10, beside the field (not quietly [1])');
  const repeat = buildPatch(valuesFromForm(form(cert, { 'recertification.reminderDaysBeforeExpiry': '1, 7, 1' })), cert, LIVE);
  assert.deepEqual(repeat, { patch: { settings: { recertification: { reminderDaysBeforeExpiry: [7, 1, 1] } } }, errors: {} }, 'every day typed is sent (latest first): the API warns');
  const dup = buildPatch(valuesFromForm(form(cert, { associatedCourseIds: [COURSE, OTHER, OTHER] })), cert, LIVE);
  assert.match(dup.errors.associatedCourseIds ?? '', /more than once/);
});

test('course URLs are a domain rule (domain/course-url.ts), and the admin page imports nothing from activities', () => {
  assert.equal(defaultCourseUrlTemplate('https://app.example/'), 'https://app.example/courses/{courseId}');
  assert.equal(courseUrlFromTemplate('https://lms.example/c/{courseId}/start', 'a b'), 'https://lms.example/c/a%20b/start');
  assert.equal(courseUrl('https://app.example', { id: 'x', url: 'https://lms.example/own' }), 'https://lms.example/own');
  assert.equal(courseUrl('https://app.example', { id: 'x', url: null }), 'https://app.example/courses/x');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
  for (const file of files('api/admin')) {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
    assert.deepEqual(imports.filter((i) => /(^|\/)activities\//.test(i)), [], `${file} imports from activities`);
  }
});
