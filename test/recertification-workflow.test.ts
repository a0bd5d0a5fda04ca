/**
 * The recertification workflow on every path it can take (scheduled, waiting for settings, assigned,
 * renewed, expired, revoked, continued as new), with real activities on a real PostgreSQL,
 * on Temporal's time-skipping test server (months pass in milliseconds). Signals are always sent while
 * the workflow's timer is still in the future (the test server can hang otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { ApplicationFailure, Context } from '@temporalio/activity';
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
import { TASK_QUEUE, type Harness, withHarness } from './support/workflow-harness.ts';
import { attemptsOf, makeAttempt, makeAward, makeCertificate, makeCourse, makeLearner, recertSettings, updateSettings } from './support/fixtures.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { AwardId, CertificateExpiresAt, CertificateId, RecertificationDueAt, RecertificationPhase } from '../workflows/search-attributes.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart } from '../workflows/contract.ts';
import { MAX_TIMER_MS, type recertificationWorkflow } from '../workflows/recertification.ts';
import { reconcileOnce, type ReconcileReport } from '../api/reconciler.ts';
import { loadConfig } from '../config/env.ts';
import { createLogger } from '../config/logger.ts';
import { setAwardExpiry } from '../db/queries/awards.ts';
import { createActivities } from '../activities/index.ts';
import type { Mailer } from '../activities/mail/mailer.ts';
import type { EnrollWhenDueResult } from '../activities/types.ts';
import type { AwardRow } from '../db/rows.ts';

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

/**
 * Runs the real propagation workflow for `version` of the certificate, as the API records and starts
 * it (`leadDaysBefore`: the lead days the API records as in force before the change; null, not
 * recorded); returns its result.
 */
async function propagate(h: Harness, certificateId: string, version: number, leadDaysBefore: number | null) {
  await h.db.sql`insert into settings_propagations (certificate_id, settings_version, lead_days_before) values (${certificateId}, ${version}, ${leadDaysBefore})`;
  // A plain client, not the environment's time-skipping one: awaiting the result through that one
  // unlocks time skipping, and the test server may then jump to the scheduled workflow's due timer
  // while the propagation runs (the workflow would enroll before the test looks at it asleep).
  const client = new Client({ connection: h.env.connection, namespace: h.env.namespace ?? 'default' });
  const prop = await client.workflow.start('settingsPropagationWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: settingsPropagationWorkflowId(certificateId, version),
    args: [{ certificateId, settingsVersion: version }],
  });
  return { prop, result: await prop.result() };
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
      // SEND_IN_DUE_STEP and ENROLL_WHEN_DUE: from the timer's firing to the assigned wait's timer, one
      // workflow task, in which the read-and-enroll and the send ran as local activities; no activity task.
      const events = (await wf.fetchHistory()).events ?? [];
      const fired = events.findIndex((e) => e.timerFiredEventAttributes);
      const dueStep = events.slice(fired + 1, events.findIndex((e, i) => i > fired && e.timerStartedEventAttributes));
      assert.equal(dueStep.filter((e) => e.workflowTaskCompletedEventAttributes).length, 1, 'one workflow task');
      assert.equal(dueStep.filter((e) => e.activityTaskScheduledEventAttributes).length, 0, 'no activity task');
      const localTypes = dueStep
        .map((e) => e.markerRecordedEventAttributes)
        .filter((m) => m?.markerName === 'core_local_activity')
        .map((m) => (JSON.parse(Buffer.from(m!.details!.data!.payloads![0]!.data!).toString('utf8')) as { activity_type: string }).activity_type);
      assert.deepEqual(localTypes, ['enrollWhenDue', 'sendMessage']);
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
      const startedAt = await h.now();
      const wf = await h.start(s.award);
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      const enrolledAt = Date.parse(st.attempt!.at);
      // At once: within the first minute of the workflow, not at the (long past) due time nor later.
      assert.ok(enrolledAt >= startedAt && enrolledAt < startedAt + 60_000, `enrolled at ${st.attempt!.at}, started ${new Date(startedAt).toISOString()}`);
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
    const msgs = await messagesOf(h, s.award.id);
    assert.deepEqual(msgs.map((m) => m.kind), ['certificate_expiring', 'recertification_enrollment'], 'the expiring notice once, at the due time; then the course');
    const emails = h.resend.sent();
    assert.match(emails[0]!.html, /contact your administrator/, 'at the due time there was no course to name');
    assert.match(emails[1]!.subject, /Forklift Safety Refresher/, 'the enrollment names the course');
    assert.match(emails[1]!.html, new RegExp(`/courses/${s.course.id}`), 'and links it');
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
      const { prop, result } = await propagate(h, s.cert.id, version!.settingsVersion, null);
      assert.deepEqual(result, { signalled: 1, skipped: 0, unaffected: 0 }, 'the lead days before are not recorded: every workflow is signalled');
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

test('4c. course changed before the due time, lead days kept: the scheduled workflow is not signalled (no workflow task) and enrolls in the new course at its due time', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    const other = await makeCourse(h.db.sql, { title: 'Forklift Safety 2027' });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      // Settled: its first task has read the settings (on a slow machine it may still be running).
      for (let i = 0; i < 300 && !(await wf.query(statusQuery)).settings; i++) await new Promise((r) => setTimeout(r, 100));
      await h.env.sleep(30 * DAY_MS);
      const changed = { ...s.settings, recertification: { ...s.settings.recertification, courseId: other.id } };
      const version = await updateSettings(h.db.sql, s.cert.id, changed);
      // As the API records it: the lead days in force before the change (30, kept by the change).
      assert.deepEqual((await propagate(h, s.cert.id, version, 30)).result, { signalled: 0, skipped: 0, unaffected: 1 });
      const [row] = await h.db.sql<{ signalled: number; unaffected: number }[]>`
        select signalled, unaffected from settings_propagations where certificate_id = ${s.cert.id} and settings_version = ${version}`;
      assert.deepEqual({ ...row }, { signalled: 0, unaffected: 1 });
      // The only way a propagation costs a workflow a task is a signal: none reached it.
      const after = (await wf.fetchHistory()).events ?? [];
      assert.equal(after.filter((e) => e.workflowExecutionSignaledEventAttributes).length, 0, 'no signal, so no workflow task for it');
      const asleep = await wf.query(statusQuery);
      assert.equal(asleep.settings?.recertification.courseId, s.course.id, 'its copy is the old one until its due time');
      assert.equal(asleep.dueAt, new Date(s.expiresAt.getTime() - 30 * DAY_MS).toISOString(), 'its due time (and search attribute) is true as it is');
      await h.env.sleep(310 * DAY_MS);
      const enrolled = await wf.query(statusQuery);
      assert.equal(enrolled.attempt?.courseId, other.id, 'at the due time it read the settings again');
      assert.equal(enrolled.settingsVersion, version);
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, other.id)).length, 1);
  }));

test('4d. lead days changed: every scheduled workflow is signalled (its due time moves)', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(10 * DAY_MS);
      const lead45 = { ...s.settings, recertification: { ...s.settings.recertification, leadDays: 45 } };
      const version = await updateSettings(h.db.sql, s.cert.id, lead45);
      assert.deepEqual((await propagate(h, s.cert.id, version, 30)).result, { signalled: 1, skipped: 0, unaffected: 0 });
      await h.env.sleep(HOUR);
      assert.equal((await wf.query(statusQuery)).dueAt, new Date(s.expiresAt.getTime() - 45 * DAY_MS).toISOString());
    });
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
        await h.recordHistory(wf, 'enrolled-after-retried-activities');
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
        async enrollWhenDue(input) {
          const r = await a.enrollWhenDue(input);
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

test('10c. SEND_IN_DUE_STEP: a local send that fails is handed over to the email task queue; one message, one email', async () => {
  let localCalls = 0;
  let queueCalls = 0;
  await withHarness(
    async (h) => {
      const s = await scenario(h);
      await h.withWorkers(async () => {
        const wf = await h.start(s.award);
        await h.env.sleep(336 * DAY_MS);
        const st = await wf.query(statusQuery);
        assert.equal(st.phase, 'assigned');
        assert.deepEqual(st.messages.map((m) => [m.kind, m.status]), [['certificate_expiring', 'sent']]);
        assert.ok(st.history.some((e) => e.event === 'message_handed_over' && /provider busy/.test(e.detail ?? '')), 'the handover is in the status history');
        const events = (await wf.fetchHistory()).events ?? [];
        const failedLocal = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && e.markerRecordedEventAttributes.failure);
        assert.equal(failedLocal.length, 1, 'one local attempt, failed');
        const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'sendMessage');
        assert.equal(scheduled.length, 1, 'then one regular activity');
        assert.equal(scheduled[0]!.taskQueue?.name, `${TASK_QUEUE}-email`, 'on the email task queue');
        await h.recordHistory(wf, 'due-send-handed-over');
      });
      assert.equal(localCalls, 1);
      assert.equal(queueCalls, 1);
      assert.equal((await messagesOf(h, s.award.id)).length, 1, 'one message row');
      assert.equal(h.resend.sent().length, 1, 'one email');
    },
    {
      wrapMessageActivities: (m) => ({
        ...m,
        async sendMessage(input) {
          if (Context.current().info.isLocal) {
            localCalls++;
            throw ApplicationFailure.retryable('provider busy', 'RetryableSendError');
          }
          queueCalls++;
          return await m.sendMessage(input);
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

// --- Every acting step acts on the database's truth (issue "right on real data" §1, §3, §5, §6) ---
// A change written to the database without a signal is exactly what a failed signal leaves behind.

async function reconcileWith(h: Harness): Promise<ReconcileReport> {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused', TEMPORAL_TASK_QUEUE: TASK_QUEUE, LOG_LEVEL: 'warn' });
  return await reconcileOnce({ sql: h.db.sql, client: h.env.client, config, log: createLogger('test', 'warn') }, { graceSeconds: 0 });
}

test('truth 1a. assigned, expiry extended 90 days while its signal failed: the old expiry passes quietly; reminders and expiry follow the new one', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7] }, { expiredNotice: { enabled: true } }) });
    const extended = new Date(s.expiresAt.getTime() + 90 * DAY_MS);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(340 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await h.db.sql`update awards set expires_at = ${extended} where id = ${s.award.id}`; // no signal
      await h.env.sleep(s.expiresAt.getTime() - (await h.now()) + DAY_MS);
      assert.equal(await awardStatus(h, s.award.id), 'active', 'not expired at the old expiry');
      assert.deepEqual((await messagesOf(h, s.award.id)).map((m) => m.kind), ['certificate_expiring'], 'no reminder before the old expiry, no expired notice');
      const mid = await wf.query(statusQuery);
      assert.equal(mid.phase, 'assigned');
      assert.equal(mid.expiresAt, extended.toISOString(), 'the workflow now plans from the new expiry');
      const attrs = (await wf.describe()).typedSearchAttributes;
      assert.equal(attrs.get(CertificateExpiresAt)?.toISOString(), extended.toISOString(), 'the search attributes follow the new expiry');
      // ASSIGNED_DUE_TIME_FIXED: the learner was enrolled at the old expiry − 30 days; that stays the due time.
      assert.equal(attrs.get(RecertificationDueAt)?.toISOString(), new Date(s.expiresAt.getTime() - 30 * DAY_MS).toISOString(), 'the due time stays the enrollment\'s');
      assert.equal(mid.dueAt, new Date(s.expiresAt.getTime() - 30 * DAY_MS).toISOString());
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      const reminder = result.messages.find((m) => m.kind === 'recertification_reminder');
      assert.ok(reminder, 'the reminder went out');
      assert.ok(Math.abs(Date.parse(reminder.at) - (extended.getTime() - 7 * DAY_MS)) < 60_000, `reminded 7 days before the new expiry (${reminder.at})`);
      const expired = result.history.find((e) => e.event === 'expired');
      assert.ok(expired && Date.parse(expired.at) >= extended.getTime(), `expired at the new expiry, not before (${expired?.at})`);
      await h.recordHistory(wf, 'expiry-extended-without-signal');
    });
    assert.equal(await awardStatus(h, s.award.id), 'expired');
    const msgs = await messagesOf(h, s.award.id);
    assert.deepEqual(msgs.map((m) => m.kind), ['certificate_expiring', 'recertification_reminder', 'certificate_expired']);
    const expiredMail = h.resend.sent().find((e) => e.subject.includes('expired'));
    assert.ok(expiredMail, 'the expired notice was emailed');
    assert.match(expiredMail.html, new RegExp(String(extended.getUTCDate())), 'it quotes the expiry that passed');
  }));

test('truth 1g. assigned, reminder days changed to include one whose time has passed: that reminder is not sent late; the next one is', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7] }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(340 * DAY_MS); // 25 days left
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      const changed = { ...s.settings, recertification: { ...s.settings.recertification, reminderDaysBeforeExpiry: [30, 1] } };
      const v = await updateSettings(h.db.sql, s.cert.id, changed);
      await wf.signal(settingsChangedSignal, { settingsVersion: v, settings: changed });
      await h.env.sleep(HOUR);
      assert.deepEqual((await messagesOf(h, s.award.id)).map((m) => m.kind), ['certificate_expiring'], 'no "expires in 30 days" with 25 days left');
      const result = await wf.result();
      assert.deepEqual(result.messages.map((m) => [m.kind, m.status]), [['certificate_expiring', 'sent'], ['recertification_reminder', 'sent']]);
    });
    const reminders = await h.db.sql<{ key: string }[]>`select idempotency_key as key from messages where award_id = ${s.award.id} and kind = 'recertification_reminder'`;
    assert.deepEqual(reminders.map((r) => r.key), [`award:${s.award.id}:recertification_reminder:1`]);
  }));

test('truth 1b. expiry moved earlier while scheduled, signal failed: the reconciler delivers it and the learner is enrolled at new expiry − lead days', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(10 * DAY_MS);
      const earlier = new Date((await h.now()) + 100 * DAY_MS);
      // What PATCH /api/awards/:id commits; its signal failed, so the change stays pending.
      await h.db.sql.begin((tx) => setAwardExpiry(tx, s.award.id, earlier, wf.workflowId));
      const report = await reconcileWith(h);
      assert.equal(report.awardChangesDelivered, 1, 'the reconciler delivered the pending change');
      const [row] = await h.db.sql<{ pending: Date | null }[]>`select workflow_signal_pending_at as pending from awards where id = ${s.award.id}`;
      assert.equal(row!.pending, null, 'no longer pending once Temporal accepted the signal');
      assert.equal((await reconcileWith(h)).awardChangesDelivered, 0, 'delivered once');
      await h.env.sleep(HOUR);
      const newDue = earlier.getTime() - 30 * DAY_MS;
      assert.equal((await wf.query(statusQuery)).dueAt, new Date(newDue).toISOString());
      await h.env.sleep(newDue - (await h.now()) + HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(st.attempt!.at) - newDue) < 60_000, `enrolled at the new due time (${st.attempt!.at})`);
    });
  }));

test('truth 1c. expiry moved into the window while scheduled, signal failed: enrolled at once when the change is delivered', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(10 * DAY_MS);
      const soon = new Date((await h.now()) + 20 * DAY_MS);
      await h.db.sql.begin((tx) => setAwardExpiry(tx, s.award.id, soon, wf.workflowId));
      await h.env.sleep(5 * DAY_MS); // Temporal "unreachable": nothing happens yet
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
      const deliveredAt = await h.now();
      assert.equal((await reconcileWith(h)).awardChangesDelivered, 1);
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Date.parse(st.attempt!.at) >= deliveredAt && Date.parse(st.attempt!.at) < soon.getTime(), 'enrolled at once, before the new expiry');
    });
  }));

test('truth 1d. revoked while assigned and its signal failed: no reminder, no expired notice, the award stays revoked', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7, 1] }, { expiredNotice: { enabled: true } }) });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(340 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await h.db.sql`update awards set status = 'revoked', revoked_reason = 'left' where id = ${s.award.id}`; // no signal
      const result = await wf.result();
      assert.equal(result.phase, 'revoked');
    });
    assert.equal(await awardStatus(h, s.award.id), 'revoked');
    assert.deepEqual((await messagesOf(h, s.award.id)).map((m) => m.kind), ['certificate_expiring'], 'nothing after the revoke');
  }));

test('truth 1e. renewed before the due time and its signal failed: no enrollment, no message', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await h.env.sleep(50 * DAY_MS);
      await h.db.sql`update awards set status = 'renewed' where id = ${s.award.id}`; // no signal
      assert.equal((await wf.result()).phase, 'renewed');
      await h.recordHistory(wf, 'renewed-found-at-due');
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    assert.equal((await messagesOf(h, s.award.id)).length, 0);
  }));

test('truth 1f. the acting activities re-check the database: a stale enrollment, reminder or expiry is refused', () =>
  withHarness(async (h) => {
    const s = await scenario(h, { settings: (c) => recertSettings(c, { reminderDaysBeforeExpiry: [7] }, { expiredNotice: { enabled: true } }) });
    const { activities, messageActivities } = createActivities({
      sql: h.db.sql, client: h.env.client, mailer: { deliver: () => Promise.reject(new Error('no send expected')), close: async () => {} } as unknown as Mailer,
      appBaseUrl: 'https://learn.example.com', from: 'x@example.com', log: createLogger('test', 'warn'),
    });
    const asOf = new Date(s.expiresAt.getTime() - 10 * DAY_MS).toISOString(); // the workflow believes it is due
    await h.db.sql`update awards set status = 'revoked' where id = ${s.award.id}`;
    const made = await activities.createRecertificationAttempt({ awardId: s.award.id, courseId: s.course.id, asOf });
    assert.ok('refused' in made && /revoked/.test(made.refused), 'no enrollment of a revoked award');
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    const expiring = await messageActivities.sendMessage({ kind: 'certificate_expiring', awardId: s.award.id, asOf });
    assert.equal(expiring.status, 'skipped');
    await h.db.sql`update awards set status = 'active' where id = ${s.award.id}`;
    const reminderAsOf = new Date(s.expiresAt.getTime() - 7 * DAY_MS).toISOString();
    await h.db.sql`update awards set expires_at = ${new Date(s.expiresAt.getTime() + 90 * DAY_MS)} where id = ${s.award.id}`;
    const reminder = await messageActivities.sendMessage({ kind: 'recertification_reminder', awardId: s.award.id, reminderDaysBeforeExpiry: 7, asOf: reminderAsOf });
    assert.equal(reminder.status, 'skipped', 'the reminder is not due on the moved expiry');
    const expired = await activities.expireAward({ awardId: s.award.id, asOf: s.expiresAt.toISOString() });
    assert.equal(expired.expired, false, 'an award whose expiry moved later is not expired');
    assert.equal(await awardStatus(h, s.award.id), 'active');
    assert.equal((await messagesOf(h, s.award.id)).length, 0);
  }));

test('truth 1h. the due step reads and enrolls in one transaction (enrollWhenDue): only when the rules allow it at asOf, once, with the attempt\'s own course on a retry', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    const { activities } = createActivities({
      sql: h.db.sql, client: h.env.client, mailer: { deliver: () => Promise.reject(new Error('no send expected')), close: async () => {} } as unknown as Mailer,
      appBaseUrl: 'https://learn.example.com', from: 'x@example.com', log: createLogger('test', 'warn'),
    });
    const awardId = s.award.id;
    const due = new Date(s.expiresAt.getTime() - 10 * DAY_MS).toISOString(); // lead days 30: due
    const early = await activities.enrollWhenDue({ awardId, asOf: new Date(s.expiresAt.getTime() - 40 * DAY_MS).toISOString() });
    assert.ok('refused' in early && /^not due until /.test(early.refused), `refused before the due time: ${JSON.stringify(early)}`);
    assert.equal(early.context.awardId, awardId);
    assert.equal(early.context.recertificationCourse?.id, s.course.id, 'the context read comes back with the refusal');
    await h.db.sql`update awards set status = 'revoked', revoked_reason = 'left the company' where id = ${awardId}`;
    const revoked = await activities.enrollWhenDue({ awardId, asOf: due });
    assert.ok('refused' in revoked && revoked.refused === 'the award is revoked', 'no enrollment of a revoked award');
    assert.equal(revoked.context.status, 'revoked');
    assert.equal(revoked.context.revokedReason, 'left the company');
    await h.db.sql`update awards set status = 'active', revoked_reason = null where id = ${awardId}`;
    const archived = await makeCourse(h.db.sql, { title: 'Old Refresher', status: 'archived' });
    await updateSettings(h.db.sql, s.cert.id, recertSettings(archived.id));
    const notLive = await activities.enrollWhenDue({ awardId, asOf: due });
    assert.ok('refused' in notLive && /"Old Refresher" is archived, not live/.test(notLive.refused), 'no enrollment in a course that is not live');
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0, 'refusals change nothing');
    await updateSettings(h.db.sql, s.cert.id, recertSettings(s.course.id));

    // The award row is read locked: a revoke committing meanwhile is waited for, and wins.
    let settled = false;
    let raced = null as Promise<EnrollWhenDueResult> | null;
    await h.db.sql.begin(async (tx) => {
      await tx`update awards set status = 'revoked', revoked_reason = 'revoked meanwhile' where id = ${awardId}`;
      raced = activities.enrollWhenDue({ awardId, asOf: due });
      void raced.then(() => (settled = true), () => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(settled, false, "the read waits for the revoke's transaction");
    });
    const afterRevoke = await raced!;
    assert.ok('refused' in afterRevoke && afterRevoke.refused === 'the award is revoked', `the committed revoke wins: ${JSON.stringify(afterRevoke)}`);
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
    await h.db.sql`update awards set status = 'active', revoked_reason = null where id = ${awardId}`;

    const made = await activities.enrollWhenDue({ awardId, asOf: due });
    assert.ok('enrolled' in made, `enrolled: ${JSON.stringify(made)}`);
    assert.equal(made.enrolled.created, true);
    assert.equal(made.enrolled.course.id, s.course.id);
    assert.equal(made.enrolled.course.title, 'Forklift Safety Refresher');
    const [attempt] = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
    assert.equal(attempt?.id, made.enrolled.attemptId);
    assert.equal(attempt?.source, 'recertification');
    // A retry after the settings moved to another course (and past the expiry): the attempt the first
    // try made, on its own course, not a refusal and not a second attempt.
    const other = await makeCourse(h.db.sql, { title: 'New Refresher', enrollmentMessage: { subject: 'Hi', body: '<p>Go</p>' } });
    await updateSettings(h.db.sql, s.cert.id, recertSettings(other.id));
    const again = await activities.enrollWhenDue({ awardId, asOf: new Date(s.expiresAt.getTime() + DAY_MS).toISOString() });
    assert.ok('enrolled' in again, `the retry answers the first try's attempt: ${JSON.stringify(again)}`);
    assert.equal(again.enrolled.attemptId, made.enrolled.attemptId);
    assert.equal(again.enrolled.created, false);
    assert.equal(again.enrolled.course.id, s.course.id, "the attempt's course, not the settings' new one");
    assert.equal(again.enrolled.course.hasEnrollmentMessage, false);
    assert.equal(again.context.recertificationCourse?.id, other.id, 'the context is what the database says now');
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1);
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, other.id)).length, 0);

    await assert.rejects(activities.enrollWhenDue({ awardId, asOf: 'soon' }), (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === 'InvalidInput');
    await assert.rejects(
      activities.enrollWhenDue({ awardId: '00000000-0000-4000-8000-000000000000', asOf: due }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === 'AwardNotFound',
    );
  }));

test('truth 3. lead days longer than the validity: the attempt that earned a renewal is not superseded, no one is re-enrolled or told', () =>
  withHarness(async (h) => {
    // Saved before the API refused such settings: valid 1 month, 30 days' lead.
    const s = await scenario(h, { daysToExpiry: 30, settings: (c) => recertSettings(c, {}, { expiration: { enabled: true, validFor: { amount: 1, unit: 'months' }, anchor: 'completion' } }) });
    const earned = await makeAttempt(h.db.sql, { courseId: s.course.id, learnerId: s.learner.id, status: 'completed', progress: 100 });
    const now = await h.now();
    await h.db.sql`update awards set source_attempt_id = ${earned.id}, awarded_at = ${new Date(now - HOUR)}, expires_at = ${new Date(now - HOUR + 28 * DAY_MS)} where id = ${s.award.id}`;
    const [award] = await h.db.sql<AwardRow[]>`select * from awards where id = ${s.award.id}`;
    await h.withWorkers(async () => {
      const wf = await h.start(award!);
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'waiting_for_settings');
      assert.match(st.waitingReason ?? '', /lead days \(30\)/);
    });
    const attempts = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
    assert.deepEqual(attempts.map((a) => [a.id, a.status]), [[earned.id, 'completed']], 'the earning attempt stays completed; no new attempt');
    assert.equal((await messagesOf(h, s.award.id)).filter((m) => m.status === 'sent').length, 0, 'no expiring email');
  }));

test('truth 5. expiries 9 and 120 years away: every timer is at most a year, and the workflow still falls due', () =>
  withHarness(async (h) => {
    // The time-skipping server ends any workflow after 10 years (a real server does not), so the
    // workflow that must fall due expires in 9 years; the 120-year one must start and sleep in pieces.
    const s = await scenario(h, { daysToExpiry: 9 * 365 });
    const far = await makeAward(h.db.sql, { certificateId: s.cert.id, learnerId: (await makeLearner(h.db.sql, { email: 'far@example.com' })).id, awardedAt: new Date(await h.now()), expiresAt: new Date((await h.now()) + 120 * 365 * DAY_MS) });
    const timersOf = async (handle: { fetchHistory(): ReturnType<typeof wf.fetchHistory> }) =>
      ((await handle.fetchHistory()).events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : []));
    let wf!: Awaited<ReturnType<typeof h.start>>;
    await h.withWorkers(async () => {
      wf = await h.start(s.award);
      const farWf = await h.start(far);
      const dueAt = s.expiresAt.getTime() - 30 * DAY_MS;
      await h.env.sleep(dueAt - (await h.now()) + HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(st.attempt!.at) - dueAt) < 60_000, `enrolled at the due time (${st.attempt!.at})`);
      const timers = await timersOf(wf);
      assert.ok(timers.length >= 9, `slept in pieces (${timers.length} timers)`);
      for (const t of timers) assert.ok(t <= MAX_TIMER_MS / 1000, `a timer of ${t} s`);
      const farStatus = await farWf.query(statusQuery);
      assert.equal(farStatus.phase, 'scheduled');
      assert.equal((await farWf.describe()).status.name, 'RUNNING');
      for (const t of await timersOf(farWf)) assert.ok(t <= MAX_TIMER_MS / 1000, `a timer of ${t} s`);
    });
  }));

test('truth 6. past its history limit the workflow continues as new, with its state, search attributes and details on the new run', () =>
  withHarness(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.env.client.workflow.start<typeof recertificationWorkflow>(RECERTIFICATION_WORKFLOW, {
        ...recertificationStart({ ...s.award, expiresAt: s.expiresAt }, 30),
        taskQueue: TASK_QUEUE,
        args: [{ awardId: s.award.id, certificateId: s.cert.id, learnerId: s.learner.id, expiresAt: s.expiresAt.toISOString(), historyEventsLimit: 30 }],
      });
      const firstRunId = (await wf.describe()).runId;
      let version = 1;
      for (let i = 0; i < 8; i++) {
        version = await updateSettings(h.db.sql, s.cert.id, s.settings);
        await wf.signal(settingsChangedSignal, { settingsVersion: version, settings: s.settings });
        await h.env.sleep(DAY_MS);
      }
      const latest = h.env.client.workflow.getHandle<typeof recertificationWorkflow>(wf.workflowId);
      const desc = await latest.describe();
      assert.notEqual(desc.runId, firstRunId, 'a new run');
      const st = await latest.query(statusQuery);
      assert.equal(st.phase, 'scheduled');
      assert.equal(st.settingsVersion, version, 'state carried over');
      assert.ok(st.history.some((e) => e.event === 'continued'));
      assert.equal(desc.typedSearchAttributes.get(RecertificationPhase), 'scheduled');
      assert.equal(desc.typedSearchAttributes.get(CertificateId), s.cert.id);
      assert.equal(desc.typedSearchAttributes.get(AwardId), s.award.id);
      assert.equal(desc.typedSearchAttributes.get(RecertificationDueAt)?.toISOString(), new Date(s.expiresAt.getTime() - 30 * DAY_MS).toISOString());
      const first = await h.env.client.workflow.getHandle(wf.workflowId, firstRunId).describe();
      assert.equal(first.status.name, 'CONTINUED_AS_NEW');
      assert.equal(first.typedSearchAttributes.get(RecertificationDueAt), undefined, 'the continued run no longer matches due-time queries');
      const metadata = await latest.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /Scheduled/, 'the new run shows what it waits for');
      await h.env.sleep(336 * DAY_MS);
      assert.equal((await latest.query(statusQuery)).phase, 'assigned', 'and it still acts');
    });
    assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1);
  }));
