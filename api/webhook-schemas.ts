/**
 * The JSON shapes of outbound webhook subscriptions (`/api/webhooks`), kept beside api/schemas.ts
 * (whose building blocks they use) and read the same way: zod schemas that validate and document,
 * answer types by `z.infer`.
 */
import { Buffer } from 'node:buffer';
import { z } from '@hono/zod-openapi';
import type { Keyed } from '../db/queries/paging.ts';
import type { WebhookAttemptRow, WebhookSubscriptionRow } from '../db/queries/webhooks.ts';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type WebhookDeliveryStatus } from '../domain/vocabulary.ts';
import { Before, HttpUrl, Id, Limit, NextBefore, text } from './schemas.ts';
import { iso, isoOrNull } from './util.ts';

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).openapi({
  description:
    'An event type: `recertification.enrolled`, `recertification.reminded`, `award.created`, `award.renewed`, `award.expired`, ' +
    '`award.revoked`, `message.bounced`. Anything else is 400 `validation_failed`.',
});

/** 1 to 7 event types, each once (a repeated one is kept once). */
const EventTypes = z
  .array(WebhookEventTypeSchema)
  .min(1, 'name at least one event type')
  .max(WEBHOOK_EVENT_TYPES.length * 4)
  .transform((types) => [...new Set(types)])
  .openapi({ description: 'The event types to deliver: at least one (an empty list is 400 `validation_failed`).', example: ['award.created', 'award.expired'] });

/** A signing secret a caller brings: `whsec_` and the base64 of 24 to 64 random bytes (Standard Webhooks). */
export const WebhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64 (Standard Webhooks)')
  .refine((v) => {
    const b64 = v.slice('whsec_'.length);
    const bytes = Buffer.from(b64, 'base64');
    return b64.length % 4 === 0 && bytes.toString('base64') === b64 && bytes.length >= 24 && bytes.length <= 64;
  }, 'must be whsec_ followed by the base64 of 24 to 64 bytes')
  .openapi({ description: 'Optional: a secret of your own, `whsec_` + base64 of 24–64 bytes. Absent: one is generated (32 bytes).', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });

/**
 * The ports the Fetch standard blocks ("bad ports", https://fetch.spec.whatwg.org/#port-blocking),
 * which Node's `fetch` (the delivery activity's) refuses without a request: a subscription to one
 * could never be delivered to. Checked against Node 20's fetch: it refuses exactly these.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113,
  115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556,
  563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
  6668, 6669, 6679, 6697, 10080,
]);

const WebhookUrl = HttpUrl.superRefine((v, ctx) => {
  let port: string;
  try {
    port = new URL(v).port;
  } catch {
    return; // HttpUrl said why
  }
  if (port === '0') ctx.addIssue({ code: 'custom', message: 'must not use port 0 (no server listens there)' });
  else if (port !== '' && FETCH_BAD_PORTS.has(Number(port))) {
    ctx.addIssue({ code: 'custom', message: `must not use port ${port}: HTTP clients refuse it (the Fetch standard's blocked ports), so no delivery could reach it` });
  }
}).openapi({
  description: "Where events are POSTed: an absolute http or https URL with a host, not on a port HTTP clients refuse (the Fetch standard's blocked ports, e.g. 6000, 6665–6669, 10080) or port 0 (anything else is 400 `validation_failed`).",
  example: 'https://hr.example.com/hooks/recertify',
});

export const WebhookCreateSchema = z
  .object({
    url: WebhookUrl,
    eventTypes: EventTypes,
    description: text(200).nullable().default(null),
    secret: WebhookSecretSchema.optional(),
  })
  .strict()
  .openapi('WebhookSubscriptionCreate');

export const WebhookPatchSchema = z
  .object({
    url: WebhookUrl,
    eventTypes: EventTypes,
    description: text(200).nullable(),
    enabled: z.boolean().openapi({ description: '`true` re-enables (clears the reason and the failure count); `false` disables.' }),
    disabledReason: text(300).openapi({ description: 'Why it is disabled (with `enabled: false` only; default "disabled by an administrator").' }),
  })
  .partial()
  .strict()
  .openapi('WebhookSubscriptionPatch');

const DeliveryCounts = z
  .object(Object.fromEntries(WEBHOOK_DELIVERY_STATUSES.map((s) => [s, z.number().int()])) as Record<WebhookDeliveryStatus, z.ZodNumber>)
  .openapi('WebhookDeliveryCounts', { description: 'Its deliveries by status.' });

export const WebhookSubscriptionSchema = z
  .object({
    id: Id,
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(WebhookEventTypeSchema),
    enabled: z.boolean(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable().openapi({ description: 'Why it is disabled: by an administrator, or its deliveries kept failing.' }),
    consecutiveFailures: z.number().int().openapi({ description: 'Deliveries in a row that failed for good (past the retry horizon).' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    deliveries: DeliveryCounts.optional(),
  })
  .openapi('WebhookSubscription');
export type WebhookSubscriptionDto = z.infer<typeof WebhookSubscriptionSchema>;

export const WebhookSubscriptionCreatedSchema = WebhookSubscriptionSchema.extend({
  secret: z.string().nullable().openapi({
    description:
      'The signing secret (`whsec_…`), shown in this answer only: keep it to verify signatures. A repeat with the same ' +
      '`Idempotency-Key` answers null here: the stored answer never holds the secret.',
  }),
}).openapi('WebhookSubscriptionCreated');
export type WebhookSubscriptionCreatedDto = z.infer<typeof WebhookSubscriptionCreatedSchema>;

export const WebhookListQuery = z.object({ limit: Limit, before: Before('subscriptions') });
export const WebhookListSchema = z
  .object({ webhooks: z.array(WebhookSubscriptionSchema), nextBefore: NextBefore })
  .openapi('WebhookSubscriptionList');
export type WebhookListDto = z.infer<typeof WebhookListSchema>;

export const WebhookAttemptSchema = z
  .object({
    id: Id,
    eventId: Id.openapi({ description: 'The event: its `webhook-id`, the same on every attempt.' }),
    eventType: WebhookEventTypeSchema,
    attempt: z.number().int().openapi({ description: 'The attempt number of this delivery (1, 2, …).' }),
    at: z.string().openapi({ description: 'When the attempt ended.' }),
    statusCode: z.number().int().nullable().openapi({ description: 'The HTTP status; null when no answer came (refused, timed out).' }),
    error: z.string().nullable().openapi({ description: 'Null on a 2xx answer.' }),
    durationMs: z.number().int(),
    deliveryStatus: z.enum(WEBHOOK_DELIVERY_STATUSES).openapi({ description: 'The delivery\'s status now: `pending`, `delivered`, `failed`, `skipped`.' }),
  })
  .openapi('WebhookDeliveryAttempt');
export const WebhookAttemptsQuery = z.object({ limit: Limit, before: Before('attempts'), eventId: Id.optional() });
export const WebhookAttemptPageSchema = z
  .object({ attempts: z.array(WebhookAttemptSchema), nextBefore: NextBefore })
  .openapi('WebhookDeliveryLog');
export type WebhookAttemptPageDto = z.infer<typeof WebhookAttemptPageSchema>;

export const toWebhookSubscription = (
  r: WebhookSubscriptionRow,
  counts?: Partial<Record<WebhookDeliveryStatus, number>>,
): WebhookSubscriptionDto => ({
  id: r.id,
  url: r.url,
  description: r.description,
  eventTypes: r.eventTypes,
  enabled: r.enabled,
  disabledAt: isoOrNull(r.disabledAt),
  disabledReason: r.disabledReason,
  consecutiveFailures: r.consecutiveFailures,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
  ...(counts ? { deliveries: { pending: counts.pending ?? 0, delivered: counts.delivered ?? 0, failed: counts.failed ?? 0, skipped: counts.skipped ?? 0 } } : {}),
});

export const toWebhookAttempt = (r: Keyed<WebhookAttemptRow>): z.infer<typeof WebhookAttemptSchema> => ({
  id: r.id,
  eventId: r.eventId,
  eventType: r.eventType,
  attempt: r.attempt,
  at: iso(r.createdAt),
  statusCode: r.statusCode,
  error: r.error,
  durationMs: r.durationMs,
  deliveryStatus: r.deliveryStatus,
});
