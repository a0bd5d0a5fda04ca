/**
 * The recertification workflow on every path of SPEC §4, with real activities on a real PostgreSQL,
 * on Temporal's time-skipping test server (months pass in milliseconds). Signals are always sent while
 * the workflow's timer is still in the future (the test server can hang otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from '../domain/dates.ts';
import type { MessageRow } from '../db/rows.ts';
import {
  awardRenewedSignal,
  awardRevokedSignal,
  expiryChangedSignal,
  settingsChangedSignal,
  statusQuery,
} from '../workflows/contract.ts';
import { settingsPropagationWorkflowId } from '../workflows/settings-propagation.ts';
import { createHarness, TASK_QUEUE, type Harness } from './support/workflow-harness.ts';
import { attemptsOf, makeAttempt, makeAward, makeCertificate, makeCourse, makeLearner, recertSettings, updateSettings } from './support/fixtures.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { RecertificationPhase } from '../workflows/search-attributes.ts';

const HOUR = 60 * 60 * 1000;

async function messagesOf(h: Harness, awardId: string): Promise<MessageRow[]> {
  return await h.db.sql<MessageRow[]>`select * from messages where award_id = ${awardId} order by created_at, id`;
}
async function awardStatus(h: Harness, awardId: string): Promise<string> {
  const [row] = await h.db.sql<{ status: string }[]>`select status from awards where id = ${awardId}`;
  return row!.status;
}

/** A learner, a live recertification course, a certificate with recertification on, and an award. */
async function scenario(h: Harness, opts: { daysToExpiry?: number; settings?: (courseId: string) => CertificateSettings; enrollmentMessage?: boolean } = {}) {
  const learner = await makeLearner(h.db.sql, { name: 'Ada <b>Lovelace</b>' });
  const course = await makeCourse(h.db.sql, {
    title: 'Forklift Safety Refresher',
    enrollmentMessage: opts.enrollmentMessage ? { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}, start here: {{course.url}}</p>' } : null,
  });
  const settings = opts.settings ? opts.settings(course.id) : recertSettings(course.id);
  const cert = await makeCertificate(h.db.sql, { title: 'Forklift Operator', settings, associatedCourseIds: [course.id] });
  const now = await h.now();
  const expiresAt = new Date(now + (opts.daysToExpiry ?? 365) * DAY_MS);
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date(now - DAY_MS), expiresAt });
  return { learner, course, cert, award, settings, expiresAt };
}

async function withHarness(fn: (h: Harness) => Promise<void>, opts?: Parameters<typeof createHarness>[0]): Promise<void> {
  const h = await createHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

test('1. nothing happens before expiry − 30 days; at that instant one attempt and one Certificate Expiring message', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      const dueAt = s.expiresAt.getTime() - 30 * DAY_MS;
      await h.env.sleep(dueAt - (await h.now()) - HOUR);
      const before = await wf.query(statusQuery);
      assert.equal(before.phase, 'scheduled');
      assert.equal(before.dueAt, new Date(dueAt).toISOString());
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0, 'no attempt an hour before the due time');
      assert.equal((await messagesOf(h, s.award.id)).length, 0, 'no message an hour before the due time');

      await h.env.sleep(2 * HOUR);
      const after = await wf.query(statusQuery);
      assert.equal(after.phase, 'assigned');
      const attempts = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0]!.source, 'recertification');
      assert.equal(attempts[0]!.awardId, s.award.id);
      assert.equal(attempts[0]!.progress, 0);
      const enrolledAt = Date.parse(after.attempt!.at);
      assert.ok(enrolledAt >= dueAt && enrolledAt < dueAt + 60_000, `enrolled at the due time (${after.attempt!.at})`);
      const msgs = await messagesOf(h, s.award.id);
      assert.deepEqual(msgs.map((m) => [m.kind, m.status]), [['certificate_expiring', 'sent']]);
      const emails = h.resend.sent();
      assert.equal(emails.length, 1);
      const html = emails[0]!.html;
      assert.match(html, /Forklift Operator/, 'names the certificate');
      assert.match(html, /Forklift Safety Refresher/, 'names the course');
      assert.match(html, new RegExp(String(s.expiresAt.getUTCFullYear())), 'names the expiry date');
      assert.match(html, new RegExp(`/courses/${s.course.id}`), 'links the course');
      assert.doesNotMatch(html, /<b>Lovelace<\/b>/, 'learner name is HTML-escaped');
      await h.recordHistory(wf, 'scheduled-then-assigned');
    });
  }));

test('2. an earlier completed attempt is superseded; the new attempt starts at progress 0', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    const old = await makeAttempt(h.db.sql, { courseId: s.course.id, learnerId: s.learner.id, status: 'completed', progress: 100 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(336 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
    });
    const attempts = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
    assert.equal(attempts.length, 2, 'the old attempt is kept as history');
    const prev = attempts.find((a) => a.id === old.id)!;
    const fresh = attempts.find((a) => a.id !== old.id)!;
    assert.equal(prev.status, 'superseded');
    assert.equal(prev.progress, 100, 'history keeps its progress');
    assert.equal(fresh.status, 'enrolled');
    assert.equal(fresh.progress, 0);
  }));

test('3. awarded with 10 days left: enrolls at once', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { daysToExpiry: 10 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Date.parse(st.attempt!.at) - (await h.now()) < 2 * HOUR);
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1);
  }));

test('4a. recertification turned off before the due time: no enrollment; turned on again before expiry: enrolls then', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(100 * DAY_MS);
      const off = { ...s.settings, recertification: { ...s.settings.recertification, enabled: false } };
      const v2 = await updateSettings(h.db.sql, s.cert.id, off);
      await wf.signal(settingsChangedSignal, { settingsVersion: v2, settings: off });
      await h.env.sleep(240 * DAY_MS); // past the due time (335 days)
      const waiting = await wf.query(statusQuery);
      assert.equal(waiting.phase, 'waiting_for_settings');
      assert.match(waiting.waitingReason ?? '', /off/);
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0, 'no enrollment while off');

      const v3 = await updateSettings(h.db.sql, s.cert.id, s.settings);
      await wf.signal(settingsChangedSignal, { settingsVersion: v3, settings: s.settings });
      await h.env.sleep(HOUR);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await h.recordHistory(wf, 'waiting-for-settings-then-assigned');
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1, 'enrolled once turned on');
    const kinds = (await messagesOf(h, s.award.id)).map((m) => m.kind);
    assert.deepEqual(kinds, ['certificate_expiring'], 'the expiring notice went out once, at the due time');
  }));

test('4b. course changed before the due time: the new course is used', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    const other = await makeCourse(h.db.sql, { title: 'Forklift Safety 2027' });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(30 * DAY_MS);
      const changed = { ...s.settings, recertification: { ...s.settings.recertification, courseId: other.id } };
      await updateSettings(h.db.sql, s.cert.id, changed);
      // Through the real propagation workflow, as the API does it.
      const [version] = await h.db.sql<{ settingsVersion: number }[]>`select settings_version from certificates where id = ${s.cert.id}`;
      await h.db.sql`insert into settings_propagations (certificate_id, settings_version) values (${s.cert.id}, ${version!.settingsVersion})`;
      const prop = await h.env.client.workflow.start('settingsPropagationWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: settingsPropagationWorkflowId(s.cert.id, version!.settingsVersion),
        args: [{ certificateId: s.cert.id, settingsVersion: version!.settingsVersion }],
      });
      assert.deepEqual(await prop.result(), { signalled: 1, skipped: 0 });
      assert.equal((await wf.query(statusQuery)).settings?.recertification.courseId, other.id);
      await h.env.sleep(310 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).attempt?.courseId, other.id);
      await h.recordHistory(wf, 'course-changed-by-propagation');
      await h.recordHistory(prop, 'settings-propagation');
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, other.id)).length, 1);
    assert.match(h.resend.sent()[0]!.html, /Forklift Safety 2027/);
  }));

test('5. lead days changed from 30 to 60 while sleeping: the due time moves and the wait is re-planned', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(10 * DAY_MS);
      const lead60 = { ...s.settings, recertification: { ...s.settings.recertification, leadDays: 60 } };
      const v = await updateSettings(h.db.sql, s.cert.id, lead60);
      await wf.signal(settingsChangedSignal, { settingsVersion: v, settings: lead60 });
      await h.env.sleep(HOUR);
      const newDue = s.expiresAt.getTime() - 60 * DAY_MS;
      assert.equal((await wf.query(statusQuery)).dueAt, new Date(newDue).toISOString());
      await h.env.sleep(newDue - (await h.now()) - HOUR);
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0, 'not before the new due time');
      await h.env.sleep(2 * HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(st.attempt!.at) - newDue) < 60_000, 'enrolled 60 days before expiry');
    });
  }));

test('6a. renewal before the due time: the workflow ends renewed and sends nothing', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(50 * DAY_MS);
      await h.db.sql`update awards set status = 'renewed' where id = ${s.award.id}`;
      await wf.signal(awardRenewedSignal, { newAwardId: '00000000-0000-4000-8000-000000000001' });
      const result = await wf.result();
      assert.equal(result.phase, 'renewed');
      assert.equal(result.renewedByAwardId, '00000000-0000-4000-8000-000000000001');
      await h.recordHistory(wf, 'renewed-before-due');
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    assert.equal((await messagesOf(h, s.award.id)).length, 0);
    assert.equal(h.resend.sent().length, 0);
  }));

test('6b. renewal after the due time: ends renewed; no reminder or expiry follows', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7, 1] }, { expiredNotice: { enabled: true } }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(340 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await wf.signal(awardRenewedSignal, { newAwardId: '00000000-0000-4000-8000-000000000002' });
      assert.equal((await wf.result()).phase, 'renewed');
    });
    assert.deepEqual((await messagesOf(h, s.award.id)).map((m) => m.kind), ['certificate_expiring']);
    assert.equal(await awardStatus(h, s.award.id), 'active', 'the workflow does not touch an award the API renewed');
  }));

test('7. no renewal: reminders on their days, then at expiry the award is expired and the expired notice sent', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7, 1] }, { expiredNotice: { enabled: true } }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      await h.recordHistory(wf, 'reminders-then-expired');
    });
    assert.equal(await awardStatus(h, s.award.id), 'expired');
    const msgs = await messagesOf(h, s.award.id);
    assert.deepEqual(msgs.map((m) => m.kind), ['certificate_expiring', 'recertification_reminder', 'recertification_reminder', 'certificate_expired']);
    assert.ok(msgs.every((m) => m.status === 'sent'));
  }));

test('7b. a learner who completed the recertification course gets no reminder', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7] }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(340 * DAY_MS);
      await h.db.sql`update course_attempts set status = 'completed', progress = 100, completed_at = now() where award_id = ${s.award.id}`;
      await h.env.sleep(20 * DAY_MS);
      assert.equal((await wf.result()).phase, 'expired');
    });
    assert.deepEqual((await messagesOf(h, s.award.id)).map((m) => m.kind), ['certificate_expiring']);
  }));

test('8a. revoke signal: ends revoked, nothing sent', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(20 * DAY_MS);
      await wf.signal(awardRevokedSignal, { reason: 'left the company' });
      const r = await wf.result();
      assert.equal(r.phase, 'revoked');
      assert.equal(r.revokedReason, 'left the company');
      await h.recordHistory(wf, 'revoked');
    });
    assert.equal(h.resend.sent().length, 0);
  }));

test('8b. expiry-change signal: the due time follows the new expiry', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(20 * DAY_MS);
      const extended = new Date(s.expiresAt.getTime() + 90 * DAY_MS);
      await h.db.sql`update awards set expires_at = ${extended} where id = ${s.award.id}`;
      await wf.signal(expiryChangedSignal, { expiresAt: extended.toISOString() });
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.expiresAt, extended.toISOString());
      await h.recordHistory(wf, 'expiry-changed');
      assert.equal(st.dueAt, new Date(extended.getTime() - 30 * DAY_MS).toISOString());
      await h.env.sleep(s.expiresAt.getTime() - 30 * DAY_MS - (await h.now()) + DAY_MS);
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0, 'the old due time passes quietly');
    });
  }));

test('9. expiring notice off and the course has an enrollment message: only the course message is sent', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { enrollmentMessage: true, settings: (c) => recertSettings(c, {}, { expiringNotice: { enabled: false } }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(336 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
    });
    const msgs = await h.db.sql<MessageRow[]>`select * from messages where learner_id = ${s.learner.id}`;
    assert.deepEqual(msgs.map((m) => m.kind), ['course_enrollment']);
    const emails = h.resend.sent();
    assert.equal(emails.length, 1);
    assert.equal(emails[0]!.subject, 'Welcome to Forklift Safety Refresher');
    assert.match(emails[0]!.html, /Ada &lt;b&gt;Lovelace&lt;\/b&gt;/);
  }));

test('10a. activities retried after a crash between their write and their reply create no second attempt and send no second email', () => {
  let attemptCalls = 0;
  let sendCalls = 0;
  return withHarness(
    async (h) => {
      const s = await scenario(h);
      await h.withWorkers(async () => {
        const wf = await h.start(s.award);
        await h.env.sleep(336 * DAY_MS);
        assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      });
      assert.equal(attemptCalls, 2, 'the attempt activity ran twice: it crashed once after committing');
      assert.equal(sendCalls, 2, 'the send activity ran twice: it crashed once after sending');
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1, 'one attempt');
      assert.equal((await messagesOf(h, s.award.id)).length, 1, 'one message row');
      assert.equal(h.resend.sent().length, 1, 'one email');
    },
    {
      wrapActivities: (a) => ({
        ...a,
        async createRecertificationAttempt(input) {
          const r = await a.createRecertificationAttempt(input);
          if (attemptCalls++ === 0) throw new Error('worker lost before replying');
          return r;
        },
      }),
      wrapMessageActivities: (m) => ({
        async sendMessage(input) {
          const r = await m.sendMessage(input);
          if (sendCalls++ === 0) throw new Error('worker lost before replying');
          return r;
        },
      }),
    },
  );
});

test('10b. Resend answering 422 leaves a failed record and the workflow completes', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { daysToExpiry: 5, settings: (c) => recertSettings(c, {}, { expiredNotice: { enabled: false } }) });
    h.resend.failNext(100, 422);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      assert.equal((await wf.result()).phase, 'expired');
    });
    const msgs = await messagesOf(h, s.award.id);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.status, 'failed');
    assert.ok(msgs[0]!.error, 'the reason is recorded');
    assert.equal(h.resend.sent().length, 0);
  }));

test('status query and search attributes describe the workflow', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.awardId, s.award.id);
      assert.equal(st.expiresAt, s.expiresAt.toISOString());
      assert.ok(st.history.some((e) => e.event === 'phase_scheduled'));
      const desc = await wf.describe();
      assert.equal(desc.typedSearchAttributes.get(RecertificationPhase), 'scheduled');
    });
  }));
