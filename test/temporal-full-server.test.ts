/**
 * Recertify on the full Temporal server (go.temporal.io/server v1.29.1, built by scripts/provision.sh)
 * with PostgreSQL persistence and SQL advanced visibility, 4 history shards, configured by
 * config/temporal-server/ — the shape of a self-hosted cluster, instead of the CLI's dev server on
 * SQLite that every other test uses:
 *  - the seed scenario (scripts/seed-demo.ts, through the API) end to end over HTTP;
 *  - the README's visibility queries: a certificate's workflows due this month, with `>=`/`<` and
 *    with `BETWEEN`, answered by the PostgreSQL visibility store;
 *  - two worker processes and two API processes at once, one worker SIGKILLed mid-burst: nothing
 *    lost or doubled;
 *  - a workflow that continued as new is listed once.
 * Real parts only (the fake Resend is the one stand-in, as everywhere).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../api/schemas.ts';
import type { AwardRow } from '../db/rows.ts';
import { DAY_MS } from '../domain/dates.ts';
import { seedDemo } from '../scripts/seed-demo.ts';
import { RECERTIFICATION_WORKFLOW, expiryChangedSignal, recertificationStart, type RecertificationStatus } from '../workflows/contract.ts';
import type { recertificationWorkflow } from '../workflows/recertification.ts';
import { RecertificationPhase } from '../workflows/search-attributes.ts';
import { deliveryReport, diagnoser, eventually, progress, type DueBurst } from './support/due-burst.ts';
import { startServices, startStack, type TestStack } from './support/stack.ts';
import type { ApiProcess } from './support/stack/api.ts';
import { useTemporalServer } from './support/stack/temporal.ts';
import type { ApiRequest } from './support/stack/api.ts';
import type { WorkerProcess, WorkerProcessOptions } from './support/stack/worker.ts';
import { signalUntilContinuedAsNew } from './support/continue-as-new.ts';

interface AwardView {
  award: AwardDto;
  workflowStatus: string | null;
  recertification: RecertificationStatus | null;
}

useTemporalServer('full');

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'full_server' });
});
after(async () => {
  await stack?.stop();
  useTemporalServer(null);
});

/** Calls `request` and asserts the status; returns the body. */
async function call<T>(request: ApiRequest, method: string, path: string, body?: unknown, expect = method === 'POST' ? 201 : 200): Promise<T> {
  const res = await request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const get = <T>(path: string): Promise<T> => call<T>(stack.request, 'GET', path);

/** Workflow ids and statuses a visibility query lists. */
async function list(query: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query })) runs.push(`${w.workflowId}/${w.status.name}`);
  return runs.sort();
}

test('the server is the full one: PostgreSQL persistence and visibility, 4 history shards, our search attributes', async () => {
  assert.equal(stack.temporal.kind, 'full');
  const info = await stack.client.connection.workflowService.getSystemInfo({});
  assert.match(info.serverVersion ?? '', /^1\.29\./);
  const cluster = await stack.client.connection.workflowService.getClusterInfo({});
  assert.equal(cluster.historyShardCount, 4);
  assert.equal(cluster.persistenceStore, 'postgres12');
  assert.equal(cluster.visibilityStore, 'postgres12');
  const sa = await stack.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const name of ['CertificateId', 'LearnerId', 'AwardId', 'RecertificationPhase', 'RecertificationDueAt', 'CertificateExpiresAt']) {
    assert.ok(name in (sa.customAttributes ?? {}), `${name} is registered`);
  }
});

test('the seed scenario over HTTP: due → enrolled and notified → completed → renewed with a new workflow', async () => {
  const seeded = await seedDemo(stack.api, stack.token, 5000);
  assert.ok(seeded, 'the demo was seeded on the empty database');
  const { learners } = await get<{ learners: LearnerDto[] }>('/api/learners?email=ada@example.com');
  const ada = learners.find((l) => l.email === 'ada@example.com');
  assert.ok(ada, 'Ada Lovelace was seeded');
  const { awards } = await get<{ awards: AwardDto[] }>(`/api/awards?learnerId=${ada.id}`);
  assert.equal(awards.length, 1);
  const award = awards[0]!;
  assert.ok(award.workflowStartedAt, 'the API started its workflow on the full server');

  const attempt = await stack.eventually('Ada\'s recertification attempt', async () => {
    const { attempts } = await get<{ attempts: AttemptDto[] }>(`/api/attempts?learnerId=${ada.id}`);
    return attempts.find((a) => a.source === 'recertification' && a.awardId === award.id);
  }, 60_000);
  assert.equal(attempt.status, 'enrolled');
  const message = await stack.eventually('the expiring notice sent', async () => {
    const { messages } = await get<{ messages: MessageDto[] }>(`/api/messages?awardId=${award.id}`);
    return messages.find((m) => m.kind === 'certificate_expiring' && m.status === 'sent');
  }, 60_000);
  assert.equal(message.to, 'ada@example.com');
  assert.ok(stack.fakeResend.sent().some((e) => e.to.includes('ada@example.com') && e.subject === message.subject), 'the provider received it');
  await stack.eventually('phase assigned', async () => (await get<AwardView>(`/api/awards/${award.id}`)).recertification?.phase === 'assigned', 30_000);

  const done = await call<{ awards: AwardDto[]; renewed: { previousAwardId: string; newAwardId: string }[] }>(stack.request, 'POST', `/api/attempts/${attempt.id}/complete`, undefined, 200);
  assert.equal(done.renewed.length, 1);
  const renewal = done.awards[0]!;
  assert.equal(renewal.previousAwardId, award.id);
  const old = await stack.eventually('the old workflow renewed and completed', async () => {
    const view = await get<AwardView>(`/api/awards/${award.id}`);
    return view.recertification?.phase === 'renewed' && view.workflowStatus === 'COMPLETED' ? view : null;
  }, 30_000);
  assert.equal(old.award.status, 'renewed');
  const fresh = await get<AwardView>(`/api/awards/${renewal.id}`);
  assert.equal(fresh.workflowStatus, 'RUNNING');
  assert.equal(fresh.recertification?.phase, 'scheduled');
  // The seed's three awards and the renewal: four workflows of the certificate, one closed.
  await stack.eventually('the certificate\'s four workflows in visibility', async () => {
    const runs = await list(`CertificateId = '${award.certificateId}'`);
    return runs.length === 4 && runs.filter((r) => r.endsWith('/COMPLETED')).length === 1;
  }, 30_000);
});

test('the README\'s visibility queries on PostgreSQL: a certificate\'s workflows due this month, with >=/< and with BETWEEN', async () => {
  const course = await call<CourseDto>(stack.request, 'POST', '/api/courses', { title: 'Crane Refresher', status: 'live' });
  const { certificate } = await call<{ certificate: CertificateDto }>(stack.request, 'POST', '/api/certificates', { title: 'Crane Operator', associatedCourseIds: [course.id] });
  // Valid 365 days, enrolled 30 days before: due = awardedAt + 335 days (awardedAt must be in the past).
  await call(stack.request, 'PATCH', `/api/certificates/${certificate.id}`, {
    settings: {
      expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  });
  const now = new Date();
  // "This month" is three months ahead, so every award sleeps: its first instant and the next month's.
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1));
  const until = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 4, 1));
  const dues: Record<string, Date> = {
    firstInstant: from, // in the month (both forms include it)
    midMonth: new Date(from.getTime() + 14 * DAY_MS + 9 * 3600_000),
    lastHalfSecond: new Date(until.getTime() - 500), // 23:59:59.5: `< next month` has it, `BETWEEN … 23:59:59` does not
    nextMonth: until, // the next month's first instant: neither
    lastMonth: new Date(from.getTime() - 1000), // the month before: neither
  };
  const workflowOf = new Map<string, string>();
  for (const [name, due] of Object.entries(dues)) {
    const learner = await call<LearnerDto>(stack.request, 'POST', '/api/learners', { email: `${name.toLowerCase()}@crane.example.com`, name });
    const created = await call<{ award: AwardDto; workflowId: string }>(stack.request, 'POST', `/api/certificates/${certificate.id}/awards`, {
      learnerId: learner.id,
      awardedAt: new Date(due.getTime() - 335 * DAY_MS).toISOString(),
    });
    workflowOf.set(name, `${created.workflowId}/RUNNING`);
  }
  const expect = (...names: string[]) => names.map((n) => workflowOf.get(n)!).sort();
  const lastSecond = new Date(until.getTime() - 1000).toISOString().replace('.000Z', 'Z');
  const cases: Array<[string, string[]]> = [
    [`CertificateId = '${certificate.id}' AND RecertificationDueAt >= '${from.toISOString().replace('.000Z', 'Z')}' AND RecertificationDueAt < '${until.toISOString().replace('.000Z', 'Z')}'`, expect('firstInstant', 'midMonth', 'lastHalfSecond')],
    [`CertificateId = '${certificate.id}' AND RecertificationDueAt BETWEEN '${from.toISOString().replace('.000Z', 'Z')}' AND '${lastSecond}'`, expect('firstInstant', 'midMonth')],
    [`CertificateId = '${certificate.id}' AND ExecutionStatus = 'Running'`, expect(...Object.keys(dues))],
    // Expiry = due + 30 days: strictly before the next month's first instant + 30 days leaves out nextMonth alone.
    [`CertificateExpiresAt < '${new Date(until.getTime() + 30 * DAY_MS).toISOString()}' AND RecertificationPhase = 'scheduled' AND CertificateId = '${certificate.id}'`, expect('firstInstant', 'midMonth', 'lastHalfSecond', 'lastMonth')],
  ];
  for (const [query, want] of cases) {
    // Visibility is written asynchronously (history → visibility task queue): wait for it, then compare.
    let got: string[] = [];
    await stack.eventually(`the answer to ${query}`, async () => {
      got = await list(query);
      return JSON.stringify(got) === JSON.stringify(want);
    }, 20_000).catch(() => assert.deepEqual(got, want, query));
  }
  // The same filter through the count API, as the admin page's tools would ask.
  const count = await stack.client.connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: cases[0]![0] });
  assert.equal(Number(count.count), 3);
});

test('a workflow that continued as new is listed once by the visibility queries and the API', async () => {
  const learner = await call<LearnerDto>(stack.request, 'POST', '/api/learners', { email: 'can@example.com', name: 'Continued Asnew' });
  const course = await call<CourseDto>(stack.request, 'POST', '/api/courses', { title: 'Rigging Refresher', status: 'live' });
  const { certificate } = await call<{ certificate: CertificateDto }>(stack.request, 'POST', '/api/certificates', { title: 'Rigger', associatedCourseIds: [course.id] });
  await call(stack.request, 'PATCH', `/api/certificates/${certificate.id}`, {
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: course.id, leadDays: 30 },
    },
  });
  // An award as the API records it, started here with a small history limit (a test-only input),
  // then driven past the limit with signals.
  const expiresAt = new Date(Date.now() + 90 * DAY_MS);
  const [award] = await stack.sql<{ id: string }[]>`
    insert into awards (certificate_id, learner_id, awarded_at, expires_at, workflow_id, workflow_started_at)
    values (${certificate.id}, ${learner.id}, now(), ${expiresAt}, 'pending', now()) returning id`;
  const start = recertificationStart({ id: award!.id, certificateId: certificate.id, learnerId: learner.id, expiresAt }, 30);
  await stack.sql`update awards set workflow_id = ${start.workflowId} where id = ${award!.id}`;
  const wf = await stack.client.workflow.start<typeof recertificationWorkflow>(RECERTIFICATION_WORKFLOW, {
    ...start,
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ ...start.args[0], historyEventsLimit: 25 }],
  });
  const firstRunId = wf.firstExecutionRunId;
  await signalUntilContinuedAsNew(stack.client, start.workflowId, firstRunId, async (n) => {
    await wf.signal(expiryChangedSignal, { expiresAt: new Date(expiresAt.getTime() + (n % 2) * 1000).toISOString() });
  });
  const due = new Date(expiresAt.getTime() - 30 * DAY_MS);
  const month = { from: new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth(), 1)), until: new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() + 1, 1)) };
  const queries = [
    // The admin page's "all of this certificate's workflows" (api/admin/workflows.ts certificateQuery).
    `CertificateId = '${certificate.id}' AND ExecutionStatus != 'ContinuedAsNew'`,
    `CertificateId = '${certificate.id}' AND RecertificationDueAt >= '${month.from.toISOString()}' AND RecertificationDueAt < '${month.until.toISOString()}'`,
    `CertificateId = '${certificate.id}' AND RecertificationDueAt BETWEEN '${month.from.toISOString()}' AND '${new Date(month.until.getTime() - 1000).toISOString()}'`,
    `LearnerId = '${learner.id}' AND ExecutionStatus = 'Running'`,
  ];
  for (const query of queries) {
    let runs: string[] = [];
    await stack.eventually(`one run for ${query}`, async () => {
      runs = await list(query);
      return runs.length === 1 && runs[0] === `${start.workflowId}/RUNNING`;
    }, 30_000).catch(() => assert.deepEqual(runs, [`${start.workflowId}/RUNNING`], query));
  }
  // Every run, closed ones included, carries the award's id; only the running one is in a phase.
  assert.ok((await list(`AwardId = '${award!.id}'`)).length >= 2, 'the closed run is still in visibility');
  const listed = await get<{ awards: (AwardDto & { recertification: { phase: string | null; workflowStatus: string } | null })[] }>(
    `/api/awards?certificateId=${certificate.id}&include=recertification`,
  );
  assert.equal(listed.awards.filter((a) => a.id === award!.id).length, 1);
  assert.equal(listed.awards[0]?.recertification?.phase, 'scheduled');
  const desc = await stack.client.workflow.getHandle(start.workflowId).describe();
  assert.equal(desc.typedSearchAttributes.get(RecertificationPhase), 'scheduled');
});

const BURST = 120;

test('two workers and two APIs on one full server; one worker SIGKILLed mid-burst: every award exactly once', { timeout: 400_000 }, async () => {
  const services = await startServices({ dbPrefix: 'full_server_burst', taskQueue: 'full-server-burst', resend: { latencyMs: 400, rateLimit: 5 } });
  const workers: WorkerProcess[] = [];
  let burst: DueBurst | undefined;
  try {
    assert.equal(services.temporal.kind, 'full');
    const { fakeResend: fake, client } = services;
    const diagnose = diagnoser(services.sql, () => burst, fake, () => workers, client);
    const workerOptions: WorkerProcessOptions = { emailRequestsPerSecond: 2, emailBatchSize: 10, activityLog: true };
    workers.push(await services.spawnWorker(workerOptions), await services.spawnWorker(workerOptions));
    // Both APIs run the reconciler too: two reconcilers on one database must not double anything.
    const apis: ApiProcess[] = [await services.spawnApi({ reconcileIntervalSeconds: 5 }), await services.spawnApi({ reconcileIntervalSeconds: 5 })];
    const api = (i: number): ApiRequest => apis[i % 2]!.request;

    const course = await call<CourseDto>(api(0), 'POST', '/api/courses', { title: 'Forklift Safety Refresher', status: 'live' });
    const { certificate } = await call<{ certificate: CertificateDto }>(api(1), 'POST', '/api/certificates', { title: 'Forklift Operator', associatedCourseIds: [course.id] });
    await call(api(0), 'PATCH', `/api/certificates/${certificate.id}`, {
      settings: {
        expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
        recertification: { enabled: true, courseId: course.id, leadDays: 30, reminderDaysBeforeExpiry: [] },
        expiringNotice: { enabled: true },
      },
    });
    // Every award through the APIs, alternately, all due at one instant (awardedAt + 30 days).
    const dueAt = new Date(Date.now() + 30_000);
    const awardByEmail = new Map<string, string>();
    const madeBy = [0, 0];
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < BURST; i += 8) {
          const email = `burst${i}@full.example.com`;
          const learner = await call<LearnerDto>(api(i), 'POST', '/api/learners', { email, name: `Learner ${i}` });
          const created = await call<{ award: AwardDto }>(api(i + 1), 'POST', `/api/certificates/${certificate.id}/awards`, {
            learnerId: learner.id,
            awardedAt: new Date(dueAt.getTime() - 30 * DAY_MS).toISOString(),
          });
          assert.ok(created.award.workflowStartedAt, `API ${(i + 1) % 2} started the workflow of ${email}`);
          madeBy[(i + 1) % 2]!++;
          awardByEmail.set(email, created.award.id);
        }
      }),
    );
    const awards = await services.sql<AwardRow[]>`select * from awards where certificate_id = ${certificate.id}`;
    assert.equal(awards.length, BURST);
    burst = { certificateId: certificate.id, courseId: course.id, leadDays: 30, dueAt, awards, awardByEmail };
    // Normally every workflow sleeps before the burst falls due; on a slow machine the last ones may
    // start after it and act at once, which is the same burst.
    const startedAfterDueMs = Math.max(0, Date.now() - dueAt.getTime());

    await eventually('the first emails sent', async () => fake.sent().length >= 20, 90_000, 20, diagnose);
    const held = fake.holdNext();
    await eventually('a provider request in flight (held)', async () => held.request() !== null, 60_000, 20, diagnose);
    // Kill the worker with more activities in flight (the held request's sends are among them).
    const inFlight = (w: WorkerProcess): number => w.activityAttempts().filter((a) => a.endedAt === null).length;
    const [first, second] = (inFlight(workers[0]!) >= inFlight(workers[1]!) ? [workers[0], workers[1]] : [workers[1], workers[0]]) as [WorkerProcess, WorkerProcess];
    first.kill('SIGKILL');
    const emailsAtKill = fake.sent().length;
    const atKill = await progress(services.sql, burst);
    assert.equal((await first.exited).signal, 'SIGKILL');
    held.release();
    const cutOff = first.activityAttempts().filter((a) => a.endedAt === null);
    assert.ok(cutOff.length > 0, 'the kill cut off activities in flight');
    assert.ok(emailsAtKill < BURST / 2, `the kill landed mid-burst (${emailsAtKill} of ${BURST} emails out)`);

    // No restart: the surviving worker takes over the killed one's tasks (after their timeouts).
    await eventually(`all ${BURST} messages sent by the surviving worker`, async () => (await progress(services.sql, burst!)).sent === BURST, 240_000, 250, diagnose);
    const report = await deliveryReport(services.sql, fake, burst);
    assert.deepEqual(report.violations, [], 'every award has exactly one attempt, one sent message and one email');
    assert.equal(report.exact, BURST);
    assert.equal(report.providerEmails, BURST, 'the provider emailed each learner once');
    assert.deepEqual(report.duplicateRecipients, []);
    assert.ok(second.activityAttempts().some((a) => a.type === 'sendMessage' && a.endedAt !== null), 'the surviving worker sent');
    assert.ok(madeBy[0]! > 0 && madeBy[1]! > 0, 'both APIs started workflows');
    for (const a of apis) assert.ok(a.alive(), 'both APIs still run');
    console.log(
      `[full-server] burst of ${BURST}: at the kill ${emailsAtKill} emails out (${atKill.sending} sending, ${atKill.queued} queued), ` +
        `${cutOff.length} activity attempts cut off; APIs started ${madeBy.join(' + ')} workflows; provider replays ${fake.requests().replayed}` +
        (startedAfterDueMs > 0 ? `; the last workflows started ${startedAfterDueMs} ms after the due time` : ''),
    );
  } finally {
    await services.stop();
  }
});
