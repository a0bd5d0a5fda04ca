/**
 * Delivers one outbound webhook event to one subscription: one workflow per delivery row
 * (db/queries/webhooks.ts), started by the API's dispatcher (api/webhook-dispatcher.ts) with a
 * deterministic id (`webhookDeliveryWorkflowId`) and USE_EXISTING / REJECT_DUPLICATE, so a delivery is
 * never run twice. The attempt activity retries with exponential backoff until a 2xx answer or the
 * retry horizon (the activity's schedule-to-close timeout); then the delivery is recorded failed,
 * which may disable the subscription. Every attempt sends the event's id as its `webhook-id`.
 *
 * Deterministic: no I/O here, types only from the activities.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { WebhookActivities, WebhookDeliveryResult } from '../activities/types.ts';

/** How a delivery retries (from the configuration, config/env.ts `webhooks`), fixed when its workflow starts. */
export interface WebhookDeliveryPolicy {
  /** First retry delay (ms); each next one is `backoffCoefficient` times longer, up to `maximumIntervalMs`. */
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** The retry horizon (ms): no attempt starts after it; the delivery then fails. */
  horizonMs: number;
  /** One attempt's HTTP deadline (ms); the activity gets 5 s more to record it. */
  attemptTimeoutMs: number;
  /** Failed deliveries in a row that disable the subscription. */
  disableAfterFailures: number;
}

export interface WebhookDeliveryInput {
  subscriptionId: string;
  eventId: string;
  policy: WebhookDeliveryPolicy;
}

export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';
/** The one workflow id of a delivery: the event's and the subscription's ids. */
export const webhookDeliveryWorkflowId = (subscriptionId: string, eventId: string): string => `webhook-delivery-${eventId}-${subscriptionId}`;

/** A duration in words for the disable reason (e.g. `24 h`, `90 s`). */
export function horizonText(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { policy, subscriptionId, eventId } = input;
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: policy.attemptTimeoutMs + 5_000,
    scheduleToCloseTimeout: policy.horizonMs,
    retry: {
      initialInterval: policy.initialIntervalMs,
      backoffCoefficient: policy.backoffCoefficient,
      maximumInterval: policy.maximumIntervalMs,
    },
  });
  const { failWebhookDelivery } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  try {
    return await deliverWebhook({ subscriptionId, eventId, attemptTimeoutMs: policy.attemptTimeoutMs });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const lastError = err.cause?.message ?? err.message;
    return await failWebhookDelivery({
      subscriptionId,
      eventId,
      lastError,
      disableAfter: policy.disableAfterFailures,
      horizonText: horizonText(policy.horizonMs),
    });
  }
}
