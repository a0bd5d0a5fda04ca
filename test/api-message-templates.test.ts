/**
 * Issue 13 over the API, on the real stack: a learner's time zone (POST, PATCH, validated by Intl),
 * a certificate's message templates and send window (saved under the settings rules: 422 for an
 * unknown or malformed placeholder, listing what is allowed, nothing saved), and the message preview.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateDto, CourseDto, LearnerDto, MessagePreviewDto } from '../api/schemas.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'message_templates', workers: false });
});
after(async () => {
  await stack?.stop();
});

interface ErrorAnswer {
  error: { code: string; message: string; details: { field?: string; unknown?: string[]; allowed?: string[]; issues?: { path: string; message: string }[] } };
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function certificate(): Promise<CertificateDto> {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift <Refresher>', status: 'live' });
  const { certificate: cert } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Forklift & Operator',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true }, recertification: { enabled: true, courseId: course.id, leadDays: 30, reminderDaysBeforeExpiry: [5] } },
  });
  return cert;
}

test('a learner\'s time zone: set on creation in its canonical spelling, changed and cleared by PATCH; an unknown zone is a 400 naming the field', async () => {
  const created = await ok<LearnerDto>('POST', '/api/learners', { email: 'tz-ada@example.com', name: 'Ada', timeZone: 'europe/berlin' });
  assert.equal(created.timeZone, 'Europe/Berlin');
  const plain = await ok<LearnerDto>('POST', '/api/learners', { email: 'tz-bob@example.com', name: 'Bob' });
  assert.equal(plain.timeZone, null, 'none: the organisation\'s DEFAULT_TIME_ZONE applies');

  const bad = await stack.request<ErrorAnswer>('POST', '/api/learners', { email: 'tz-eve@example.com', name: 'Eve', timeZone: 'Mars/Olympus_Mons' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'validation_failed');
  assert.ok(bad.body.error.details.issues?.some((i) => i.path === 'timeZone' && /IANA time zone/.test(i.message)), JSON.stringify(bad.body));
  const none = await stack.request<LearnerDto[]>('GET', '/api/learners?email=tz-eve@example.com');
  assert.deepEqual((none.body as unknown as { learners: LearnerDto[] }).learners, [], 'nothing half-written');

  const moved = await ok<LearnerDto>('PATCH', `/api/learners/${created.id}`, { timeZone: 'America/New_York' });
  assert.equal(moved.timeZone, 'America/New_York');
  assert.equal(moved.name, 'Ada', 'the rest stays');
  const offset = await stack.request<ErrorAnswer>('PATCH', `/api/learners/${created.id}`, { timeZone: '+01:00' });
  assert.equal(offset.status, 400, 'a bare offset is no zone');
  const cleared = await ok<LearnerDto>('PATCH', `/api/learners/${created.id}`, { timeZone: null });
  assert.equal(cleared.timeZone, null);
});

test('templates: an unknown or malformed placeholder is 422 unknown_placeholder listing the allowed ones, and nothing is saved', async () => {
  const cert = await certificate();
  for (const [template, field] of [
    [{ subject: 'Expires {{expiresOn}}', body: '<p>x</p>' }, 'messageTemplates.certificateExpiring.subject'],
    [{ subject: 'ok', body: '<p>Hi {{learner.name</p>' }, 'messageTemplates.certificateExpiring.body'],
  ] as const) {
    const res = await stack.request<ErrorAnswer>('PATCH', `/api/certificates/${cert.id}`, { settings: { messageTemplates: { certificateExpiring: template } } });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'unknown_placeholder');
    assert.equal(res.body.error.details.field, field);
    assert.ok(res.body.error.details.allowed?.includes('dueAt') && res.body.error.details.allowed.includes('learner.timeZone'));
    assert.match(res.body.error.message, /Allowed: .*\{\{daysLeft\}\}/);
  }
  const stored = await ok<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(stored.settingsVersion, cert.settingsVersion, 'nothing saved');
  assert.equal(stored.settings.messageTemplates, undefined);

  const window = await stack.request<ErrorAnswer>('PATCH', `/api/certificates/${cert.id}`, { settings: { sendWindow: { enabled: true, start: '18:00', end: '08:00' } } });
  assert.equal(window.status, 422);
  assert.equal(window.body.error.code, 'invalid_send_window');
});

test('templates and a send window are saved with the settings; the preview renders saved, unsaved and built-in texts for a learner in their zone', async () => {
  const cert = await certificate();
  const saved = await ok<{ certificate: CertificateDto }>('PATCH', `/api/certificates/${cert.id}`, {
    settings: {
      messageTemplates: { certificateExpiring: { subject: '{{certificate.title}} for {{learner.name}}', body: '<p>Hi {{learner.name}}, by {{expiresAt}} ({{learner.timeZone}})</p>' } },
      sendWindow: { enabled: true },
    },
  });
  assert.deepEqual(saved.certificate.settings.sendWindow, { enabled: true, start: '08:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] });
  assert.equal(saved.certificate.settings.messageTemplates?.certificateExpiring?.subject, '{{certificate.title}} for {{learner.name}}');
  assert.equal(saved.certificate.settings.messageTemplates?.recertificationReminder, null);

  const learner = await ok<LearnerDto>('POST', '/api/learners', { email: 'preview-ada@example.com', name: 'Ada <b>&</b>', timeZone: 'America/New_York' });
  const preview = (body: unknown) => ok<MessagePreviewDto>('POST', `/api/certificates/${cert.id}/message-preview`, body);

  const fromSaved = await preview({ message: 'certificateExpiring', learnerId: learner.id });
  assert.equal(fromSaved.subject, 'Forklift & Operator for Ada <b>&</b>', 'the subject is plain text');
  assert.match(fromSaved.html, /<p>Hi Ada &lt;b&gt;&amp;&lt;\/b&gt;, by \d{1,2} \w+ \d{4}, \d{2}:\d{2} \((EST|EDT)\) \(America\/New_York\)<\/p>/);
  assert.match(fromSaved.text, /^Hi Ada <b>&<\/b>, by .* \((EST|EDT)\) \(America\/New_York\)$/);
  assert.equal(fromSaved.timeZone, 'America/New_York');

  const unsaved = await preview({ message: 'recertificationReminder', template: { subject: '{{daysLeft}} days', body: 'Plain text\n\nsecond {{course.title}}' }, timeZone: 'Asia/Tokyo' });
  assert.equal(unsaved.subject, '5 days', 'the first reminder day is the sample {{daysLeft}}');
  assert.equal(unsaved.text, 'Plain text\n\nsecond Forklift <Refresher>');
  assert.match(unsaved.html, /second Forklift &lt;Refresher&gt;/);
  assert.equal(unsaved.sample.learnerName, 'Ada Lovelace', 'a sample learner');

  const builtIn = await preview({ message: 'certificateExpiring', template: null });
  assert.match(builtIn.subject, /^Your certificate "Forklift & Operator" expires on .* \(UTC\)$/);

  const bad = await stack.request<ErrorAnswer>('POST', `/api/certificates/${cert.id}/message-preview`, {
    message: 'certificateExpired',
    template: { subject: '{{learner.firstName}}', body: 'x' },
  });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.code, 'unknown_placeholder');
  assert.deepEqual(bad.body.error.details.unknown, ['learner.firstName']);
  assert.ok(bad.body.error.details.allowed?.includes('learner.name'));
  const missing = await stack.request<ErrorAnswer>('POST', '/api/certificates/00000000-0000-4000-8000-000000000000/message-preview', { message: 'certificateExpired' });
  assert.equal(missing.status, 404);
  const after = await ok<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(after.settingsVersion, saved.certificate.settingsVersion, 'a preview saves nothing');
});

test('the preview\'s sample is one instant of each message: expiry and {{daysLeft}} agree with when that message goes out (a fresh tester saw a 120-day expiry with "7 days left")', async () => {
  const cert = await certificate(); // lead days 30, a reminder 5 days before expiry
  const DAY = 86_400_000;
  const template = { subject: '[{{daysLeft}}]', body: 'Expires {{expiresAt}}, due {{dueAt}}' };
  const at = async (message: string) => {
    const t0 = Date.now();
    const p = await ok<MessagePreviewDto>('POST', `/api/certificates/${cert.id}/message-preview`, { message, template });
    return { p, daysAway: (Date.parse(p.sample.expiresAt) - t0) / DAY, dueAway: (Date.parse(p.sample.dueAt) - t0) / DAY };
  };
  // Certificate Expiring goes out when recertification falls due: the expiry is lead days away; a real one carries no {{daysLeft}}.
  const expiring = await at('certificateExpiring');
  assert.ok(Math.abs(expiring.daysAway - 30) < 0.01, `expiry ${expiring.daysAway} days away`);
  assert.ok(Math.abs(expiring.dueAway) < 0.01, `due now (${expiring.dueAway})`);
  assert.equal(expiring.p.sample.daysLeft, null);
  assert.equal(expiring.p.subject, '[]', 'as a real Certificate Expiring message renders it');
  // A reminder goes out its reminder day before the expiry: {{daysLeft}} is those days, and the expiry is that far away.
  const reminder = await at('recertificationReminder');
  assert.equal(reminder.p.sample.daysLeft, 5);
  assert.equal(reminder.p.subject, '[5]');
  assert.ok(Math.abs(reminder.daysAway - 5) < 0.01, `expiry ${reminder.daysAway} days away, as {{daysLeft}} says`);
  assert.ok(Math.abs(reminder.dueAway - (5 - 30)) < 0.01, `fell due lead days before the expiry (${reminder.dueAway})`);
  // With several reminder days the sample is the first reminder to go out: the most days before the expiry, however listed.
  await ok('PATCH', `/api/certificates/${cert.id}`, { settings: { recertification: { reminderDaysBeforeExpiry: [3, 14] } } });
  const first = await at('recertificationReminder');
  assert.equal(first.p.sample.daysLeft, 14);
  assert.ok(Math.abs(first.daysAway - 14) < 0.01, `expiry ${first.daysAway} days away`);
  // Certificate Expired goes out at the expiry.
  const expired = await at('certificateExpired');
  assert.ok(Math.abs(expired.daysAway) < 0.01, `expired now (${expired.daysAway})`);
  assert.equal(expired.p.sample.daysLeft, null);
});
