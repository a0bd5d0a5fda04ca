/**
 * The email subsystem against a real PostgreSQL and a fake Resend HTTP server: exactly-once delivery,
 * the batch ledger's crash recovery, failure classification, rate limits and bursts, the log provider,
 * and the send-message activity.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from './support/stack/database.ts';
import { startFakeResend, type FakeResend, type FakeResendOptions } from './support/fake-resend.ts';
import { createMailer, toOutboundEmail, type Mailer, type MailerOptions, type MessageDraft } from '../activities/mail/mailer.ts';
import { LogProvider, ResendProvider, RetryableSendError, type MailProvider } from '../activities/mail/providers.ts';
import { createMailerFromConfig } from '../activities/mail/index.ts';
import { createMessageActivities } from '../activities/messages.ts';
import * as q from '../db/queries/messages.ts';
import { defaultSettings } from '../domain/settings.ts';
import type { Sql } from '../db/client.ts';
import type { MessageRow } from '../db/rows.ts';
import type { SendMessageInput, SendMessageResult } from '../activities/types.ts';
import { workerRegistry } from '../config/metrics.ts';

const silent = pino({ level: 'silent' });
const FROM = 'Recertify <recertify@example.com>';
const APP = 'https://lms.example.com';

let db: TestDatabase;
let sql: Sql;
let learnerId: string;

before(async () => {
  db = await createTestDatabase('mail');
  sql = db.sql;
  const [learner] = await sql<{ id: string }[]>`insert into learners (email, name) values ('ada@example.com', 'Ada') returning id`;
  learnerId = learner!.id;
});
after(async () => {
  await db.drop();
});

function draft(key: string, over: Partial<MessageDraft> = {}): MessageDraft {
  return {
    kind: 'certificate_expiring',
    learnerId,
    awardId: null,
    attemptId: null,
    to: 'ada@example.com',
    from: FROM,
    subject: `Subject ${key}`,
    html: `<p>Body ${key}</p>`,
    idempotencyKey: key,
    ...over,
  };
}

const key = (label: string): string => `test:${label}:${randomUUID()}`;

/**
 * A linger longer than any test here runs: a batch then leaves only when it is full (or the mailer
 * closes), so which messages share a request never depends on how fast the machine inserts them.
 * Tests that expect N concurrent deliveries in one request give the mailer `batchSize: N`.
 */
const LINGER_FOREVER_MS = 10 * 60_000;

/**
 * A provider that holds every request until `n` of them are waiting, then lets them all go at once
 * (and every later request straight through): the requests reach the provider together, however
 * slowly the machine produced them.
 */
function releasedTogether(inner: MailProvider, n: number): MailProvider & { released(): boolean } {
  let waiting = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let isOpen = false;
  const hold = async (): Promise<void> => {
    if (isOpen) return;
    if (++waiting >= n) {
      isOpen = true;
      open();
    }
    await gate;
  };
  return {
    name: inner.name,
    released: () => isOpen,
    async send(email, opts) {
      await hold();
      return await inner.send(email, opts);
    },
    async sendBatch(emails, opts) {
      await hold();
      return await inner.sendBatch(emails, opts);
    },
  };
}

interface Rig {
  fake: FakeResend;
  mailer: Mailer;
  newMailer(over?: Partial<MailerOptions>): Mailer;
}

/** A fake Resend and a mailer talking to it; both torn down after `fn`. */
async function withRig(
  opts: { fake?: FakeResendOptions; mailer?: Partial<MailerOptions> },
  fn: (rig: Rig) => Promise<void>,
): Promise<void> {
  const fake = await startFakeResend(opts.fake);
  const mailers: Mailer[] = [];
  const newMailer = (over: Partial<MailerOptions> = {}): Mailer => {
    const m = createMailer({
      sql,
      provider: new ResendProvider({ apiKey: fake.apiKey, baseUrl: fake.url }),
      requestsPerSecond: 50,
      batchSize: 100,
      lingerMs: 30,
      log: silent,
      ...opts.mailer,
      ...over,
    });
    mailers.push(m);
    return m;
  };
  try {
    await fn({ fake, mailer: newMailer(), newMailer });
  } finally {
    for (const m of mailers) await m.close();
    await fake.stop();
  }
}

/** The value of a metric of the worker's registry (config/metrics.ts) with `labels`; 0 when it has no such series. */
async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = workerRegistry.getSingleMetric(name);
  assert.ok(metric, `metric ${name} is defined`);
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

async function messageByKey(k: string): Promise<MessageRow> {
  const row = await q.getMessageByKey(sql, k);
  assert.ok(row, `message ${k} exists`);
  return row;
}

/** What a Temporal retry does: call again after a retryable failure (honouring retry-after). */
async function deliverWithRetries(mailer: Mailer, d: MessageDraft, attempts = 20): Promise<Awaited<ReturnType<Mailer['deliver']>>> {
  for (let i = 1; ; i++) {
    try {
      return await mailer.deliver(d);
    } catch (err) {
      if (!(err instanceof RetryableSendError) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 100));
    }
  }
}

describe('mailer', () => {
  test('one send: one email, one sent row with the provider id', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      const k = key('one');
      const result = await mailer.deliver(draft(k));
      assert.equal(result.status, 'sent');
      assert.equal(result.created, true);
      const sent = fake.sent();
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.to, ['ada@example.com']);
      assert.equal(sent[0]!.subject, `Subject ${k}`);
      assert.equal(sent[0]!.html, `<p>Body ${k}</p>`);
      assert.equal(sent[0]!.from, FROM);
      // A batch of one goes to /emails with the message's own idempotency key.
      assert.deepEqual(fake.requestLog().map((r) => [r.endpoint, r.idempotencyKey]), [['emails', k]]);
      const row = await messageByKey(k);
      assert.equal(row.status, 'sent');
      assert.equal(row.provider, 'resend');
      assert.equal(row.providerMessageId, sent[0]!.id);
      assert.equal(row.sendAttempts, 1);
      assert.ok(row.sentAt);
      assert.ok(row.batchId);
      const batch = await q.getBatch(sql, row.batchId);
      assert.equal(batch?.status, 'sent');
      assert.deepEqual(batch?.messageIds, [row.id]);
    });
  });

  test('the same idempotency key delivered twice (in turn and at once) sends one email', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      const k1 = key('twice');
      const first = await mailer.deliver(draft(k1));
      const second = await mailer.deliver(draft(k1, { subject: 'a re-rendered subject' }));
      assert.equal(second.status, 'sent');
      assert.equal(second.created, false);
      assert.equal(second.message.id, first.message.id);
      assert.equal(second.message.subject, `Subject ${k1}`, 'the first recorded draft wins');

      const k2 = key('concurrent');
      const results = await Promise.all([mailer.deliver(draft(k2)), mailer.deliver(draft(k2)), mailer.deliver(draft(k2))]);
      assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
      assert.ok(results.every((r) => r.status === 'sent'));

      assert.equal(fake.sent().length, 2, 'one email per key');
      const [count] = await sql<{ n: number }[]>`select count(*)::int as n from messages where idempotency_key in (${k1}, ${k2})`;
      assert.equal(count!.n, 2);
    });
  });

  test('concurrent deliveries are coalesced into one batch request (permissive validation)', async () => {
    // The batch waits until all five joined it, then leaves at once (were it to linger instead, the
    // test would time out first).
    await withRig({ mailer: { lingerMs: LINGER_FOREVER_MS, batchSize: 5 } }, async ({ fake, mailer }) => {
      const keys = Array.from({ length: 5 }, (_, i) => key(`coalesce-${i}`));
      const results = await Promise.all(keys.map((k) => mailer.deliver(draft(k))));
      assert.ok(results.every((r) => r.status === 'sent'));
      const log = fake.requestLog();
      assert.equal(log.length, 1);
      assert.equal(log[0]!.endpoint, 'batch');
      assert.equal(log[0]!.size, 5);
      assert.equal(log[0]!.batchValidation, 'permissive');
      const rows = await Promise.all(keys.map(messageByKey));
      assert.equal(new Set(rows.map((r) => r.batchId)).size, 1, 'one ledger row for the request');
      const batch = await q.getBatch(sql, rows[0]!.batchId!);
      assert.equal(log[0]!.idempotencyKey, batch!.idempotencyKey);
      // Each row holds the id of its own email.
      const idBySubject = new Map(fake.sent().map((e) => [e.subject, e.id]));
      for (const r of rows) assert.equal(r.providerMessageId, idBySubject.get(r.subject));
    });
  });

  test('crash after the batch request reached the provider: the retry re-sends the stored batch and the provider answers from idempotency', async () => {
    await withRig({}, async ({ fake, newMailer }) => {
      // The dead process: it wrote the ledger, sent the request, and died before recording the answer.
      const keys = [key('crash-a'), key('crash-b'), key('crash-c')];
      const rows = [];
      for (const k of keys) rows.push((await q.insertOrGetMessage(sql, { ...toNew(draft(k)), provider: 'resend' })).message);
      const batchId = randomUUID();
      const claimed = await q.claimBatch(sql, { batchId, idempotencyKey: `batch:${batchId}`, messageIds: rows.map((r) => r.id), provider: 'resend' });
      assert.ok(claimed);
      const provider = new ResendProvider({ apiKey: fake.apiKey, baseUrl: fake.url });
      const before = await provider.sendBatch(claimed.messages.map(toOutboundEmail), { idempotencyKey: claimed.batch.idempotencyKey });
      assert.equal(fake.sent().length, 3);
      for (const k of keys) assert.equal((await messageByKey(k)).status, 'sending');

      // The retried activity, in a fresh process, delivers one of the three.
      const mailer = newMailer();
      const result = await mailer.deliver(draft(keys[1]!));
      assert.equal(result.status, 'sent');
      assert.equal(fake.sent().length, 3, 'still exactly one email per message');
      const log = fake.requestLog();
      assert.equal(log.length, 2);
      assert.equal(log[1]!.idempotencyKey, claimed.batch.idempotencyKey, 'same key');
      assert.equal(log[1]!.replayed, true, 'answered from idempotency (same payloads, same order)');
      // Every row of the batch is recorded, with the ids of the first (and only) send.
      const after = await Promise.all(keys.map(messageByKey));
      assert.deepEqual(
        after.map((r) => [r.status, r.providerMessageId, r.sendAttempts]),
        before.map((o) => ['sent', o.ok ? o.id : null, 2]),
      );
      // The other two activities retry too: nothing left to send.
      await Promise.all([mailer.deliver(draft(keys[0]!)), mailer.deliver(draft(keys[2]!))]);
      assert.equal(fake.requestLog().length, 2);
      assert.equal((await q.getBatch(sql, batchId))?.status, 'sent');
    });
  });

  test('two processes delivering the same message at once send it once', async () => {
    await withRig({ fake: { latencyMs: 50 } }, async ({ fake, mailer, newMailer }) => {
      const other = newMailer();
      const k = key('two-processes');
      const [a, b] = await Promise.all([deliverWithRetries(mailer, draft(k)), deliverWithRetries(other, draft(k))]);
      assert.equal(a.status, 'sent');
      assert.equal(b.status, 'sent');
      assert.equal(a.message.providerMessageId, b.message.providerMessageId);
      assert.equal(fake.sent().length, 1);
      const [n] = await sql<{ n: number }[]>`select count(*)::int as n from email_batches where ${(await messageByKey(k)).id}::uuid = any(message_ids)`;
      assert.equal(n!.n, 1, 'one process claimed it');
    });
  });

  test('crash after the ledger was written but before the request: the retry sends the batch once', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      const k = key('crash-before');
      const { message } = await q.insertOrGetMessage(sql, { ...toNew(draft(k)), provider: 'resend' });
      const batchId = randomUUID();
      await q.claimBatch(sql, { batchId, idempotencyKey: `batch:${batchId}`, messageIds: [message.id], provider: 'resend' });
      const result = await mailer.deliver(draft(k));
      assert.equal(result.status, 'sent');
      assert.equal(result.message.batchId, batchId, 'sent in the stored batch, not a new one');
      assert.equal(fake.sent().length, 1);
      assert.deepEqual(fake.requestLog().map((r) => [r.endpoint, r.idempotencyKey]), [['emails', k]], 'a batch of one uses the message key');
    });
  });

  test('a lost response (network) is retried with the same request: one email', async () => {
    await withRig({ mailer: { lingerMs: LINGER_FOREVER_MS, batchSize: 2 } }, async ({ fake, mailer }) => {
      fake.failNext(1, 'lose-response');
      const keys = [key('lost-a'), key('lost-b')];
      const first = await Promise.allSettled(keys.map((k) => mailer.deliver(draft(k))));
      for (const r of first) assert.ok(r.status === 'rejected' && r.reason instanceof RetryableSendError, 'thrown as retryable');
      assert.equal(fake.sent().length, 2, 'the provider did send');
      const rows = await Promise.all(keys.map(messageByKey));
      assert.ok(rows.every((r) => r.status === 'sending' && r.batchId === rows[0]!.batchId));
      const again = await Promise.all(keys.map((k) => mailer.deliver(draft(k))));
      assert.ok(again.every((r) => r.status === 'sent'));
      assert.equal(fake.sent().length, 2, 'no second email');
      assert.equal(fake.requestLog().length, 2, 'the two retries shared one re-send');
      assert.equal(fake.requestLog()[1]!.replayed, true);
    });
  });

  test('a 422 from the provider is recorded failed with the reason, not thrown, not retried', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      fake.failNext(1, 422, { message: 'Invalid `to` field.' });
      const k = key('422');
      const result = await mailer.deliver(draft(k));
      assert.equal(result.status, 'failed');
      const row = await messageByKey(k);
      assert.equal(row.status, 'failed');
      assert.match(row.error ?? '', /422 validation_error: Invalid `to` field/);
      assert.equal(fake.sent().length, 0);
      // A repeated delivery returns the recorded failure without a request.
      assert.equal((await mailer.deliver(draft(k))).status, 'failed');
      assert.equal(fake.requestLog().length, 1);
    });
  });

  test('in a batch, a rejected recipient fails alone', async () => {
    const rejectRecipient = (to: string): string | null => (to.endsWith('@reject.test') ? 'The recipient was rejected.' : null);
    await withRig({ fake: { rejectRecipient }, mailer: { lingerMs: LINGER_FOREVER_MS, batchSize: 3 } }, async ({ fake, mailer }) => {
      const ks = [key('p-0'), key('p-1'), key('p-2')];
      const results = await Promise.all([
        mailer.deliver(draft(ks[0]!)),
        mailer.deliver(draft(ks[1]!, { to: 'bounce@reject.test' })),
        mailer.deliver(draft(ks[2]!)),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['sent', 'failed', 'sent']);
      assert.equal(fake.requestLog().length, 1);
      assert.equal(fake.sent().length, 2);
      const failed = await messageByKey(ks[1]!);
      assert.match(failed.error ?? '', /recipient was rejected/);
      assert.equal(failed.providerMessageId, null);
      const ok = await messageByKey(ks[2]!);
      assert.equal(ok.providerMessageId, fake.sent().find((e) => e.subject === ok.subject)?.id, 'ids map past the rejected index');
    });
  });

  test('an invalid address fails without calling the provider', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      const k = key('bad-address');
      const result = await mailer.deliver(draft(k, { to: 'not an address' }));
      assert.equal(result.status, 'failed');
      assert.match(result.message.error ?? '', /invalid recipient address/);
      assert.equal(result.message.batchId, null);
      assert.equal(fake.requestLog().length, 0);
    });
  });

  test('a 500 is thrown as retryable; the retry sends one email with the same key', async () => {
    await withRig({}, async ({ fake, mailer }) => {
      fake.failNext(1, 500);
      const k = key('500');
      await assert.rejects(mailer.deliver(draft(k)), (err: unknown) => err instanceof RetryableSendError && err.statusCode === 500);
      const mid = await messageByKey(k);
      assert.equal(mid.status, 'sending');
      assert.match(mid.error ?? '', /500/);
      const result = await mailer.deliver(draft(k));
      assert.equal(result.status, 'sent');
      assert.equal(result.message.error, null);
      assert.equal(fake.sent().length, 1);
      assert.deepEqual(fake.requestLog().map((r) => [r.status, r.idempotencyKey]), [[500, k], [200, k]]);
    });
  });

  test('a 429 pauses the mailer for retry-after (and is counted in its metrics)', async () => {
    const RETRY_AFTER_S = 1;
    const rateLimited = { provider: 'resend', outcome: 'rate_limited' };
    const answered = { provider: 'resend', outcome: 'answered' };
    const sent = { kind: 'certificate_expiring', outcome: 'sent' };
    const before = {
      rateLimited: await metricValue('recertify_mailer_provider_requests_total', rateLimited),
      answered: await metricValue('recertify_mailer_provider_requests_total', answered),
      sent: await metricValue('recertify_messages_total', sent),
    };
    await withRig({}, async ({ fake, mailer }) => {
      fake.failNext(1, 429, { retryAfterSeconds: RETRY_AFTER_S });
      const k = key('429');
      await assert.rejects(mailer.deliver(draft(k)), (err: unknown) => err instanceof RetryableSendError && err.statusCode === 429 && err.retryAfterMs === 1000);
      assert.equal(await metricValue('recertify_mailer_provider_requests_total', rateLimited), before.rateLimited + 1, 'the 429 counted');
      // Retried at once (as an impatient caller would): the request still waits out retry-after.
      const other = mailer.deliver(draft(key('429-other')));
      const retried = mailer.deliver(draft(k));
      // Both wait out the pause in batch requests claimed and not yet answered.
      const deadline = Date.now() + RETRY_AFTER_S * 1000;
      let inFlight = 0;
      while (inFlight === 0 && Date.now() < deadline) {
        inFlight = await metricValue('recertify_mailer_requests_in_flight');
        if (inFlight === 0) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(inFlight >= 1, 'requests in flight during the pause');
      const result = await retried;
      assert.equal(result.status, 'sent');
      assert.equal((await other).status, 'sent');
      assert.equal(await metricValue('recertify_mailer_requests_in_flight'), 0);
      assert.equal(await metricValue('recertify_mailer_queue_depth'), 0);
      assert.equal(await metricValue('recertify_mailer_provider_requests_total', answered), before.answered + 2, 'two answered requests after the pause');
      assert.equal(await metricValue('recertify_messages_total', sent), before.sent + 2, 'each message counted sent once');
      const log = fake.requestLog();
      assert.equal(log[0]!.status, 429);
      // The pause starts when the mailer reads the 429, after it arrived here (one clock: one process).
      for (const later of log.slice(1)) {
        assert.ok(later.at - log[0]!.at >= RETRY_AFTER_S * 1000, `request ${Math.round(later.at - log[0]!.at)} ms after the 429 (retry-after ${RETRY_AFTER_S} s)`);
      }
      assert.equal(fake.sent().length, 2);
    });
  });

  test('a burst of 1,000 deliveries: each sent once, never more than 5 requests a second, in full batches of 100', async () => {
    // Batches leave only when full, so 1,000 messages make exactly 10 requests however slowly they
    // arrive. The mailer keeps its sliding window 1 s + a margin against the delay between its start
    // of a request and the provider's count of it; provider and mailer share one busy process here,
    // so the margin is wider than production's 50 ms.
    const mailerOpts = { requestsPerSecond: 5, batchSize: 100, lingerMs: LINGER_FOREVER_MS, rateWindowMarginMs: 500 };
    await withRig({ fake: { rateLimit: 5 }, mailer: mailerOpts }, async ({ fake, mailer }) => {
      const keys = Array.from({ length: 1000 }, (_, i) => key(`burst-${i}`));
      const started = Date.now();
      const results = await Promise.all(keys.map((k, i) => mailer.deliver(draft(k, { to: `learner-${i}@example.com` }))));
      const elapsed = Date.now() - started;
      assert.ok(results.every((r) => r.status === 'sent'));
      const sent = fake.sent();
      assert.equal(sent.length, 1000);
      assert.equal(new Set(sent.map((e) => e.to[0])).size, 1000, 'every recipient exactly once');
      const counts = fake.requests();
      assert.equal(counts.rateLimited, 0, 'never rate limited');
      assert.ok(fake.maxRequestsInAnySecond() <= 5, `max ${fake.maxRequestsInAnySecond()} requests in a second`);
      assert.equal(counts.total, Math.ceil(1000 / mailerOpts.batchSize), `${counts.total} requests`);
      assert.ok(fake.requestLog().every((r) => r.size === mailerOpts.batchSize), 'every request a full batch');
      const [row] = await sql<{ sent: number; ids: number }[]>`
        select count(*) filter (where status = 'sent')::int as sent, count(distinct provider_message_id)::int as ids
        from messages where idempotency_key like 'test:burst-%'`;
      assert.deepEqual(row, { sent: 1000, ids: 1000 });
      console.log(`[burst] 1000 messages in ${counts.total} requests, ${elapsed} ms`);
    });
  });

  test('a mailer faster than the provider allows: 429s pause it and retries still send each message once', async () => {
    const PROVIDER_LIMIT = 5;
    await withRig({ fake: { rateLimit: PROVIDER_LIMIT } }, async ({ fake, newMailer }) => {
      // The mailer allows itself 20 requests a second; its first 2 × PROVIDER_LIMIT requests reach the
      // provider together, so the provider must push back, on a fast machine or a slow one.
      const provider = releasedTogether(new ResendProvider({ apiKey: fake.apiKey, baseUrl: fake.url }), 2 * PROVIDER_LIMIT);
      const mailer = newMailer({ provider, requestsPerSecond: 20, batchSize: 10, lingerMs: 20 });
      const keys = Array.from({ length: 200 }, (_, i) => key(`fast-${i}`));
      const results = await Promise.all(keys.map((k, i) => deliverWithRetries(mailer, draft(k, { to: `fast-${i}@example.com` }))));
      assert.ok(results.every((r) => r.status === 'sent'));
      assert.ok(provider.released(), 'the held requests were released together');
      assert.ok(fake.requests().rateLimited > 0, 'the provider did push back');
      assert.equal(fake.sent().length, 200);
      assert.equal(new Set(fake.sent().map((e) => e.to[0])).size, 200);
    });
  });

  test('the log provider records `log` rows without HTTP', async () => {
    const fake = await startFakeResend();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }));
    const mailer = createMailerFromConfig(
      { resendApiKey: undefined, resendBaseUrl: fake.url, from: FROM, requestsPerSecond: 4, batchSize: 100 },
      sql,
      log,
    );
    try {
      assert.ok(mailer.provider instanceof LogProvider);
      const ks = [key('log-a'), key('log-b')];
      const results = await Promise.all(ks.map((k) => mailer.deliver(draft(k))));
      assert.ok(results.every((r) => r.status === 'sent'));
      for (const k of ks) {
        const row = await messageByKey(k);
        assert.equal(row.provider, 'log');
        assert.match(row.providerMessageId ?? '', /^log-[0-9a-f-]{36}$/);
        const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.subject === `Subject ${k}`);
        assert.ok(line, 'one structured line per message');
        assert.equal(line.provider, 'log');
        assert.equal(line.id, row.providerMessageId);
        assert.equal(line.to, 'ada@example.com');
      }
      assert.equal(mailer.provider.sent.length, 2);
      assert.equal(fake.requestLog().length, 0, 'no HTTP');
    } finally {
      await mailer.close();
      await fake.stop();
    }
  });
});

function toNew(d: MessageDraft): Omit<q.NewMessage, 'provider'> {
  return {
    kind: d.kind,
    learnerId: d.learnerId,
    awardId: d.awardId,
    attemptId: d.attemptId,
    toAddress: d.to,
    fromAddress: d.from,
    subject: d.subject,
    body: d.html,
    idempotencyKey: d.idempotencyKey,
  };
}

// ---------------------------------------------------------------------------------------------

interface World {
  learner: { id: string; email: string };
  courseId: string;
  certificateId: string;
  awardId: string;
  attemptId: string;
}

/** A learner with an active expiring award and its recertification attempt. */
async function world(over: { learnerName?: string; enrollmentMessage?: { subject: string; body: string } | null } = {}): Promise<World> {
  const email = `w-${randomUUID().slice(0, 8)}@example.com`;
  const [learner] = await sql<{ id: string }[]>`insert into learners (email, name) values (${email}, ${over.learnerName ?? 'Grace Hopper'}) returning id`;
  const enrollment = over.enrollmentMessage === undefined ? null : over.enrollmentMessage;
  const [course] = await sql<{ id: string }[]>`
    insert into courses (title, status, enrollment_message)
    values ('Forklift Refresher', 'live', ${enrollment ? sql.json(enrollment) : null}) returning id`;
  const settings = defaultSettings();
  settings.expiration.enabled = true;
  settings.recertification = { enabled: true, courseId: course!.id, leadDays: 30, reminderDaysBeforeExpiry: [7] };
  const [cert] = await sql<{ id: string }[]>`insert into certificates (title, settings) values ('Forklift Operator', ${sql.json(settings as never)}) returning id`;
  const [award] = await sql<{ id: string }[]>`
    insert into awards (certificate_id, learner_id, awarded_at, expires_at)
    values (${cert!.id}, ${learner!.id}, '2025-03-05T12:00:00Z', '2026-03-05T12:00:00Z') returning id`;
  const [attempt] = await sql<{ id: string }[]>`
    insert into course_attempts (course_id, learner_id, source, award_id) values (${course!.id}, ${learner!.id}, 'recertification', ${award!.id}) returning id`;
  return { learner: { id: learner!.id, email }, courseId: course!.id, certificateId: cert!.id, awardId: award!.id, attemptId: attempt!.id };
}

describe('sendMessage activity', () => {
  let fake: FakeResend;
  let mailer: Mailer;
  let activities: ReturnType<typeof createMessageActivities>;
  before(async () => {
    fake = await startFakeResend();
    mailer = createMailer({ sql, provider: new ResendProvider({ apiKey: fake.apiKey, baseUrl: fake.url }), requestsPerSecond: 50, batchSize: 100, lingerMs: 20, log: silent });
    activities = createMessageActivities({ sql, mailer, appBaseUrl: APP, from: FROM, log: silent });
  });
  after(async () => {
    await mailer.close();
    await fake.stop();
  });

  test('the expiring notice names certificate, expiry and course link, once per award', async () => {
    const w = await world();
    const before = fake.sent().length;
    const r1 = await activities.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    const r2 = await activities.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    assert.equal(r1.status, 'sent');
    assert.equal(r2.messageId, r1.messageId);
    const emails = fake.sent().slice(before);
    assert.equal(emails.length, 1);
    const email = emails[0]!;
    assert.deepEqual(email.to, [w.learner.email]);
    // The expiry as date, time and zone (issue 18 §7); the award expires 2026-03-05T12:00:00Z.
    assert.equal(email.subject, 'Your certificate "Forklift Operator" expires on 5 March 2026, 12:00 (UTC)');
    assert.ok(email.html.includes(`href="${APP}/courses/${w.courseId}"`));
    const row = await messageByKey(`award:${w.awardId}:certificate_expiring`);
    assert.equal(row.id, r1.messageId);
    assert.equal(row.attemptId, w.attemptId);
    assert.equal(row.learnerId, w.learner.id);
  });

  test('a manual enrollment (no award) sends the course message with escaped values', async () => {
    const w = await world({ learnerName: '<script>alert(1)</script>', enrollmentMessage: { subject: 'Welcome to {{course.title}}', body: '<p>Hi {{learner.name}}, start at {{course.url}}</p>' } });
    await sql`update course_attempts set status = 'superseded', superseded_at = now() where id = ${w.attemptId}`;
    const [manual] = await sql<{ id: string }[]>`
      insert into course_attempts (course_id, learner_id, source) values (${w.courseId}, ${w.learner.id}, 'manual') returning id`;
    const r = await activities.sendMessage({ kind: 'course_enrollment', awardId: null, attemptId: manual!.id });
    assert.equal(r.status, 'sent');
    const row = await messageByKey(`attempt:${manual!.id}:course_enrollment`);
    assert.equal(row.subject, 'Welcome to Forklift Refresher');
    assert.equal(row.awardId, null);
    assert.ok(!row.body.includes('<script>'));
    assert.ok(row.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(row.body.includes(`${APP}/courses/${w.courseId}`));
  });

  test('nothing to send is skipped: no enrollment message, completed course, inactive award', async () => {
    const w = await world();
    const noMessage = await activities.sendMessage({ kind: 'course_enrollment', awardId: w.awardId, attemptId: w.attemptId });
    assert.deepEqual(noMessage, { status: 'skipped', messageId: null, reason: 'the course has no enrollment message' });

    await sql`update course_attempts set status = 'completed', progress = 100, completed_at = now() where id = ${w.attemptId}`;
    const done = await activities.sendMessage({ kind: 'recertification_reminder', awardId: w.awardId, attemptId: w.attemptId, reminderDaysBeforeExpiry: 7 });
    assert.equal(done.status, 'skipped');
    assert.match(done.reason ?? '', /completed/);

    const w2 = await world();
    await sql`update awards set status = 'revoked', revoked_reason = 'test' where id = ${w2.awardId}`;
    const revoked = await activities.sendMessage({ kind: 'recertification_reminder', awardId: w2.awardId, attemptId: w2.attemptId, reminderDaysBeforeExpiry: 7 });
    assert.equal(revoked.status, 'skipped');
    assert.match(revoked.reason ?? '', /revoked/);

    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from messages where award_id in (${w.awardId}, ${w2.awardId})`;
    assert.equal(n!.n, 0, 'skips record nothing');
  });

  test('reminders are keyed per day; the expired notice once the award expired', async () => {
    const w = await world();
    const seven = await activities.sendMessage({ kind: 'recertification_reminder', awardId: w.awardId, attemptId: w.attemptId, reminderDaysBeforeExpiry: 7 });
    const one = await activities.sendMessage({ kind: 'recertification_reminder', awardId: w.awardId, attemptId: w.attemptId, reminderDaysBeforeExpiry: 1 });
    assert.equal(seven.status, 'sent');
    assert.notEqual(seven.messageId, one.messageId);
    assert.match((await messageByKey(`award:${w.awardId}:recertification_reminder:7`)).subject, /expires in 7 days/);
    assert.match((await messageByKey(`award:${w.awardId}:recertification_reminder:1`)).subject, /expires in 1 day$/);

    const early = await activities.sendMessage({ kind: 'certificate_expired', awardId: w.awardId });
    assert.equal(early.status, 'skipped', 'not expired yet');
    await sql`update awards set status = 'expired' where id = ${w.awardId}`;
    const expired = await activities.sendMessage({ kind: 'certificate_expired', awardId: w.awardId });
    assert.equal(expired.status, 'sent');
    assert.match((await messageByKey(`award:${w.awardId}:certificate_expired`)).subject, /has expired/);
  });

  test('a permanent provider failure is returned as failed; a retryable one is thrown with retry-after', async () => {
    const w = await world();
    fake.failNext(1, 422, { message: 'Invalid `to` field.' });
    const failed = await activities.sendMessage({ kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId });
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /Invalid `to` field/);

    const w2 = await world();
    fake.failNext(1, 429, { retryAfterSeconds: 2 });
    await assert.rejects(
      activities.sendMessage({ kind: 'certificate_expiring', awardId: w2.awardId, attemptId: w2.attemptId }),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'RetryableSendError' && !err.nonRetryable && err.nextRetryDelay === 2000,
    );
    assert.equal((await messageByKey(`award:${w2.awardId}:certificate_expiring`)).status, 'sending');
  });

  test('heartbeats while the message waits in the mailer', async () => {
    const w = await world();
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const input: SendMessageInput = { kind: 'certificate_expiring', awardId: w.awardId, attemptId: w.attemptId };
    const r: SendMessageResult = await env.run(activities.sendMessage, input);
    assert.equal(r.status, 'sent');
    assert.ok(beats >= 1, 'heartbeat sent');
  });

  test('an unknown award fails for good', async () => {
    await assert.rejects(
      activities.sendMessage({ kind: 'certificate_expiring', awardId: randomUUID() }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === true,
    );
  });
});

describe('listMessages', () => {
  test('filters by learner and award, newest first, with limit and before', async () => {
    const w = await world();
    const ks = [key('list-1'), key('list-2'), key('list-3')];
    for (const k of ks) {
      await q.insertOrGetMessage(sql, { ...toNew(draft(k, { learnerId: w.learner.id, awardId: ks.indexOf(k) < 2 ? w.awardId : null })), provider: 'log' });
      // `before` is a millisecond instant (a JS Date): messages created within the same millisecond as
      // the cursor are not "before" it, so keep these apart by more than that.
      await new Promise((r) => setTimeout(r, 3));
    }
    const all = await q.listMessages(sql, { learnerId: w.learner.id, limit: 10 });
    assert.deepEqual(all.map((m) => m.idempotencyKey), [...ks].reverse());
    const byAward = await q.listMessages(sql, { awardId: w.awardId, limit: 10 });
    assert.deepEqual(byAward.map((m) => m.idempotencyKey), [ks[1], ks[0]]);
    const page = await q.listMessages(sql, { learnerId: w.learner.id, limit: 1 });
    assert.equal(page.length, 1);
    const older = await q.listMessages(sql, { learnerId: w.learner.id, limit: 10, before: page[0]!.createdAt });
    assert.deepEqual(older.map((m) => m.idempotencyKey), [ks[1], ks[0]]);
  });
});
