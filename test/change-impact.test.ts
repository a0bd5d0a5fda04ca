/**
 * The change-impact rules (domain/change-impact.ts) on hand-made awards in every phase: what a
 * settings change does at once, counted with the workflow's own decisions
 * (domain/recertification-steps.ts). Pure: no database, no Temporal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeImpact, type RunningAward, type SettingsSide } from '../domain/change-impact.ts';
import { DAY_MS } from '../domain/dates.ts';
import { dueStepDecision, enrollmentMessageKinds, nextStep, settingsSignalNeeded, waitingMessageKinds } from '../domain/recertification-steps.ts';
import { defaultSettings, type CertificateSettings, type CourseFacts } from '../domain/settings.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const at = (days: number): Date => new Date(NOW + days * DAY_MS);
const course: CourseFacts = { id: '00000000-0000-4000-8000-000000000001', title: 'Refresher', status: 'live', hasEnrollmentMessage: false };

function settings(over: { recert?: boolean; leadDays?: number; notice?: boolean } = {}): CertificateSettings {
  const base = defaultSettings();
  return {
    ...base,
    expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
    recertification: { enabled: over.recert ?? false, courseId: course.id, leadDays: over.leadDays ?? 30, reminderDaysBeforeExpiry: [] },
    expiringNotice: { enabled: over.notice ?? true },
  };
}
const side = (s: CertificateSettings, c: CourseFacts | null = course): SettingsSide => ({ settings: s, course: c });

/** An award expiring in `days` (manual, awarded a year before its expiry). */
function award(days: number, over: Partial<RunningAward> = {}): RunningAward {
  return { awardedAt: at(days - 365), expiresAt: at(days), sourceAttemptId: null, enrolled: false, expiringNoticeSent: false, ...over };
}

test('turning recertification on with a longer lead: released, enrolled now, rescheduled, second emails', () => {
  const before = side(settings({ recert: false, leadDays: 30 }));
  const after = side(settings({ recert: true, leadDays: 45 }));
  const awards = [
    award(10, { expiringNoticeSent: true }), // waiting for settings, notice sent: released, a second email
    award(12, { expiringNoticeSent: true }),
    award(40), // scheduled (due in 10 days); a 45-day lead makes it due 5 days ago: enrolled now
    award(100), // scheduled; due moves from +70 to +55 days: rescheduled
    award(200), // rescheduled too; the earliest new due is the 100-day one's
    award(10, { enrolled: true, expiringNoticeSent: true }), // assigned: nothing at once
    award(-1), // at its expiry: nothing at once
  ];
  const impact = changeImpact(awards, before, after, NOW);
  assert.equal(impact.running, 7);
  assert.equal(impact.released, 2);
  assert.equal(impact.enrollNow, 1);
  assert.equal(impact.waitingNow, 0);
  assert.equal(impact.rescheduled, 2);
  assert.equal(impact.earliestNewDueAt?.toISOString(), at(100 - 45).toISOString());
  assert.deepEqual(impact.messagesNow, { certificate_expiring: 1, recertification_enrollment: 2, course_enrollment: 0 });
  assert.equal(impact.secondEmail, 2);
});

test('a course with an enrollment message: an enrollment sends two emails at once, each a second email', () => {
  const before = side(settings({ recert: true, leadDays: 30 }), { ...course, hasEnrollmentMessage: true });
  const after = side(settings({ recert: true, leadDays: 60 }), { ...course, hasEnrollmentMessage: true });
  const impact = changeImpact([award(40), award(50), award(90)], before, after, NOW);
  assert.equal(impact.enrollNow, 2);
  assert.equal(impact.rescheduled, 1);
  assert.deepEqual(impact.messagesNow, { certificate_expiring: 2, recertification_enrollment: 0, course_enrollment: 2 });
  assert.equal(impact.secondEmail, 2);
});

test('a longer lead while recertification is off: scheduled ones start waiting and get the expiring notice now', () => {
  const before = side(settings({ recert: false, leadDays: 30 }));
  const after = side(settings({ recert: false, leadDays: 60 }));
  const impact = changeImpact([award(40), award(45, { expiringNoticeSent: false })], before, after, NOW);
  assert.equal(impact.waitingNow, 2);
  assert.equal(impact.enrollNow, 0);
  assert.deepEqual(impact.messagesNow, { certificate_expiring: 2, recertification_enrollment: 0, course_enrollment: 0 });
  assert.equal(impact.secondEmail, 0);
});

test('a shorter lead sends waiting ones back to sleep: rescheduled, nothing sent', () => {
  const before = side(settings({ recert: false, leadDays: 30 }));
  const after = side(settings({ recert: true, leadDays: 5 }));
  const impact = changeImpact([award(10, { expiringNoticeSent: true }), award(3, { expiringNoticeSent: true })], before, after, NOW);
  assert.equal(impact.rescheduled, 1, 'the one expiring in 10 days is due again in 5');
  assert.equal(impact.earliestNewDueAt?.toISOString(), at(5).toISOString());
  assert.equal(impact.released, 1, 'the one expiring in 3 days is inside the new window and enrolls');
  assert.equal(impact.messagesNow.recertification_enrollment, 1);
});

test('a completion award whose new lead reaches back before it was awarded is not enrolled and gets no notice (acting rules)', () => {
  const before = side(settings({ recert: true, leadDays: 30 }));
  const after = side(settings({ recert: true, leadDays: 45 }));
  // Awarded by a completion 5 days ago, expiring in 40: a 45-day lead puts the due time at the award.
  const completion = award(40, { awardedAt: at(-5), sourceAttemptId: '00000000-0000-4000-8000-0000000000aa' });
  const impact = changeImpact([completion], before, after, NOW);
  assert.equal(impact.enrollNow, 0);
  assert.equal(impact.waitingNow, 1);
  assert.deepEqual(impact.messagesNow, { certificate_expiring: 0, recertification_enrollment: 0, course_enrollment: 0 });
});

test('nothing that is due and enrollable under the current settings is counted: it acts with or without the change', () => {
  const s = settings({ recert: true, leadDays: 30 });
  const impact = changeImpact([award(10)], side(s), side({ ...s, expiredNotice: { enabled: true } }), NOW);
  assert.deepEqual({ ...impact, running: 0 }, { ...changeImpact([], side(s), side(s), NOW), running: 0 });
});

test('an enrolled award\'s due time does not move with the lead days: a shorter or longer lead never reschedules it (its due time is when its enrollment fell due)', () => {
  const enrolled = award(25, { enrolled: true, expiringNoticeSent: true }); // enrolled 5 days ago with 30 lead days
  for (const leadDays of [10, 60]) {
    const impact = changeImpact([enrolled], side(settings({ recert: true, leadDays: 30 })), side(settings({ recert: true, leadDays })), NOW);
    assert.deepEqual(impact, { ...changeImpact([], side(settings()), side(settings()), NOW), running: 1 }, `30 → ${leadDays} lead days: nothing counted`);
  }
  // The same change on a scheduled award (not enrolled) moves its due time.
  const scheduled = changeImpact([award(40)], side(settings({ recert: true, leadDays: 30 })), side(settings({ recert: true, leadDays: 10 })), NOW);
  assert.equal(scheduled.rescheduled, 1);
  assert.equal(scheduled.earliestNewDueAt?.toISOString(), at(30).toISOString());
});

test('the shared decisions are the workflow\'s: step order, enroll or wait, and the messages of each', () => {
  assert.equal(nextStep({ assigned: true, asOf: 10, dueMs: 0, expiresMs: 10 }), 'expiry');
  assert.equal(nextStep({ assigned: true, asOf: 5, dueMs: 0, expiresMs: 10 }), 'assigned_wait');
  assert.equal(nextStep({ assigned: false, asOf: 0, dueMs: 5, expiresMs: 10 }), 'wait_until_due');
  assert.equal(nextStep({ assigned: false, asOf: 5, dueMs: 5, expiresMs: 10 }), 'due_step');
  const truth = { status: 'active' as const, awardedAt: at(-300), sourceAttemptId: null, expiresAt: at(10), settings: settings({ recert: true }), course };
  assert.deepEqual(dueStepDecision(truth, NOW, true), { action: 'enroll', course });
  assert.deepEqual(dueStepDecision({ ...truth, course: { ...course, status: 'draft' } }, NOW, true), {
    action: 'wait',
    reason: 'the recertification course "Refresher" is draft, not live',
  });
  assert.deepEqual(dueStepDecision({ ...truth, settings: settings({ recert: false }) }, NOW, false), { action: 'wait', reason: 'recertification is off for this certificate' });
  const msgs = (sent: boolean, hasMsg: boolean, truthFirst = true) =>
    enrollmentMessageKinds({ expiringNoticeOn: true, expiringNoticeSent: sent, courseHasEnrollmentMessage: hasMsg, actOnDatabaseTruth: truthFirst });
  assert.deepEqual(msgs(false, false), ['certificate_expiring']);
  assert.deepEqual(msgs(true, false), ['recertification_enrollment']);
  assert.deepEqual(msgs(true, false, false), []);
  assert.deepEqual(msgs(false, true), ['certificate_expiring', 'course_enrollment']);
  assert.deepEqual(waitingMessageKinds({ expiringNoticeOn: true, expiringNoticeSent: true }), []);
  assert.deepEqual(waitingMessageKinds({ expiringNoticeOn: true, expiringNoticeSent: false }), ['certificate_expiring']);
});

test('settingsSignalNeeded: only a scheduled workflow whose lead days the change keeps is passed over; every other is signalled', () => {
  const asOf = Date.parse('2027-01-10T00:00:00Z');
  const expiresMs = Date.parse('2027-06-30T00:00:00Z'); // due 2027-05-31 with 30 lead days
  const scheduled = { enrolled: false, expiresMs, leadDaysBefore: 30, leadDaysAfter: 30, asOf };
  assert.equal(settingsSignalNeeded(scheduled), false, 'scheduled, lead days kept: its wake-up cannot move');
  assert.equal(settingsSignalNeeded({ ...scheduled, leadDaysAfter: 60 }), true, 'the lead days moved its due time');
  assert.equal(settingsSignalNeeded({ ...scheduled, leadDaysBefore: 60 }), true, 'the lead days moved back');
  assert.equal(settingsSignalNeeded({ ...scheduled, leadDaysBefore: null }), true, 'the earlier lead days are not known');
  assert.equal(settingsSignalNeeded({ ...scheduled, enrolled: true }), true, 'enrolled: reminders and send windows read its copy');
  assert.equal(settingsSignalNeeded({ ...scheduled, expiresMs: null }), true, 'no expiry known');
  // Due 2027-05-31: from then on it is at its due step (enrolling or waiting for settings), then past its expiry (grace).
  assert.equal(settingsSignalNeeded({ ...scheduled, asOf: Date.parse('2027-05-30T23:59:59Z') }), false, 'one second before its due time');
  assert.equal(settingsSignalNeeded({ ...scheduled, asOf: Date.parse('2027-05-31T00:00:00Z') }), true, 'at its due time (waiting for settings, say)');
  assert.equal(settingsSignalNeeded({ ...scheduled, asOf: Date.parse('2027-07-02T00:00:00Z') }), true, 'past its expiry (in grace)');
});
