/**
 * Issue 14's policies, pure: the fixed-date expiry (the issue's examples, renewals, 29 February, time
 * zones, minimum active days) and its settings rules (422 codes, lead days against the minimum).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { organisationTimeZone } from '../config/time-zone.ts';
import { expiryFor, fixedDateExpiry, type FixedDate } from '../domain/dates.ts';
import { defaultSettings, evaluateSettings, SettingsPatchSchema, type CertificateSettings, type SettingsPatch } from '../domain/settings.ts';

const d = (iso: string): Date => new Date(iso);
const DEC31: FixedDate = { month: 12, day: 31, minimumActiveDays: 90 };
const month = { amount: 1, unit: 'months' } as const;

test('fixed-date expiry: the issue examples (31 December, minimum 90 days), in UTC', () => {
  assert.equal(fixedDateExpiry(d('2026-11-01T10:00:00Z'), DEC31, 'UTC').toISOString(), '2027-12-31T23:59:59.000Z');
  assert.equal(fixedDateExpiry(d('2026-09-01T10:00:00Z'), DEC31, 'UTC').toISOString(), '2026-12-31T23:59:59.000Z');
  // Exactly 90 days before is enough; a second less is not.
  assert.equal(fixedDateExpiry(d('2026-10-02T23:59:59Z'), DEC31, 'UTC').toISOString(), '2026-12-31T23:59:59.000Z');
  assert.equal(fixedDateExpiry(d('2026-10-03T00:00:00Z'), DEC31, 'UTC').toISOString(), '2027-12-31T23:59:59.000Z');
  // Awarded after this year's date: next year's (minimum 0).
  assert.equal(fixedDateExpiry(d('2026-12-31T23:59:59.500Z'), { ...DEC31, minimumActiveDays: 0 }, 'UTC').toISOString(), '2027-12-31T23:59:59.000Z');
  // Through expiryFor (what awardTerms calls), the anchor day stored is the fixed day.
  assert.deepEqual(expiryFor({ awardedAt: d('2026-11-01T10:00:00Z'), validFor: month, anchor: 'fixed_date', fixedDate: DEC31 }), {
    expiresAt: d('2027-12-31T23:59:59.000Z'),
    anchorDay: 31,
  });
});

test('fixed-date expiry: renewals follow the same rule, whatever the previous award', () => {
  const previous = { awardedAt: d('2026-09-01T10:00:00Z'), expiresAt: d('2026-12-31T23:59:59Z'), anchorDay: 31 };
  // Renewed in November: within 90 days of 31 Dec 2026, so the one after.
  const renewed = expiryFor({ awardedAt: d('2026-11-20T08:00:00Z'), validFor: month, anchor: 'fixed_date', fixedDate: DEC31, previous });
  assert.equal(renewed.expiresAt.toISOString(), '2027-12-31T23:59:59.000Z');
  // Renewed in March 2027 after a lapse: 31 Dec 2027.
  const late = expiryFor({ awardedAt: d('2027-03-01T08:00:00Z'), validFor: month, anchor: 'fixed_date', fixedDate: DEC31, previous });
  assert.equal(late.expiresAt.toISOString(), '2027-12-31T23:59:59.000Z');
});

test('fixed-date expiry: 29 February falls on 28 February in other years', () => {
  const leap: FixedDate = { month: 2, day: 29, minimumActiveDays: 30 };
  assert.equal(fixedDateExpiry(d('2027-01-01T00:00:00Z'), leap, 'UTC').toISOString(), '2027-02-28T23:59:59.000Z');
  assert.equal(fixedDateExpiry(d('2027-03-01T00:00:00Z'), leap, 'UTC').toISOString(), '2028-02-29T23:59:59.000Z');
  assert.equal(fixedDateExpiry(d('2028-02-15T00:00:00Z'), leap, 'UTC').toISOString(), '2029-02-28T23:59:59.000Z');
});

test('fixed-date expiry: 23:59:59 on the wall clock of the organisation time zone, summer time included', () => {
  // Berlin: UTC+1 in December, UTC+2 in June.
  assert.equal(fixedDateExpiry(d('2026-09-01T10:00:00Z'), DEC31, 'Europe/Berlin').toISOString(), '2026-12-31T22:59:59.000Z');
  assert.equal(fixedDateExpiry(d('2026-01-01T10:00:00Z'), { month: 6, day: 30, minimumActiveDays: 0 }, 'Europe/Berlin').toISOString(), '2026-06-30T21:59:59.000Z');
  // New York, awarded on 31 Dec at 20:00 local (01:00 UTC next day): still 2026 there, so 31 Dec 2026 23:59:59 local.
  assert.equal(fixedDateExpiry(d('2027-01-01T01:00:00Z'), { ...DEC31, minimumActiveDays: 0 }, 'America/New_York').toISOString(), '2027-01-01T04:59:59.000Z');
  assert.equal(organisationTimeZone({}), 'UTC');
  assert.equal(organisationTimeZone({ DEFAULT_TIME_ZONE: 'Europe/Berlin' }), 'Europe/Berlin');
  assert.throws(() => organisationTimeZone({ DEFAULT_TIME_ZONE: 'Mars/Olympus' }), /DEFAULT_TIME_ZONE/);
});

const COURSE = '11111111-1111-4111-8111-111111111111';
const LIVE = { id: COURSE, title: 'Refresher', status: 'live' as const, hasEnrollmentMessage: false };
function saved(): CertificateSettings {
  const s = defaultSettings();
  return { ...s, expiration: { ...s.expiration, enabled: true }, recertification: { ...s.recertification, enabled: true, courseId: COURSE, leadDays: 30 } };
}
const evaluate = (before: CertificateSettings, patch: SettingsPatch) =>
  evaluateSettings({ before, patch, associatedCourseIds: [COURSE], recertificationCourse: LIVE });

test('fixed-date settings: refused without a date, with a day the month lacks, or a lead longer than the minimum', () => {
  assert.deepEqual(evaluate(saved(), { expiration: { anchor: 'fixed_date', fixedDate: DEC31 } }).violations, []);
  assert.equal(evaluate(saved(), { expiration: { anchor: 'fixed_date' } }).violations[0]?.code, 'fixed_date_required');
  const april31 = evaluate(saved(), { expiration: { anchor: 'fixed_date', fixedDate: { month: 4, day: 31, minimumActiveDays: 90 } } }).violations[0];
  assert.equal(april31?.code, 'invalid_fixed_date');
  assert.equal(april31?.field, 'expiration.fixedDate');
  assert.deepEqual(evaluate(saved(), { expiration: { anchor: 'fixed_date', fixedDate: { month: 2, day: 29, minimumActiveDays: 90 } } }).violations, []);
  const lead = evaluate(saved(), { expiration: { anchor: 'fixed_date', fixedDate: { ...DEC31, minimumActiveDays: 30 } } }).violations[0];
  assert.equal(lead?.code, 'lead_days_exceed_validity');
  assert.equal(lead?.code === 'lead_days_exceed_validity' ? lead.maxLeadDays : null, 29);
  // Out-of-range numbers are the schema's (400).
  assert.equal(SettingsPatchSchema.safeParse({ expiration: { fixedDate: { month: 13, day: 1, minimumActiveDays: 0 } } }).success, false);
  assert.equal(SettingsPatchSchema.safeParse({ expiration: { fixedDate: { month: 12, day: 31, minimumActiveDays: 366 } } }).success, false);
});

test('grace: a renewal of an award in grace counts from the old expiry under previous_expiry, from the completion otherwise', () => {
  const year = { amount: 12, unit: 'months' } as const;
  const previous = { awardedAt: d('2026-01-10T09:00:00Z'), expiresAt: d('2026-12-31T23:59:59Z'), anchorDay: 31, inGrace: true };
  const completedAt = d('2027-01-05T10:00:00Z');
  assert.equal(expiryFor({ awardedAt: completedAt, validFor: year, anchor: 'previous_expiry', previous }).expiresAt.toISOString(), '2027-12-31T23:59:59.000Z');
  // The same lapsed award not in grace starts a new chain at the completion.
  assert.equal(
    expiryFor({ awardedAt: completedAt, validFor: year, anchor: 'previous_expiry', previous: { ...previous, inGrace: false } }).expiresAt.toISOString(),
    '2028-01-05T10:00:00.000Z',
  );
  assert.equal(expiryFor({ awardedAt: completedAt, validFor: year, anchor: 'completion', previous }).expiresAt.toISOString(), '2028-01-05T10:00:00.000Z');
  assert.equal(expiryFor({ awardedAt: completedAt, validFor: year, anchor: 'fixed_date', fixedDate: DEC31, previous }).expiresAt.toISOString(), '2027-12-31T23:59:59.000Z');
});
