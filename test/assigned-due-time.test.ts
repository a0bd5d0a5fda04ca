/**
 * An enrolled award's due time stays the time its enrollment fell due (ASSIGNED_DUE_TIME_FIXED, a
 * reviewer's finding on issue 14), on Temporal's time-skipping test server with the real activities on
 * PostgreSQL. Concrete dates: the award expires 2038-01-31 09:00Z with 30 lead days, so the learner is
 * enrolled 2038-01-01 09:00Z. Lead days changed to 10 afterwards: the `status` query's `dueAt`, the
 * `RecertificationDueAt` search attribute and the reminder's and expired notice's `{{dueAt}}` still say
 * 2038-01-01 09:00Z; the same change before the enrollment still moves the due time to 2038-01-21
 * 09:00Z. Records test/histories/assigned-due-*.json with RECORD_HISTORIES=1 (the new path).
 * Dates in 2038, not 2027: the test server starts at the real time, so they must stay ahead of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageRow } from '../db/rows.ts';
import { DAY_MS } from '../domain/dates.ts';
import { formatInstant } from '../domain/instant-format.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { expiryChangedSignal, settingsChangedSignal, statusQuery } from '../workflows/contract.ts';
import { ASSIGNED_DUE_TIME_FIXED } from '../workflows/recertification/patches.ts';
import { CertificateExpiresAt, RecertificationDueAt, RecertificationPhase } from '../workflows/search-attributes.ts';
import type { WorkflowHandle } from '@temporalio/client';
import { attemptsOf, makeAward, makeCertificate, makeCourse, makeLearner, recertSettings, updateSettings } from './support/fixtures.ts';
import { type Harness, withHarness, skipTo } from './support/workflow-harness.ts';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const EXPIRES = new Date('2038-01-31T09:00:00Z');
/** expiry − 30 lead days: when the learner is enrolled. */
const DUE_30 = '2038-01-01T09:00:00.000Z';
/** expiry − 10 lead days. */
const DUE_10 = '2038-01-21T09:00:00.000Z';
const at = (iso: string): number => Date.parse(iso);

/**
 * Where each test's clock starts: the test server starts at the real time, and the run's one timer
 * is at most a year (MAX_TIMER_MS), so the test moves the clock close to its dates before it makes the
 * award (an award made years before them would wake once a year on the way and the checks would race it).
 */
const CLOCK_STARTS = at('2037-11-25T00:00:00Z');
/** `withHarness` with the clock moved to CLOCK_STARTS first. */
const withClock = (fn: (h: Harness) => Promise<void>, opts: Parameters<typeof withHarness>[1] = {}): Promise<void> => withHarness(fn, { ...opts, clockStartsAt: CLOCK_STARTS });



/**
 * A learner, a live course, a certificate (30 lead days, reminder 7 days before expiry, expiring and
 * expired notices on, reminder and expired templates quoting {{dueAt}}, `graceDays` of grace), an award
 * expiring 2038-01-31 09:00Z.
 */
async function scenario(h: Harness, opts: { graceDays?: number } = {}) {
  const learner = await makeLearner(h.db.sql, { name: 'Grace Hopper' });
  const course = await makeCourse(h.db.sql, { title: 'Forklift Safety Refresher' });
  const settings = recertSettings(course.id, { reminderDaysBeforeExpiry: [7] }, {
    ...(opts.graceDays ? { expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion', graceDays: opts.graceDays } } : {}),
    expiredNotice: { enabled: true },
    messageTemplates: {
      certificateExpiring: null,
      recertificationReminder: { subject: 'Reminder: {{certificate.title}}', body: '<p>Enrolled {{dueAt}}; expires {{expiresAt}}.</p>' },
      certificateExpired: { subject: 'Expired: {{certificate.title}}', body: '<p>Enrolled {{dueAt}}; expired {{expiresAt}}.</p>' },
    },
  });
  const cert = await makeCertificate(h.db.sql, { title: 'Forklift Operator', settings, associatedCourseIds: [course.id] });
  const award = await makeAward(h.db.sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date((await h.now()) - DAY_MS), expiresAt: EXPIRES });
  return { learner, course, cert, settings, award };
}

/** Saves lead days `leadDays` and signals the workflow, as the propagation does; waits an hour for it to take it in. */
async function changeLeadDays(h: Harness, wf: WorkflowHandle, certificateId: string, settings: CertificateSettings, leadDays: number): Promise<void> {
  const changed: CertificateSettings = { ...settings, recertification: { ...settings.recertification, leadDays } };
  const settingsVersion = await updateSettings(h.db.sql, certificateId, changed);
  await wf.signal(settingsChangedSignal, { settingsVersion, settings: changed });
  await h.env.sleep(HOUR);
  assert.equal((await wf.query(statusQuery)).settings?.recertification.leadDays, leadDays, 'the workflow took the change in');
}

/** The due time as the query, and as the search attributes, tell it. */
async function dueTimes(wf: WorkflowHandle): Promise<{ query: string | null; attribute: string | null; phase: string | null }> {
  const st = await wf.query(statusQuery);
  const attrs = (await wf.describe()).typedSearchAttributes;
  assert.equal(attrs.get(RecertificationPhase), st.phase, 'the phase attribute agrees with the query');
  return { query: st.dueAt, attribute: attrs.get(RecertificationDueAt)?.toISOString() ?? null, phase: st.phase };
}

/** The patch ids of the markers in the workflow's history. */
async function patchMarkers(wf: WorkflowHandle): Promise<string[]> {
  const events = (await wf.fetchHistory()).events ?? [];
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => (JSON.parse(Buffer.from(m!.details!['patch-data']!.payloads![0]!.data!).toString('utf8')) as { id: string }).id);
}

async function messagesOf(h: Harness, awardId: string): Promise<MessageRow[]> {
  return await h.db.sql<MessageRow[]>`select * from messages where award_id = ${awardId} order by created_at, id`;
}

test('enrolled 2038-01-01 with 30 lead days, lead days changed to 10 afterwards: the due time stays 2038-01-01 (query, search attribute, {{dueAt}} of the reminder and the expired notice)', () =>
  withClock(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-05T09:00:00Z'));
      const enrolled = await wf.query(statusQuery);
      assert.equal(enrolled.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(enrolled.attempt!.at) - at(DUE_30)) < MINUTE, `enrolled at 2038-01-01 09:00Z (${enrolled.attempt!.at})`);
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'assigned' });

      await changeLeadDays(h, wf, s.cert.id, s.settings, 10);
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'assigned' }, 'still due 2038-01-01, not 2038-01-21');
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 1, 'one enrollment, not a second');

      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.ok((await patchMarkers(wf)).includes(ASSIGNED_DUE_TIME_FIXED), 'the new path records its marker');
      await h.recordHistory(wf, 'assigned-due-lead-days-changed');
    });
    const msgs = await messagesOf(h, s.award.id);
    assert.deepEqual(msgs.map((m) => [m.kind, m.status]), [['certificate_expiring', 'sent'], ['recertification_reminder', 'sent'], ['certificate_expired', 'sent']]);
    const enrolledOn = formatInstant(new Date(DUE_30), 'UTC'); // "1 January 2038, 09:00 (UTC)"
    assert.ok(msgs[1]!.body.includes(`Enrolled ${enrolledOn};`), `the reminder's {{dueAt}} is the enrollment's due time (${enrolledOn}): ${msgs[1]!.body}`);
    assert.ok(msgs[2]!.body.includes(`Enrolled ${enrolledOn};`), `the expired notice's {{dueAt}} too: ${msgs[2]!.body}`);
  }));

test('not yet enrolled: the same change of lead days from 30 to 10 moves the due time from 2038-01-01 to 2038-01-21, and the learner is enrolled then (no marker)', () =>
  withClock(async (h) => {
    const s = await scenario(h);
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2037-12-31T09:00:00Z'));
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'scheduled' });

      await changeLeadDays(h, wf, s.cert.id, s.settings, 10);
      assert.deepEqual(await dueTimes(wf), { query: DUE_10, attribute: DUE_10, phase: 'scheduled' }, 'the due time moved with the lead days');

      await skipTo(h, at('2038-01-05T09:00:00Z'));
      assert.equal((await wf.query(statusQuery)).phase, 'scheduled', 'not enrolled at the old due time');
      assert.equal((await attemptsOf(h.db.sql, s.learner.id, s.course.id)).length, 0);
      await skipTo(h, at('2038-01-21T09:01:00Z'));
      const enrolled = await wf.query(statusQuery);
      assert.equal(enrolled.phase, 'assigned');
      assert.ok(Math.abs(Date.parse(enrolled.attempt!.at) - at(DUE_10)) < MINUTE, `enrolled at 2038-01-21 09:00Z (${enrolled.attempt!.at})`);
      assert.deepEqual(await dueTimes(wf), { query: DUE_10, attribute: DUE_10, phase: 'assigned' });
      assert.equal((await patchMarkers(wf)).includes(ASSIGNED_DUE_TIME_FIXED), false, 'nothing moved after the enrollment: no marker');
    });
  }));

test('enrolled 2038-01-01, expiry then extended to 2038-03-31: the expiry attribute moves, the due time stays 2038-01-01', () =>
  withClock(async (h) => {
    const s = await scenario(h);
    const extended = new Date('2038-03-31T09:00:00Z');
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-05T09:00:00Z'));
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'assigned' });
      await h.db.sql`update awards set expires_at = ${extended} where id = ${s.award.id}`;
      await wf.signal(expiryChangedSignal, { expiresAt: extended.toISOString() });
      await h.env.sleep(HOUR);
      const st = await wf.query(statusQuery);
      assert.equal(st.expiresAt, extended.toISOString());
      assert.equal((await wf.describe()).typedSearchAttributes.get(CertificateExpiresAt)?.toISOString(), extended.toISOString(), 'the expiry attribute follows');
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'assigned' }, 'not 2038-03-01: the learner was enrolled 2038-01-01');
      await h.recordHistory(wf, 'assigned-due-expiry-extended');
    });
  }));

test('with 14 days of grace: enrolled 2038-01-01, lead days changed to 10, in grace from 2038-01-31; the expired notice of 2038-02-14 still says the enrollment fell due 2038-01-01', () =>
  withClock(async (h) => {
    const s = await scenario(h, { graceDays: 14 });
    await h.withWorkers(async () => {
      const wf = await h.start(s.award);
      await skipTo(h, at('2038-01-05T09:00:00Z'));
      assert.equal((await wf.query(statusQuery)).phase, 'assigned');
      await changeLeadDays(h, wf, s.cert.id, s.settings, 10);
      assert.deepEqual(await dueTimes(wf), { query: DUE_30, attribute: DUE_30, phase: 'assigned' });
      await skipTo(h, at('2038-02-01T09:00:00Z'));
      assert.equal((await wf.query(statusQuery)).phase, 'in_grace');
      const result = await wf.result();
      assert.equal(result.phase, 'expired');
      assert.ok((await patchMarkers(wf)).includes(ASSIGNED_DUE_TIME_FIXED));
      await h.recordHistory(wf, 'assigned-due-grace-lead-days-changed');
    });
    const expired = (await messagesOf(h, s.award.id)).find((m) => m.kind === 'certificate_expired');
    assert.ok(expired, 'the expired notice went out at the end of grace');
    const enrolledOn = formatInstant(new Date(DUE_30), 'UTC');
    assert.ok(expired.body.includes(`Enrolled ${enrolledOn};`), `its {{dueAt}} is the enrollment's due time (${enrolledOn}): ${expired.body}`);
  }));
