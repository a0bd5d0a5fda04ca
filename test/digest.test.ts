/**
 * The weekly digest for admins and managers (issue 14 §4) on real parts: PostgreSQL, the Temporal dev
 * server (its Schedules), the workers with the real activities, and the fake Resend (what was emailed).
 * Period: Monday 2027-03-01 08:00 Europe/London. Learners: one enrolled in recertification and not
 * finished, one expiring 2027-03-20, one expired 2027-02-25, one in grace (listed); one expired
 * 2027-02-01 and one renewed (not listed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../config/env.ts';
import { digestEntryState, digestPeriod, managerDigestRecipients, type DigestEntry } from '../domain/digest.ts';
import { MAX_ENTRIES_PER_SECTION, renderDigest } from '../activities/mail/digest-template.ts';
import type { DigestRunResult } from '../activities/types.ts';
import { DIGEST_WORKFLOW } from '../workflows/digest.ts';
import { digestScheduleId, describedTiming, ensureDigestSchedule } from '../domain/digest-schedule.ts';
import { makeAward, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { startServices, type Services } from './support/stack.ts';

const ADMIN = 'head@academy.example';
const M1 = 'grace.hopper@example.com';
const M2 = 'alan.turing@example.com';
const M3 = 'idle.manager@example.com';
const ENV = { DIGEST_ADMIN_EMAILS: ADMIN, DEFAULT_TIME_ZONE: 'Europe/London', DIGEST_DAY: 'monday', DIGEST_HOUR: '8' };

let stack: Services;

before(async () => {
  stack = await startServices({ dbPrefix: 'digest', workers: true, env: ENV });
});
after(async () => {
  await stack?.stop();
});

const at = (iso: string): Date => new Date(iso);

async function learner(name: string, managerEmail: string | null): Promise<string> {
  const l = await makeLearner(stack.sql, { name, email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}-${randomBytes(2).toString('hex')}@example.com` });
  await stack.sql`update learners set manager_email = ${managerEmail} where id = ${l.id}`;
  return l.id;
}

async function runDigest(asOf: string): Promise<DigestRunResult> {
  return await stack.client.workflow.execute(DIGEST_WORKFLOW, {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `digest-test-${randomBytes(4).toString('hex')}`,
    args: [{ asOf }],
  });
}

const digestsSent = (): ReturnType<typeof stack.fakeResend.sent> => stack.fakeResend.sent().filter((e) => e.idempotencyKey?.startsWith('digest:'));

test('the period is the latest Monday 08:00 in the organisation\'s zone; entries are listed by the rules', () => {
  const timing = { day: 'monday', hour: 8, timeZone: 'Europe/London' } as const;
  assert.deepEqual(digestPeriod(at('2027-03-01T08:00:00Z'), timing), { period: '2027-03-01', startsAt: at('2027-03-01T08:00:00Z') });
  assert.equal(digestPeriod(at('2027-03-01T07:59:59Z'), timing).period, '2027-02-22');
  assert.equal(digestPeriod(at('2027-03-07T23:00:00Z'), timing).period, '2027-03-01');
  // British Summer Time: Monday 08:00 is 07:00 UTC.
  assert.deepEqual(digestPeriod(at('2027-04-05T07:00:00Z'), timing), { period: '2027-04-05', startsAt: at('2027-04-05T07:00:00Z') });
  const slot = at('2027-03-01T08:00:00Z');
  assert.equal(digestEntryState({ status: 'active', expiresAt: at('2027-03-20T12:00:00Z'), openAttemptProgress: null }, slot), 'lapsing');
  assert.equal(digestEntryState({ status: 'active', expiresAt: at('2027-04-20T12:00:00Z'), openAttemptProgress: null }, slot), null);
  assert.equal(digestEntryState({ status: 'active', expiresAt: at('2027-03-25T12:00:00Z'), openAttemptProgress: 40 }, slot), 'enrolled');
  assert.equal(digestEntryState({ status: 'expired', expiresAt: at('2027-02-25T12:00:00Z'), openAttemptProgress: null }, slot), 'expired');
  assert.equal(digestEntryState({ status: 'expired', expiresAt: at('2027-02-01T12:00:00Z'), openAttemptProgress: null }, slot), null);
  assert.equal(digestEntryState({ status: 'renewed', expiresAt: at('2027-03-10T12:00:00Z'), openAttemptProgress: null }, slot), null);
  assert.equal(digestEntryState({ status: 'in_grace', expiresAt: at('2027-02-20T12:00:00Z'), openAttemptProgress: null }, slot), 'in_grace');

  // A whole academy lapsing in one week (a fixed-date expiry): each section writes out at most 200 and counts the rest.
  const many: DigestEntry[] = Array.from({ length: MAX_ENTRIES_PER_SECTION + 50 }, (_, i) => ({
    awardId: `a${i}`, status: 'active', expiresAt: at('2027-03-20T12:00:00Z'), graceEndsAt: null, certificateTitle: 'Forklift Operator',
    learnerId: `l${i}`, learnerName: `Learner ${i}`, learnerEmail: `l${i}@example.com`, managerEmail: null, openAttemptProgress: null, state: 'lapsing',
  }));
  const big = renderDigest({ recipient: 'head@academy.example', audience: 'admin', entries: many }, { startsAt: slot, timeZone: 'Europe/London', adminUrl: 'https://x.example/admin' });
  assert.equal(big.html.match(/<li>/g)?.length, MAX_ENTRIES_PER_SECTION);
  assert.match(big.html, /Lapsing in the next 30 days, not enrolled \(250\)[\s\S]*… and 50 more/);
  assert.match(big.subject, /250 certificates of the academy/);
});

test('an address that is both a manager and an admin is listed (and sent) as the admin only', () => {
  // A fresh reviewer found boss@example.com among GET /api/digest's manager recipients while it got the admin's digest.
  assert.deepEqual(managerDigestRecipients(['boss@example.com', 'm1@example.com'], ['Boss@Example.com']), ['m1@example.com']);
  assert.deepEqual(managerDigestRecipients(['m1@example.com'], []), ['m1@example.com']);
});

test('managers get their learners, the admin all; the same period twice sends once; an empty digest is not sent', async () => {
  const course = await makeCourse(stack.sql, { title: 'Forklift Refresher' });
  const cert = await makeCertificate(stack.sql, { title: 'Forklift Operator', settings: recertSettings(course.id) });
  // First only what is not listed: the period has nothing for anyone.
  const oldExpired = await learner('Olga Old', M1);
  await stack.sql`update awards set status = 'expired' where id = ${(await makeAward(stack.sql, { certificateId: cert.id, learnerId: oldExpired, awardedAt: at('2026-02-01T12:00:00Z'), expiresAt: at('2027-02-01T12:00:00Z') })).id}`;
  const renewedLearner = await learner('Rita Renewed', M3);
  const oldAward = await makeAward(stack.sql, { certificateId: cert.id, learnerId: renewedLearner, awardedAt: at('2026-03-10T12:00:00Z'), expiresAt: at('2027-03-10T12:00:00Z') });
  await stack.sql`update awards set status = 'renewed' where id = ${oldAward.id}`;
  const newAward = await makeAward(stack.sql, { certificateId: cert.id, learnerId: renewedLearner, awardedAt: at('2027-02-10T12:00:00Z'), expiresAt: at('2028-02-10T12:00:00Z') });
  await stack.sql`update awards set renewed_by_award_id = ${newAward.id} where id = ${oldAward.id}`;

  const empty = await runDigest('2027-03-01T08:00:03Z');
  assert.deepEqual(empty, { period: '2027-03-01', digests: 0, sent: 0, alreadyDone: 0, failed: 0 });
  assert.equal(digestsSent().length, 0, 'an empty digest is not sent');
  assert.equal((await stack.sql`select 1 from digest_sends`).length, 0, 'nor recorded');

  // Now the ones that are listed (the database is read when the digest runs).
  const enrolled = await learner('Ada <b>Lovelace</b>', M1);
  const enrolledAward = await makeAward(stack.sql, { certificateId: cert.id, learnerId: enrolled, awardedAt: at('2026-03-25T12:00:00Z'), expiresAt: at('2027-03-25T12:00:00Z') });
  await stack.sql`
    insert into course_attempts (course_id, learner_id, status, progress, source, award_id)
    values (${course.id}, ${enrolled}, 'in_progress', 40, 'recertification', ${enrolledAward.id})`;
  const expiring = await learner('Edsger Expiring', M1);
  await makeAward(stack.sql, { certificateId: cert.id, learnerId: expiring, awardedAt: at('2026-03-20T12:00:00Z'), expiresAt: at('2027-03-20T12:00:00Z') });
  const expired = await learner('Emmy Expired', M2);
  await stack.sql`update awards set status = 'expired' where id = ${(await makeAward(stack.sql, { certificateId: cert.id, learnerId: expired, awardedAt: at('2026-02-25T12:00:00Z'), expiresAt: at('2027-02-25T12:00:00Z') })).id}`;
  const inGrace = await learner('Gus Grace', null);
  await stack.sql`update awards set status = 'in_grace', grace_ends_at = ${at('2027-03-06T12:00:00Z')} where id = ${(await makeAward(stack.sql, { certificateId: cert.id, learnerId: inGrace, awardedAt: at('2026-02-27T12:00:00Z'), expiresAt: at('2027-02-27T12:00:00Z') })).id}`;

  const first = await runDigest('2027-03-01T08:00:05Z');
  assert.deepEqual(first, { period: '2027-03-01', digests: 3, sent: 3, alreadyDone: 0, failed: 0 });
  const sent = digestsSent();
  assert.deepEqual(sent.map((e) => e.to[0]).sort(), [ADMIN, M2, M1].sort(), 'the admin and the two managers with something listed; not M3');
  const to = (addr: string): (typeof sent)[number] => sent.find((e) => e.to[0] === addr)!;

  const m1 = to(M1);
  assert.equal(m1.idempotencyKey, `digest:2027-03-01:${M1}`);
  assert.match(m1.subject, /week of 1 March 2027: 2 certificates of your learners/);
  assert.match(m1.html, /Ada &lt;b&gt;Lovelace&lt;\/b&gt;/, 'names are escaped');
  assert.doesNotMatch(m1.html, /<b>Lovelace/);
  assert.match(m1.html, /Enrolled in recertification, not finished \(1\)[\s\S]*40% done; expires 25 March 2027, 12:00 \(GMT\)/);
  assert.match(m1.html, /Lapsing in the next 30 days[\s\S]*Edsger Expiring[\s\S]*expires 20 March 2027, 12:00 \(GMT\)/);
  assert.doesNotMatch(m1.html, /Olga Old|Emmy Expired|Gus Grace|Rita Renewed/);
  assert.ok(m1.text && /Ada <b>Lovelace<\/b>/.test(m1.text), `the text part reads the name as written: ${m1.text}`);

  const m2 = to(M2);
  assert.match(m2.html, /Expired in the last 7 days \(1\)[\s\S]*Emmy Expired[\s\S]*expired 25 February 2027, 12:00 \(GMT\)/);
  assert.doesNotMatch(m2.html, /Ada|Edsger|Gus|Olga|Rita/);

  const admin = to(ADMIN);
  assert.match(admin.subject, /4 certificates of the academy/);
  for (const name of ['Ada &lt;b&gt;Lovelace', 'Edsger Expiring', 'Emmy Expired', 'Gus Grace']) assert.match(admin.html, new RegExp(name));
  assert.doesNotMatch(admin.html, /Olga Old|Rita Renewed/);
  assert.match(admin.html, /In the grace period[\s\S]*grace ends 6 March 2027, 12:00 \(GMT\)/);

  // The schedule fires twice in the period (and a learner is added meanwhile): nothing is sent again.
  await learner('Late Larry', M1).then(async (id) => await makeAward(stack.sql, { certificateId: cert.id, learnerId: id, awardedAt: at('2026-03-15T12:00:00Z'), expiresAt: at('2027-03-15T12:00:00Z') }));
  const again = await runDigest('2027-03-03T10:00:00Z');
  assert.deepEqual(again, { period: '2027-03-01', digests: 3, sent: 0, alreadyDone: 3, failed: 0 });
  assert.equal(digestsSent().length, 3, 'the fake Resend received each digest once');
  const ledger = await stack.sql<{ recipient: string; status: string; htmlBody: string | null }[]>`select recipient, status, html_body from digest_sends order by recipient`;
  assert.deepEqual(ledger.map((r) => [r.recipient, r.status, r.htmlBody]), [[M2, 'sent', null], [M1, 'sent', null], [ADMIN, 'sent', null]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));

  // A lost answer: the row stays `sending` with its payload; the next run re-sends that very request
  // (same key and body), and the provider answers it from its idempotency store instead of emailing again.
  const requestsBefore = stack.fakeResend.sent().length;
  stack.fakeResend.failNext(1, 'lose-response');
  // Week of 8 March: Emmy's expiry (25 February) is more than a week old, so M2 has nothing; Larry is lapsing.
  const nextWeek = await runDigest('2027-03-08T08:00:01Z');
  assert.deepEqual(nextWeek, { period: '2027-03-08', digests: 2, sent: 1, alreadyDone: 1, failed: 0 }, 'the retried run sent what was left');
  const second = await stack.sql<{ recipient: string; status: string; sendAttempts: number }[]>`select recipient, status, send_attempts from digest_sends where period = '2027-03-08' order by recipient`;
  assert.deepEqual(second.map((r) => [r.recipient, r.status]), [[M1, 'sent'], [ADMIN, 'sent']].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  assert.ok(second.some((r) => r.sendAttempts === 2), `one was sent twice to the provider: ${JSON.stringify(second)}`);
  assert.equal(stack.fakeResend.sent().length - requestsBefore, 2, 'two digests for the next week, each emailed once despite the lost answer');
  assert.match(digestsSent().find((e) => e.to[0] === M1 && e.idempotencyKey === `digest:2027-03-08:${M1}`)?.html ?? '', /Late Larry/);
});

test('the Schedule is created once when the worker starts twice, and updated when DIGEST_HOUR changes', async () => {
  const taskQueue = stack.config.temporal.taskQueue;
  const handle = stack.client.schedule.getHandle(digestScheduleId(taskQueue));
  const first = await stack.spawnWorker({ env: { LOG_LEVEL: 'info' } });
  await first.stop(5_000);
  assert.match(first.output(), /"outcome":"created"/);
  const made = await handle.describe();
  assert.deepEqual(describedTiming(made), { day: 'monday', hour: 8, timeZone: 'Europe/London', taskQueue });
  assert.equal(made.policies.overlap, 'SKIP');
  assert.equal(made.action.type === 'startWorkflow' && made.action.workflowType, DIGEST_WORKFLOW);
  const next = made.info.nextActionTimes[0]!;
  assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(next), 'Monday 08:00');

  const second = await stack.spawnWorker({ env: { LOG_LEVEL: 'info' } });
  await second.stop(5_000);
  assert.match(second.output(), /"outcome":"unchanged"/);
  const still = await handle.describe();
  assert.equal(still.info.createdAt.getTime(), made.info.createdAt.getTime(), 'the same schedule, not a new one');
  const ours: string[] = [];
  for await (const s of stack.client.schedule.list()) if (s.scheduleId.startsWith('weekly-digest-')) ours.push(s.scheduleId);
  assert.ok(ours.length <= 1, `one digest schedule at most in the list: ${ours.join(', ')}`);

  const nine = loadConfig({ ...stack.env(), DIGEST_HOUR: '9' });
  assert.equal(await ensureDigestSchedule(stack.client, { taskQueue, digest: nine.digest }), 'updated');
  const updated = await handle.describe();
  assert.equal(describedTiming(updated).hour, 9);
  assert.equal(updated.info.createdAt.getTime(), made.info.createdAt.getTime());
  assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(updated.info.nextActionTimes[0]!), 'Monday 09:00');
  assert.equal(await ensureDigestSchedule(stack.client, { taskQueue, digest: nine.digest }), 'unchanged');

  const off = loadConfig({ ...stack.env(), DIGEST_ENABLED: 'false' });
  assert.equal(await ensureDigestSchedule(stack.client, { taskQueue, digest: off.digest }), 'deleted');
  assert.equal(await ensureDigestSchedule(stack.client, { taskQueue, digest: off.digest }), 'absent');
});

test('bad DIGEST_* values stop start-up with a message naming them', () => {
  const bad = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail(`accepted ${JSON.stringify(env)}`);
  };
  assert.match(bad({ DIGEST_DAY: 'funday' }), /DIGEST_DAY: must be a day of the week, monday to sunday \(got "funday"\)/);
  assert.match(bad({ DIGEST_HOUR: '24' }), /DIGEST_HOUR: must be a whole hour from 0 to 23 \(got "24"\)/);
  assert.match(bad({ DIGEST_HOUR: '8.5' }), /DIGEST_HOUR/);
  assert.match(bad({ DIGEST_ADMIN_EMAILS: 'head@academy.example, not-an-address' }), /DIGEST_ADMIN_EMAILS: .*"not-an-address"/);
  assert.match(bad({ DIGEST_ENABLED: 'yes' }), /DIGEST_ENABLED: must be true or false/);
  const ok = loadConfig({ DIGEST_DAY: 'Fri', DIGEST_HOUR: '0', DIGEST_ADMIN_EMAILS: 'A@x.example,a@x.example , b@x.example', DEFAULT_TIME_ZONE: 'europe/berlin' });
  assert.deepEqual(ok.digest, { enabled: true, day: 'friday', hour: 0, adminEmails: ['a@x.example', 'b@x.example'], timeZone: 'Europe/Berlin' });

  // The worker itself refuses to start, before it connects to anything.
  const worker = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../worker/main.ts', import.meta.url))], {
    env: { ...process.env, DIGEST_HOUR: '25', DATABASE_URL: '', TEMPORAL_ADDRESS: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(worker.status, 78, worker.stderr);
  assert.match(worker.stderr, /Invalid configuration:\n {2}DIGEST_HOUR: must be a whole hour from 0 to 23 \(got "25"\)/);
});
