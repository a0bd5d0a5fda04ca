/**
 * Issue 14's policies in the recertification workflow, on Temporal's time-skipping test server with
 * real activities on a real PostgreSQL: the grace period (in grace at the expiry, expired with its
 * notice at the end of grace, or renewed by a completion during grace). The award expires on a
 * concrete fixed date, 31 December 23:59:59 UTC (domain/dates.ts fixedDateExpiry), and the grace is
 * 14 days, so grace ends 14 January 23:59:59 UTC. Records the histories `policies-*.json` (LMS_POLICIES).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageRow } from '../db/rows.ts';
import { DAY_MS, fixedDateExpiry } from '../domain/dates.ts';
import { renewForCompletion } from '../domain/awarding.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { awardRenewedSignal, statusQuery } from '../workflows/contract.ts';
import { RecertificationPhase } from '../workflows/search-attributes.ts';
import { attemptsOf, makeAward, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { type Harness, withHarness } from './support/workflow-harness.ts';

const HOUR = 60 * 60 * 1000;
const DEC31 = { month: 12, day: 31, minimumActiveDays: 0 };

async function messagesOf(h: Harness, awardId: string): Promise<MessageRow[]> {
  return await h.db.sql<MessageRow[]>`select * from messages where award_id = ${awardId} order by created_at, id`;
}
async function awardRow(h: Harness, awardId: string): Promise<{ status: string; graceEndsAt: Date | null; expiresAt: Date | null }> {
  const [row] = await h.db.sql<{ status: string; graceEndsAt: Date | null; expiresAt: Date | null }[]>`
    select status, grace_ends_at, expires_at from awards where id = ${awardId}`;
  return row!;
}

/** A certificate with a 14-day grace period (expired notice on) and an award expiring the coming 31 December 23:59:59 UTC. */
async function graceScenario(h: Harness, anchor: CertificateSettings['expiration']['anchor']) {
  const learner = await makeLearner(h.db.sql, { name: 'Ada Lovelace' });
  const course = await makeCourse(h.db.sql, { title: 'Forklift Safety Refresher', enrollmentMessage: null });
  const base = recertSettings(course.id, {}, { expiredNotice: { enabled: true } });
  const settings: CertificateSettings = { ...base, expiration: { ...base.expiration, anchor, graceDays: 14 } };
  const cert = await makeCertificate(h.db.sql, { title: 'Forklift Operator', settings, associatedCourseIds: [course.id] });
  const now = await h.now();
  const expiresAt = fixedDateExpiry(new Date(now + 31 * DAY_MS), DEC31, 'UTC');
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date(now - DAY_MS), expiresAt });
  return { learner, course, cert, award, expiresAt, graceEndsAt: new Date(expiresAt.getTime() + 14 * DAY_MS) };
}


test('grace: at 31 December 23:59:59 the award is in_grace, not expired; at 14 January 23:59:59 expired, with one expired notice', () =>
  withHarness(async (h) => {
    const s = await graceScenario(h, 'completion');
    assert.match(s.expiresAt.toISOString(), /-12-31T23:59:59\.000Z$/);
    assert.match(s.graceEndsAt.toISOString(), /-01-14T23:59:59\.000Z$/);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      // An hour after the expiry: in grace.
      await h.env.sleep(s.expiresAt.getTime() - (await h.now()) + HOUR);
      const inGrace = await wf.query(statusQuery);
      assert.equal(inGrace.phase, 'in_grace');
      assert.equal(inGrace.graceEndsAt, s.graceEndsAt.toISOString());
      assert.equal((await wf.describe()).typedSearchAttributes.get(RecertificationPhase), 'in_grace');
      const row = await awardRow(h, s.award.id);
      assert.equal(row.status, 'in_grace');
      assert.equal(row.graceEndsAt?.toISOString(), s.graceEndsAt.toISOString());
      assert.ok(!(await messagesOf(h, s.award.id)).some((m) => m.kind === 'certificate_expired'), 'no expired notice in grace');
      // An hour before the end of grace: still in grace.
      await h.env.sleep(s.graceEndsAt.getTime() - (await h.now()) - HOUR);
      assert.equal((await wf.query(statusQuery)).phase, 'in_grace');
      assert.equal((await awardRow(h, s.award.id)).status, 'in_grace');

      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      const notice = result.messages.find((m) => m.kind === 'certificate_expired');
      assert.equal(notice?.status, 'sent');
      const at = Date.parse(notice.at);
      assert.ok(at >= s.graceEndsAt.getTime() && at < s.graceEndsAt.getTime() + 60_000, `the expired notice at the end of grace (${notice.at})`);
      await h.recordHistory(wf, 'policies-grace-then-expired');
    });
    assert.equal((await awardRow(h, s.award.id)).status, 'expired');
    const expired = (await messagesOf(h, s.award.id)).filter((m) => m.kind === 'certificate_expired');
    assert.equal(expired.length, 1, 'one expired notice');
  }));

test('grace: completing the course during grace renews the award (previous_expiry: from the old expiry, 31 December a year later) and nothing expires', () =>
  withHarness(async (h) => {
    const s = await graceScenario(h, 'previous_expiry');
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      // Three days into grace.
      await h.env.sleep(s.expiresAt.getTime() - (await h.now()) + 3 * DAY_MS);
      assert.equal((await wf.query(statusQuery)).phase, 'in_grace');
      const [attempt] = await attemptsOf(h.db.sql, s.learner.id, s.course.id);
      assert.ok(attempt, 'the learner was enrolled before the expiry');
      const completedAt = new Date(await h.now());
      const [made] = await h.db.sql.begin((tx) => renewForCompletion(tx, attempt, completedAt, completedAt.getTime()));
      assert.ok(made);
      assert.equal(made.renewed?.id, s.award.id, 'the award in grace is the one renewed');
      const expected = new Date(s.expiresAt);
      expected.setUTCFullYear(expected.getUTCFullYear() + 1);
      assert.equal(made.award.expiresAt?.toISOString(), expected.toISOString(), 'counted from the old expiry');
      await wf.signal(awardRenewedSignal, { newAwardId: made.award.id });
      assert.equal((await wf.result()).phase, 'renewed');
      await h.recordHistory(wf, 'policies-grace-then-renewed');
    });
    assert.equal((await awardRow(h, s.award.id)).status, 'renewed');
    assert.ok(!(await messagesOf(h, s.award.id)).some((m) => m.kind === 'certificate_expired'), 'no expired notice');
  }));

test('grace off (graceDays 0): expired at the expiry, as before', () =>
  withHarness(async (h) => {
    const s = await graceScenario(h, 'completion');
    await h.db.sql`update certificates set settings = jsonb_set(settings, '{expiration,graceDays}', '0') where id = ${s.cert.id}`;
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.ok(!result.history.some((e) => e.event === 'phase_in_grace'));
    });
    assert.equal((await awardRow(h, s.award.id)).status, 'expired');
    assert.equal((await awardRow(h, s.award.id)).graceEndsAt, null);
  }));
