/**
 * Send windows in the recertification workflow (issue 13 §3), on Temporal's time-skipping test server
 * with the real activities on PostgreSQL: the enrollment happens at the due instant, the message that
 * announces it waits (a durable timer) for the learner's local window; reminders likewise; the expiry
 * is never delayed. Also: a template changed before the due time is the one sent (no signal needed),
 * and every message goes out with its plain-text part. Histories are recorded with
 * RECORD_HISTORIES=1 as test/histories/send-window-*.json (the SEND_WINDOWS patch's path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from '../domain/dates.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import type { SendWindow } from '../domain/send-window.ts';
import type { MessageRow } from '../db/rows.ts';
import { statusQuery } from '../workflows/contract.ts';
import { type Harness, withHarness, skipTo } from './support/workflow-harness.ts';
import { makeAward, makeCertificate, makeCourse, makeLearner, recertSettings, updateSettings } from './support/fixtures.ts';

const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;
const WEEKDAYS_8_18: SendWindow = { enabled: true, start: '08:00', end: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] };



/**
 * The first instant after `from` + 40 days that is `hh:00` UTC on a day whose UTC weekday is
 * `utcWeekday` (0 = Sunday). Written in UTC so the expected local times are worked out by hand below.
 */
function nextUtc(from: number, utcWeekday: number, hh: number): number {
  let day = Math.floor((from + 40 * DAY_MS) / DAY_MS) * DAY_MS;
  while (new Date(day).getUTCDay() !== utcWeekday) day += DAY_MS;
  return day + hh * HOUR;
}

/** Each message's kind and the minute it was sent in (the workflow notes the instant the send activity returned). */
function sentAt(messages: { kind: string; at: string }[]): [string, number][] {
  return messages.map((m) => [m.kind, Math.floor(Date.parse(m.at) / MINUTE) * MINUTE]);
}

async function messagesOf(h: Harness, awardId: string): Promise<MessageRow[]> {
  return await h.db.sql<MessageRow[]>`select * from messages where award_id = ${awardId} order by created_at, id`;
}

/** A learner in `timeZone`, a live course, a certificate (leadDays 30) with `rest` settings, and an award due at `dueMs`. */
async function scenario(h: Harness, args: { timeZone: string | null; dueMs: number; rest?: Partial<CertificateSettings>; reminders?: number[] }) {
  const learner = await makeLearner(h.db.sql, { name: 'Kenji <Sato>' });
  if (args.timeZone) await h.db.sql`update learners set time_zone = ${args.timeZone} where id = ${learner.id}`;
  const course = await makeCourse(h.db.sql, { title: 'Forklift Refresher' });
  const settings = recertSettings(course.id, { reminderDaysBeforeExpiry: args.reminders ?? [] }, args.rest ?? {});
  const cert = await makeCertificate(h.db.sql, { title: 'Forklift Operator', settings, associatedCourseIds: [course.id] });
  const expiresAt = new Date(args.dueMs + 30 * DAY_MS);
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date((await h.now()) - DAY_MS), expiresAt });
  return { learner, course, cert, settings, award, expiresAt };
}

test('send window: a learner in Asia/Tokyo due at 02:00 local is enrolled at 02:00 and emailed at 08:00 local', () =>
  withHarness(async (h) => {
    // A Wednesday 17:00 UTC is Thursday 02:00 in Tokyo (UTC+9, no DST); 08:00 Tokyo is 23:00 UTC.
    const due = nextUtc(await h.now(), 3, 17);
    const s = await scenario(h, { timeZone: 'Asia/Tokyo', dueMs: due, rest: { sendWindow: WEEKDAYS_8_18 } });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, due + MINUTE);
      const enrolled = await wf.query(statusQuery);
      assert.equal(enrolled.phase, 'assigned');
      const enrolledAt = Date.parse(enrolled.attempt!.at);
      assert.ok(enrolledAt >= due && enrolledAt < due + MINUTE, `enrolled at the due instant, 02:00 Tokyo (${enrolled.attempt!.at})`);
      assert.equal((await messagesOf(h, s.award.id)).length, 0, 'no message at 02:00 local');
      assert.equal(enrolled.messageWaits?.kind, 'certificate_expiring');
      assert.equal(enrolled.messageWaits?.until, new Date(due + 6 * HOUR).toISOString());
      assert.match(enrolled.messageWaits?.text ?? '', /^message waits for 08:00 Asia\/Tokyo on Thursday /);
      const metadata = await wf.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /message waits for 08:00 Asia\/Tokyo/, 'the Temporal UI says what the message waits for');

      await skipTo(h, due + 6 * HOUR + MINUTE);
      const sent = await wf.query(statusQuery);
      assert.deepEqual(sent.messages.map((m) => m.status), ['sent']);
      assert.deepEqual(sentAt(sent.messages), [['certificate_expiring', due + 6 * HOUR]], 'sent at 08:00 Tokyo');
      assert.equal(sent.messageWaits ?? null, null);
      const [email] = h.resend.sent();
      assert.ok(email, 'emailed');
      assert.match(email.subject, /\(GMT\+9\)$/, 'dates in the learner\'s zone');
      assert.match(email.text ?? '', /^Hello Kenji <Sato>,\n\nYour certificate Forklift Operator expires on /, 'with its plain-text part');
      await h.recordHistory(wf, 'send-window-tokyo');
    });
  }));

test('send window: due on a Saturday, enrolled then; the message on Monday 08:00; the reminder waits likewise; the expiry is not delayed', () =>
  withHarness(async (h) => {
    // Saturday 09:00 UTC is 10:00 in Berlin (a winter or summer date: the check below reads the opening from the status).
    const due = nextUtc(await h.now(), 6, 9);
    const s = await scenario(h, { timeZone: 'Europe/Berlin', dueMs: due, reminders: [2], rest: { sendWindow: WEEKDAYS_8_18, expiredNotice: { enabled: true } } });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, due + MINUTE);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Date.parse(st.attempt!.at) < due + MINUTE, 'enrolled on Saturday at the due instant');
      const opening = Date.parse(st.messageWaits!.until);
      const monday = new Date(opening);
      assert.equal(monday.getUTCDay(), 1, `the opening is a Monday (${st.messageWaits!.until})`);
      assert.ok(opening - due > 40 * HOUR && opening - due < 48 * HOUR, 'Monday morning, not Sunday');
      assert.match(st.messageWaits!.text, /^message waits for 08:00 Europe\/Berlin on Monday /);

      await skipTo(h, opening + MINUTE);
      assert.deepEqual(sentAt((await wf.query(statusQuery)).messages), [['certificate_expiring', opening]]);

      // The reminder 2 days before expiry falls on a Saturday again (expiry = due + 30 days, a Monday): Monday 08:00.
      const reminderAt = s.expiresAt.getTime() - 2 * DAY_MS;
      await skipTo(h, reminderAt + MINUTE);
      assert.equal((await wf.query(statusQuery)).messageWaits?.kind, 'recertification_reminder', 'the reminder waits');
      assert.equal((await messagesOf(h, s.award.id)).length, 1);
      const reminderOpening = Date.parse((await wf.query(statusQuery)).messageWaits!.until);
      assert.equal(reminderOpening, s.expiresAt.getTime() - 2 * HOUR, 'Monday 08:00, two hours before the 10:00 expiry');
      await skipTo(h, reminderOpening + MINUTE);
      // The expiry on Monday 10:00 is at its instant, window or not.
      await skipTo(h, s.expiresAt.getTime() + MINUTE);
      const end = await wf.query(statusQuery);
      assert.equal(end.phase, 'expired');
      assert.deepEqual(sentAt(end.messages), [
        ['certificate_expiring', opening],
        ['recertification_reminder', reminderOpening],
        ['certificate_expired', s.expiresAt.getTime()],
      ]);
      await h.recordHistory(wf, 'send-window-saturday');
    });
  }));

test('send window: a daylight saving change between the due instant and the opening (Berlin, last weekend of March) opens at 08:00 CEST', () =>
  withHarness(async (h) => {
    // The Saturday before the last Sunday of March, at 20:00 CET (19:00 UTC), at least 40 days ahead.
    const now = await h.now();
    let year = new Date(now).getUTCFullYear();
    let saturday = 0;
    for (;; year++) {
      const march31 = Date.UTC(year, 2, 31);
      const lastSunday = march31 - new Date(march31).getUTCDay() * DAY_MS;
      saturday = lastSunday - DAY_MS;
      if (saturday > now + 40 * DAY_MS) break;
    }
    const due = saturday + 19 * HOUR;
    // Monday 08:00 CEST (UTC+2) = 06:00 UTC; without the change it would be 07:00 UTC.
    const expected = saturday + 2 * DAY_MS + 6 * HOUR;
    const s = await scenario(h, { timeZone: 'Europe/Berlin', dueMs: due, rest: { sendWindow: WEEKDAYS_8_18 } });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, due + MINUTE);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.equal(st.messageWaits?.until, new Date(expected).toISOString());
      await skipTo(h, expected + MINUTE);
      const sent = await wf.query(statusQuery);
      assert.deepEqual(sentAt(sent.messages), [['certificate_expiring', expected]]);
      assert.match(h.resend.sent()[0]!.subject, /\(GMT\+2\)$/, 'the expiry (in April) is written in summer time');
      await h.recordHistory(wf, 'send-window-dst');
    });
  }));

test('send window off: the message goes at once; a template changed before the due time is the one sent, with its text part', () =>
  withHarness(async (h) => {
    const due = nextUtc(await h.now(), 3, 17); // Thursday 02:00 in Tokyo: outside any window, but none is on
    const s = await scenario(h, { timeZone: 'Asia/Tokyo', dueMs: due });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, due - HOUR);
      // Saved straight to the database, no signal: the send-message activity reads the template when it renders.
      await updateSettings(h.db.sql, s.cert.id, {
        ...s.settings,
        messageTemplates: {
          certificateExpiring: { subject: 'Renew {{certificate.title}} by {{expiresAt}}', body: '<p>Dear {{learner.name}}, enrolled {{dueAt}} ({{learner.timeZone}})</p>' },
          recertificationReminder: null,
          certificateExpired: null,
        },
      });
      await skipTo(h, due + MINUTE);
      const st = await wf.query(statusQuery);
      assert.equal(st.messageWaits ?? null, null);
      assert.deepEqual(sentAt(st.messages), [['certificate_expiring', Math.floor(Date.parse(st.attempt!.at) / MINUTE) * MINUTE]], 'sent with the enrollment');
      const [row] = await messagesOf(h, s.award.id);
      assert.match(row!.subject, /^Renew Forklift Operator by \d+ \w+ \d{4}, 02:00 \(GMT\+9\)$/);
      assert.match(row!.body, /Dear Kenji &lt;Sato&gt;, enrolled \d+ \w+ \d{4}, 02:00 \(GMT\+9\) \(Asia\/Tokyo\)/);
      assert.match(row!.textBody ?? '', /^Dear Kenji <Sato>, enrolled .* \(Asia\/Tokyo\)$/);
      assert.equal(h.resend.sent()[0]!.text, row!.textBody, 'Resend received the text part');
      await h.recordHistory(wf, 'send-window-off');
    });
  }));
