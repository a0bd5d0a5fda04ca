/**
 * Delivery status from Resend (issue 10 §1), on the real stack: the fake Resend sends each email and
 * then posts signed webhooks (Svix headers, a `whsec_` secret) to the API's POST /webhooks/resend,
 * as Resend does. A delivered email gets its status and timeline; a forged, unsigned or stale event
 * is 401 and changes nothing; a replayed event id changes nothing twice; a hard bounce (or a
 * complaint) suppresses the learner's address, so the next message is recorded `suppressed` and never
 * reaches the provider, until the learner's email changes; bad bodies answer clear errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CourseDto, LearnerDto, MessageDto } from '../api/schemas.ts';
import { createApp } from '../api/app.ts';
import { afterSentFor } from '../activities/mail/index.ts';
import { createMailer } from '../activities/mail/mailer.ts';
import { LogProvider } from '../activities/mail/providers.ts';
import { applyUnmatchedDeliveryEvents } from '../domain/delivery.ts';
import { browserTest, launchAdminBrowser, screenshot, adminSessionCookie } from './support/admin-browser.ts';
import { startStack, type TestStack } from './support/stack.ts';
import type { FakeWebhookEvent } from './support/fake-resend.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({
    dbPrefix: 'delivery',
    resend: {
      bounceRecipient: (to) => (to.startsWith('bounce') ? 'Permanent' : to.startsWith('soft') ? 'Transient' : null),
      complainRecipient: (to) => to.startsWith('spam'),
    },
  });
});
after(async () => {
  await stack?.stop();
});

interface ErrorAnswer {
  error: { code: string; message: string; details: unknown };
}

async function ok<T>(method: string, path: string, body?: unknown, expect = method === 'POST' ? 201 : 200): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

let n = 0;
/** A learner and a live course with an enrollment message (each enrollment sends one message). */
async function learnerAndCourse(email: string): Promise<{ learner: LearnerDto; course: CourseDto }> {
  n += 1;
  const learner = await ok<LearnerDto>('POST', '/api/learners', { email, name: `Learner ${n}` });
  const course = await ok<CourseDto>('POST', '/api/courses', {
    title: `Delivery course ${n}`,
    status: 'live',
    enrollmentMessage: { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}</p>' },
  });
  return { learner, course };
}

/** Enrolls the learner and waits for the enrollment message's workflow; answers the message and the workflow's result. */
async function enrollAndMessage(learnerId: string, courseId: string): Promise<{ message: MessageDto; result: { status: string; reason?: string } }> {
  const created = await ok<{ attempt: { id: string }; enrollmentMessageWorkflowId: string }>('POST', `/api/courses/${courseId}/enrollments`, { learnerId });
  const result = (await stack.client.workflow.getHandle(created.enrollmentMessageWorkflowId).result()) as { status: string; reason?: string };
  const message = await messageOf(learnerId, (m) => m.attemptId === created.attempt.id);
  return { message, result };
}

async function messagesOf(learnerId: string): Promise<MessageDto[]> {
  return (await ok<{ messages: MessageDto[] }>('GET', `/api/messages?learnerId=${learnerId}`)).messages;
}

async function messageOf(learnerId: string, which: (m: MessageDto) => boolean): Promise<MessageDto> {
  const found = (await messagesOf(learnerId)).find(which);
  assert.ok(found, 'the message is listed');
  return found;
}

/** Waits until the learner's message `id` satisfies `cond`. */
function eventuallyMessage(learnerId: string, id: string, what: string, cond: (m: MessageDto) => boolean): Promise<MessageDto> {
  return stack.eventually(what, async () => (await messagesOf(learnerId)).find((m) => m.id === id && cond(m)));
}

/** Signs in to the admin page; answers the session cookie. */
const adminCookie = (): Promise<string> => adminSessionCookie(stack);

const webhookUrl = (): string => `${stack.api}/webhooks/resend`;

/** A Resend email event about `emailId`. */
function emailEvent(type: string, emailId: string, extra: Record<string, unknown> = {}): FakeWebhookEvent {
  return { type, created_at: new Date().toISOString(), data: { created_at: new Date().toISOString(), email_id: emailId, from: 'x@example.com', to: ['y@example.com'], subject: 's', ...extra } };
}

/** Posts `body` to the webhook with `headers` (no bearer token: the signature is the authentication). */
async function postRaw(body: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(webhookUrl(), { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

async function receipts(svixId: string): Promise<number> {
  const [row] = await stack.sql<{ n: number }[]>`select count(*)::int as n from resend_webhook_events where svix_id = ${svixId}`;
  return row?.n ?? 0;
}

async function timelineLength(messageId: string): Promise<number> {
  const [row] = await stack.sql<{ n: number }[]>`select count(*)::int as n from message_delivery_events where message_id = ${messageId}`;
  return row?.n ?? 0;
}

test("a sent email's signed events from Resend reach its message: delivered, with a timeline (API and mailbox)", async () => {
  const { learner, course } = await learnerAndCourse('ada.delivery@example.com');
  const { message, result } = await enrollAndMessage(learner.id, course.id);
  assert.equal(result.status, 'sent');
  assert.ok(message.providerMessageId, 'Resend answered with an id');
  const delivered = await eventuallyMessage(learner.id, message.id, 'the message delivered', (m) => m.deliveryStatus === 'delivered' && m.deliveryEvents.length === 2);
  assert.equal(delivered.status, 'sent');
  assert.deepEqual(delivered.deliveryEvents.map((e) => e.type), ['sent', 'delivered']);
  assert.ok(delivered.deliveryUpdatedAt);
  const posts = stack.fakeResend.webhookLog().filter((p) => p.emailId === message.providerMessageId);
  assert.deepEqual(posts.map((p) => [p.type, p.status]), [['email.sent', 200], ['email.delivered', 200]]);

  // The admin mailbox shows the delivery status, and the message's page its timeline.
  const cookie = await adminCookie();
  const list = await (await fetch(`${stack.api}/admin/mailbox?learnerId=${learner.id}`, { headers: { cookie } })).text();
  assert.match(list, /<th>Delivery<\/th>/);
  assert.match(list, /data-delivery-status="delivered"/);
  const page = await (await fetch(`${stack.api}/admin/mailbox/${message.id}`, { headers: { cookie } })).text();
  assert.match(page, /id="delivery-timeline"/);
  assert.match(page, /<li data-event="sent">[\s\S]*<li data-event="delivered">/);
});

test('a forged, unsigned, tampered or stale event is 401 and changes nothing; a replayed event id changes nothing twice', async () => {
  const { learner, course } = await learnerAndCourse('grace.delivery@example.com');
  const { message } = await enrollAndMessage(learner.id, course.id);
  const emailId = message.providerMessageId!;
  await eventuallyMessage(learner.id, message.id, 'the message delivered', (m) => m.deliveryStatus === 'delivered');
  await stack.fakeResend.webhooksSettled();
  const events = await timelineLength(message.id);

  const bounce = JSON.stringify(emailEvent('email.bounced', emailId, { bounce: { type: 'Permanent', subType: 'General', message: 'no such user' } }));
  const signed = (over: { id?: string; timestamp?: Date; secret?: string } = {}): Record<string, string> => stack.fakeResend.signWebhook(bounce, over);
  const cases: { name: string; body: string; headers: Record<string, string>; reason: RegExp }[] = [
    { name: 'no svix headers', body: bounce, headers: { 'content-type': 'application/json' }, reason: /Missing svix-id, svix-timestamp, svix-signature/ },
    { name: 'no signature', body: bounce, headers: (({ 'svix-signature': _, ...rest }) => rest)(signed()), reason: /Missing svix-signature/ },
    { name: 'another secret', body: bounce, headers: signed({ secret: `whsec_${Buffer.from(randomUUID()).toString('base64')}` }), reason: /No matching signature/ },
    { name: 'a tampered body', body: bounce.replace('Permanent', 'Transient'), headers: signed(), reason: /No matching signature/ },
    { name: 'a stale timestamp (10 minutes old)', body: bounce, headers: signed({ timestamp: new Date(Date.now() - 10 * 60_000) }), reason: /too old/ },
    { name: 'a timestamp from the future', body: bounce, headers: signed({ timestamp: new Date(Date.now() + 10 * 60_000) }), reason: /too new/ },
  ];
  for (const c of cases) {
    const res = await postRaw(c.body, c.headers);
    assert.equal(res.status, 401, c.name);
    const err = (res.body as ErrorAnswer).error;
    assert.equal(err.code, 'invalid_signature', c.name);
    assert.match(err.message, c.reason, c.name);
    if (c.headers['svix-id']) assert.equal(await receipts(c.headers['svix-id']), 0, `${c.name}: no receipt`);
  }
  const after401 = await messageOf(learner.id, (m) => m.id === message.id);
  assert.equal(after401.deliveryStatus, 'delivered', 'no forged event changed the status');
  assert.equal(await timelineLength(message.id), events, 'nor the timeline');
  const learnerAfter = await ok<LearnerDto>('GET', `/api/learners/${learner.id}`);
  assert.equal(learnerAfter.emailSuppression, null, 'nor the learner');

  // A replay: the same svix-id twice (Svix re-signs a retry with a new timestamp): applied once.
  const complaint = emailEvent('email.complained', emailId);
  const id = `msg_${randomUUID()}`;
  const first = await stack.fakeResend.postWebhook(complaint, { id, url: webhookUrl() });
  assert.equal(first.status, 200);
  assert.equal((JSON.parse(first.body) as { outcome: string }).outcome, 'applied');
  const suppressedOnce = await ok<LearnerDto>('GET', `/api/learners/${learner.id}`);
  assert.equal(suppressedOnce.emailSuppression?.reason, 'complaint');
  for (let i = 0; i < 2; i++) {
    const again = await stack.fakeResend.postWebhook(complaint, { id, url: webhookUrl(), timestamp: new Date(Date.now() - i * 1000) });
    assert.equal(again.status, 200);
    assert.equal((JSON.parse(again.body) as { outcome: string }).outcome, 'duplicate');
  }
  assert.equal(await timelineLength(message.id), events + 1, 'the replayed event is in the timeline once');
  assert.equal(await receipts(id), 1);
  const complained = await messageOf(learner.id, (m) => m.id === message.id);
  assert.equal(complained.deliveryStatus, 'complained');
  assert.equal((await ok<LearnerDto>('GET', `/api/learners/${learner.id}`)).emailSuppression?.since, suppressedOnce.emailSuppression?.since, 'flagged once');

  // An event that arrives late and out of order never moves the status back.
  const late = await stack.fakeResend.postWebhook(emailEvent('email.delivery_delayed', emailId), { url: webhookUrl() });
  assert.equal(late.status, 200);
  assert.equal((await messageOf(learner.id, (m) => m.id === message.id)).deliveryStatus, 'complained');
});

test("a hard bounce suppresses the learner's address: the next message is recorded suppressed and never reaches Resend, until the email changes", async () => {
  // A subscriber to message.bounced (never reachable: only the outbox is looked at here).
  const subscription = await ok<{ id: string }>('POST', '/api/webhooks', { url: 'https://hooks.example.invalid/bounces', eventTypes: ['message.bounced'] });
  const { learner, course } = await learnerAndCourse('bounce.delivery@example.com');
  const { message } = await enrollAndMessage(learner.id, course.id);
  const bounced = await eventuallyMessage(learner.id, message.id, 'the message bounced', (m) => m.deliveryStatus === 'bounced');
  // The bounce became one message.bounced event for the subscriber, with the bounce type Resend gave.
  const outbox = await stack.sql<{ data: { messageId: string; bounceType: string | null } }[]>`
    select data from webhook_events where type = 'message.bounced' and data->>'messageId' = ${message.id}`;
  assert.deepEqual(outbox.map((e) => [e.data.messageId, e.data.bounceType]), [[message.id, 'Permanent']]);
  await ok('DELETE', `/api/webhooks/${subscription.id}`, undefined, 204);
  assert.deepEqual(bounced.deliveryEvents.map((e) => e.type), ['sent', 'bounced']);
  assert.match(bounced.deliveryEvents[1]?.detail ?? '', /^Permanent\/General: /);
  const flagged = await stack.eventually('the learner flagged', async () => (await ok<LearnerDto>('GET', `/api/learners/${learner.id}`)).emailSuppression);
  assert.equal(flagged.reason, 'hard_bounce');
  assert.equal(flagged.messageId, message.id);
  const toBounce = (): number => stack.fakeResend.sent().filter((e) => e.to.includes('bounce.delivery@example.com')).length;
  assert.equal(toBounce(), 1);

  const next = await enrollAndMessage(learner.id, course.id);
  assert.equal(next.result.status, 'skipped', 'the workflow hears it was not sent');
  assert.match(next.result.reason ?? '', /suppressed/);
  assert.equal(next.message.status, 'suppressed');
  const learnerPage = await (await fetch(`${stack.api}/admin/learners/${learner.id}`, { headers: { cookie: await adminCookie() } })).text();
  assert.match(learnerPage, /id="learner-email-suppressed"[^>]*>\s*suppressed since [^(]*\(hard bounce\)/);
  assert.equal(next.message.providerMessageId, null);
  assert.equal(next.message.sendAttempts, 0);
  assert.equal(toBounce(), 1, 'no request reached Resend for the suppressed message');

  // A new address lifts it: the next message is sent to it.
  const moved = await ok<LearnerDto>('PATCH', `/api/learners/${learner.id}`, { email: 'new.delivery@example.com' });
  assert.equal(moved.emailSuppression, null);
  const third = await enrollAndMessage(learner.id, course.id);
  assert.equal(third.result.status, 'sent');
  assert.equal(third.message.to, 'new.delivery@example.com');
  assert.equal(stack.fakeResend.sent().filter((e) => e.to.includes('new.delivery@example.com')).length, 1);
  // The same email (another case) does not lift a suppression.
  await stack.sql`update learners set email_suppressed_at = now(), email_suppressed_reason = 'hard_bounce' where id = ${learner.id}`;
  const sameCase = await ok<LearnerDto>('PATCH', `/api/learners/${learner.id}`, { email: 'New.Delivery@example.com' });
  assert.equal(sameCase.emailSuppression?.reason, 'hard_bounce', 'the same address in another case keeps its suppression');
});

test('a soft bounce is recorded but suppresses nothing; a complaint suppresses', async () => {
  const soft = await learnerAndCourse('soft.delivery@example.com');
  const { message } = await enrollAndMessage(soft.learner.id, soft.course.id);
  const bounced = await eventuallyMessage(soft.learner.id, message.id, 'the soft bounce', (m) => m.deliveryStatus === 'bounced');
  assert.match(bounced.deliveryEvents.at(-1)?.detail ?? '', /^Transient\/MailboxFull/);
  assert.equal((await ok<LearnerDto>('GET', `/api/learners/${soft.learner.id}`)).emailSuppression, null);
  const again = await enrollAndMessage(soft.learner.id, soft.course.id);
  assert.equal(again.message.status, 'sent');

  const spam = await learnerAndCourse('spam.delivery@example.com');
  const first = await enrollAndMessage(spam.learner.id, spam.course.id);
  await eventuallyMessage(spam.learner.id, first.message.id, 'the complaint', (m) => m.deliveryStatus === 'complained');
  assert.deepEqual((await messageOf(spam.learner.id, (m) => m.id === first.message.id)).deliveryEvents.map((e) => e.type), ['sent', 'delivered', 'complained']);
  assert.equal((await ok<LearnerDto>('GET', `/api/learners/${spam.learner.id}`)).emailSuppression?.reason, 'complaint');
  assert.equal((await enrollAndMessage(spam.learner.id, spam.course.id)).message.status, 'suppressed');
});

test('signed bodies that are not events answer clear errors and store nothing; other Resend types and unknown emails are acknowledged', async () => {
  const cases: { name: string; body: string; id?: string; status: number; code: string; message: RegExp }[] = [
    { name: 'not JSON', body: 'type=email.delivered', status: 400, code: 'invalid_json', message: /not JSON/ },
    { name: 'an empty body', body: '', status: 400, code: 'invalid_json', message: /not JSON/ },
    { name: 'a JSON array', body: '[]', status: 400, code: 'validation_failed', message: /^Invalid json/ },
    { name: 'no type', body: JSON.stringify({ created_at: new Date().toISOString(), data: { email_id: 'e' } }), status: 400, code: 'validation_failed', message: /json\.type/ },
    { name: 'no created_at', body: JSON.stringify({ type: 'email.delivered', data: { email_id: 'e' } }), status: 400, code: 'validation_failed', message: /json\.created_at/ },
    { name: 'a created_at that is no instant', body: JSON.stringify({ type: 'email.delivered', created_at: 'yesterday', data: { email_id: 'e' } }), status: 400, code: 'validation_failed', message: /json\.created_at/ },
    { name: 'no data.email_id', body: JSON.stringify({ type: 'email.delivered', created_at: new Date().toISOString(), data: {} }), status: 400, code: 'validation_failed', message: /json\.data\.email_id/ },
    { name: 'a bounce without its type', body: JSON.stringify(emailEvent('email.bounced', 'e', { bounce: { message: 'x' } })), status: 400, code: 'validation_failed', message: /json\.data\.bounce\.type/ },
    // Found by the fresh user's review: each was a 500 (PostgreSQL cannot store NUL or an unpaired surrogate).
    { name: 'a NUL in data.email_id', body: JSON.stringify(emailEvent('email.delivered', 'z\u0000z')), status: 400, code: 'validation_failed', message: /data\.email_id: must not contain NUL/ },
    { name: 'a NUL in a bounce message', body: JSON.stringify(emailEvent('email.bounced', 'e', { bounce: { type: 'Permanent', message: 'a\u0000b' } })), status: 400, code: 'validation_failed', message: /data\.bounce\.message: must not contain NUL/ },
    { name: 'an unpaired surrogate in a key', body: '{"type":"email.delivered","created_at":"2026-01-01T00:00:00Z","data":{"email_id":"e","\\ud800":1}}', status: 400, code: 'validation_failed', message: /unpaired surrogate/ },
    { name: 'an svix-id of 7,000 characters', body: JSON.stringify(emailEvent('email.delivered', 'e')), id: 'msg_'.padEnd(7000, 'x'), status: 400, code: 'validation_failed', message: /svix-id must be at most 200 characters/ },
  ];
  for (const c of cases) {
    const headers = stack.fakeResend.signWebhook(c.body, c.id ? { id: c.id } : {});
    const res = await postRaw(c.body, headers);
    assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body)}`);
    const err = (res.body as ErrorAnswer).error;
    assert.equal(err.code, c.code, c.name);
    assert.match(err.message, c.message, c.name);
    assert.equal(await receipts(headers['svix-id']!), 0, `${c.name}: nothing stored`);
  }

  const opened = await stack.fakeResend.postWebhook(emailEvent('email.opened', 'whatever'), { url: webhookUrl() });
  assert.deepEqual([opened.status, JSON.parse(opened.body)], [200, { received: true, outcome: 'ignored' }]);
  // A type Resend adds later is acknowledged too: a 4xx would make Resend retry it and in the end disable the endpoint.
  const newType = await stack.fakeResend.postWebhook(emailEvent('email.exploded', 'whatever'), { url: webhookUrl() });
  assert.deepEqual([newType.status, JSON.parse(newType.body)], [200, { received: true, outcome: 'ignored' }]);
  const unknown = await stack.fakeResend.postWebhook(emailEvent('email.delivered', `unknown-${randomUUID()}`), { url: webhookUrl() });
  assert.deepEqual([unknown.status, JSON.parse(unknown.body)], [200, { received: true, outcome: 'unmatched' }]);

  // The bearer token is neither needed nor a substitute for the signature.
  const body = JSON.stringify(emailEvent('email.delivered', 'e'));
  const withToken = await postRaw(body, { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` });
  assert.equal(withToken.status, 401);
});

test('an event that arrives before its send is recorded is applied when the send is', async () => {
  const { learner, course } = await learnerAndCourse('early.delivery@example.com');
  const { message } = await enrollAndMessage(learner.id, course.id);
  await eventuallyMessage(learner.id, message.id, 'delivered', (m) => m.deliveryStatus === 'delivered');
  // A message whose provider id Resend's event names before the mailer recorded it.
  const emailId = `early-${randomUUID()}`;
  const early = await stack.fakeResend.postWebhook(emailEvent('email.bounced', emailId, { bounce: { type: 'Permanent', subType: 'General', message: 'gone' } }), { url: webhookUrl() });
  assert.equal((JSON.parse(early.body) as { outcome: string }).outcome, 'unmatched');
  const [row] = await stack.sql<{ id: string }[]>`
    insert into messages (kind, learner_id, to_address, from_address, subject, body, provider, provider_message_id, status, idempotency_key, sent_at)
    values ('course_enrollment', ${learner.id}, ${learner.email}, 'x@example.com', 's', 'b', 'resend', ${emailId}, 'sent', ${`early:${emailId}`}, now())
    returning id`;
  assert.equal(await applyUnmatchedDeliveryEvents(stack.sql, [{ id: row!.id, providerMessageId: emailId }]), 1);
  assert.equal(await applyUnmatchedDeliveryEvents(stack.sql, [{ id: row!.id, providerMessageId: emailId }]), 0, 'applied once');
  const applied = await messageOf(learner.id, (m) => m.id === row!.id);
  assert.equal(applied.deliveryStatus, 'bounced');
  assert.equal((await ok<LearnerDto>('GET', `/api/learners/${learner.id}`)).emailSuppression?.reason, 'hard_bounce');
});

test("the log provider records sent and delivered through the webhook's domain function", async () => {
  const { learner } = await learnerAndCourse('log.delivery@example.com');
  const silent = stack.log;
  const provider = new LogProvider(silent);
  const mailer = createMailer({ sql: stack.sql, provider, requestsPerSecond: 100, batchSize: 10, lingerMs: 5, log: silent, afterSent: afterSentFor(provider, stack.sql) });
  try {
    const result = await mailer.deliver({
      kind: 'course_enrollment',
      learnerId: learner.id,
      awardId: null,
      attemptId: null,
      to: learner.email,
      from: 'x@example.com',
      subject: 'Logged',
      html: '<p>hi</p>',
      idempotencyKey: `log-test:${randomUUID()}`,
    });
    assert.equal(result.status, 'sent');
    const listed = await messageOf(learner.id, (m) => m.id === result.message.id);
    assert.equal(listed.deliveryStatus, 'delivered');
    assert.deepEqual(listed.deliveryEvents.map((e) => e.type), ['sent', 'delivered']);
  } finally {
    await mailer.close();
  }
});

test('without RESEND_WEBHOOK_SECRET the endpoint answers 503 and says what to set', async () => {
  const app = createApp({ config: { ...stack.config, email: { ...stack.config.email, resendWebhookSecret: undefined } }, sql: stack.sql, client: stack.client, log: stack.log });
  const body = JSON.stringify(emailEvent('email.delivered', 'e'));
  const res = await app.request('/webhooks/resend', { method: 'POST', headers: stack.fakeResend.signWebhook(body), body });
  assert.equal(res.status, 503);
  const err = ((await res.json()) as ErrorAnswer).error;
  assert.equal(err.code, 'webhook_not_configured');
  assert.match(err.message, /RESEND_WEBHOOK_SECRET is not set/);
});

browserTest('the mailbox in Chromium shows each message\'s delivery status from the events of the tests above (the README screenshot)', async () => {
  const admin = await launchAdminBrowser(stack);
  if (!admin) return;
  try {
    const { page } = admin;
    await page.goto(`${stack.api}/admin/mailbox`);
    const statuses = await page.$$eval('td.delivery', (tds) => tds.map((td) => td.getAttribute('data-delivery-status')));
    assert.ok(statuses.includes('delivered'), `a delivered message is listed: ${statuses.join(',')}`);
    assert.ok(statuses.includes('bounced'), `a bounced message is listed: ${statuses.join(',')}`);
    const shown = await page.locator('td.delivery[data-delivery-status="delivered"]').first().innerText();
    assert.match(shown, /delivered/i, 'the status is written out, not only carried as data');
    await screenshot(page, 'mailbox.png');
  } finally {
    await admin.browser.close();
  }
});

test("an erasure redacts the learner's delivery details (a bounce's text quotes the address and name), and a later event stores none", async () => {
  const email = 'grace.erase@example.com';
  const { learner, course } = await learnerAndCourse(email);
  const { message } = await enrollAndMessage(learner.id, course.id);
  await eventuallyMessage(learner.id, message.id, 'delivered', (m) => m.deliveryStatus === 'delivered');
  const quoting = `550 5.2.2 <${email}> ${learner.name} mailbox full`;
  const bounce = (): FakeWebhookEvent => emailEvent('email.bounced', message.providerMessageId!, { bounce: { type: 'Transient', subType: 'MailboxFull', message: quoting } });
  assert.equal((await stack.fakeResend.postWebhook(bounce(), { url: webhookUrl() })).status, 200);
  const before = await messageOf(learner.id, (m) => m.id === message.id);
  assert.ok(before.deliveryEvents.some((e) => e.detail?.includes(email)), 'the bounce text is kept while the learner is not erased');

  await ok('POST', `/api/learners/${learner.id}/erase`, { confirm: email }, 200);
  assert.equal((await stack.fakeResend.postWebhook(bounce(), { url: webhookUrl() })).status, 200, 'a later event about the message is still taken');
  const after = await messageOf(learner.id, (m) => m.id === message.id);
  assert.equal(after.deliveryEvents.filter((e) => e.type === 'bounced').length, 2);
  const personal = (text: string | null): boolean => !!text && (text.toLowerCase().includes(email) || text.includes(learner.name));
  assert.ok(personal(quoting), 'the check below can fail');
  for (const e of after.deliveryEvents) assert.ok(!personal(e.detail), `no personal data in the timeline: ${e.detail}`);
  const stored = await stack.sql<{ detail: string | null }[]>`select detail from resend_webhook_events where email_id = ${message.providerMessageId}`;
  assert.ok(stored.length >= 3, 'sent, delivered and two bounces were received');
  for (const r of stored) assert.ok(!personal(r.detail), `no personal data in the receipts: ${r.detail}`);
  const page = await (await fetch(`${stack.api}/admin/mailbox/${message.id}`, { headers: { cookie: await adminCookie() } })).text();
  assert.doesNotMatch(page, /grace\.erase/, 'nor on the admin page');
});
