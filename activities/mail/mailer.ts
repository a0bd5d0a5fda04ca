/**
 * The mailer: exactly-once delivery of messages through a rate-limited, batching provider.
 *
 * Bursts. Thousands of workflows can fall due in the same minute, each running one send-message
 * activity. Resend takes a few requests per second and up to 100 emails per batch request, so the
 * concurrent `deliver` calls of one process are coalesced: a batch leaves when it is full or when its
 * oldest message has lingered `lingerMs`, and requests leave at most `requestsPerSecond` (a sliding
 * one-second window, the way the provider counts). A 429 pauses the whole mailer for `retry-after`.
 *
 * Exactly once. The message row is written first; its idempotency key is unique, so a repeated
 * `deliver` finds it and a `sent` row is returned without sending anything. Before a provider request,
 * one transaction writes the request's ledger row in `email_batches` (its own idempotency key and the
 * ordered message ids) and binds each message to it (`batch_id`, status `sending`). From then on those
 * messages only ever go out in *that* request: whoever finds a row `sending` — a concurrent call, or a
 * retried activity after this process died mid-request — re-sends exactly the stored batch (payloads
 * rebuilt from the immutable rows, in the stored order, with the stored key), so the provider's
 * idempotency answers with the first result instead of emailing twice. The answer then marks every row
 * of the batch `sent`/`failed` in one transaction. A batch of one goes to the single-email endpoint with
 * the message's own idempotency key; that is decided by the stored batch too, so a re-send matches.
 *
 * Suppression. A message whose learner's address hard-bounced or complained (domain/delivery.ts) is
 * recorded `suppressed` when its batch is claimed, the moment it would leave, and never sent.
 *
 * Failures. A permanent failure (invalid address, validation) is recorded `failed` and returned. A
 * retryable one (429, 5xx, network, anything unexpected) is thrown: the activity retries with backoff,
 * and the rows stay `sending` in their batch, ready to be re-sent as they were.
 *
 * The provider's idempotency keys last 24 hours (Resend); the activity's retry policy re-sends within
 * minutes, far inside that.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Sql } from '../../db/client.ts';
import type { MessageKind, MessageRow } from '../../db/rows.ts';
import * as q from '../../db/queries/messages.ts';
import { emitRemindersSent } from '../../domain/webhook-events.ts';
import type { Logger } from '../../config/logger.ts';
import { recordMessage, recordProviderRequest, trackMailerQueue } from '../../config/metrics.ts';
import { SUPPRESSED_NOTE } from '../../domain/delivery.ts';
import { RetryableSendError, type MailProvider, type OutboundEmail, type SendOutcome } from './providers.ts';

/** A rendered message, ready to be recorded and sent. */
export interface MessageDraft {
  kind: MessageKind;
  learnerId: string;
  awardId: string | null;
  attemptId: string | null;
  to: string;
  from: string;
  subject: string;
  html: string;
  /** The plain-text part (derived from `html`); absent for a message recorded before it existed. */
  text?: string | null;
  /** Unique per message the system means to send; the provider sees it too. */
  idempotencyKey: string;
}

export interface DeliveryResult {
  /** `suppressed`: recorded, not sent (the learner's address hard-bounced or complained; domain/delivery.ts). */
  status: 'sent' | 'failed' | 'suppressed';
  /** The message row after delivery. */
  message: MessageRow;
  /** Whether this call inserted the row (false: the key had been delivered or queued before). */
  created: boolean;
}

export interface Mailer {
  readonly provider: MailProvider;
  /**
   * Records and sends a message, once per idempotency key. Resolves `sent` or `failed` (permanent);
   * throws `RetryableSendError` when it may succeed on a later call with the same draft.
   */
  deliver(draft: MessageDraft): Promise<DeliveryResult>;
  /**
   * Sends one email that is not a learner's message (a digest, issue 14 §4) through the same provider
   * and under the same rate limit, with `idempotencyKey`; the caller keeps its own ledger (it must send
   * the very same payload again with the same key after a lost answer). Resolves the provider's
   * outcome (`ok: false` is permanent); throws `RetryableSendError` when the same request may be repeated.
   */
  sendOne(email: OutboundEmail, opts: { idempotencyKey: string }): Promise<SendOutcome>;
  /** Sends what is queued, waits for requests in flight, and refuses new deliveries. */
  close(): Promise<void>;
}

export interface MailerOptions {
  sql: Sql;
  provider: MailProvider;
  /** Provider requests per second (Resend: 5 per account; leave headroom). */
  requestsPerSecond: number;
  /** Emails per batch request, 1–100. */
  batchSize: number;
  log: Logger;
  /** How long a non-full batch waits for company, in ms (default 100). */
  lingerMs?: number;
  /** Added to the rate window against network jitter between here and the provider (default 50 ms). */
  rateWindowMarginMs?: number;
  /**
   * Called with the rows a provider request recorded `sent`, after that is committed (the log
   * provider's delivery events, webhook events that arrived before the send was recorded). A failure is
   * logged; the messages stay sent.
   */
  afterSent?: (rows: MessageRow[]) => Promise<void>;
}

const EmailAddress = z.email();

export function isValidAddress(address: string): boolean {
  return EmailAddress.safeParse(address).success;
}

/** The request payload of a stored message: a pure function of the row, so re-sends are identical. */
export function toOutboundEmail(row: MessageRow): OutboundEmail {
  return { from: row.fromAddress, to: row.toAddress, subject: row.subject, html: row.body, ...(row.textBody ? { text: row.textBody } : {}) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * At most `limit` request starts in any window of `windowMs` (sliding log), FIFO among waiters, with a
 * pause that a 429 extends. A classic token bucket of capacity N would let 2N−1 requests into one
 * second at its edges; the provider counts a sliding second, so this counts the same way.
 */
export class RateLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly starts: number[] = [];
  private pausedUntil = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(requestsPerSecond: number, marginMs = 50) {
    if (!(requestsPerSecond > 0)) throw new Error('requestsPerSecond must be positive');
    // 4.5/s → 4 per second (never more than asked); 0.5/s → 1 per 2 s.
    this.limit = requestsPerSecond >= 1 ? Math.floor(requestsPerSecond) : 1;
    this.windowMs = (requestsPerSecond >= 1 ? 1000 : 1000 / requestsPerSecond) + marginMs;
  }

  /** Resolves when one more request may leave now (and counts it). */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    this.tail = turn;
    return turn;
  }

  /** Nothing leaves for `ms` (a 429's retry-after). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      if (now < this.pausedUntil) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      await sleep((this.starts[0] ?? now) + this.windowMs - now + 1);
    }
  }
}

interface Waiter {
  message: MessageRow;
  enqueuedAt: number;
  resolve(row: MessageRow): void;
  reject(err: unknown): void;
}

/** Rows of a batch after its request, by message id. */
type BatchRows = Map<string, MessageRow>;

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createMailer(opts: MailerOptions): Mailer {
  const { sql, provider, log } = opts;
  const batchSize = Math.max(1, Math.min(100, Math.trunc(opts.batchSize)));
  const lingerMs = opts.lingerMs ?? 100;
  const limiter = new RateLimiter(opts.requestsPerSecond, opts.rateWindowMarginMs ?? 50);

  /** Messages waiting to join a batch, oldest first. */
  const pending: Waiter[] = [];
  /** Deliveries this process is handling, by message id: a second call for the same message joins. */
  const active = new Map<string, Promise<MessageRow>>();
  /** Batch requests this process is making, by batch id: a re-send request joins one in flight. */
  const inflight = new Map<string, Promise<BatchRows>>();
  let pumping: Promise<void> | null = null;
  let wakePump: (() => void) | null = null;
  let closing = false;
  const untrack = trackMailerQueue(() => ({ waiting: pending.length, inFlight: inflight.size }));

  // -- sending a stored batch ------------------------------------------------------------------

  /**
   * Sends the stored batch (after waiting for the rate limit) and records the answer. The payloads
   * and key come from the ledger, so a first send and a re-send are the same request.
   */
  async function sendStoredBatch(batch: q.EmailBatchRow, messages: MessageRow[], onTurn: () => void = () => {}): Promise<BatchRows> {
    if (messages.length !== batch.messageIds.length) {
      throw new Error(`batch ${batch.id}: ${batch.messageIds.length} messages stored, ${messages.length} found`);
    }
    const emails = messages.map(toOutboundEmail);
    let outcomes: SendOutcome[];
    await limiter.acquire();
    onTurn();
    const t0 = performance.now();
    const seconds = (): number => (performance.now() - t0) / 1000;
    try {
      const [only] = messages;
      outcomes =
        messages.length === 1 && only && emails[0]
          ? [await provider.send(emails[0], { idempotencyKey: only.idempotencyKey })]
          : await provider.sendBatch(emails, { idempotencyKey: batch.idempotencyKey });
    } catch (err) {
      const retryable = err instanceof RetryableSendError ? err : new RetryableSendError(`provider request failed: ${describe(err)}`, null);
      if (retryable.statusCode === 429) limiter.pause(retryable.retryAfterMs ?? 1000);
      recordProviderRequest(provider.name, retryable.statusCode === 429 ? 'rate_limited' : 'error', seconds());
      log.warn({ batchId: batch.id, size: messages.length, statusCode: retryable.statusCode, retryAfterMs: retryable.retryAfterMs, err: retryable.message }, 'email request failed, will be retried');
      await q.noteBatchRetryableError(sql, batch.id, retryable.message).catch((e: unknown) => log.error({ err: describe(e) }, 'noting a send error failed'));
      throw retryable;
    }
    recordProviderRequest(provider.name, 'answered', seconds());
    const rows = await q.completeBatch(
      sql,
      batch.id,
      messages.map((m, i): q.MessageOutcome => {
        const o = outcomes[i];
        if (!o) return { messageId: m.id, ok: false, error: 'provider gave no answer for this email' };
        return o.ok ? { messageId: m.id, ok: true, providerMessageId: o.id } : { messageId: m.id, ok: false, error: o.error };
      }),
      // A reminder accepted by the provider is reported to outbound webhooks in the same transaction.
      async (tx, changed) => void (await emitRemindersSent(tx, changed)),
    );
    for (const r of rows) if (r.status === 'sent' || r.status === 'failed') recordMessage(r.kind, r.status);
    const failed = rows.filter((r) => r.status === 'failed').length;
    log.info({ batchId: batch.id, size: messages.length, failed, provider: provider.name }, 'email request done');
    const sentRows = rows.filter((r) => r.status === 'sent');
    if (opts.afterSent && sentRows.length > 0) {
      await opts.afterSent(sentRows).catch((err: unknown) => log.error({ batchId: batch.id, err: describe(err) }, 'recording what follows a send failed'));
    }
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Tracks a batch request so later callers for the same batch join it. */
  function track(batchId: string, run: Promise<BatchRows>): Promise<BatchRows> {
    inflight.set(batchId, run);
    run.then(
      () => inflight.delete(batchId),
      () => inflight.delete(batchId),
    );
    return run;
  }

  /**
   * Re-sends a batch found `sending` (its process died, or its request failed retryably), or joins
   * the request for it already in flight here.
   */
  function resumeBatch(batchId: string): Promise<BatchRows> {
    const running = inflight.get(batchId);
    if (running) return running;
    return track(
      batchId,
      (async () => {
        const batch = await q.getBatch(sql, batchId);
        if (!batch) throw new Error(`email batch ${batchId} not found`);
        const messages = await q.getMessagesByIds(sql, batch.messageIds);
        if (batch.status !== 'sending') return new Map(messages.map((m) => [m.id, m]));
        log.info({ batchId, size: messages.length }, 're-sending a stored email batch');
        await q.countBatchResend(sql, batchId);
        return await sendStoredBatch(batch, messages);
      })(),
    );
  }

  // -- coalescing fresh messages into batches ----------------------------------------------------

  /** Resolves when the oldest pending batch should leave: full, lingered long enough, or closing. */
  function batchReady(): Promise<void> {
    return new Promise((resolve) => {
      const oldest = pending[0];
      if (!oldest || pending.length >= batchSize || closing) return resolve();
      const wait = oldest.enqueuedAt + lingerMs - performance.now();
      if (wait <= 0) return resolve();
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        wakePump = null;
        resolve();
      }
      wakePump = done;
    });
  }

  /**
   * Forms batches from the queue one at a time: claim in the ledger, wait for the rate limit, start
   * the request, and go on to the next batch while the request is in flight. Messages arriving while
   * a batch waits for its turn fill the next one.
   */
  async function pump(): Promise<void> {
    while (pending.length > 0) {
      await batchReady();
      const group = pending.splice(0, batchSize);
      if (group.length > 0) await dispatch(group);
    }
  }

  function startPump(): void {
    if (pumping) return;
    pumping = pump()
      .catch((err: unknown) => log.error({ err: describe(err) }, 'mailer pump failed'))
      .finally(() => {
        pumping = null;
        if (pending.length > 0) startPump();
      });
  }

  async function dispatch(group: Waiter[]): Promise<void> {
    const batchId = randomUUID();
    let claimed: Awaited<ReturnType<typeof q.claimBatch>>;
    try {
      claimed = await q.claimBatch(sql, {
        batchId,
        idempotencyKey: `batch:${batchId}`,
        messageIds: group.map((w) => w.message.id),
        provider: provider.name,
        suppressedNote: SUPPRESSED_NOTE,
      });
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    const inBatch = new Set(claimed?.batch.messageIds ?? []);
    // Someone else (another process) claimed these first: follow the state it left them in.
    for (const w of group) {
      if (!inBatch.has(w.message.id)) {
        q.getMessageById(sql, w.message.id)
          .then((row) => (row ? settle(row, 1) : Promise.reject(new Error(`message ${w.message.id} vanished`))))
          .then(w.resolve, w.reject);
      }
    }
    if (!claimed) return;
    const { batch, messages } = claimed;
    // Tracked before waiting for the rate limit, so a concurrent call for one of these messages
    // joins this request instead of re-sending the batch.
    let left: () => void = () => {};
    const hasLeft = new Promise<void>((resolve) => (left = resolve));
    const run = track(batch.id, sendStoredBatch(batch, messages, left).finally(left));
    for (const w of group) {
      if (!inBatch.has(w.message.id)) continue;
      run.then((rows) => {
        const row = rows.get(w.message.id);
        if (row) w.resolve(row);
        else w.reject(new Error(`message ${w.message.id} missing from its batch`));
      }, w.reject);
    }
    // The next batch is formed once this request has its turn: messages arriving meanwhile fill it.
    await hasLeft;
  }

  // -- one message ------------------------------------------------------------------------------

  function enqueue(message: MessageRow): Promise<MessageRow> {
    return new Promise<MessageRow>((resolve, reject) => {
      pending.push({ message, enqueuedAt: performance.now(), resolve, reject });
      if (pending.length >= batchSize) wakePump?.();
      startPump();
    });
  }

  /** Takes a message from the state its row is in to `sent`/`failed`, or throws a retryable error. */
  async function settle(row: MessageRow, depth = 0): Promise<MessageRow> {
    if (depth > 3) throw new RetryableSendError(`message ${row.id} is ${row.status}; try again`, null);
    switch (row.status) {
      case 'sent':
      case 'failed':
      case 'suppressed':
        return row;
      case 'sending': {
        if (!row.batchId) throw new Error(`message ${row.id} is sending without a batch`);
        const rows = await resumeBatch(row.batchId);
        const after = rows.get(row.id) ?? (await q.getMessageById(sql, row.id));
        if (!after) throw new Error(`message ${row.id} vanished`);
        if (after.status === 'sending') throw new RetryableSendError(after.error ?? `message ${row.id} still sending`, null);
        return after;
      }
      case 'queued': {
        if (!isValidAddress(row.toAddress)) {
          const failed = await q.markMessageFailed(sql, row.id, `invalid recipient address: ${JSON.stringify(row.toAddress)}`);
          if (failed.status === 'failed') recordMessage(failed.kind, 'failed');
          return failed;
        }
        const after = await enqueue(row);
        return after.status === 'queued' || after.status === 'sending' ? await settle(after, depth + 1) : after;
      }
    }
  }

  return {
    provider,
    async deliver(draft: MessageDraft): Promise<DeliveryResult> {
      if (closing) throw new RetryableSendError('mailer is closing', null);
      const { message, created } = await q.insertOrGetMessage(sql, {
        kind: draft.kind,
        learnerId: draft.learnerId,
        awardId: draft.awardId,
        attemptId: draft.attemptId,
        toAddress: draft.to,
        fromAddress: draft.from,
        subject: draft.subject,
        body: draft.html,
        textBody: draft.text ?? null,
        provider: provider.name,
        idempotencyKey: draft.idempotencyKey,
      });
      let handling = active.get(message.id);
      if (!handling) {
        handling = settle(message);
        active.set(message.id, handling);
        const forget = (): void => void active.delete(message.id);
        handling.then(forget, forget);
      }
      const row = await handling;
      const status = row.status === 'sent' || row.status === 'suppressed' ? row.status : 'failed';
      return { status, message: row, created };
    },
    async sendOne(email: OutboundEmail, sendOpts: { idempotencyKey: string }): Promise<SendOutcome> {
      if (closing) throw new RetryableSendError('mailer is closing', null);
      await limiter.acquire();
      const t0 = performance.now();
      const seconds = (): number => (performance.now() - t0) / 1000;
      try {
        const outcome = await provider.send(email, sendOpts);
        recordProviderRequest(provider.name, 'answered', seconds());
        return outcome;
      } catch (err) {
        const retryable = err instanceof RetryableSendError ? err : new RetryableSendError(`provider request failed: ${describe(err)}`, null);
        if (retryable.statusCode === 429) limiter.pause(retryable.retryAfterMs ?? 1000);
        recordProviderRequest(provider.name, retryable.statusCode === 429 ? 'rate_limited' : 'error', seconds());
        throw retryable;
      }
    },
    async close(): Promise<void> {
      closing = true;
      wakePump?.();
      while (pumping) await pumping;
      await Promise.allSettled([...inflight.values()]);
      untrack();
    },
  };
}
