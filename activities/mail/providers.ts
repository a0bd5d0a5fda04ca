/**
 * Email providers behind one interface: Resend (the `resend` SDK, `baseUrl` configurable so tests
 * talk to a local fake) and the log provider used when no RESEND_API_KEY is set.
 *
 * Outcome classification, the contract the mailer relies on:
 *  - accepted → `{ ok: true, id }` (the provider's message id);
 *  - rate limited (429), provider error (5xx), network failure, missing/invalid API key, a concurrent
 *    request with the same idempotency key → `RetryableSendError` is thrown (nothing is known to be
 *    sent; the same request may be repeated with the same idempotency key);
 *  - any other 4xx (validation, invalid address, …) → `{ ok: false, error }`: permanent, not thrown.
 */
import { randomUUID } from 'node:crypto';
import { Resend } from 'resend';
import type { Logger } from '../../config/logger.ts';

export type ProviderName = 'resend' | 'log';

export interface OutboundEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  /** The plain-text part of the same message, when it has one. */
  text?: string;
}

export type SendOutcome = { ok: true; id: string } | { ok: false; error: string; statusCode: number | null };

export interface SendOptions {
  idempotencyKey: string;
}

export interface MailProvider {
  readonly name: ProviderName;
  /** Sends one email. Throws `RetryableSendError` when the request may be repeated. */
  send(email: OutboundEmail, opts: SendOptions): Promise<SendOutcome>;
  /**
   * Sends up to 100 emails in one request; one outcome per email, in order. A permanent failure of
   * the whole request fails every email with its reason. Throws `RetryableSendError` when the request
   * may be repeated.
   */
  sendBatch(emails: OutboundEmail[], opts: SendOptions): Promise<SendOutcome[]>;
}

/** A failure that may succeed later: repeat the same request (same idempotency key). */
export class RetryableSendError extends Error {
  override readonly name = 'RetryableSendError';
  constructor(
    message: string,
    readonly statusCode: number | null,
    /** The provider's `retry-after`, in milliseconds, when it gave one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** `retry-after` as seconds or an HTTP date → milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

interface ProviderError {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

const CONFIGURATION_ERRORS = new Set(['missing_api_key', 'invalid_api_key', 'restricted_api_key']);

/**
 * Throws for a retryable error; returns the permanent failure otherwise. A wrong API key is a
 * configuration fault an operator fixes, not a property of the message, so it is retried rather than
 * recorded as failed.
 */
export function classifyError(error: ProviderError, headers: Record<string, string> | null): { ok: false; error: string; statusCode: number | null } {
  const status = typeof error.statusCode === 'number' ? error.statusCode : null;
  const name = error.name ?? 'unknown_error';
  const text = `${status ?? 'network'} ${name}: ${error.message ?? 'no message'}`;
  const retryable =
    status === null ||
    status === 429 ||
    status >= 500 ||
    status === 401 ||
    CONFIGURATION_ERRORS.has(name) ||
    name === 'concurrent_idempotent_requests';
  if (retryable) throw new RetryableSendError(text, status, parseRetryAfter(headers?.['retry-after']));
  return { ok: false, error: text, statusCode: status };
}

export interface ResendProviderOptions {
  apiKey: string;
  /** The API's base URL; tests point it at a local fake. */
  baseUrl?: string;
}

export class ResendProvider implements MailProvider {
  readonly name = 'resend' as const;
  private readonly client: Resend;

  constructor(opts: ResendProviderOptions) {
    this.client = new Resend(opts.apiKey, opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, '') } : undefined);
  }

  async send(email: OutboundEmail, opts: SendOptions): Promise<SendOutcome> {
    const res = await this.client.emails.send(
      { from: email.from, to: email.to, subject: email.subject, html: email.html, ...(email.text ? { text: email.text } : {}) },
      { idempotencyKey: opts.idempotencyKey },
    );
    if (res.error) return classifyError(res.error, res.headers);
    return { ok: true, id: res.data.id };
  }

  async sendBatch(emails: OutboundEmail[], opts: SendOptions): Promise<SendOutcome[]> {
    const res = await this.client.batch.send(
      emails.map((e) => ({ from: e.from, to: e.to, subject: e.subject, html: e.html, ...(e.text ? { text: e.text } : {}) })),
      { idempotencyKey: opts.idempotencyKey, batchValidation: 'permissive' },
    );
    if (res.error) {
      const failure = classifyError(res.error, res.headers);
      return emails.map(() => failure);
    }
    // Permissive mode: `errors` names the rejected indexes; `data` holds the ids of the accepted
    // emails, in payload order.
    const errors = new Map((res.data.errors ?? []).map((e) => [e.index, e.message]));
    const ids = [...(res.data.data ?? [])];
    return emails.map((_, index): SendOutcome => {
      const rejected = errors.get(index);
      if (rejected !== undefined) return { ok: false, error: `422 validation_error: ${rejected}`, statusCode: 422 };
      const accepted = ids.shift();
      // An answer that does not account for every email cannot be trusted: repeat the request
      // (same idempotency key: the provider answers it again rather than sending again).
      if (!accepted) throw new RetryableSendError('batch answer has fewer ids than accepted emails', null);
      return { ok: true, id: accepted.id };
    });
  }
}

export interface LoggedEmail extends OutboundEmail {
  id: string;
  idempotencyKey: string;
  at: Date;
}

/**
 * Without RESEND_API_KEY: nothing is emailed. Each message is kept in `sent` (for a dev mailbox and
 * tests) and printed as one structured log line. A repeated idempotency key answers the first id.
 */
export class LogProvider implements MailProvider {
  readonly name = 'log' as const;
  readonly sent: LoggedEmail[] = [];
  private readonly byKey = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  private record(email: OutboundEmail, idempotencyKey: string): SendOutcome {
    const known = this.byKey.get(idempotencyKey);
    if (known) return { ok: true, id: known };
    const id = `log-${randomUUID()}`;
    this.byKey.set(idempotencyKey, id);
    this.sent.push({ ...email, id, idempotencyKey, at: new Date() });
    this.log.info({ provider: 'log', id, to: email.to, from: email.from, subject: email.subject, idempotencyKey }, 'email (log provider, not sent)');
    return { ok: true, id };
  }

  async send(email: OutboundEmail, opts: SendOptions): Promise<SendOutcome> {
    return this.record(email, opts.idempotencyKey);
  }

  async sendBatch(emails: OutboundEmail[], opts: SendOptions): Promise<SendOutcome[]> {
    return emails.map((e, i) => this.record(e, `${opts.idempotencyKey}#${i}`));
  }
}
