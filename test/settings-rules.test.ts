/**
 * The settings rules of issue 18 §3 and §5, pure: lead days that do not fit the validity
 * (`lead_days_exceed_validity`, with the largest lead that fits), when the rule is checked, the
 * validity cap, and the admin Settings form showing the rule's message beside the lead-days field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorsFromApi, valuesFromCertificate } from '../api/admin/forms.ts';
import { SettingsForm } from '../api/admin/views/settings.tsx';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import type { ValidFor } from '../domain/dates.ts';
import {
  affectsRunningWorkflows,
  defaultSettings,
  evaluateSettings,
  SettingsPatchSchema,
  type CertificateSettings,
  type SettingsPatch,
} from '../domain/settings.ts';

const COURSE = '11111111-1111-4111-8111-111111111111';
const LIVE_COURSE = { id: COURSE, title: 'Refresher', status: 'live' as const, hasEnrollmentMessage: false };

function saved(validFor: ValidFor, over: { leadDays?: number; recertification?: boolean; expiration?: boolean } = {}): CertificateSettings {
  const s = defaultSettings();
  return {
    ...s,
    expiration: { enabled: over.expiration ?? true, validFor, anchor: 'completion' },
    recertification: { ...s.recertification, enabled: over.recertification ?? true, courseId: COURSE, leadDays: over.leadDays ?? 30 },
  };
}
const evaluate = (before: CertificateSettings, patch: SettingsPatch) =>
  evaluateSettings({ before, patch, associatedCourseIds: [COURSE], recertificationCourse: LIVE_COURSE });

test('lead days that do not fit the validity are refused, naming the largest lead that fits', () => {
  const cases: [ValidFor, number, number][] = [
    [{ amount: 1, unit: 'months' }, 28, 27],
    [{ amount: 4, unit: 'weeks' }, 28, 27],
    [{ amount: 14, unit: 'days' }, 14, 13],
  ];
  for (const [validFor, shortest, maxLead] of cases) {
    const label = `${validFor.amount} ${validFor.unit}`;
    // A certificate valid 12 months (lead 30, the default) changed to this validity.
    const { violations } = evaluate(saved({ amount: 12, unit: 'months' }), { expiration: { validFor } });
    assert.deepEqual(
      violations.map((v) => ({ ...v, message: '' })),
      [{ code: 'lead_days_exceed_validity', field: 'recertification.leadDays', maxLeadDays: maxLead, shortestValidityDays: shortest, message: '' }],
      label,
    );
    assert.match(violations[0]?.message ?? '', new RegExp(`at most ${maxLead} lead days`), label);
    // The largest lead that fits is accepted; one more is not.
    assert.deepEqual(evaluate(saved({ amount: 12, unit: 'months' }), { expiration: { validFor }, recertification: { leadDays: maxLead } }).violations, [], label);
    assert.equal(evaluate(saved(validFor, { leadDays: 1 }), { recertification: { leadDays: maxLead + 1 } }).violations[0]?.code, 'lead_days_exceed_validity', label);
  }
});

test('the lead rule applies while expiration and recertification are enabled, including on creation', () => {
  // Lead days time the enrollment and the expiring notice; the next test covers recertification off.
  const off = saved({ amount: 14, unit: 'days' }, { expiration: false });
  assert.equal(evaluate(off, { expiration: { enabled: true } }).violations[0]?.code, 'lead_days_exceed_validity', 'enabling expiration');
  const on = saved({ amount: 12, unit: 'months' });
  assert.equal(evaluate(on, { expiration: { validFor: { amount: 1, unit: 'months' } } }).violations[0]?.code, 'lead_days_exceed_validity', 'shortening the validity');
  const create = evaluateSettings({
    before: defaultSettings(),
    patch: { expiration: { enabled: true, validFor: { amount: 1, unit: 'months' } }, recertification: { enabled: true, courseId: COURSE } },
    associatedCourseIds: [COURSE],
    recertificationCourse: LIVE_COURSE,
  });
  assert.equal(create.violations[0]?.code, 'lead_days_exceed_validity', 'created valid 1 month with the default lead of 30');
  // Expiration off: lead days do not matter.
  assert.deepEqual(evaluate(saved({ amount: 14, unit: 'days' }, { expiration: true, recertification: false }), { expiration: { enabled: false } }).violations, []);
});

test('lead days constrain the validity while they time something (the enrollment or the expiring notice); with both off, nothing; turning one on checks them', () => {
  const quiet = (validFor: ValidFor, leadDays: number): CertificateSettings => ({
    ...saved(validFor, { recertification: false, leadDays }),
    expiringNotice: { enabled: false },
  });
  // The tester's case: recertification off, lead 60, the validity changed to one month.
  const noticeOn = saved({ amount: 12, unit: 'months' }, { recertification: false, leadDays: 60 });
  assert.equal(
    evaluate(noticeOn, { expiration: { validFor: { amount: 1, unit: 'months' } } }).violations[0]?.code,
    'lead_days_exceed_validity',
    'recertification off, but the expiring notice is sent at expiry − lead days',
  );
  const off = quiet({ amount: 12, unit: 'months' }, 60);
  assert.deepEqual(evaluate(off, { expiration: { validFor: { amount: 1, unit: 'months' } } }).violations, [], 'validity changed, nothing timed');
  assert.deepEqual(evaluate(off, { recertification: { leadDays: 90 } }).violations, [], 'lead days changed, nothing timed');
  const offShort = quiet({ amount: 1, unit: 'months' }, 60);
  assert.equal(evaluate(offShort, { recertification: { enabled: true } }).violations[0]?.code, 'lead_days_exceed_validity', 'recertification turned on with a lead that does not fit');
  assert.equal(evaluate(offShort, { expiringNotice: { enabled: true } }).violations[0]?.code, 'lead_days_exceed_validity', 'expiring notice turned on with a lead that does not fit');
  assert.deepEqual(evaluate(offShort, { recertification: { enabled: true, leadDays: 27 } }).violations, [], 'turned on with one that fits');
  assert.equal(
    evaluate(saved({ amount: 12, unit: 'months' }, { expiration: false, recertification: false, leadDays: 60 }), {
      expiration: { enabled: true, validFor: { amount: 1, unit: 'months' } },
      recertification: { enabled: true },
    }).violations[0]?.code,
    'lead_days_exceed_validity',
    'both turned on at once',
  );
});

test('affectsRunningWorkflows (domain): recertification and notices reach running workflows; validity and anchor do not', () => {
  const s = saved({ amount: 12, unit: 'months' });
  assert.equal(affectsRunningWorkflows(s, structuredClone(s)), false, 'equal settings');
  assert.equal(affectsRunningWorkflows(s, { ...s, recertification: { ...s.recertification, leadDays: 20 } }), true);
  assert.equal(affectsRunningWorkflows(s, { ...s, recertification: { ...s.recertification, reminderDaysBeforeExpiry: [7] } }), true);
  assert.equal(affectsRunningWorkflows(s, { ...s, expiringNotice: { enabled: false } }), true);
  assert.equal(affectsRunningWorkflows(s, { ...s, expiredNotice: { enabled: true } }), true);
  assert.equal(affectsRunningWorkflows(s, { ...s, expiration: { ...s.expiration, validFor: { amount: 2, unit: 'years' }, anchor: 'previous_expiry' } }), false);
  // Key order does not matter.
  const reordered = { ...s, recertification: { reminderDaysBeforeExpiry: [], leadDays: 30, courseId: COURSE, enabled: true } };
  assert.equal(affectsRunningWorkflows(s, reordered), false);
});

test('settings saved before the rule are not refused for changes that do not touch it', () => {
  const violating = saved({ amount: 14, unit: 'days' }, { leadDays: 30 });
  for (const patch of [{}, { expiringNotice: { enabled: false } }, { expiration: { anchor: 'previous_expiry' as const } }, { recertification: { reminderDaysBeforeExpiry: [7] } }]) {
    assert.deepEqual(evaluate(violating, patch).violations, [], JSON.stringify(patch));
  }
  assert.equal(evaluate(violating, { recertification: { leadDays: 20 } }).violations[0]?.code, 'lead_days_exceed_validity');
  assert.deepEqual(evaluate(violating, { recertification: { leadDays: 13 } }).violations, []);
});

test('validity is capped at 50 years in every unit, and the message names the limit', () => {
  const ok: ValidFor[] = [
    { amount: 50, unit: 'years' },
    { amount: 600, unit: 'months' },
    { amount: 2600, unit: 'weeks' },
    { amount: 18250, unit: 'days' },
  ];
  for (const validFor of ok) assert.equal(SettingsPatchSchema.safeParse({ expiration: { validFor } }).success, true, `${validFor.amount} ${validFor.unit}`);
  const tooLong: ValidFor[] = [
    { amount: 51, unit: 'years' },
    { amount: 100, unit: 'years' },
    { amount: 1200, unit: 'years' },
    { amount: 601, unit: 'months' },
    { amount: 1200, unit: 'months' },
    { amount: 2601, unit: 'weeks' },
    { amount: 18251, unit: 'days' },
  ];
  for (const validFor of tooLong) {
    const r = SettingsPatchSchema.safeParse({ expiration: { validFor } });
    assert.equal(r.success, false, `${validFor.amount} ${validFor.unit}`);
    const issue = r.error?.issues[0];
    assert.deepEqual(issue?.path, ['expiration', 'validFor', 'amount']);
    assert.match(issue?.message ?? '', /at most 50 years \(600 months, 2600 weeks or 18250 days\)/);
  }
});

function certificate(settings: CertificateSettings): CertificateDto {
  return {
    id: '33333333-3333-4333-8333-333333333333',
    title: 'Scaffolder',
    associatedCourseIds: [COURSE],
    settings,
    settingsVersion: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}
const COURSES: CourseDto[] = [
  { id: COURSE, title: 'Refresher', status: 'live', enrollmentMessage: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
];

/** The Settings form as the admin page renders it after the API refused `patch` on `before`. */
async function renderRefused(before: CertificateSettings, patch: SettingsPatch): Promise<string> {
  const [violation, ...rest] = evaluate(before, patch).violations;
  assert.ok(violation && rest.length === 0, 'one violation');
  const { code, message, ...facts } = violation;
  // The 422's error as api/routes/certificates.ts sends it.
  const { fields, general } = errorsFromApi({ code, message, details: { ...facts, violations: [violation] } });
  assert.equal(general, null);
  const cert = certificate(before);
  const html = await SettingsForm({ certificate: cert, courses: COURSES, values: valuesFromCertificate(cert), errors: fields, warnings: null });
  return String(html);
}

test('the admin form shows the rule\'s message beside the lead-days field (beside the validity when recertification is off)', async () => {
  const html = await renderRefused(saved({ amount: 12, unit: 'months' }), { expiration: { validFor: { amount: 1, unit: 'months' } } });
  const error = /<p class="field-error" id="f-recertification-leadDays-error" role="alert" data-field="recertification.leadDays">([^<]*)<\/p>/.exec(html);
  assert.ok(error, 'a lead-days field error');
  assert.match(error[1] ?? '', /at most 27 lead days fit/);
  const leadInput = html.indexOf('name="recertification.leadDays"');
  const reminders = html.indexOf('name="recertification.reminderDaysBeforeExpiry"');
  assert.ok(leadInput < error.index && error.index < reminders, 'right after the lead-days input');
  assert.match(html.slice(leadInput, html.indexOf('>', leadInput)), /aria-invalid="true"/);

  // Recertification off (its fields hidden) with the expiring notice on: the message sits beside the validity.
  const hidden = await renderRefused(saved({ amount: 12, unit: 'months' }, { recertification: false }), { expiration: { validFor: { amount: 14, unit: 'days' } } });
  const at = hidden.indexOf('data-field="recertification.leadDays"');
  assert.ok(at > 0, 'the message is shown');
  assert.equal(hidden.indexOf('data-field="recertification.leadDays"', at + 1), -1, 'once');
  assert.ok(at > hidden.indexOf('name="expiration.validFor.amount"') && at < hidden.indexOf('id="recertification-details"'), 'beside the validity, outside the hidden recertification fields');
  assert.match(hidden, /at most 13 lead days fit/);

});
