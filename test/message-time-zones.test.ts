/**
 * Issue 13, the pure parts: dates in the learner's time zone, per-certificate templates and their
 * rules, the plain-text part, and the send window's next opening (DST gaps and folds included).
 * Expected strings are written out by hand from the IANA rules, never computed with Intl here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMessage, type TemplateContext } from '../domain/message-templates.ts';
import { htmlToText } from '../domain/html-to-text.ts';
import { canonicalTimeZone } from '../domain/instant-format.ts';
import { PLACEHOLDERS } from '../domain/placeholders.ts';
import { defaultSettings, evaluateSettings, mergeSettings, type CertificateSettings, type MessageTemplates } from '../domain/settings.ts';
import { DEFAULT_SEND_WINDOW, describeOpening, instantOfWallTime, nextWindowOpening, parseSendWindow, type SendWindow } from '../domain/send-window.ts';

const ctx = (over: Partial<TemplateContext> = {}): TemplateContext => ({
  appBaseUrl: 'https://lms.example.com',
  learner: { name: 'Ada Lovelace', email: 'ada@example.com' },
  certificate: { title: 'Forklift Operator' },
  course: { id: '11111111-2222-3333-4444-555555555555', title: 'Forklift Refresher' },
  expiresAt: new Date('2027-03-01T02:00:00Z'),
  dueAt: new Date('2027-01-30T02:00:00Z'),
  daysLeft: 7,
  ...over,
});
const templates = (over: Partial<MessageTemplates>): MessageTemplates => ({
  certificateExpiring: null,
  recertificationReminder: null,
  certificateExpired: null,
  ...over,
});

// ------------------------------------------------------------------------------------------------
// time zones

test('the issue\'s example: an expiry of 2027-03-01T02:00:00Z reads 28 February 2027, 21:00 (EST) for a learner in America/New_York', () => {
  const r = renderMessage('certificate_expiring', ctx({ timeZone: 'America/New_York' }));
  assert.ok(r);
  assert.equal(r.subject, 'Your certificate "Forklift Operator" expires on 28 February 2027, 21:00 (EST)');
  assert.ok(r.html.includes('expires on <strong>28 February 2027, 21:00 (EST)</strong>'), r.html);
  assert.ok(r.text.includes('expires on 28 February 2027, 21:00 (EST).'), r.text);
  // Without a zone: UTC, as before.
  assert.equal(renderMessage('certificate_expiring', ctx())!.subject, 'Your certificate "Forklift Operator" expires on 1 March 2027, 02:00 (UTC)');
});

test('{{dueAt}} and {{learner.timeZone}} are placeholders, written in the learner\'s zone', () => {
  assert.ok(PLACEHOLDERS.includes('dueAt') && PLACEHOLDERS.includes('learner.timeZone'));
  const r = renderMessage(
    'certificate_expiring',
    ctx({ timeZone: 'Europe/Berlin' }),
    null,
    templates({ certificateExpiring: { subject: 'Due {{dueAt}}', body: '<p>Enrolled {{dueAt}}, expires {{expiresAt}} ({{learner.timeZone}})</p>' } }),
  );
  assert.ok(r);
  assert.equal(r.subject, 'Due 30 January 2027, 03:00 (GMT+1)');
  assert.equal(r.text, 'Enrolled 30 January 2027, 03:00 (GMT+1), expires 1 March 2027, 03:00 (GMT+1) (Europe/Berlin)');
});

test('a time zone is validated by Intl and stored in its canonical spelling', () => {
  assert.equal(canonicalTimeZone('Europe/Berlin'), 'Europe/Berlin');
  assert.equal(canonicalTimeZone('europe/berlin'), 'Europe/Berlin');
  assert.equal(canonicalTimeZone('UTC'), 'UTC');
  for (const bad of ['Mars/Olympus_Mons', '', ' ', '+01:00', 'Europe/Berlin/Mitte', 'x'.repeat(65)]) assert.equal(canonicalTimeZone(bad), null, bad);
});

// ------------------------------------------------------------------------------------------------
// templates

test('a certificate\'s template overrides the built-in text; values are escaped in the HTML body and plain in the subject', () => {
  const evil = ctx({ learner: { name: '<img src=x onerror=alert(1)> & Co', email: 'e@example.com' } });
  const own = templates({
    recertificationReminder: {
      subject: '{{learner.name}}: {{daysLeft}} days left',
      body: '<p>Hi {{learner.name}},</p><p><a href="{{course.url}}">{{course.title}}</a></p><script>alert(1)</script>',
    },
  });
  const r = renderMessage('recertification_reminder', evil, null, own);
  assert.ok(r);
  assert.equal(r.subject, '<img src=x onerror=alert(1)> & Co: 7 days left');
  assert.ok(r.html.includes('<p>Hi &lt;img src=x onerror=alert(1)&gt; &amp; Co,</p>'), r.html);
  assert.doesNotMatch(r.html, /<script|<img/);
  assert.equal(r.text, 'Hi <img src=x onerror=alert(1)> & Co,\n\nForklift Refresher (https://lms.example.com/courses/11111111-2222-3333-4444-555555555555)');
  // The other kinds keep the built-in texts.
  assert.match(renderMessage('certificate_expired', evil, null, own)!.subject, /has expired/);
});

test('saving a template with an unknown or malformed placeholder is unknown_placeholder, naming the field and listing what is allowed', () => {
  const before: CertificateSettings = defaultSettings();
  const cases: [string, string, string[]][] = [
    ['{{learner.fullName}}', 'subject', ['learner.fullName']],
    ['Hi {{learner.name}', 'body', ['an unclosed "{{" ({{learner.name})']],
    ['{{}}', 'body', ['{{}}']],
  ];
  for (const [bad, part, unknown] of cases) {
    const template = part === 'subject' ? { subject: bad, body: '<p>ok</p>' } : { subject: 'ok', body: bad };
    const { violations } = evaluateSettings({ before, patch: { messageTemplates: { certificateExpired: template } }, associatedCourseIds: [], recertificationCourse: null });
    assert.equal(violations.length, 1, bad);
    const v = violations[0]!;
    assert.equal(v.code, 'unknown_placeholder');
    assert.equal(v.field, `messageTemplates.certificateExpired.${part}`);
    assert.ok(v.code === 'unknown_placeholder' && v.allowed.includes('dueAt') && v.allowed.includes('learner.timeZone'));
    assert.deepEqual(v.code === 'unknown_placeholder' ? v.unknown : null, unknown);
    assert.match(v.message, /Allowed: \{\{learner\.name\}\}/);
  }
  const ok = evaluateSettings({
    before,
    patch: { messageTemplates: { certificateExpired: { subject: '{{ certificate.title }} expired', body: '<p>{{expiresAt}}</p>' } } },
    associatedCourseIds: [],
    recertificationCourse: null,
  });
  assert.deepEqual(ok.violations, []);
  assert.deepEqual(ok.settings.messageTemplates, templates({ certificateExpired: { subject: '{{ certificate.title }} expired', body: '<p>{{expiresAt}}</p>' } }));
});

test('templates and the send window merge: a template given replaces its own only; null restores the default', () => {
  const a = mergeSettings(defaultSettings(), { messageTemplates: { certificateExpiring: { subject: 's', body: 'b' } }, sendWindow: { enabled: true } });
  assert.deepEqual(a.messageTemplates, templates({ certificateExpiring: { subject: 's', body: 'b' } }));
  assert.deepEqual(a.sendWindow, { ...DEFAULT_SEND_WINDOW, enabled: true }, 'turned on without hours: 08:00-18:00 weekdays');
  const b = mergeSettings(a, { messageTemplates: { certificateExpired: { subject: 'x', body: 'y' } }, sendWindow: { start: '09:30' } });
  assert.deepEqual(b.messageTemplates, templates({ certificateExpiring: { subject: 's', body: 'b' }, certificateExpired: { subject: 'x', body: 'y' } }));
  assert.equal(b.sendWindow?.start, '09:30');
  const c = mergeSettings(b, { messageTemplates: { certificateExpiring: null }, sendWindow: null });
  assert.equal(c.messageTemplates?.certificateExpiring, null);
  assert.equal(c.sendWindow, null);
  const bad = evaluateSettings({ before: b, patch: { sendWindow: { end: '09:00' } }, associatedCourseIds: [], recertificationCourse: null });
  assert.equal(bad.violations[0]?.code, 'invalid_send_window');
});

// ------------------------------------------------------------------------------------------------
// the plain-text part

test('the text part: paragraphs, line breaks, lists, links with their address, entities decoded, scripts and styles dropped', () => {
  const html =
    '<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>\n<h1>Title</h1><p>Hello   <strong>Ada</strong>,<br>line two</p>' +
    '<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>' +
    '<p><a href="https://x.example/c">the course</a> or <a href="https://x.example/c">https://x.example/c</a> or <a href="mailto:help@x.example">help@x.example</a></p>' +
    '<p>&lt;b&gt; &amp; &quot;q&quot; &#39;</p><script>alert(1)</script></body></html>';
  assert.equal(
    htmlToText(html),
    'Title\n\nHello Ada,\nline two\n\n- one\n- two\n\n 1. first\n 2. second\n\nthe course (https://x.example/c) or https://x.example/c or help@x.example\n\n<b> & "q" \'',
  );
  assert.equal(htmlToText(''), '');
});

test('every built-in message has a text part with the same words as its HTML', () => {
  for (const kind of ['certificate_expiring', 'recertification_reminder', 'certificate_expired', 'recertification_enrollment'] as const) {
    const r = renderMessage(kind, ctx({ timeZone: 'Asia/Tokyo' }));
    assert.ok(r, kind);
    assert.match(r.text, /^Hello Ada Lovelace,\n\nYour certificate Forklift Operator /, kind);
    assert.doesNotMatch(r.text, /<|&amp;/, kind);
    assert.match(r.text, /\(JST\)|GMT\+9/, kind);
  }
});

// ------------------------------------------------------------------------------------------------
// send windows

const on: SendWindow = { ...DEFAULT_SEND_WINDOW, enabled: true };
const at = (iso: string, zone: string, w: SendWindow = on): string => new Date(nextWindowOpening(Date.parse(iso), zone, w)).toISOString();

test('send window off: at once; inside the window: at once', () => {
  assert.equal(at('2026-12-05T03:00:00Z', 'Europe/Berlin', DEFAULT_SEND_WINDOW), '2026-12-05T03:00:00.000Z', 'off (the default), a Saturday night');
  assert.equal(at('2026-12-02T09:00:00Z', 'Europe/Berlin'), '2026-12-02T09:00:00.000Z', 'Wednesday 10:00 Berlin');
});

test('Asia/Tokyo 02:00 on a Thursday opens at 08:00 the same day; after 18:00 the next morning', () => {
  assert.equal(at('2026-12-02T17:00:00Z', 'Asia/Tokyo'), '2026-12-02T23:00:00.000Z'); // Thu 3 Dec 02:00 JST → 08:00 JST
  assert.equal(at('2026-12-03T09:30:00Z', 'Asia/Tokyo'), '2026-12-03T23:00:00.000Z'); // Thu 18:30 JST → Fri 08:00 JST
  assert.equal(at('2026-12-03T08:59:00Z', 'Asia/Tokyo'), '2026-12-03T08:59:00.000Z'); // Thu 17:59 JST: inside
});

test('a Saturday opens on Monday 08:00; a Friday evening too', () => {
  assert.equal(at('2026-12-05T10:00:00Z', 'Europe/Berlin'), '2026-12-07T07:00:00.000Z');
  assert.equal(at('2026-12-04T17:00:00Z', 'Europe/Berlin'), '2026-12-07T07:00:00.000Z'); // Fri 18:00 Berlin: closed (end exclusive)
  assert.equal(at('2026-12-05T10:00:00Z', 'America/New_York'), '2026-12-07T13:00:00.000Z');
});

test('daylight saving time between the due instant and the opening: the opening is 08:00 local on the new offset', () => {
  // Saturday 27 March 2027, 20:00 CET; clocks go forward on Sunday 28 March; Monday 08:00 is CEST (UTC+2).
  assert.equal(at('2027-03-27T19:00:00Z', 'Europe/Berlin'), '2027-03-29T06:00:00.000Z');
  // Autumn: Saturday 30 October 2027 CEST → Monday 1 November 08:00 CET (UTC+1).
  assert.equal(at('2027-10-30T12:00:00Z', 'Europe/Berlin'), '2027-11-01T07:00:00.000Z');
  // New York springs forward on Sunday 14 March 2027.
  assert.equal(at('2027-03-13T15:00:00Z', 'America/New_York'), '2027-03-15T12:00:00.000Z');
});

test('a window opening inside a DST gap opens when the clocks jump past it; in a fold, at the first of the two', () => {
  // Berlin, 28 March 2027: 02:00 CET jumps to 03:00 CEST (01:00Z). 02:30 does not exist.
  assert.equal(new Date(instantOfWallTime(Date.parse('2027-03-28T02:30:00Z'), 'Europe/Berlin')).toISOString(), '2027-03-28T01:00:00.000Z');
  // Berlin, 31 October 2027: 02:30 happens twice (00:30Z CEST, 01:30Z CET); the first.
  assert.equal(new Date(instantOfWallTime(Date.parse('2027-10-31T02:30:00Z'), 'Europe/Berlin')).toISOString(), '2027-10-31T00:30:00.000Z');
  const sunday: SendWindow = { enabled: true, start: '02:30', end: '05:00', days: ['sun'] };
  assert.equal(at('2027-03-27T23:00:00Z', 'Europe/Berlin', sunday), '2027-03-28T01:00:00.000Z');
  assert.equal(at('2027-03-14T05:00:00Z', 'America/New_York', sunday), '2027-03-14T07:00:00.000Z'); // 03:00 EDT
});

test('SEND_WINDOW\'s text: off, on, hours and days', () => {
  assert.deepEqual(parseSendWindow('off'), DEFAULT_SEND_WINDOW);
  assert.deepEqual(parseSendWindow('on'), on);
  assert.deepEqual(parseSendWindow('09:00-17:00 mon,wed-fri'), { enabled: true, start: '09:00', end: '17:00', days: ['mon', 'wed', 'thu', 'fri'] });
  assert.equal(typeof parseSendWindow('18:00-08:00'), 'string');
  assert.equal(typeof parseSendWindow('9-5'), 'string');
  assert.equal(typeof parseSendWindow('08:00-18:00 someday'), 'string');
});

test('a wait is described as the issue says: "08:00 Europe/Berlin" and the day', () => {
  assert.equal(describeOpening(Date.parse('2027-03-29T06:00:00Z'), 'Europe/Berlin'), '08:00 Europe/Berlin on Monday 29 March 2027');
});
