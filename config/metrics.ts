/**
 * Every Prometheus metric of Recertify, defined once here (prom-client), with the one function each
 * place that counts calls. Two registries, one per kind of process, so each endpoint shows only what
 * its process does:
 *  - `workerRegistry` (the worker's endpoint, WORKER_METRICS_PORT): messages, the mailer, webhook
 *    deliveries, and Node's process metrics; the worker's endpoint appends the Temporal SDK's own
 *    metrics (config/metrics-server.ts);
 *  - `apiRegistry` (the API's endpoint, METRICS_PORT): HTTP requests by route pattern and status,
 *    and Node's process metrics.
 * Names follow Prometheus conventions: `recertify_` prefix, counters end in `_total`, durations are
 * seconds and end in `_seconds`. Label values come from closed lists (domain/vocabulary.ts, route
 * patterns), never from ids or raw paths. The metrics are listed in the README (Metrics).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MAIL_PROVIDERS, MESSAGE_KINDS, SEND_OUTCOMES, WEBHOOK_DELIVERY_OUTCOMES, type MailProvider, type MessageKind, type SendOutcome, type WebhookDeliveryOutcome } from '../domain/vocabulary.ts';

export const workerRegistry = new Registry();
export const apiRegistry = new Registry();

const defaultsCollected = new WeakSet<Registry>();
/**
 * Adds Node's process metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`,
 * `nodejs_eventloop_lag_seconds`, …: prom-client's defaults, unprefixed as is usual) to `registry`,
 * once; called when a process starts serving that registry.
 */
export function collectProcessMetrics(registry: Registry): void {
  if (defaultsCollected.has(registry)) return;
  defaultsCollected.add(registry);
  collectDefaultMetrics({ register: registry });
}

// ---------------------------------------------------------------------------------------------
// worker: messages

/**
 * The outcomes of `recertify_messages_total` (domain/vocabulary.ts SEND_OUTCOMES; every one starts at
 * zero): a message's end (sent, failed) or a send that was not needed (skipped).
 */
/** A message's end as counted: what the workflow hears (SEND_OUTCOMES), or `suppressed` (recorded, not sent: the address hard-bounced or complained). */
export const MESSAGE_OUTCOMES = [...SEND_OUTCOMES, 'suppressed'] as const;
export type MessageOutcome = SendOutcome | 'suppressed';

const messagesTotal = new Counter({
  name: 'recertify_messages_total',
  help:
    'Messages by kind and outcome: sent or failed when the provider answer (or an invalid address) is recorded on the message, ' +
    'skipped when the send-message activity decided there was nothing to send (the award changed, the message is off), ' +
    'suppressed when the learner\'s address had hard-bounced or complained and the message was recorded, not sent.',
  labelNames: ['kind', 'outcome'] as const,
  registers: [workerRegistry],
});
for (const kind of MESSAGE_KINDS) for (const outcome of MESSAGE_OUTCOMES) messagesTotal.inc({ kind, outcome }, 0);

/**
 * Counts `n` (default 1) messages of `kind` that ended `outcome`. Called where the end is recorded:
 * the mailer when it stores the provider's answer (or refuses an invalid address), the send-message
 * activity when it skips.
 */
export function recordMessage(kind: MessageKind, outcome: MessageOutcome, n = 1): void {
  messagesTotal.inc({ kind, outcome }, n);
}

// ---------------------------------------------------------------------------------------------
// worker: the mailer

/** What became of one provider request: answered (per-message results inside), 429, or another retryable failure (5xx, network). */
export const PROVIDER_REQUEST_OUTCOMES = ['answered', 'rate_limited', 'error'] as const;
export type ProviderRequestOutcome = (typeof PROVIDER_REQUEST_OUTCOMES)[number];

const providerRequestsTotal = new Counter({
  name: 'recertify_mailer_provider_requests_total',
  help: 'Email provider requests (a single email or a batch of up to 100) by provider and outcome: answered, rate_limited (HTTP 429), error (5xx, network; retried).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [workerRegistry],
});
for (const provider of MAIL_PROVIDERS) for (const outcome of PROVIDER_REQUEST_OUTCOMES) providerRequestsTotal.inc({ provider, outcome }, 0);

const providerRequestSeconds = new Histogram({
  name: 'recertify_mailer_provider_request_duration_seconds',
  help: 'Duration of email provider requests in seconds (after the rate limiter let them go), by provider and outcome.',
  labelNames: ['provider', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [workerRegistry],
});

/** Counts one provider request of `provider` that ended `outcome` and took `seconds`. */
export function recordProviderRequest(provider: MailProvider, outcome: ProviderRequestOutcome, seconds: number): void {
  providerRequestsTotal.inc({ provider, outcome });
  providerRequestSeconds.observe({ provider, outcome }, seconds);
}

/** The mailers of this process (usually one), read when the queue gauges are scraped. */
const mailerQueues = new Set<() => { waiting: number; inFlight: number }>();

new Gauge({
  name: 'recertify_mailer_queue_depth',
  help: 'Messages in this process waiting to join a provider batch (queued behind the batch linger and the rate limit).',
  registers: [workerRegistry],
  collect() {
    let n = 0;
    for (const read of mailerQueues) n += read().waiting;
    this.set(n);
  },
});

new Gauge({
  name: 'recertify_mailer_requests_in_flight',
  help: 'Provider batch requests of this process claimed and not yet answered (waiting for the rate limit or for the provider).',
  registers: [workerRegistry],
  collect() {
    let n = 0;
    for (const read of mailerQueues) n += read().inFlight;
    this.set(n);
  },
});

/**
 * Registers a mailer's queue for the queue gauges; `read` is called at each scrape. Returns the
 * function that unregisters it (call it when the mailer closes).
 */
export function trackMailerQueue(read: () => { waiting: number; inFlight: number }): () => void {
  mailerQueues.add(read);
  return () => void mailerQueues.delete(read);
}

// ---------------------------------------------------------------------------------------------
// worker: outbound webhooks

const webhookDeliveriesTotal = new Counter({
  name: 'recertify_webhook_deliveries_total',
  help:
    'Outbound webhook delivery attempts by outcome: delivered (2xx), failed (any other answer or none; retried), ' +
    'gave_up (the last retry failed or the endpoint was disabled).',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});
for (const outcome of WEBHOOK_DELIVERY_OUTCOMES) webhookDeliveriesTotal.inc({ outcome }, 0);

/** Counts one outbound webhook delivery attempt that ended `outcome` (call it once per HTTP attempt). */
export function recordWebhookDelivery(outcome: WebhookDeliveryOutcome): void {
  webhookDeliveriesTotal.inc({ outcome });
}

// ---------------------------------------------------------------------------------------------
// API: HTTP requests

/** The `route` label of a request that matched no route (a 404, a 405): one value, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)';
/** The HTTP methods that get their own `method` label; any other is `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const httpRequestsTotal = new Counter({
  name: 'recertify_http_requests_total',
  help: 'HTTP requests the API answered, by method, route pattern (e.g. /api/awards/:id, never an id) and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [apiRegistry],
});

const httpRequestSeconds = new Histogram({
  name: 'recertify_http_request_duration_seconds',
  help: 'Time to answer an HTTP request in seconds (until the response headers), by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [apiRegistry],
});

/**
 * Counts one answered HTTP request. `route` is the matched route pattern (`/api/awards/:id`), or
 * {@link UNMATCHED_ROUTE}; `seconds` the time to answer.
 */
export function recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
  const labels = { method: METHODS.has(method) ? method : 'other', route, status: String(status) };
  httpRequestsTotal.inc(labels);
  httpRequestSeconds.observe(labels, seconds);
}

