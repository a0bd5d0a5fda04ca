/**
 * A local stand-in for Resend's HTTP API (the only stand-in the tests use: the internet is out of
 * reach). Speaks what the `resend` SDK sends and reads:
 *  - `POST /emails` and `POST /emails/batch` (`x-batch-validation: strict | permissive`);
 *  - bearer auth (401 `missing_api_key`, 403 `invalid_api_key`);
 *  - `Idempotency-Key`: the same key with the same body replays the first answer without sending
 *    again; the same key with another body is 409 `invalid_idempotent_request`; the same key while
 *    the first request is still being processed is 409 `concurrent_idempotent_requests`;
 *  - errors shaped `{statusCode, name, message}`;
 *  - a rate limit of N requests in any sliding second (429 `rate_limit_exceeded` + `retry-after`);
 *  - fault injection: `failNext(n, status)`, or `'drop'` (connection closed before processing) and
 *    `'lose-response'` (processed, sent, then the connection closed: the client never hears back);
 *  - `holdNext()`: the next request that would be processed waits, unprocessed, until released, so a
 *    test can act (stop a database, kill a process) while it is certainly in flight.
 * Inspection: `sent()`, `requests()`, `requestLog()`, `maxRequestsInAnySecond()`.
 *
 * Webhooks, like Resend's (issue 10 §1): once `sendWebhooksTo(url)` names a receiver, every email sent
 * is followed by signed events posted there — `email.sent`, then `email.delivered`, or `email.bounced`
 * for a recipient `bounceRecipient` names (bounce type `Permanent` or `Transient`), then
 * `email.complained` for one `complainRecipient` names. Signed the way Resend signs (Svix: `svix-id`,
 * `svix-timestamp`, `svix-signature` over the raw body, with the `whsec_…` `webhookSecret`), by the
 * `standardwebhooks` library. `signWebhook` and `postWebhook` let a test send its own (or a forged) one;
 * `webhookLog()` lists what was posted and how the receiver answered.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';

export interface FakeResendOptions {
  apiKey?: string;
  /** Requests allowed in any sliding second; null for no limit. */
  rateLimit?: number | null;
  /** Processing time per request, in ms. */
  latencyMs?: number;
  /** Returns a rejection message for a recipient the fake should treat as invalid (422). */
  rejectRecipient?: (to: string) => string | null;
  /** The webhook signing secret (`whsec_` + base64); default a fresh one. */
  webhookSecret?: string;
  /** A recipient whose email bounces instead of being delivered, and the bounce's type; null: delivered. */
  bounceRecipient?: (to: string) => 'Permanent' | 'Transient' | null;
  /** A recipient who marks the email as spam after it is delivered. */
  complainRecipient?: (to: string) => boolean;
}

/** A Resend webhook event as posted (the body's fields). */
export interface FakeWebhookEvent {
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

/** One webhook post and the receiver's answer (0 while in flight, -1 when it could not be reached). */
export interface FakeWebhookPost {
  svixId: string;
  type: string;
  emailId: string | null;
  status: number;
  body: string;
}

export type Endpoint = 'emails' | 'batch' | 'other';

export interface FakeEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** '' when the email had no HTML part. */
  html: string;
  text: string | undefined;
  endpoint: Endpoint;
  idempotencyKey: string | null;
}

export interface FakeRequest {
  endpoint: Endpoint;
  /** performance.now() at arrival. */
  at: number;
  status: number;
  idempotencyKey: string | null;
  /** Answered from the idempotency store: nothing was sent. */
  replayed: boolean;
  /** Number of emails in the request body. */
  size: number;
  batchValidation: string | null;
}

export type Fault = number | 'drop' | 'lose-response';

/** A request held before processing (see `FakeResend.holdNext`). */
export interface HeldRequest {
  /** The held request once it has arrived (null until then). */
  request(): FakeRequest | null;
  /** Lets it be processed and answered (with the configured latency). */
  release(): void;
}

export interface FakeResend {
  url: string;
  apiKey: string;
  sent(): FakeEmail[];
  requests(): { emails: number; batch: number; total: number; rateLimited: number; replayed: number };
  requestLog(): FakeRequest[];
  /** The most requests that arrived within any one-second window (all requests, 429s included). */
  maxRequestsInAnySecond(): number;
  /** The next `n` requests fail with `fault`. */
  failNext(n: number, fault: Fault, opts?: { retryAfterSeconds?: number; name?: string; message?: string }): void;
  setRateLimit(perSecond: number | null): void;
  /**
   * Holds the next request that passes auth, rate limit, injected faults and parsing: it is logged
   * (status 0, in flight) but not processed until `release()`. `stop()` releases every hold.
   */
  holdNext(): HeldRequest;
  /** The webhook signing secret (`whsec_…`): the receiver's RESEND_WEBHOOK_SECRET. */
  webhookSecret: string;
  /** Where the events of sent emails are posted from now on (null: nowhere, the default). */
  sendWebhooksTo(url: string | null): void;
  /** Svix headers for `body` (default: a fresh id, now, the fake's secret). */
  signWebhook(body: string, opts?: { id?: string; timestamp?: Date; secret?: string }): Record<string, string>;
  /** Posts one event, signed, to the receiver (or to `url`); resolves with the receiver's answer. */
  postWebhook(event: FakeWebhookEvent, opts?: { id?: string; timestamp?: Date; url?: string }): Promise<FakeWebhookPost>;
  /** Every webhook post so far, in order. */
  webhookLog(): FakeWebhookPost[];
  /** Resolves when no webhook post is queued or in flight. */
  webhooksSettled(): Promise<void>;
  stop(): Promise<void>;
}

interface ResendError {
  statusCode: number;
  name: string;
  message: string;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface StoredAnswer {
  bodyHash: string;
  answer: Answer;
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAMED_ADDRESS = /^[^<>]*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/;

const DEFAULT_ERROR_NAMES: Record<number, string> = {
  400: 'validation_error',
  401: 'missing_api_key',
  403: 'invalid_api_key',
  404: 'not_found',
  409: 'invalid_idempotent_request',
  422: 'validation_error',
  429: 'rate_limit_exceeded',
  500: 'internal_server_error',
};

function error(statusCode: number, name: string, message: string, headers?: Record<string, string>): Answer {
  const body: ResendError = { statusCode, name, message };
  return { status: statusCode, body, ...(headers ? { headers } : {}) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validAddress(value: string): boolean {
  return ADDRESS.test(value) || NAMED_ADDRESS.test(value);
}

export async function startFakeResend(opts: FakeResendOptions = {}): Promise<FakeResend> {
  const apiKey = opts.apiKey ?? `re_test_${randomUUID().replace(/-/g, '')}`;
  let rateLimit = opts.rateLimit ?? null;
  const latencyMs = opts.latencyMs ?? 0;
  const sent: FakeEmail[] = [];
  const log: FakeRequest[] = [];
  /** Arrivals let through the rate limiter (what the limiter counts). */
  const admitted: number[] = [];
  const idempotency = new Map<string, StoredAnswer>();
  const processing = new Set<string>();
  const faults: { fault: Fault; retryAfterSeconds: number; name?: string; message?: string }[] = [];
  const holds: { arrive(entry: FakeRequest): void; released: Promise<void>; release(): void }[] = [];
  const allHolds: (() => void)[] = [];
  const webhookSecret = opts.webhookSecret ?? `whsec_${randomBytes(32).toString('base64')}`;
  const signer = new Webhook(webhookSecret);
  let webhookUrl: string | null = null;
  const webhookPosts: FakeWebhookPost[] = [];
  /** Every email's events go out in order, one email after another, as Resend's arrive: after the answer. */
  let webhookChain: Promise<void> = Promise.resolve();
  let stopping = false;

  function signWebhook(body: string, signOpts: { id?: string; timestamp?: Date; secret?: string } = {}): Record<string, string> {
    const id = signOpts.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
    const at = signOpts.timestamp ?? new Date();
    const signature = (signOpts.secret ? new Webhook(signOpts.secret) : signer).sign(id, at, body);
    return { 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signature, 'content-type': 'application/json' };
  }

  async function postWebhook(event: FakeWebhookEvent, postOpts: { id?: string; timestamp?: Date; url?: string } = {}): Promise<FakeWebhookPost> {
    const url = postOpts.url ?? webhookUrl;
    const body = JSON.stringify(event);
    const headers = signWebhook(body, postOpts);
    const emailId = typeof event.data.email_id === 'string' ? event.data.email_id : null;
    const post: FakeWebhookPost = { svixId: headers['svix-id'] ?? '', type: event.type, emailId, status: 0, body: '' };
    webhookPosts.push(post);
    if (!url) throw new Error('no webhook receiver: call sendWebhooksTo(url) or pass url');
    // Like Svix: a receiver that cannot be reached or answers 5xx is tried again (a few times, quickly).
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', headers, body });
        post.status = res.status;
        post.body = await res.text();
        if (res.status < 500 || attempt >= 5 || stopping) return post;
      } catch (err) {
        post.status = -1;
        post.body = String(err);
        if (attempt >= 5 || stopping) return post;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }

  /** The events Resend would send for an email just accepted, queued after the answer. */
  function queueEmailWebhooks(email: FakeEmail): void {
    if (!webhookUrl) return;
    const to = email.to[0] ?? '';
    const data = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      created_at: new Date().toISOString(),
      email_id: email.id,
      from: email.from,
      to: email.to,
      subject: email.subject,
      ...extra,
    });
    const bounce = opts.bounceRecipient?.(to) ?? null;
    const events: (() => FakeWebhookEvent)[] = [() => ({ type: 'email.sent', created_at: new Date().toISOString(), data: data() })];
    if (bounce) {
      events.push(() => ({
        type: 'email.bounced',
        created_at: new Date().toISOString(),
        data: data({ bounce: { type: bounce, subType: bounce === 'Permanent' ? 'General' : 'MailboxFull', message: `fake ${bounce.toLowerCase()} bounce for ${to}` } }),
      }));
    } else {
      events.push(() => ({ type: 'email.delivered', created_at: new Date().toISOString(), data: data() }));
      if (opts.complainRecipient?.(to)) events.push(() => ({ type: 'email.complained', created_at: new Date().toISOString(), data: data() }));
    }
    webhookChain = webhookChain.then(async () => {
      await new Promise((r) => setTimeout(r, 20)); // the answer leaves first
      for (const make of events) {
        if (stopping) return;
        await postWebhook(make()).catch(() => {});
      }
    });
  }

  /** Validates one email; returns the rejection message or null. */
  function invalidReason(email: unknown): string | null {
    if (!isObject(email)) return 'Invalid email object.';
    if (typeof email.from !== 'string' || !validAddress(email.from)) return 'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.';
    const to = typeof email.to === 'string' ? [email.to] : Array.isArray(email.to) ? email.to : null;
    if (!to || to.length === 0 || to.length > 50) return 'The `to` field must hold 1 to 50 addresses.';
    for (const address of to) {
      if (typeof address !== 'string' || !validAddress(address)) return 'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.';
      const rejected = opts.rejectRecipient?.(address);
      if (rejected) return rejected;
    }
    if (typeof email.subject !== 'string' || email.subject.length === 0) return 'Missing `subject` field.';
    if (typeof email.html !== 'string' && typeof email.text !== 'string') return 'Missing `html` or `text` field.';
    return null;
  }

  function deliver(email: Record<string, unknown>, endpoint: Endpoint, idempotencyKey: string | null): string {
    const id = randomUUID();
    const to = typeof email.to === 'string' ? [email.to] : (email.to as string[]);
    const stored: FakeEmail = {
      id,
      from: String(email.from),
      to,
      subject: String(email.subject),
      html: typeof email.html === 'string' ? email.html : '',
      text: typeof email.text === 'string' ? email.text : undefined,
      endpoint,
      idempotencyKey,
    };
    sent.push(stored);
    queueEmailWebhooks(stored);
    return id;
  }

  function sendOne(body: unknown, key: string | null): Answer {
    const reason = invalidReason(body);
    if (reason || !isObject(body)) return error(422, 'validation_error', reason ?? 'Invalid body.');
    return { status: 200, body: { id: deliver(body, 'emails', key) } };
  }

  function sendBatch(body: unknown, key: string | null, validation: string): Answer {
    if (!Array.isArray(body)) return error(422, 'validation_error', 'The batch must be an array of emails.');
    if (body.length === 0 || body.length > 100) return error(422, 'validation_error', 'A batch holds 1 to 100 emails.');
    const reasons = body.map((e) => invalidReason(e));
    if (validation !== 'permissive') {
      const first = reasons.findIndex((r) => r !== null);
      if (first >= 0) return error(422, 'validation_error', `emails[${first}]: ${reasons[first]}`);
    }
    const data: { id: string }[] = [];
    const errors: { index: number; message: string }[] = [];
    body.forEach((email: unknown, index) => {
      const reason = reasons[index];
      if (reason || !isObject(email)) errors.push({ index, message: reason ?? 'Invalid email object.' });
      else data.push({ id: deliver(email, 'batch', key) });
    });
    return { status: 200, body: validation === 'permissive' ? { data, errors } : { data } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const endpoint: Endpoint = path === '/emails' ? 'emails' : path === '/emails/batch' ? 'batch' : 'other';
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof keyHeader === 'string' ? keyHeader : null;
    const validationHeader = req.headers['x-batch-validation'];
    const batchValidation = typeof validationHeader === 'string' ? validationHeader : null;
    let parsed: unknown;
    let parseFailed = false;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      parseFailed = true;
    }
    const entry: FakeRequest = {
      endpoint,
      at,
      status: 0,
      idempotencyKey,
      replayed: false,
      size: Array.isArray(parsed) ? parsed.length : parsed === undefined ? 0 : 1,
      batchValidation,
    };
    log.push(entry);

    const reply = (answer: Answer): void => {
      entry.status = answer.status;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    };
    const drop = (): void => {
      entry.status = -1;
      res.destroy();
    };

    if (req.method !== 'POST' || endpoint === 'other') return reply(error(405, 'method_not_allowed', `${req.method} ${path} is not supported by the fake`));
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) return reply(error(401, 'missing_api_key', 'Missing API key in the authorization header.'));
    if (auth.slice('Bearer '.length) !== apiKey) return reply(error(403, 'invalid_api_key', 'API key is invalid.'));

    if (rateLimit !== null) {
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
      if (admitted.length >= rateLimit) {
        const retryAfter = Math.max(1, Math.ceil(((admitted[0] ?? at) + 1000 - at) / 1000));
        return reply(
          error(429, 'rate_limit_exceeded', 'Too many requests. You can only make a few requests per second.', {
            'retry-after': String(retryAfter),
            'ratelimit-limit': String(rateLimit),
            'ratelimit-remaining': '0',
            'ratelimit-reset': String(retryAfter),
          }),
        );
      }
    }
    admitted.push(at);

    const fault = faults.shift();
    if (fault && fault.fault === 'drop') return drop();
    if (fault && typeof fault.fault === 'number') {
      const status = fault.fault;
      const name = fault.name ?? DEFAULT_ERROR_NAMES[status] ?? 'application_error';
      const headers = status === 429 ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined;
      return reply(error(status, name, fault.message ?? `injected ${status}`, headers));
    }

    if (parseFailed) return reply(error(400, 'validation_error', 'The body is not valid JSON.'));

    const hold = holds.shift();
    if (hold) {
      hold.arrive(entry);
      await hold.released;
    }
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));

    const scope = idempotencyKey ? `${endpoint}:${idempotencyKey}` : null;
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    if (scope) {
      const stored = idempotency.get(scope);
      if (stored) {
        if (stored.bodyHash !== bodyHash) {
          return reply(error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.'));
        }
        entry.replayed = true;
        return fault?.fault === 'lose-response' ? drop() : reply(stored.answer);
      }
      if (processing.has(scope)) {
        return reply(error(409, 'concurrent_idempotent_requests', 'Same idempotency key used while the original request is still in progress.'));
      }
      processing.add(scope);
    }
    try {
      const answer = endpoint === 'emails' ? sendOne(parsed, idempotencyKey) : sendBatch(parsed, idempotencyKey, batchValidation ?? 'strict');
      if (scope && answer.status === 200) idempotency.set(scope, { bodyHash, answer });
      if (fault?.fault === 'lose-response') return drop();
      return reply(answer);
    } finally {
      if (scope) processing.delete(scope);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, name: 'internal_server_error', message: String(err) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    sent: () => [...sent],
    requests: () => ({
      emails: log.filter((r) => r.endpoint === 'emails').length,
      batch: log.filter((r) => r.endpoint === 'batch').length,
      total: log.length,
      rateLimited: log.filter((r) => r.status === 429).length,
      replayed: log.filter((r) => r.replayed).length,
    }),
    requestLog: () => log.map((r) => ({ ...r })),
    maxRequestsInAnySecond(): number {
      const times = log.map((r) => r.at).sort((a, b) => a - b);
      let max = 0;
      let start = 0;
      for (let end = 0; end < times.length; end++) {
        while ((times[end] ?? 0) - (times[start] ?? 0) >= 1000) start++;
        max = Math.max(max, end - start + 1);
      }
      return max;
    },
    failNext(n, fault, faultOpts = {}): void {
      for (let i = 0; i < n; i++) faults.push({ fault, retryAfterSeconds: faultOpts.retryAfterSeconds ?? 1, name: faultOpts.name, message: faultOpts.message });
    },
    setRateLimit(perSecond): void {
      rateLimit = perSecond;
    },
    holdNext(): HeldRequest {
      let arrived: FakeRequest | null = null;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ arrive: (entry) => (arrived = entry), released, release });
      allHolds.push(release);
      return { request: () => (arrived ? { ...arrived } : null), release };
    },
    webhookSecret,
    sendWebhooksTo(url): void {
      webhookUrl = url;
    },
    signWebhook,
    postWebhook,
    webhookLog: () => webhookPosts.map((p) => ({ ...p })),
    async webhooksSettled(): Promise<void> {
      for (;;) {
        const chain = webhookChain;
        await chain;
        if (chain === webhookChain) return;
      }
    },
    async stop(): Promise<void> {
      stopping = true;
      for (const release of allHolds) release();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
