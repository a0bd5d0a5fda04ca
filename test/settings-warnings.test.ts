/**
 * The reminder warnings of issue 17 §12, pure: settings that are allowed but cannot work as meant —
 * reminders on or before the enrollment (`reminder_before_enrollment`), on or before the award
 * (`reminder_exceeds_validity`), days listed twice (`duplicate_reminder_days`) — and their place in
 * the Settings form, beside the reminders field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valuesFromCertificate } from '../api/admin/forms.ts';
import { SettingsForm } from '../api/admin/views/settings.tsx';
import type { CertificateDto } from '../api/schemas.ts';
import type { ValidFor } from '../domain/dates.ts';
import { defaultSettings, evaluateSettings, WARNING_CODES, type CertificateSettings, type SettingsPatch } from '../domain/settings.ts';

const COURSE = '11111111-1111-4111-8111-111111111111';
const LIVE_COURSE = { id: COURSE, title: 'Refresher', status: 'live' as const, hasEnrollmentMessage: false };
const FIELD = 'recertification.reminderDaysBeforeExpiry';

function saved(over: { validFor?: ValidFor; leadDays?: number; reminders?: number[]; recertification?: boolean } = {}): CertificateSettings {
  const s = defaultSettings();
  return {
    ...s,
    expiration: { enabled: true, validFor: over.validFor ?? { amount: 12, unit: 'months' }, anchor: 'completion' },
    recertification: {
      enabled: over.recertification ?? true,
      courseId: COURSE,
      leadDays: over.leadDays ?? 30,
      reminderDaysBeforeExpiry: over.reminders ?? [],
    },
  };
}
const evaluate = (before: CertificateSettings, patch: SettingsPatch = {}) =>
  evaluateSettings({ before, patch, associatedCourseIds: [COURSE], recertificationCourse: LIVE_COURSE });
/** The reminder warnings of a result: code → message. */
const reminderWarnings = (r: ReturnType<typeof evaluate>): Record<string, string> =>
  Object.fromEntries(r.warnings.filter((w) => w.field === FIELD).map((w) => [w.code, w.message]));

test('reminders before the lead days (before the enrollment) get reminder_before_enrollment, naming the days', () => {
  const r = evaluate(saved({ leadDays: 30 }), { recertification: { reminderDaysBeforeExpiry: [45, 7, 40] } });
  assert.deepEqual(r.violations, [], 'a warning, not a refusal');
  assert.deepEqual(r.settings.recertification.reminderDaysBeforeExpiry, [45, 7, 40], 'saved as sent');
  const w = reminderWarnings(r);
  assert.deepEqual(Object.keys(w), ['reminder_before_enrollment']);
  assert.match(w.reminder_before_enrollment!, /^The reminders 45 and 40 days before expiry fall on or before the enrollment \(30 lead days before expiry\)/);
  assert.match(w.reminder_before_enrollment!, /never sent/);
  // Raising the lead days past the reminder (in the same patch) clears it.
  assert.deepEqual(reminderWarnings(evaluate(saved({ leadDays: 30, reminders: [45] }), { recertification: { leadDays: 60 } })), {});
  // Lowering the lead days below a saved reminder raises it.
  assert.ok('reminder_before_enrollment' in reminderWarnings(evaluate(saved({ leadDays: 30, reminders: [14] }), { recertification: { leadDays: 10 } })));
});

test('a reminder on the enrollment day itself (days = lead days) is never sent either', () => {
  const w = reminderWarnings(evaluate(saved({ leadDays: 30, reminders: [30, 1] })));
  assert.match(w.reminder_before_enrollment ?? '', /^The reminder 30 days before expiry falls on or before the enrollment/);
  assert.deepEqual(reminderWarnings(evaluate(saved({ leadDays: 30, reminders: [29, 1] }))), {}, 'one day after the enrollment is fine');
  assert.match(reminderWarnings(evaluate(saved({ leadDays: 1, reminders: [1] }))).reminder_before_enrollment ?? '', /^The reminder 1 day before expiry/);
});

test('reminders at or beyond the shortest length of the validity get reminder_exceeds_validity instead', () => {
  // One month can be 28 days: 28 and more fall on or before the award; 27 is "only" before the enrollment.
  const r = evaluate(saved({ validFor: { amount: 1, unit: 'months' }, leadDays: 20 }), { recertification: { reminderDaysBeforeExpiry: [60, 28, 27, 3] } });
  const w = reminderWarnings(r);
  assert.deepEqual(Object.keys(w).sort(), ['reminder_before_enrollment', 'reminder_exceeds_validity']);
  assert.match(w.reminder_exceeds_validity!, /^The reminders 60 and 28 days before expiry fall on or before the day the certificate is awarded \(a validity of 1 months can be as short as 28 days\)/);
  assert.match(w.reminder_before_enrollment!, /^The reminder 27 days before expiry falls/, 'each day under one warning');
  // Days: the validity is exact.
  const days = reminderWarnings(evaluate(saved({ validFor: { amount: 14, unit: 'days' }, leadDays: 7, reminders: [14, 3] })));
  assert.deepEqual(Object.keys(days), ['reminder_exceeds_validity']);
  assert.match(days.reminder_exceeds_validity!, /a validity of 14 days is 14 days/);
  assert.deepEqual(reminderWarnings(evaluate(saved({ validFor: { amount: 14, unit: 'days' }, leadDays: 13, reminders: [12] }))), {});
});

test('reminder days listed twice get duplicate_reminder_days', () => {
  const w = reminderWarnings(evaluate(saved(), { recertification: { reminderDaysBeforeExpiry: [7, 1, 7, 1, 3] } }));
  assert.deepEqual(Object.keys(w), ['duplicate_reminder_days']);
  assert.match(w.duplicate_reminder_days!, /^7 and 1 are listed more than once among the reminder days: one reminder is sent per day/);
  assert.match(reminderWarnings(evaluate(saved({ reminders: [7, 7] }))).duplicate_reminder_days ?? '', /^7 is listed more than once/);
  assert.deepEqual(reminderWarnings(evaluate(saved({ reminders: [14, 7, 1] }))), {});
});

test('no reminder warning while recertification or expiration is off (no reminders are sent at all)', () => {
  assert.deepEqual(reminderWarnings(evaluate(saved({ recertification: false, reminders: [45, 45] }))), {});
  const off = evaluate(saved({ reminders: [45, 45] }), { expiration: { enabled: false } });
  assert.deepEqual(reminderWarnings(off), {});
  assert.deepEqual(off.warnings.map((w) => w.code), ['recertification_disabled_with_expiration']);
});

test('every reminder warning code is listed in WARNING_CODES (the API documents and validates its answers with it)', () => {
  for (const code of ['reminder_before_enrollment', 'reminder_exceeds_validity', 'duplicate_reminder_days'] as const) {
    assert.ok((WARNING_CODES as readonly string[]).includes(code), code);
  }
});

test('the Settings form shows the reminder warnings beside the reminders field', async () => {
  const settings = saved({ validFor: { amount: 1, unit: 'months' }, leadDays: 20, reminders: [28, 25, 25] });
  const { warnings } = evaluate(settings);
  const cert: CertificateDto = {
    id: '33333333-3333-4333-8333-333333333333',
    title: 'Forklift Operator',
    associatedCourseIds: [COURSE],
    settings,
    settingsVersion: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const course = { id: COURSE, title: 'Refresher', status: 'live' as const, enrollmentMessage: null, createdAt: cert.createdAt, updatedAt: cert.updatedAt };
  const html = String(await SettingsForm({ certificate: cert, courses: [course], values: valuesFromCertificate(cert), errors: {}, warnings }));
  // Beside the field: after the reminders input, before the next section (the messages).
  const input = html.indexOf(`name="${FIELD}"`);
  const next = html.indexOf('id="messages-section"');
  assert.ok(input > 0 && next > input);
  for (const code of ['reminder_exceeds_validity', 'reminder_before_enrollment', 'duplicate_reminder_days']) {
    const at = html.indexOf(`data-warning="${code}" data-field="${FIELD}"`);
    assert.ok(at > input && at < next, `${code} beside the reminders field`);
    assert.equal(html.indexOf(`data-warning="${code}"`, at + 1), -1, `${code} once`);
  }
  assert.match(html, /The reminder 28 days before expiry falls on or before the day the certificate is awarded/);
});
