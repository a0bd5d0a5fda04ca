/**
 * Outbound webhooks (issue 10 §2) on the real stack: PostgreSQL, the Temporal dev server, a worker in
 * a process of its own (to SIGKILL), the API in this process, and a local HTTP receiver that verifies
 * every request's Standard Webhooks signature with the same library (`standardwebhooks`).
 *
 *  - a receiver that answers 500 twice per event sees each event accepted exactly once by its id, and
 *    every retry carried the same `webhook-id`;
 *  - a worker SIGKILLed while a delivery's request is in flight: a new worker redelivers the SAME id;
 *  - an endpoint that keeps failing is disabled with the reason shown (API), its log shows the 500s;
 *  - each event is written in the transaction of its change: a refused award writes none, and the
 *    expiry, enrollment and reminder paths write theirs;
 *  - bad input to the subscription routes: a 400/404/422 with the project's error shape, nothing written;
 *  - the admin Webhooks page (Chromium): subscribe, the secret once, the delivery log, disable with a reason.
 *
 * The dispatcher of the in-process API is off (WEBHOOK_DISPATCH_INTERVAL_SECONDS=0): each test runs one
 * with the delivery policy it needs (short retries), as the API would with those settings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { CertificateDto, LearnerDto } from '../api/schemas.ts';
import type { WebhookAttemptPageDto, WebhookSubscriptionCreatedDto, WebhookSubscriptionDto } from '../api/webhook-schemas.ts';
import { startWebhookDispatcher, type RunningWebhookDispatcher } from '../api/webhook-dispatcher.ts';
import type { Config } from '../config/env.ts';
import { createMailerFromConfig } from '../activities/mail/index.ts';
import type { MessageDraft } from '../activities/mail/mailer.ts';
import { createRecertificationActivities } from '../activities/recertification.ts';
import { emitMessageBounced } from '../domain/webhook-events.ts';
import { makeAward, makeCertificate, makeCourse, makeLearner, recertSettings } from './support/fixtures.ts';
import { browserTest, launchAdminBrowser } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';
import type { WorkerProcess } from './support/stack/worker.ts';

// ---------------------------------------------------------------------------------------------
// a local receiver

interface Received {
  path: string;
  id: string;
  timestamp: string;
  body: string;
  /** The signature verified with the subscription's secret (standardwebhooks `verify`). */
  verified: boolean;
  /** What the receiver answered (null: held, never answered). */
  answered: number | null;
}

type Behaviour = (r: Received, seenBefore: number) => number | 'hold';

/** An HTTP receiver: per path a behaviour (status to answer, or hold the request unanswered) and a secret to verify with. */
class Receiver {
  readonly received: Received[] = [];
  private readonly routes = new Map<string, { secret: string; behaviour: Behaviour }>();
  private readonly held: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(path: string, behaviour: Behaviour): void {
    this.routes.set(path, { secret: '', behaviour });
  }

  secret(path: string, secret: string): void {
    const r = this.routes.get(path);
    if (!r) throw new Error(`no route ${path}`);
    r.secret = secret;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const route = this.routes.get(path);
    const h = (name: string): string => String(req.headers[name] ?? '');
    let verified = false;
    if (route?.secret) {
      try {
        new Webhook(route.secret).verify(body, { 'webhook-id': h('webhook-id'), 'webhook-timestamp': h('webhook-timestamp'), 'webhook-signature': h('webhook-signature') });
        verified = true;
      } catch {
        verified = false;
      }
    }
    const r: Received = { path, id: h('webhook-id'), timestamp: h('webhook-timestamp'), body, verified, answered: null };
    const seenBefore = this.received.filter((x) => x.path === path && x.id === r.id).length;
    this.received.push(r);
    const outcome = route ? route.behaviour(r, seenBefore) : 404;
    if (outcome === 'hold') {
      this.held.push(res);
      return;
    }
    r.answered = outcome;
    res.writeHead(outcome, { 'content-type': 'text/plain' }).end(outcome < 300 ? 'ok' : 'receiver says no');
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// the stack

let stack: TestStack;
let worker: WorkerProcess;
const receiver = new Receiver();

before(async () => {
  await receiver.start();
  stack = await startStack({ dbPrefix: 'webhooks', workers: false, env: { WEBHOOK_DISPATCH_INTERVAL_SECONDS: '0' } });
  worker = await stack.spawnWorker();
});
after(async () => {
  await stack?.stop();
  await receiver.stop();
});

/** A dispatcher with a test's delivery policy (seconds), as the API runs one with WEBHOOK_* settings. */
function dispatcher(policy: Partial<Config['webhooks']>): RunningWebhookDispatcher {
  const webhooks: Config['webhooks'] = {
    dispatchIntervalSeconds: 0.2,
    retryInitialSeconds: 0.2,
    retryMaxIntervalSeconds: 1,
    retryHorizonSeconds: 120,
    attemptTimeoutSeconds: 10,
    disableAfterFailures: 3,
    ...policy,
  };
  return startWebhookDispatcher({ sql: stack.sql, client: stack.client, config: { ...stack.config, webhooks }, log: stack.log }, webhooks.dispatchIntervalSeconds);
}

async function call<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

let seq = 0;
/** A learner and a certificate (no expiry: no recertification workflow) to award. */
async function awardable(): Promise<{ learner: LearnerDto; certificate: CertificateDto }> {
  seq++;
  const learner = await call<LearnerDto>('POST', '/api/learners', { email: `wh-${seq}-${Date.now()}@example.com`, name: `Hook ${seq}` }, 201);
  const { certificate } = await call<{ certificate: CertificateDto }>(
    'POST',
    '/api/certificates',
    { title: `Webhook cert ${seq}`, settings: { expiration: { enabled: false } } },
    201,
  );
  return { learner, certificate };
}

async function award(learnerId: string, certificateId: string): Promise<{ id: string }> {
  const { award } = await call<{ award: { id: string } }>('POST', `/api/certificates/${certificateId}/awards`, { learnerId }, 201);
  return award;
}

async function subscribe(path: string, eventTypes: string[]): Promise<WebhookSubscriptionCreatedDto> {
  const sub = await call<WebhookSubscriptionCreatedDto>('POST', '/api/webhooks', { url: `${receiver.url}${path}`, eventTypes, description: `receiver ${path}` }, 201);
  assert.match(sub.secret ?? '', /^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a generated Standard Webhooks secret, shown on create');
  receiver.secret(path, sub.secret!);
  const shown = await call<WebhookSubscriptionDto & { secret?: string }>('GET', `/api/webhooks/${sub.id}`, undefined, 200);
  assert.equal(shown.secret, undefined, 'the secret is shown once: GET does not show it');
  return sub;
}

async function eventIdsOf(subscriptionId: string): Promise<string[]> {
  const rows = await stack.sql<{ eventId: string }[]>`select event_id from webhook_deliveries where subscription_id = ${subscriptionId} order by created_at`;
  return rows.map((r) => r.eventId);
}

const deliveryStatus = async (subscriptionId: string, eventId: string): Promise<string | undefined> =>
  (await stack.sql<{ status: string }[]>`select status from webhook_deliveries where subscription_id = ${subscriptionId} and event_id = ${eventId}`)[0]?.status;

// ---------------------------------------------------------------------------------------------

test('a receiver that answers 500 twice sees each event accepted exactly once by id, every retry with the same webhook-id, signed', { timeout: 120_000 }, async () => {
  receiver.route('/flaky', (_r, seenBefore) => (seenBefore < 2 ? 500 : 200));
  const sub = await subscribe('/flaky', ['award.created', 'award.revoked']);
  const run = dispatcher({});
  try {
    const a = await awardable();
    const b = await awardable();
    const t0 = Date.now();
    const first = await award(a.learner.id, a.certificate.id);
    await award(b.learner.id, b.certificate.id);
    await call('POST', `/api/awards/${first.id}/revoke`, { reason: 'left the site' }, 200);
    const ids = await eventIdsOf(sub.id);
    assert.equal(ids.length, 3, 'three events for the subscription: two awards made, one revoked');

    await stack.eventually('every delivery delivered', async () => {
      for (const id of ids) if ((await deliveryStatus(sub.id, id)) !== 'delivered') return false;
      return true;
    }, 60_000);
    const gaps = await stack.sql<{ attempt: number; ms: number }[]>`
      select a.attempt, (extract(epoch from a.created_at - e.created_at) * 1000)::int as ms
      from webhook_delivery_attempts a join webhook_events e on e.id = a.event_id
      where a.subscription_id = ${sub.id} order by a.created_at`;
    console.log(
      `[webhooks] 3 events, 500 twice each: all delivered ${Date.now() - t0} ms after the first award; ` +
        `attempts at ms after their event: ${gaps.map((g) => `#${g.attempt} ${g.ms}`).join(', ')}`,
    );

    const got = receiver.at('/flaky');
    assert.ok(got.every((r) => r.verified), 'every request verifies with the subscription\'s secret (standardwebhooks)');
    const accepted = got.filter((r) => r.answered === 200).map((r) => r.id);
    assert.deepEqual([...accepted].sort(), [...ids].sort(), 'each event accepted exactly once, by its id');
    for (const id of ids) {
      const tries = got.filter((r) => r.id === id);
      assert.deepEqual(tries.map((r) => r.answered), [500, 500, 200], `event ${id}: two 500s, then accepted; all three with the same webhook-id`);
      const bodies = new Set(tries.map((r) => r.body));
      assert.equal(bodies.size, 1, 'every retry sends the same body');
    }
    const revoked = got.find((r) => r.answered === 200 && (JSON.parse(r.body) as { type: string }).type === 'award.revoked');
    assert.ok(revoked, 'the revocation was delivered');
    const payload = JSON.parse(revoked.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    assert.equal(payload.data.awardId, first.id);
    assert.equal(payload.data.status, 'revoked');
    assert.equal(payload.data.revokedReason, 'left the site');
    assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));

    // The delivery log shows the attempts: two 500s and a 200 per event, numbered 1–3.
    const log = await call<WebhookAttemptPageDto>('GET', `/api/webhooks/${sub.id}/deliveries?limit=100`, undefined, 200);
    assert.equal(log.attempts.length, 9);
    for (const id of ids) {
      const mine = log.attempts.filter((x) => x.eventId === id).sort((x, y) => x.attempt - y.attempt);
      assert.deepEqual(mine.map((x) => [x.attempt, x.statusCode]), [[1, 500], [2, 500], [3, 200]]);
      assert.match(mine[0]!.error ?? '', /^HTTP 500: receiver says no/);
      assert.equal(mine[2]!.error, null);
      assert.ok(mine.every((x) => x.deliveryStatus === 'delivered'));
    }
    const shown = await call<WebhookSubscriptionDto>('GET', `/api/webhooks/${sub.id}`, undefined, 200);
    assert.deepEqual(shown.deliveries, { pending: 0, delivered: 3, failed: 0, skipped: 0 });
    assert.equal(shown.enabled, true);
  } finally {
    await run.stop();
    await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  }
});

test('a worker SIGKILLed mid-delivery: a new worker redelivers the same webhook-id', { timeout: 180_000 }, async () => {
  let hold = true;
  receiver.route('/slow', () => (hold ? 'hold' : 200));
  const sub = await subscribe('/slow', ['award.created']);
  // An attempt's HTTP deadline of 2 s: the activity of the dead worker times out after 7 s and is retried.
  const run = dispatcher({ attemptTimeoutSeconds: 2 });
  try {
    const a = await awardable();
    await award(a.learner.id, a.certificate.id);
    const [eventId] = await eventIdsOf(sub.id);
    assert.ok(eventId);
    await stack.eventually('the delivery request in flight (held by the receiver)', async () => receiver.at('/slow').length === 1, 60_000);
    worker.kill('SIGKILL');
    const killedAt = Date.now();
    const exit = await worker.exited;
    assert.equal(exit.signal, 'SIGKILL');
    hold = false;
    worker = await stack.spawnWorker();

    await stack.eventually('delivered after the restart', async () => (await deliveryStatus(sub.id, eventId)) === 'delivered', 90_000);
    console.log(`[webhooks] worker killed mid-delivery: redelivered ${Date.now() - killedAt} ms after the kill (a new worker spawned, the attempt's 2 s deadline + 5 s passed)`);
    const got = receiver.at('/slow');
    assert.equal(got.length, 2, 'one request cut off by the kill, one from the new worker');
    assert.deepEqual(got.map((r) => r.id), [eventId, eventId], 'the redelivery carries the same webhook-id');
    assert.ok(got.every((r) => r.verified));
    assert.equal(got[0]!.body, got[1]!.body);
    assert.notEqual(got[0]!.timestamp, '', 'each attempt is timestamped');
    const log = await call<WebhookAttemptPageDto>('GET', `/api/webhooks/${sub.id}/deliveries`, undefined, 200);
    assert.deepEqual(log.attempts.map((x) => [x.attempt, x.statusCode]), [[2, 200]], 'the killed attempt left no record; the retry (attempt 2) did');
  } finally {
    await run.stop();
    await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  }
});

test('an endpoint that keeps failing is disabled with the reason shown; its later events are not delivered', { timeout: 120_000 }, async () => {
  receiver.route('/down', () => 503);
  const sub = await subscribe('/down', ['award.created']);
  const run = dispatcher({ retryHorizonSeconds: 2, disableAfterFailures: 2 });
  try {
    const a = await awardable();
    const b = await awardable();
    await award(a.learner.id, a.certificate.id);
    await award(b.learner.id, b.certificate.id);
    const ids = await eventIdsOf(sub.id);
    assert.equal(ids.length, 2);
    const disabled = await stack.eventually('the subscription disabled', async () => {
      const s = await call<WebhookSubscriptionDto>('GET', `/api/webhooks/${sub.id}`, undefined, 200);
      return s.enabled ? null : s;
    }, 60_000);
    assert.match(disabled.disabledReason ?? '', /^2 deliveries in a row failed, each retried for 2 s; last error: HTTP 503/);
    assert.ok(disabled.disabledAt);
    assert.deepEqual(disabled.deliveries, { pending: 0, delivered: 0, failed: 2, skipped: 0 });
    const log = await call<WebhookAttemptPageDto>('GET', `/api/webhooks/${sub.id}/deliveries`, undefined, 200);
    assert.ok(log.attempts.length >= 2 && log.attempts.every((x) => x.statusCode === 503 && x.deliveryStatus === 'failed'));
    const listed = await call<{ webhooks: WebhookSubscriptionDto[] }>('GET', '/api/webhooks', undefined, 200);
    assert.equal(listed.webhooks.find((w) => w.id === sub.id)?.disabledReason, disabled.disabledReason, 'the list shows the reason');

    // Disabled: a new award writes no event for it. Enabled again: the reason and the count clear.
    const c = await awardable();
    await award(c.learner.id, c.certificate.id);
    assert.equal((await eventIdsOf(sub.id)).length, 2, 'no delivery for a disabled subscription');
    const enabled = await call<WebhookSubscriptionDto>('PATCH', `/api/webhooks/${sub.id}`, { enabled: true }, 200);
    assert.equal(enabled.enabled, true);
    assert.equal(enabled.disabledReason, null);
    assert.equal(enabled.consecutiveFailures, 0);
    const off = await call<WebhookSubscriptionDto>('PATCH', `/api/webhooks/${sub.id}`, { enabled: false, disabledReason: 'maintenance' }, 200);
    assert.equal(off.disabledReason, 'maintenance');
  } finally {
    await run.stop();
    await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  }
});

test('bad input to the subscription routes: 400/404/422 with the error shape, nothing written', async () => {
  const count = async (): Promise<number> => (await stack.sql<{ n: number }[]>`select count(*)::int as n from webhook_subscriptions`)[0]!.n;
  const before = await count();
  const ok = { url: 'https://hooks.example.com/recertify', eventTypes: ['award.created'] };
  const cases: [string, unknown, number][] = [
    ['ftp URL', { ...ok, url: 'ftp://hooks.example.com/x' }, 400],
    // Found by the fresh user's review: accepted, then every delivery failed with fetch's "bad port".
    ['a port fetch refuses (6000)', { ...ok, url: 'http://127.0.0.1:6000/hook' }, 400],
    ['a port fetch refuses (10080)', { ...ok, url: 'https://hooks.example.com:10080/hook' }, 400],
    ['port 0', { ...ok, url: 'http://localhost:0/x' }, 400],
    ['javascript URL', { ...ok, url: 'javascript:alert(1)' }, 400],
    ['no host', { ...ok, url: 'https:///path' }, 400],
    ['not a URL', { ...ok, url: 'hooks.example.com' }, 400],
    ['https: without slashes', { ...ok, url: 'https:hooks.example.com' }, 400],
    ['user and password', { ...ok, url: 'https://user:pw@hooks.example.com/' }, 400],
    ['spaces', { ...ok, url: 'https://hooks.example.com/a b' }, 400],
    ['empty URL', { ...ok, url: '' }, 400],
    ['no URL', { eventTypes: ['award.created'] }, 400],
    ['unknown event type', { ...ok, eventTypes: ['award.created', 'award.exploded'] }, 400],
    ['empty event list', { ...ok, eventTypes: [] }, 400],
    ['event types not a list', { ...ok, eventTypes: 'award.created' }, 400],
    ['no event types', { url: ok.url }, 400],
    ['secret without whsec_', { ...ok, secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 400],
    ['secret too short', { ...ok, secret: 'whsec_c2hvcnQ=' }, 400],
    ['secret not base64', { ...ok, secret: 'whsec_!!!!' }, 400],
    ['unknown field', { ...ok, enabled: false }, 400],
    ['description empty', { ...ok, description: '  ' }, 400],
  ];
  for (const [what, body, status] of cases) {
    const res = await stack.request<{ error: { code: string } }>('POST', '/api/webhooks', body);
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'validation_failed', what);
  }
  const notJson = await stack.request('POST', '/api/webhooks', '{"url":');
  assert.equal(notJson.status, 400);
  assert.equal(await count(), before, 'no subscription written by a refused request');

  const sub = await call<WebhookSubscriptionCreatedDto>('POST', '/api/webhooks', { ...ok, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 201);
  assert.equal(sub.secret, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'a supplied secret is kept');
  const patches: [string, unknown, number, string][] = [
    ['bad URL', { url: 'mailto:a@example.com' }, 400, 'validation_failed'],
    ['empty event list', { eventTypes: [] }, 400, 'validation_failed'],
    ['unknown event type', { eventTypes: ['message.opened'] }, 400, 'validation_failed'],
    ['enabled not a flag', { enabled: 'no' }, 400, 'validation_failed'],
    ['a reason without disabling', { disabledReason: 'because' }, 422, 'disabled_reason_without_disable'],
    ['a reason while enabling', { enabled: true, disabledReason: 'because' }, 422, 'disabled_reason_without_disable'],
    ['the secret', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 400, 'validation_failed'],
  ];
  for (const [what, body, status, code] of patches) {
    const res = await stack.request<{ error: { code: string } }>('PATCH', `/api/webhooks/${sub.id}`, body);
    assert.equal(res.status, status, `PATCH ${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, what);
  }
  const unchanged = await call<WebhookSubscriptionDto>('GET', `/api/webhooks/${sub.id}`, undefined, 200);
  assert.equal(unchanged.url, ok.url);
  assert.deepEqual(unchanged.eventTypes, ['award.created']);
  assert.equal(unchanged.updatedAt, unchanged.createdAt, 'no refused PATCH changed it');

  const missing = '3f1c9a4e-5b7d-4e2a-9c1f-2b8e6d4a7c10';
  for (const [method, path, body] of [
    ['GET', `/api/webhooks/${missing}`, undefined],
    ['PATCH', `/api/webhooks/${missing}`, { enabled: false }],
    ['DELETE', `/api/webhooks/${missing}`, undefined],
    ['GET', `/api/webhooks/${missing}/deliveries`, undefined],
  ] as const) {
    const res = await stack.request<{ error: { code: string } }>(method, path, body);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.body.error.code, 'not_found');
  }
  const badId = await stack.request<{ error: { code: string } }>('GET', '/api/webhooks/not-a-uuid');
  assert.equal(badId.status, 400);
  const badCursor = await stack.request<{ error: { code: string } }>('GET', `/api/webhooks/${sub.id}/deliveries?before=yesterday`);
  assert.equal(badCursor.status, 400);
  await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  assert.equal(await count(), before);
});

test('events are written in the transaction of their change: a refused award writes none; no subscriber, no event', async () => {
  const events = async (): Promise<number> => (await stack.sql<{ n: number }[]>`select count(*)::int as n from webhook_events`)[0]!.n;
  const a = await awardable();
  const before = await events();
  await award(a.learner.id, a.certificate.id);
  assert.equal(await events(), before, 'no enabled subscription asks for award.created: nothing written');

  const sub = await call<WebhookSubscriptionCreatedDto>('POST', '/api/webhooks', { url: `${receiver.url}/none`, eventTypes: ['award.created'] }, 201);
  try {
    const refused = await stack.request('POST', `/api/certificates/${a.certificate.id}/awards`, { learnerId: a.learner.id });
    assert.equal(refused.status, 409, 'already awarded');
    assert.equal(await events(), before, 'the refused award rolled back: no event');
    const b = await awardable();
    await award(b.learner.id, b.certificate.id);
    assert.equal(await events(), before + 1, 'the award committed with its event');
  } finally {
    await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  }
});

test('the workflow-side paths write their events once: award.expired, recertification.enrolled, recertification.reminded; message.bounced by its emit function', { timeout: 120_000 }, async () => {
  receiver.route('/sink', () => 204);
  const sub = await subscribe('/sink', ['award.expired', 'recertification.enrolled', 'recertification.reminded', 'message.bounced']);
  const { sql, log } = stack;
  const eventsOf = async (type: string): Promise<{ id: string; data: Record<string, unknown> }[]> =>
    await sql<{ id: string; data: Record<string, unknown> }[]>`select id, data from webhook_events where type = ${type} order by created_at`;
  const mailer = createMailerFromConfig(stack.config.email, sql, log);
  const run = dispatcher({});
  try {
    const course = await makeCourse(sql, { status: 'live' });
    const cert = await makeCertificate(sql, { settings: recertSettings(course.id) });
    const learner = await makeLearner(sql);
    const award = await makeAward(sql, { certificateId: cert.id, learnerId: learner.id, awardedAt: new Date(Date.now() - 400 * 86_400_000), expiresAt: new Date(Date.now() - 60_000) });
    const activities = createRecertificationActivities({ sql, log });

    // The recertification attempt (the due step's enrollment), retried: one event.
    const first = await activities.createRecertificationAttempt({ awardId: award.id, courseId: course.id });
    const again = await activities.createRecertificationAttempt({ awardId: award.id, courseId: course.id });
    assert.ok('attemptId' in first && 'attemptId' in again && again.attemptId === first.attemptId && !again.created);
    const enrolled = await eventsOf('recertification.enrolled');
    assert.equal(enrolled.length, 1, 'one enrollment, one event, however often the activity runs');
    assert.equal(enrolled[0]!.data.attemptId, first.attemptId);
    assert.equal(enrolled[0]!.data.courseId, course.id);
    assert.equal(enrolled[0]!.data.awardId, award.id);
    // The due step's read-and-enroll (enrollWhenDue, ENROLL_WHEN_DUE), retried: one event more, for its award.
    const dueAward = await makeAward(sql, { certificateId: cert.id, learnerId: (await makeLearner(sql)).id, awardedAt: new Date(Date.now() - 300 * 86_400_000), expiresAt: new Date(Date.now() + 10 * 86_400_000) });
    const asOf = new Date().toISOString();
    const made = await activities.enrollWhenDue({ awardId: dueAward.id, asOf });
    const madeAgain = await activities.enrollWhenDue({ awardId: dueAward.id, asOf });
    assert.ok('enrolled' in made && 'enrolled' in madeAgain && madeAgain.enrolled.attemptId === made.enrolled.attemptId && !madeAgain.enrolled.created);
    const enrolledNow = await eventsOf('recertification.enrolled');
    assert.deepEqual(enrolledNow.map((e) => e.data.awardId), [award.id, dueAward.id], 'one event per enrollment, however often the activity runs');
    assert.equal(enrolledNow[1]!.data.attemptId, made.enrolled.attemptId);

    // A reminder recorded sent by the provider's answer: one event; another kind: none.
    const draft = (kind: 'recertification_reminder' | 'certificate_expiring', key: string): MessageDraft => ({
      kind, learnerId: learner.id, awardId: award.id, attemptId: 'attemptId' in first ? first.attemptId : null,
      to: learner.email, from: 'Recertify <recertify@example.com>', subject: 'Reminder', html: '<p>hi</p>', idempotencyKey: key,
    });
    const reminder = await mailer.deliver(draft('recertification_reminder', `award:${award.id}:recertification_reminder:7`));
    assert.equal(reminder.status, 'sent');
    await mailer.deliver(draft('recertification_reminder', `award:${award.id}:recertification_reminder:7`));
    await mailer.deliver(draft('certificate_expiring', `award:${award.id}:certificate_expiring`));
    const reminded = await eventsOf('recertification.reminded');
    assert.equal(reminded.length, 1, 'one reminder sent, one event; the expiring notice is none');
    assert.equal(reminded[0]!.data.messageId, reminder.message.id);

    // The expiry, retried: one event.
    assert.equal((await activities.expireAward({ awardId: award.id, asOf: new Date().toISOString() })).expired, true);
    assert.equal((await activities.expireAward({ awardId: award.id, asOf: new Date().toISOString() })).expired, false);
    const expired = await eventsOf('award.expired');
    assert.equal(expired.length, 1);
    assert.equal(expired[0]!.data.status, 'expired');

    // message.bounced: what the bounce recorder calls, in its transaction; a rolled-back one leaves nothing.
    await sql.begin((tx) => emitMessageBounced(tx, reminder.message, { bounceType: 'hard', bouncedAt: new Date() }));
    await sql
      .begin(async (tx) => {
        await emitMessageBounced(tx, reminder.message, { bounceType: 'soft', bouncedAt: new Date() });
        throw new Error('roll back');
      })
      .catch(() => {});
    const bounced = await eventsOf('message.bounced');
    assert.deepEqual(bounced.map((e) => e.data.bounceType), ['hard'], 'the rolled-back bounce wrote no event');

    const ids = [...enrolledNow, ...reminded, ...expired, ...bounced].map((e) => e.id);
    await stack.eventually('all four delivered', async () => {
      for (const id of ids) if ((await deliveryStatus(sub.id, id)) !== 'delivered') return false;
      return true;
    }, 60_000);
    const got = receiver.at('/sink');
    assert.deepEqual(got.map((r) => r.id).sort(), [...ids].sort(), 'each delivered once');
    assert.ok(got.every((r) => r.verified));
    assert.deepEqual(
      got.map((r) => (JSON.parse(r.body) as { type: string }).type).sort(),
      ['award.expired', 'message.bounced', 'recertification.enrolled', 'recertification.enrolled', 'recertification.reminded'],
    );
  } finally {
    await run.stop();
    await mailer.close();
    await call('DELETE', `/api/webhooks/${sub.id}`, undefined, 204);
  }
});

browserTest('the admin Webhooks page: a bad URL refused with nothing written; subscribe (secret shown once), the delivery log, disable with a reason, enable', async () => {
  const admin = await launchAdminBrowser(stack);
  if (!admin) return;
  receiver.route('/admin-sink', () => 200);
  const run = dispatcher({});
  try {
    const { page } = admin;
    const count = async (): Promise<number> => (await stack.sql<{ n: number }[]>`select count(*)::int as n from webhook_subscriptions`)[0]!.n;
    const before = await count();
    await page.goto(`${stack.api}/admin/webhooks`);
    await page.fill('#webhook-url', 'ftp://files.example.com/in');
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#new-webhook-form button[type=submit]')]);
    assert.equal(refused.status(), 400);
    assert.match((await page.textContent('#webhook-error')) ?? '', /http or https/);
    assert.equal(await count(), before, 'the refused form wrote nothing');

    await page.fill('#webhook-url', `${receiver.url}/admin-sink`);
    await page.fill('#webhook-description', 'HR system');
    const [created] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click('#new-webhook-form button[type=submit]')]);
    assert.equal(created.status(), 200);
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec((await page.textContent('#webhook-secret')) ?? '')?.[0];
    assert.ok(secret, 'the secret is shown after the create');
    receiver.secret('/admin-sink', secret);
    const id = (await stack.sql<{ id: string }[]>`select id from webhook_subscriptions where url = ${`${receiver.url}/admin-sink`}`)[0]!.id;
    assert.match(page.url(), new RegExp(`/admin/webhooks/${id}$`));

    const a = await awardable();
    await award(a.learner.id, a.certificate.id);
    await stack.eventually('delivered', async () => receiver.at('/admin-sink').some((r) => r.answered === 200 && r.verified));
    await page.reload();
    assert.equal(await page.$('#webhook-secret'), null, 'the secret is not shown again');
    assert.equal(await page.getAttribute('#webhook-attempts tbody tr', 'data-status-code'), '200');
    assert.match((await page.textContent('#webhook-counts')) ?? '', /1 delivered/);

    await page.fill('#disable-reason', 'HR system maintenance');
    await Promise.all([page.waitForURL(`**/admin/webhooks/${id}`), page.click('#disable-webhook-form button[type=submit]')]);
    assert.match((await page.textContent('#webhook-status')) ?? '', /disabled\s*HR system maintenance/);
    await page.goto(`${stack.api}/admin/webhooks`);
    assert.equal((await page.textContent(`tr[data-webhook-id="${id}"] .webhook-disabled-reason`))?.trim(), 'HR system maintenance', 'the list shows the reason');
    const api = await call<WebhookSubscriptionDto>('GET', `/api/webhooks/${id}`, undefined, 200);
    assert.equal(api.enabled, false);
    assert.equal(api.disabledReason, 'HR system maintenance');

    assert.equal((await page.goto(`${stack.api}/admin/webhooks?before=yesterday`))?.status(), 400, 'a paging cursor the API refuses is a 400 page');
    assert.equal((await page.goto(`${stack.api}/admin/webhooks/not-an-id`))?.status(), 404);
    await page.goto(`${stack.api}/admin/webhooks/${id}`);
    await Promise.all([page.waitForURL(`**/admin/webhooks/${id}`), page.click('#enable-webhook-form button[type=submit]')]);
    assert.equal((await call<WebhookSubscriptionDto>('GET', `/api/webhooks/${id}`, undefined, 200)).enabled, true);
    await call('DELETE', `/api/webhooks/${id}`, undefined, 204);
  } finally {
    await run.stop();
    await admin.browser.close();
  }
});

test('the signing secret is shown once: a repeat with the same Idempotency-Key answers the same subscription with secret null, and the stored answer holds no secret', async () => {
  const headers = { 'idempotency-key': `sub-${randomUUID()}` };
  const body = { url: 'https://hooks.example.com/once', eventTypes: ['award.revoked'] };
  const first = await stack.request<WebhookSubscriptionCreatedDto>('POST', '/api/webhooks', body, headers);
  assert.equal(first.status, 201);
  assert.match(first.body.secret ?? '', /^whsec_/);
  const again = await stack.request<WebhookSubscriptionCreatedDto>('POST', '/api/webhooks', body, headers);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.body.id, first.body.id, 'the same subscription');
  assert.equal(again.body.secret, null, 'not shown again');
  const stored = await stack.sql<{ n: number }[]>`select count(*)::int as n from idempotent_requests where response::text like ${'%' + first.body.secret! + '%'}`;
  assert.equal(stored[0]!.n, 0, 'no stored answer holds the secret');
  await call('DELETE', `/api/webhooks/${first.body.id}`, undefined, 204);
});
