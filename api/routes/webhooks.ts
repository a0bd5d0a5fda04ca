/**
 * Outbound webhook subscriptions: create (the signing secret shown once), list, get, change (URL,
 * event types, description, enable / disable with a reason), delete, and each one's delivery log.
 * Mounted at `/api`. Events and their delivery: domain/webhook-events.ts, workflows/webhook-delivery.ts.
 */
import { randomBytes } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as q from '../../db/queries/webhooks.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound, unprocessable } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import { IdParams, IdempotencyHeaders, body, json } from '../schemas.ts';
import {
  WebhookAttemptPageSchema,
  WebhookAttemptsQuery,
  WebhookCreateSchema,
  WebhookListQuery,
  WebhookListSchema,
  WebhookPatchSchema,
  WebhookSubscriptionCreatedSchema,
  WebhookSubscriptionSchema,
  toWebhookAttempt,
  toWebhookSubscription,
  type WebhookSubscriptionCreatedDto,
} from '../webhook-schemas.ts';

const tags = ['Webhooks'];

/** The reason of a disable that gives none. */
export const ADMIN_DISABLED_REASON = 'disabled by an administrator';

/** A new signing secret: `whsec_` + the base64 of 32 random bytes (Standard Webhooks). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const PAYLOAD =
  'Each event is POSTed as JSON `{"type", "timestamp", "data"}` (data: ids, statuses and instants, no names or emails) with the ' +
  'Standard Webhooks headers `webhook-id` (the event\'s id: the same on every retry, deduplicate on it), `webhook-timestamp` ' +
  '(seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`), verifiable with any Standard Webhooks library and the secret. ' +
  'A delivery is retried with exponential backoff until a 2xx answer or the retry horizon (WEBHOOK_RETRY_* settings; default 24 h); ' +
  'after WEBHOOK_DISABLE_AFTER_FAILURES failed deliveries in a row the subscription is disabled with the reason shown.';

export const createWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks',
  tags,
  ...requires('admin'),
  summary: 'Subscribe a URL to events (the answer shows the signing secret, once)',
  description: `${PAYLOAD} With an \`Idempotency-Key\`, a repeat returns the first answer and creates no second subscription.`,
  request: { headers: IdempotencyHeaders, body: body(WebhookCreateSchema) },
  responses: {
    201: json(WebhookSubscriptionCreatedSchema, 'The subscription, with its secret.'),
    ...errorResponses(400, 401, 415, 422),
  },
});

export const listWebhooksRoute = createRoute({
  method: 'get',
  path: '/webhooks',
  tags,
  ...requires('admin'),
  summary: 'List webhook subscriptions, newest first (secrets are not shown)',
  request: { query: WebhookListQuery },
  responses: {
    200: json(WebhookListSchema, 'The subscriptions.'),
    ...errorResponses(400, 401),
  },
});

export const getWebhookRoute = createRoute({
  method: 'get',
  path: '/webhooks/{id}',
  tags,
  ...requires('admin'),
  summary: 'Get a webhook subscription, with its deliveries by status',
  request: { params: IdParams },
  responses: {
    200: json(WebhookSubscriptionSchema, 'The subscription.'),
    ...errorResponses(400, 401, 404),
  },
});

export const patchWebhookRoute = createRoute({
  method: 'patch',
  path: '/webhooks/{id}',
  tags,
  ...requires('admin'),
  summary: 'Change a subscription\'s URL, event types or description; disable it (with a reason) or enable it again',
  description:
    'Disabling skips its pending deliveries at their next attempt; enabling clears the reason and the failure count (events ' +
    'written while it was disabled are not delivered). 422 `disabled_reason_without_disable` for a `disabledReason` without `enabled: false`.',
  request: { params: IdParams, body: body(WebhookPatchSchema) },
  responses: {
    200: json(WebhookSubscriptionSchema, 'The subscription as it is now.'),
    ...errorResponses(400, 401, 404, 415, 422),
  },
});

export const deleteWebhookRoute = createRoute({
  method: 'delete',
  path: '/webhooks/{id}',
  tags,
  ...requires('admin'),
  summary: 'Delete a subscription, its deliveries and their log',
  request: { params: IdParams },
  responses: {
    204: { description: 'Deleted.' },
    ...errorResponses(400, 401, 404),
  },
});

export const listWebhookAttemptsRoute = createRoute({
  method: 'get',
  path: '/webhooks/{id}/deliveries',
  tags,
  ...requires('admin'),
  summary: 'A subscription\'s delivery log: every attempt (time, status code, error), newest first',
  description: 'Paged newest first: pass `nextBefore` as `before` for the next page. `eventId` keeps one event\'s attempts.',
  request: { params: IdParams, query: WebhookAttemptsQuery },
  responses: {
    200: json(WebhookAttemptPageSchema, 'The attempts.'),
    ...errorResponses(400, 401, 404),
  },
});

/** The webhooks area's sub-app (routes relative to `/api`). */
export function webhooksApp({ sql }: ApiDeps): App {
  const app = createRouter();

  app.openapi(createWebhookRoute, async (c) => {
    const input = c.req.valid('json');
    const scope = idempotencyScope(createWebhookRoute, c.req.valid('header')['idempotency-key'], input);
    const outcome = await runIdempotent<WebhookSubscriptionCreatedDto>(sql, scope, async (tx) => {
      const row = await q.insertSubscription(tx, {
        url: input.url,
        description: input.description,
        secret: input.secret ?? newWebhookSecret(),
        eventTypes: input.eventTypes,
      });
      const answer = toWebhookSubscription(row, {});
      // The secret is shown once: a repeat with the same Idempotency-Key answers null in its place.
      return { status: 201, body: { ...answer, secret: row.secret }, stored: { ...answer, secret: null } };
    });
    if (outcome.replayed) markReplayed(c);
    return c.json(outcome.body as WebhookSubscriptionCreatedDto, 201);
  });

  app.openapi(listWebhooksRoute, async (c) => {
    const { limit, before } = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await q.listSubscriptions(sql, { limit: limit + 1, before }), limit);
    return c.json({ webhooks: rows.map((r) => toWebhookSubscription(r)), nextBefore }, 200);
  });

  app.openapi(getWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await q.getSubscription(sql, id);
    if (!row) throw notFound('Webhook subscription', id);
    return c.json(toWebhookSubscription(row, await q.deliveryCounts(sql, id)), 200);
  });

  app.openapi(patchWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    if (patch.disabledReason !== undefined && patch.enabled !== false) {
      throw unprocessable('disabled_reason_without_disable', 'disabledReason goes with enabled: false.', { field: 'disabledReason' });
    }
    const row = await q.updateSubscription(sql, id, {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.eventTypes !== undefined ? { eventTypes: patch.eventTypes } : {}),
      ...(patch.enabled === true ? { enabled: { enabled: true } } : {}),
      ...(patch.enabled === false ? { enabled: { enabled: false, reason: patch.disabledReason ?? ADMIN_DISABLED_REASON } } : {}),
    });
    if (!row) throw notFound('Webhook subscription', id);
    return c.json(toWebhookSubscription(row, await q.deliveryCounts(sql, id)), 200);
  });

  app.openapi(deleteWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await q.deleteSubscription(sql, id))) throw notFound('Webhook subscription', id);
    return c.body(null, 204);
  });

  app.openapi(listWebhookAttemptsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, before, eventId } = c.req.valid('query');
    if (!(await q.getSubscription(sql, id))) throw notFound('Webhook subscription', id);
    const { rows, nextBefore } = pageOf(await q.listAttempts(sql, id, { limit: limit + 1, before, eventId }), limit);
    return c.json({ attempts: rows.map(toWebhookAttempt), nextBefore }, 200);
  });

  return app;
}
