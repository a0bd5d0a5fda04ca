/**
 * Issue 14 §3, repeating reminders, in the recertification workflow on Temporal's time-skipping test
 * server with the real activities on PostgreSQL. Concrete dates: the award expires 2038-01-31 09:00Z
 * with 30 lead days, so the learner is enrolled 2038-01-01 09:00Z; "every 7 days" then falls on
 * 01-08, 01-15, 01-22 and 01-29 09:00Z. Records test/histories/repeating-reminders-*.json with
 * RECORD_HISTORIES=1 (the REPEATING_REMINDERS path, and a certificate without repeats: no marker).
 * The dates are in 2038, which has 2027's calendar (the same weekdays): the test server starts at the
 * real time, so dates must stay ahead of it (they were in 2027 until the clock came within weeks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageRow } from '../db/rows.ts';
import { DAY_MS, repeatReminderAt } from '../domain/dates.ts';
import { repeatReminderRefusal, type AwardTruth } from '../domain/acting-rules.ts';
import { evaluateSettings, SettingsPatchSchema } from '../domain/settings.ts';
import { messageIdempotencyKey } from '../activities/messages.ts';
import { renewForCompletion } from '../domain/awarding.ts';
import type { CertificateSettings, RepeatReminder } from '../domain/settings.ts';
import { awardRenewedSignal, awardRevokedSignal, settingsChangedSignal, statusQuery } from '../workflows/contract.ts';
import { attemptsOf, makeAward, makeCertificate, makeCourse, makeLearner, recertSettings, updateSettings } from './support/fixtures.ts';
import { type Harness, withHarness, skipTo } from './support/workflow-harness.ts';

const MINUTE = 60 * 1000;
const ENROLLED = Date.parse('2038-01-01T09:00:00Z');
const EXPIRES = new Date('2038-01-31T09:00:00Z');
const at = (iso: string): number => Date.parse(iso);

/**
 * Where each test's clock starts: the test server starts at the real time, and the run's one timer
 * is at most a year (MAX_TIMER_MS), so the test moves the clock close to its dates before it makes the
 * award (an award made years before them would wake once a year on the way and the checks would race it).
 */
const CLOCK_STARTS = at('2037-11-25T00:00:00Z');
/** `withHarness` with the clock moved to CLOCK_STARTS first. */
const withClock = (fn: (h: Harness) => Promise<void>, opts: Parameters<typeof withHarness>[1] = {}): Promise<void> => withHarness(fn, { ...opts, clockStartsAt: CLOCK_STARTS });



async function repeatsOf(h: Harness, awardId: string): Promise<MessageRow[]> {
  return await h.db.sql<MessageRow[]>`
    select * from messages where award_id = ${awardId} and kind = 'recertification_reminder' order by created_at, id`;
}

/** The repeats the workflow's status lists (sent or skipped), each as [minute it went out, status]. */
function repeatSends(messages: { kind: string; at: string; status: string }[]): [string, string][] {
  return messages
    .filter((m) => m.kind === 'recertification_reminder')
    .map((m) => [new Date(Math.floor(Date.parse(m.at) / MINUTE) * MINUTE).toISOString(), m.status]);
}

/** A learner, a live course, a certificate (30 lead days, expiring notice on) repeating as `repeat`, an award expiring 2038-01-31 09:00Z. */
async function scenario(h: Harness, repeat: RepeatReminder | null, rest: Partial<CertificateSettings> = {}) {
  const learner = await makeLearner(h.db.sql, { name: 'Grace Hopper' });
  const course = await makeCourse(h.db.sql, { title: 'Forklift Safety Refresher' });
  const settings = recertSettings(course.id, repeat ? { repeatReminder: repeat } : {}, rest);
  const cert = await makeCertificate(h.db.sql, { title: 'Forklift Operator', settings, associatedCourseIds: [course.id] });
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date((await h.now()) - DAY_MS), expiresAt: EXPIRES });
  return { learner, course, cert, settings, award };
}

const keys = (rows: MessageRow[]): string[] => rows.map((m) => m.idempotencyKey);
const repeatKey = (awardId: string, n: number): string => `award:${awardId}:recertification_reminder:repeat:${n}`;

test('repeat every 7 days, at most 3: reminders at 01-08, 01-15 and 01-22 09:00Z after the enrollment of 01-01 09:00Z; none after (01-29 is past the cap)', () =>
  withClock(async (h) => {
    const s = await scenario(h, { everyDays: 7, maxCount: 3 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-08T08:59:00Z'));
      const enrolled = await wf.query(statusQuery);
      assert.equal(enrolled.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(enrolled.attempt!.at) - ENROLLED) < MINUTE, `enrolled at 2038-01-01 09:00Z (${enrolled.attempt!.at})`);
      assert.equal((await repeatsOf(h, s.award.id)).length, 0, 'nothing a minute before the first repeat');
      await skipTo(h, at('2038-01-08T09:01:00Z'));
      assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [repeatKey(s.award.id, 1)], 'the first repeat at 01-08 09:00Z');
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.deepEqual(repeatSends(result.messages), [
        ['2038-01-08T09:00:00.000Z', 'sent'],
        ['2038-01-15T09:00:00.000Z', 'sent'],
        ['2038-01-22T09:00:00.000Z', 'sent'],
      ]);
      await h.recordHistory(wf, 'repeating-reminders-capped');
    });
    const rows = await repeatsOf(h, s.award.id);
    assert.deepEqual(keys(rows), [1, 2, 3].map((n) => repeatKey(s.award.id, n)), 'each once, with its own key; no fourth (cap 3)');
    assert.ok(rows.every((m) => m.status === 'sent'));
    const emails = h.resend.sent().filter((e) => e.subject.startsWith('Reminder:'));
    assert.deepEqual(emails.map((e) => e.subject), [
      'Reminder: "Forklift Operator" expires in 23 days',
      'Reminder: "Forklift Operator" expires in 16 days',
      'Reminder: "Forklift Operator" expires in 9 days',
    ]);
  }));

test('repeat every 7 days, at most 10: the expiry comes first, so four (01-08 … 01-29) and none in the 14-day grace period', () =>
  withClock(async (h) => {
    const base = recertSettings('00000000-0000-4000-8000-000000000000');
    const s = await scenario(h, { everyDays: 7, maxCount: 10 }, { expiration: { ...base.expiration, graceDays: 14 } });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.ok(result.history.some((e) => e.event === 'phase_in_grace'), 'went through grace');
      assert.deepEqual(repeatSends(result.messages), [
        ['2038-01-08T09:00:00.000Z', 'sent'],
        ['2038-01-15T09:00:00.000Z', 'sent'],
        ['2038-01-22T09:00:00.000Z', 'sent'],
        ['2038-01-29T09:00:00.000Z', 'sent'],
      ]);
    });
    assert.equal((await repeatsOf(h, s.award.id)).length, 4, 'none on 02-05 or 02-12 (in grace)');
  }));

test('renewed by completing the course after the 2nd repeat: the run ends renewed, no 3rd', () =>
  withClock(async (h) => {
    const s = await scenario(h, { everyDays: 7, maxCount: 3 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-16T12:00:00Z'));
      assert.equal((await repeatsOf(h, s.award.id)).length, 2);
      const [attempt] = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
      assert.ok(attempt);
      const completedAt = new Date(await h.now());
      await h.db.sql`update course_attempts set status = 'completed', progress = 100, completed_at = ${completedAt} where id = ${attempt.id}`;
      const [made] = await h.db.sql.begin((tx) => renewForCompletion(tx, attempt, completedAt, completedAt.getTime()));
      assert.equal(made?.renewed?.id, s.award.id);
      await wf.signal(awardRenewedSignal, { newAwardId: made!.award.id });
      assert.equal((await wf.result()).phase, 'renewed');
      await h.recordHistory(wf, 'repeating-reminders-renewed');
    });
    assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [1, 2].map((n) => repeatKey(s.award.id, n)));
  }));

test('completed without a renewal (the course does not renew this certificate) after the 2nd: the 3rd is not sent', () =>
  withClock(async (h) => {
    const s = await scenario(h, { everyDays: 7, maxCount: 3 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-16T12:00:00Z'));
      await h.db.sql`update course_attempts set status = 'completed', progress = 100, completed_at = now() where award_id = ${s.award.id}`;
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.deepEqual(repeatSends(result.messages), [
        ['2038-01-08T09:00:00.000Z', 'sent'],
        ['2038-01-15T09:00:00.000Z', 'sent'],
        ['2038-01-22T09:00:00.000Z', 'skipped'],
      ]);
    });
    assert.equal((await repeatsOf(h, s.award.id)).length, 2, 'no third message');
  }));

test('revoked after the enrollment: no repeat at all', () =>
  withClock(async (h) => {
    const s = await scenario(h, { everyDays: 7, maxCount: 3 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-03T09:00:00Z'));
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await h.db.sql`update awards set status = 'revoked', revoked_reason = 'left the company' where id = ${s.award.id}`;
      await wf.signal(awardRevokedSignal, { reason: 'left the company' });
      assert.equal((await wf.result()).phase, 'revoked');
    });
    assert.equal((await repeatsOf(h, s.award.id)).length, 0);
  }));

test('turned on while enrolled (01-16): the repeats of 01-08 and 01-15 are not sent late; 01-22 is', () =>
  withClock(async (h) => {
    const s = await scenario(h, null);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-16T12:00:00Z'));
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      const settings: CertificateSettings = { ...s.settings, recertification: { ...s.settings.recertification, repeatReminder: { everyDays: 7, maxCount: 3 } } };
      const settingsVersion = await updateSettings(h.db.sql, s.cert.id, settings);
      await wf.signal(settingsChangedSignal, { settingsVersion, settings });
      const result = await wf.result();
      assert.deepEqual(repeatSends(result.messages), [['2038-01-22T09:00:00.000Z', 'sent']]);
      await h.recordHistory(wf, 'repeating-reminders-turned-on');
    });
    assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [repeatKey(s.award.id, 3)]);
  }));

test('without a repeating reminder nothing changes (no REPEATING_REMINDERS marker: the old path)', () =>
  withClock(async (h) => {
    const s = await scenario(h, null, {});
    await h.db.sql`update certificates set settings = jsonb_set(settings, '{recertification,reminderDaysBeforeExpiry}', '[7]') where id = ${s.cert.id}`;
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      const result = await wf.result();
      assert.deepEqual(repeatSends(result.messages), [['2038-01-24T09:00:00.000Z', 'sent']], 'only the fixed day (7 before expiry)');
      const history = await wf.fetchHistory();
      const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
      const ids = markers.map((e) => Buffer.from(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!).toString('utf8'));
      assert.ok(!ids.some((d) => d.includes('repeating-reminders')), `no repeating-reminders marker (${ids.join(', ')})`);
      await h.recordHistory(wf, 'repeating-reminders-off');
    });
    assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [`award:${s.award.id}:recertification_reminder:7`]);
  }));

test('a repeat whose send is retried after the worker lost its reply: one message, one email', () => {
  let tries = 0;
  return withClock(
    async (h) => {
      const s = await scenario(h, { everyDays: 7, maxCount: 1 });
      await h.withWorkers(async () => {
        const wf = await h.start(s.award);
        assert.equal((await wf.result()).phase, 'expired');
      });
      assert.equal(tries, 2, 'the repeat was sent twice: its first try was lost after it sent');
      assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [repeatKey(s.award.id, 1)]);
      assert.equal(h.resend.sent().filter((e) => e.subject.startsWith('Reminder:')).length, 1, 'one email');
    },
    {
      wrapMessageActivities: (m) => ({
        async sendMessage(input) {
          const r = await m.sendMessage(input);
          if (input.repeatReminder && tries++ === 0) throw new Error('worker lost before replying');
          return r;
        },
      }),
    },
  );
});

test('send window mon–fri 08:00–18:00 UTC, every day, at most 4, enrolled Friday 01-01 09:00Z: the weekend\'s two repeats make one email on Monday 08:00, then Monday 09:00 and Tuesday 09:00', () =>
  withClock(async (h) => {
    const s = await scenario(h, { everyDays: 1, maxCount: 4 }, { sendWindow: { enabled: true, start: '08:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] } });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-02T12:00:00Z'));
      const waiting = await wf.query(statusQuery);
      assert.equal(waiting.messageWaits?.kind, 'recertification_reminder', 'Saturday\'s repeat waits for the window');
      assert.equal(waiting.messageWaits?.until, '2038-01-04T08:00:00.000Z');
      const result = await wf.result();
      assert.deepEqual(repeatSends(result.messages), [
        ['2038-01-04T08:00:00.000Z', 'sent'],
        ['2038-01-04T09:00:00.000Z', 'sent'],
        ['2038-01-05T09:00:00.000Z', 'sent'],
      ]);
    });
    assert.deepEqual(keys(await repeatsOf(h, s.award.id)), [2, 3, 4].map((n) => repeatKey(s.award.id, n)), 'Saturday\'s (1) folded into Sunday\'s (2)');
  }));

// --- The rules, without Temporal ---

test('rules: reminder n at enrollment + n × everyDays; refused when not yet due, past the cap, at the expiry, or the award no longer active', () => {
  assert.equal(new Date(repeatReminderAt(ENROLLED, 7, 3)).toISOString(), '2038-01-22T09:00:00.000Z');
  const settings = recertSettings('00000000-0000-4000-8000-000000000001', { repeatReminder: { everyDays: 7, maxCount: 3 } });
  const t: AwardTruth = { status: 'active', awardedAt: new Date('2026-01-31T09:00:00Z'), sourceAttemptId: null, expiresAt: EXPIRES, settings, course: null };
  assert.equal(repeatReminderRefusal(t, at('2038-01-08T09:00:00Z'), 1, ENROLLED), null);
  assert.match(repeatReminderRefusal(t, at('2038-01-08T08:59:00Z'), 1, ENROLLED) ?? '', /not due until 2038-01-08T09:00:00.000Z/);
  assert.match(repeatReminderRefusal(t, at('2038-01-29T09:00:00Z'), 4, ENROLLED) ?? '', /beyond the cap of 3/);
  assert.match(repeatReminderRefusal({ ...t, settings: { ...settings, recertification: { ...settings.recertification, repeatReminder: { everyDays: 7, maxCount: 10 } } } }, at('2038-02-05T09:00:00Z'), 5, ENROLLED) ?? '', /reached its expiry/);
  assert.match(repeatReminderRefusal({ ...t, status: 'in_grace' }, at('2038-01-15T09:00:00Z'), 2, ENROLLED) ?? '', /in_grace/);
  assert.match(repeatReminderRefusal({ ...t, status: 'renewed' }, at('2038-01-15T09:00:00Z'), 2, ENROLLED) ?? '', /renewed/);
  assert.match(repeatReminderRefusal({ ...t, settings: recertSettings('00000000-0000-4000-8000-000000000001') }, at('2038-01-15T09:00:00Z'), 2, ENROLLED) ?? '', /no longer configured/);
});

test('rules: each repeat has its own idempotency key, apart from the fixed-day reminders and from other awards', () => {
  const award = '11111111-1111-4111-8111-111111111111';
  const enrolledAt = new Date(ENROLLED).toISOString();
  const key = (n: number, awardId = award) => messageIdempotencyKey({ kind: 'recertification_reminder', awardId, repeatReminder: { n, enrolledAt } });
  assert.equal(key(1), `award:${award}:recertification_reminder:repeat:1`);
  assert.notEqual(key(1), key(2));
  assert.notEqual(key(7), messageIdempotencyKey({ kind: 'recertification_reminder', awardId: award, reminderDaysBeforeExpiry: 7 }));
  assert.notEqual(key(1), key(1, '22222222-2222-4222-8222-222222222222'), 'a renewal is a new award: a new cycle, new keys');
  assert.throws(() => key(0), /whole number from 1/);
});

test('rules: the setting is validated (everyDays 1–365, maxCount 1–52) and warned about when it can never send (everyDays ≥ lead days)', () => {
  for (const bad of [{ everyDays: 0, maxCount: 1 }, { everyDays: 366, maxCount: 1 }, { everyDays: 7, maxCount: 0 }, { everyDays: 7, maxCount: 53 }, { everyDays: 7 }, { everyDays: 7, maxCount: 3, extra: 1 }]) {
    assert.equal(SettingsPatchSchema.safeParse({ recertification: { repeatReminder: bad } }).success, false, JSON.stringify(bad));
  }
  assert.equal(SettingsPatchSchema.safeParse({ recertification: { repeatReminder: null } }).success, true);
  const before = recertSettings('00000000-0000-4000-8000-000000000001');
  const warn = (everyDays: number) =>
    evaluateSettings({ before, patch: { recertification: { repeatReminder: { everyDays, maxCount: 3 } } }, associatedCourseIds: ['00000000-0000-4000-8000-000000000001'], recertificationCourse: null })
      .warnings.filter((w) => w.code === 'repeat_reminder_never_sent');
  assert.deepEqual(warn(29), []);
  const [w] = warn(30);
  assert.equal(w?.field, 'recertification.repeatReminder.everyDays');
  assert.match(w?.message ?? '', /every 30 days after the enrollment is never sent: learners are enrolled 30 days before the expiry/);
});
