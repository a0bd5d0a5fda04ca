import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminBodyToHtml,
  escapeHtml,
  fillPlaceholders,
  placeholderValues,
  renderMessage,
  sanitizeSubject,
  type TemplateContext,
} from '../activities/mail/templates.ts';
import { formatInstant } from '../domain/instant-format.ts';

const ctx = (over: Partial<TemplateContext> = {}): TemplateContext => ({
  appBaseUrl: 'https://lms.example.com/',
  learner: { name: 'Ada Lovelace', email: 'ada@example.com' },
  certificate: { title: 'Forklift Operator' },
  course: { id: '11111111-2222-3333-4444-555555555555', title: 'Forklift Refresher' },
  expiresAt: new Date('2026-03-05T23:30:00Z'),
  daysLeft: 7,
  ...over,
});

test('escapeHtml escapes the five HTML-significant characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

// Issue 18 §7: an instant is written as date, time and zone. The expected strings are written out by
// hand (from the IANA rules: New York is UTC−5 in winter, UTC−4 in summer; Berlin UTC+1 / UTC+2),
// never computed with Intl here.
test('an instant is written as date, 24-hour time and zone, in UTC by default', () => {
  const instant = new Date('2027-03-01T02:00:00Z');
  assert.equal(formatInstant(instant), '1 March 2027, 02:00 (UTC)');
  assert.equal(formatInstant(instant, 'UTC'), '1 March 2027, 02:00 (UTC)');
  assert.equal(formatInstant(new Date('2026-03-05T23:30:00Z')), '5 March 2026, 23:30 (UTC)');
  assert.equal(formatInstant(new Date('2026-07-15T00:05:00Z')), '15 July 2026, 00:05 (UTC)', 'midnight is 00, not 24');
});

test('the same instant west of UTC falls on the previous day', () => {
  assert.equal(formatInstant(new Date('2027-03-01T02:00:00Z'), 'America/New_York'), '28 February 2027, 21:00 (EST)');
});

test('a year boundary: the zone decides the year', () => {
  assert.equal(formatInstant(new Date('2026-12-31T23:30:00Z')), '31 December 2026, 23:30 (UTC)');
  assert.equal(formatInstant(new Date('2027-01-01T00:30:00Z')), '1 January 2027, 00:30 (UTC)');
  assert.equal(formatInstant(new Date('2027-01-01T00:30:00Z'), 'America/New_York'), '31 December 2026, 19:30 (EST)');
  assert.equal(formatInstant(new Date('2026-12-31T23:30:00Z'), 'Europe/Berlin'), '1 January 2027, 00:30 (GMT+1)');
});

test('daylight saving time: summer offsets and names', () => {
  assert.equal(formatInstant(new Date('2026-07-15T10:00:00Z'), 'Europe/Berlin'), '15 July 2026, 12:00 (GMT+2)');
  assert.equal(formatInstant(new Date('2026-01-15T10:00:00Z'), 'Europe/Berlin'), '15 January 2026, 11:00 (GMT+1)');
  assert.equal(formatInstant(new Date('2026-07-15T10:00:00Z'), 'America/New_York'), '15 July 2026, 06:00 (EDT)');
  assert.equal(formatInstant(new Date('2026-07-15T10:00:00Z'), 'Asia/Kolkata'), '15 July 2026, 15:30 (GMT+5:30)');
});

test('an unknown time zone or an invalid Date is a RangeError that says so', () => {
  assert.throws(() => formatInstant(new Date('2027-03-01T02:00:00Z'), 'Mars/Olympus_Mons'), {
    name: 'RangeError',
    message: /Unknown time zone "Mars\/Olympus_Mons"/,
  });
  assert.throws(() => formatInstant(new Date('2027-03-01T02:00:00Z'), ''), { name: 'RangeError', message: /Unknown time zone ""/ });
  assert.throws(() => formatInstant(new Date('not a date')), { name: 'RangeError', message: /invalid Date/ });
});

test('the expiring notice gives the expiry as date, time and zone', () => {
  const r = renderMessage('certificate_expiring', ctx({ expiresAt: new Date('2027-03-01T02:00:00Z') }));
  assert.ok(r);
  assert.equal(r.subject, 'Your certificate "Forklift Operator" expires on 1 March 2027, 02:00 (UTC)');
  assert.ok(r.html.includes('expires on <strong>1 March 2027, 02:00 (UTC)</strong>.'), r.html);
  assert.ok(r.html.includes('Complete it before 1 March 2027, 02:00 (UTC) to receive a renewed certificate.'), r.html);
});

test('a learner name with <script> is escaped in the body and kept as text in the subject', () => {
  const evil = ctx({ learner: { name: '<script>alert("x")</script>', email: 'e@example.com' } });
  const enrollment = renderMessage('course_enrollment', evil, { subject: 'Hi {{learner.name}}', body: '<p>Dear {{learner.name}}</p>' });
  assert.ok(enrollment);
  assert.ok(!enrollment.html.includes('<script>'), 'no raw script tag in the body');
  assert.ok(enrollment.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.equal(enrollment.subject, 'Hi <script>alert("x")</script>');
  const expiring = renderMessage('certificate_expiring', evil);
  assert.ok(expiring && !expiring.html.includes('<script>') && expiring.html.includes('&lt;script&gt;'));
});

test('course and certificate titles are escaped too', () => {
  const r = renderMessage('certificate_expiring', ctx({ certificate: { title: 'A & B <i>' }, course: { id: 'c1', title: '"Q"' } }));
  assert.ok(r);
  assert.ok(r.html.includes('A &amp; B &lt;i&gt;'));
  assert.ok(r.html.includes('&quot;Q&quot;'));
  assert.ok(!r.html.includes('<i>'));
});

test('the expiring notice names the certificate, the expiry date and links the course', () => {
  const r = renderMessage('certificate_expiring', ctx());
  assert.ok(r);
  assert.equal(r.subject, 'Your certificate "Forklift Operator" expires on 5 March 2026, 23:30 (UTC)');
  assert.ok(r.html.includes('Forklift Operator'));
  assert.ok(r.html.includes('5 March 2026, 23:30 (UTC)'));
  assert.ok(r.html.includes('href="https://lms.example.com/courses/11111111-2222-3333-4444-555555555555"'));
  assert.ok(r.html.includes('Forklift Refresher'));
});

test('the expiring notice without an attempt has no course link', () => {
  const r = renderMessage('certificate_expiring', ctx({ course: null }));
  assert.ok(r);
  assert.ok(!r.html.includes('/courses/'));
  assert.ok(r.html.includes('contact your administrator'));
});

test('the reminder says how many days are left', () => {
  const r = renderMessage('recertification_reminder', ctx({ daysLeft: 1 }));
  assert.ok(r);
  assert.equal(r.subject, 'Reminder: "Forklift Operator" expires in 1 day');
  const r7 = renderMessage('recertification_reminder', ctx({ daysLeft: 7 }));
  assert.ok(r7);
  assert.ok(r7.subject.endsWith('expires in 7 days'));
  assert.ok(r7.html.includes('expires in 7 days, on <strong>5 March 2026, 23:30 (UTC)</strong>.'), r7.html);
  assert.ok(r7.html.includes('/courses/'));
});

test('the expired notice says it expired', () => {
  const r = renderMessage('certificate_expired', ctx());
  assert.equal(r?.subject, 'Your certificate "Forklift Operator" has expired');
  assert.ok(r?.html.includes('expired on <strong>5 March 2026, 23:30 (UTC)</strong>.'), r?.html);
});

test('the enrollment message uses the course template with every placeholder', () => {
  const r = renderMessage('course_enrollment', ctx(), {
    subject: '{{course.title}} for {{learner.name}} ({{daysLeft}}d)',
    body: 'Hi {{learner.name}} <{{learner.email}}>,\n\nOpen {{course.url}} before {{expiresAt}} ({{certificate.title}}).',
  });
  assert.ok(r);
  assert.equal(r.subject, 'Forklift Refresher for Ada Lovelace (7d)');
  // Plain text body: escaped, paragraphs kept.
  assert.ok(r.html.includes('<p>Hi Ada Lovelace &lt;ada@example.com&gt;,</p>'));
  assert.ok(r.html.includes('Open https://lms.example.com/courses/11111111-2222-3333-4444-555555555555 before 5 March 2026, 23:30 (UTC) (Forklift Operator).'));
});

test('no enrollment message: nothing to render', () => {
  assert.equal(renderMessage('course_enrollment', ctx(), null), null);
});

test('unknown placeholders stay; known ones without a value become empty', () => {
  const values = placeholderValues(ctx({ course: null }));
  assert.equal(fillPlaceholders('{{ learner.name }} {{unknown.thing}} [{{course.url}}]', values, 'text'), 'Ada Lovelace {{unknown.thing}} []');
});

test('subjects lose CR/LF (no header injection)', () => {
  assert.equal(sanitizeSubject('Hello\r\nBcc: victim@example.com'), 'Hello Bcc: victim@example.com');
  const r = renderMessage('course_enrollment', ctx({ learner: { name: 'Eve\r\nBcc: x@example.com', email: 'e@example.com' } }), {
    subject: 'Welcome {{learner.name}}',
    body: 'x',
  });
  assert.ok(r && !/[\r\n]/.test(r.subject));
});

test('admin bodies with markup are kept as markup; plain text is escaped', () => {
  assert.equal(adminBodyToHtml('<p>Hi <b>there</b></p>'), '<p>Hi <b>there</b></p>');
  assert.equal(adminBodyToHtml('Terms & conditions\nline 2\n\nnext'), '<p>Terms &amp; conditions<br>line 2</p>\n<p>next</p>');
});
