/**
 * The outbound webhook dispatcher: starts a delivery workflow (workflows/webhook-delivery.ts) for each
 * delivery the outbox holds whose workflow Temporal has not confirmed (`workflow_started_at` null),
 * then records the confirmation. Events are written by activities and requests alike, in their own
 * transactions; this is the one place that hands them to Temporal, so nothing is lost when a process
 * dies after its commit. Every API process runs it every WEBHOOK_DISPATCH_INTERVAL_SECONDS; a start is
 * safe to repeat (deterministic workflow id, USE_EXISTING for a running one, REJECT_DUPLICATE for a
 * closed one), so any number of processes may run it at once and a delivery still runs once.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { Sql } from '../db/client.ts';
import * as webhooksQ from '../db/queries/webhooks.ts';
import {
  WEBHOOK_DELIVERY_WORKFLOW,
  webhookDeliveryWorkflowId,
  type WebhookDeliveryInput,
  type WebhookDeliveryPolicy,
} from '../workflows/webhook-delivery.ts';

export interface WebhookDispatcherDeps {
  sql: Sql;
  client: Client;
  config: Pick<Config, 'temporal' | 'webhooks'>;
  log: Logger;
}

/** The delivery policy of the configuration (config/env.ts `webhooks`), in milliseconds. */
export function webhookDeliveryPolicy(webhooks: Config['webhooks']): WebhookDeliveryPolicy {
  return {
    initialIntervalMs: Math.round(webhooks.retryInitialSeconds * 1000),
    backoffCoefficient: 2,
    maximumIntervalMs: Math.round(Math.max(webhooks.retryMaxIntervalSeconds, webhooks.retryInitialSeconds) * 1000),
    horizonMs: Math.round(webhooks.retryHorizonSeconds * 1000),
    attemptTimeoutMs: Math.round(webhooks.attemptTimeoutSeconds * 1000),
    disableAfterFailures: webhooks.disableAfterFailures,
  };
}

/**
 * Starts (or finds) the delivery workflow of one delivery and records that Temporal confirmed it.
 * Throws when Temporal is unreachable (the delivery stays for the next pass).
 */
export async function startWebhookDelivery(deps: WebhookDispatcherDeps, key: { subscriptionId: string; eventId: string }): Promise<void> {
  const input: WebhookDeliveryInput = { ...key, policy: webhookDeliveryPolicy(deps.config.webhooks) };
  try {
    await deps.client.withDeadline(Date.now() + 5000, () =>
      deps.client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId: webhookDeliveryWorkflowId(key.subscriptionId, key.eventId),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Webhook event ${key.eventId} to subscription ${key.subscriptionId}`,
      }),
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await webhooksQ.markDeliveryWorkflowStarted(deps.sql, key.subscriptionId, key.eventId);
}

/**
 * One pass: starts up to `batchSize` (default 200) deliveries awaiting their workflow, `concurrency`
 * (default 8) at a time. Returns how many started and how many failed (left for the next pass).
 */
export async function dispatchWebhookDeliveries(
  deps: WebhookDispatcherDeps,
  opts: { batchSize?: number; concurrency?: number } = {},
): Promise<{ started: number; failures: number }> {
  const pending = await webhooksQ.deliveriesAwaitingWorkflow(deps.sql, { limit: opts.batchSize ?? 200 });
  let next = 0;
  let started = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    for (let key = pending[next++]; key !== undefined; key = pending[next++]) {
      try {
        await startWebhookDelivery(deps, key);
        started++;
      } catch (err) {
        failures++;
        deps.log.warn({ err, ...key }, 'webhook dispatcher: delivery start failed; the next pass retries');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, Math.max(1, pending.length)) }, lane));
  if (started > 0 || failures > 0) deps.log.debug({ started, failures }, 'webhook deliveries dispatched');
  return { started, failures };
}

export interface RunningWebhookDispatcher {
  stop(): Promise<void>;
}

/** Runs `dispatchWebhookDeliveries` every `intervalSeconds` (0 disables it), at once again after a full batch, until stopped. */
export function startWebhookDispatcher(deps: WebhookDispatcherDeps, intervalSeconds: number = deps.config.webhooks.dispatchIntervalSeconds): RunningWebhookDispatcher {
  if (intervalSeconds <= 0) return { stop: async () => {} };
  const batchSize = 200;
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    let full = false;
    current = dispatchWebhookDeliveries(deps, { batchSize })
      .then((r) => void (full = r.started + r.failures >= batchSize && r.failures === 0))
      .catch((err: unknown) => deps.log.warn({ err }, 'webhook dispatcher pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, full ? 0 : intervalSeconds * 1000);
      });
  };
  timer = setTimeout(tick, Math.min(intervalSeconds, 1) * 1000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
