/**
 * The outbound webhook delivery activities (workflows/webhook-delivery.ts). An attempt POSTs the
 * event as the Standard Webhooks specification says: the body `{"type", "timestamp", "data"}`, and
 * the headers `webhook-id` (the event's id: the same on every attempt, so a receiver deduplicates),
 * `webhook-timestamp` (this attempt's, in seconds) and `webhook-signature`, signed with the
 * `standardwebhooks` library and the subscription's secret. Each attempt is recorded (the delivery
 * log); any answer but a 2xx is thrown for Temporal to retry with backoff.
 */
import { recordWebhookDelivery } from '../config/metrics.ts';
import { performance } from 'node:perf_hooks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { Sql } from '../db/client.ts';
import * as webhooksQ from '../db/queries/webhooks.ts';
import type { Logger } from '../config/logger.ts';
import { storableText } from '../domain/text.ts';
import type { WebhookActivities, WebhookDeliveryResult } from './types.ts';

export interface WebhookActivityDeps {
  sql: Sql;
  log: Logger;
}

/** The `user-agent` of every delivery. */
export const WEBHOOK_USER_AGENT = 'Recertify-Webhooks/1';

/** The body of an event, as sent (and signed): `{"type","timestamp","data"}`. */
export function webhookBody(event: Pick<webhooksQ.WebhookEventRow, 'type' | 'createdAt' | 'data'>): string {
  return JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: event.data });
}

/** At most `max` characters of an answer's body, read without holding more than that (plus a chunk). */
async function bodySnippet(res: Response, max = 200): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  // A receiver may answer anything: NUL or broken UTF-16 would make the attempt's row unstorable.
  return storableText(text.replace(/\s+/g, ' ').trim().slice(0, max));
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return storableText(`${err instanceof Error ? err.message : String(err)}${cause}`.slice(0, 300));
}

/** The attempt number Temporal gives this activity (1 outside an activity: tests, scripts). */
function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

export function createWebhookActivities({ sql, log }: WebhookActivityDeps): WebhookActivities {
  return {
    async deliverWebhook({ subscriptionId, eventId, attemptTimeoutMs }): Promise<WebhookDeliveryResult> {
      const loaded = await webhooksQ.loadDelivery(sql, subscriptionId, eventId);
      if (!loaded) return { status: 'skipped', reason: 'the subscription was deleted' };
      const { delivery, event, subscription } = loaded;
      if (delivery.status !== 'pending') return { status: delivery.status };
      if (!subscription.enabled) {
        const reason = `the subscription was disabled: ${subscription.disabledReason ?? 'no reason given'}`;
        await webhooksQ.skipDelivery(sql, subscriptionId, eventId, reason);
        return { status: 'skipped', reason };
      }
      const body = webhookBody(event);
      const sentAt = new Date();
      const signature = new Webhook(subscription.secret).sign(event.id, sentAt, body);
      const attempt = attemptNumber();
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(subscription.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': WEBHOOK_USER_AGENT,
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
        statusCode = res.status;
        const snippet = await bodySnippet(res).catch(() => '');
        if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`;
      } catch (err) {
        error = describeFetchError(err, attemptTimeoutMs);
      }
      const durationMs = performance.now() - started;
      const status = await webhooksQ.recordAttempt(sql, { subscriptionId, eventId, attempt, statusCode, error, durationMs, ok: error === null });
      log.info({ subscriptionId, eventId, type: event.type, attempt, statusCode, error, durationMs: Math.round(durationMs) }, 'webhook attempt');
      recordWebhookDelivery(error === null ? 'delivered' : 'failed');
      if (status === null) return { status: 'skipped', reason: 'the subscription was deleted' };
      if (error === null) return { status };
      throw ApplicationFailure.create({ message: error, type: 'WebhookEndpointError', nonRetryable: false });
    },

    async failWebhookDelivery({ subscriptionId, eventId, lastError, disableAfter, horizonText }): Promise<WebhookDeliveryResult> {
      const { failed, disabled } = await webhooksQ.failDelivery(sql, { subscriptionId, eventId, lastError, disableAfter, horizonText });
      if (disabled) log.warn({ subscriptionId, eventId, lastError }, 'webhook subscription disabled: its deliveries keep failing');
      if (failed) recordWebhookDelivery('gave_up');
      if (failed) return { status: 'failed', reason: lastError, disabled };
      const now = await webhooksQ.loadDelivery(sql, subscriptionId, eventId);
      return { status: now?.delivery.status ?? 'skipped', disabled: false };
    },
  };
}
