/**
 * `POST /webhooks/resend`: Resend's delivery events (issue 10 §1). Mounted at `/`, outside `/api`'s
 * bearer auth: the signature is the authentication. Resend signs with Svix (the Standard Webhooks
 * scheme under `svix-*` header names); the signature is checked over the raw body with the
 * `standardwebhooks` library (what `resend.webhooks.verify` calls) and RESEND_WEBHOOK_SECRET.
 *
 * Order of checks: no secret configured → 503; a missing header, a signature that does not match or a
 * timestamp more than 5 minutes away → 401; then the body: not JSON → 400 `invalid_json`; not an event
 * → 400 `validation_failed` (also for NUL or an unpaired surrogate anywhere, or an svix-id over 200
 * characters); a type Recertify does not track, even one Resend adds later → 200 `ignored`. Nothing is written
 * before all of these pass. Then, in one transaction, domain/delivery.ts `receiveResendEvent`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { WebhookEvent } from 'resend';
import { receiveResendEvent, trackedResendEvent, TRACKED_RESEND_EVENTS, type ResendEvent } from '../../domain/delivery.ts';
import { createRouter, type ApiDeps, type App } from '../deps.ts';
import { ApiError, errorResponses, validationDetails } from '../errors.ts';
import { unstorableJson } from '../../domain/text.ts';
import { json } from '../schemas.ts';

export const RESEND_WEBHOOK_PATH = '/webhooks/resend';

/** The longest svix-id taken (Resend's are `msg_` and about 30 characters); a longer one is a 400. */
export const MAX_SVIX_ID_LENGTH = 200;

/**
 * Resend's other event types (the SDK's `WebhookEvent`): acknowledged and ignored, so subscribing to
 * more than Recertify tracks never makes Resend retry or disable the endpoint.
 */
export const IGNORED_RESEND_EVENTS = [
  'email.scheduled',
  'email.opened',
  'email.clicked',
  'email.received',
  'email.suppressed',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.topics.updated',
  'domain.created',
  'domain.updated',
  'domain.deleted',
  'suppression.added',
  'suppression.removed',
  'topic.created',
  'topic.updated',
  'topic.deleted',
] as const satisfies readonly WebhookEvent[];

const isIgnored = (type: string): boolean => (IGNORED_RESEND_EVENTS as readonly string[]).includes(type) || type.startsWith('inbox.');

/** The envelope of every Resend event; the `data` of an email event is checked further below. */
const ResendEnvelope = z
  .object({
    type: z.string().min(1).max(100),
    created_at: z.iso.datetime({ offset: true }),
    data: z.record(z.string(), z.unknown()),
  })
  .loose();

/** The `data` of the email events Recertify tracks (Resend's `BaseEmailEventData` and the bounce/failure). */
const ResendEmailData = z
  .object({
    email_id: z.string().min(1).max(200),
    bounce: z
      .object({ type: z.string().min(1).max(100), subType: z.string().max(100).optional(), message: z.string().max(2000).optional() })
      .loose()
      .optional(),
    failed: z.object({ reason: z.string().max(2000) }).loose().optional(),
  })
  .loose();

const WebhookAnswerSchema = z
  .object({
    received: z.literal(true),
    outcome: z.enum(['applied', 'unmatched', 'ignored', 'duplicate']).openapi({
      description:
        '`applied`: recorded on its message. `unmatched`: no message has the email id (yet); applied if the send is recorded later. ' +
        '`ignored`: a Resend event type Recertify does not track. `duplicate`: this svix-id was received before; nothing changed.',
    }),
  })
  .openapi('ResendWebhookAnswer');

export const resendWebhookRoute = createRoute({
  method: 'post',
  path: RESEND_WEBHOOK_PATH,
  tags: ['Webhooks'],
  summary: "Resend's delivery events (signed; no bearer token)",
  description:
    'Point a Resend webhook at this URL and set `RESEND_WEBHOOK_SECRET` to its signing secret (`whsec_…`). ' +
    'Each request must carry `svix-id`, `svix-timestamp` and `svix-signature`, signed over the raw body; a missing header, a wrong ' +
    'signature or a timestamp more than 5 minutes from now is 401 `invalid_signature` and changes nothing. Without ' +
    '`RESEND_WEBHOOK_SECRET` the endpoint answers 503 `webhook_not_configured`. ' +
    `Tracked types: ${Object.keys(TRACKED_RESEND_EVENTS).map((t) => `\`${t}\``).join(', ')}: each is added to its message's timeline ` +
    '(the message whose `providerMessageId` is `data.email_id`) and moves its `deliveryStatus`. A bounce of type `Permanent` or a ' +
    "complaint suppresses the learner's address: later messages to it are recorded `suppressed`, not sent, until the learner's email " +
    "changes. Every other type (Resend's others, and any it adds later) is acknowledged and ignored, so Resend never retries or disables the endpoint for it. A body that is not JSON " +
    'is 400 `invalid_json`, one that is not an event (no `type`, `created_at` or `data.email_id`) 400 `validation_failed`. ' +
    'An event id (`svix-id`) received before changes nothing (200, `duplicate`).',
  responses: {
    200: json(WebhookAnswerSchema, 'Received (see `outcome`).'),
    ...errorResponses(400, 401, 413, 503),
  },
});

/** A signed body that is not a Resend event: 400 `validation_failed`, naming the first issue (as every route's validation does). */
function invalidEvent(error: z.ZodError): ApiError {
  const details = validationDetails(error, 'json');
  const first = details.issues[0];
  const where = first && first.path !== '' ? `json.${first.path}` : 'json';
  return new ApiError(400, 'validation_failed', `Invalid ${where}: ${first?.message ?? 'not a Resend event'}`, details);
}

/** The webhook's sub-app (routes relative to `/`). */
export function resendWebhooksApp({ sql, config, log }: ApiDeps): App {
  const app = createRouter();
  const secret = config.email.resendWebhookSecret;
  const verifier = secret ? new Webhook(secret) : null;

  app.openapi(resendWebhookRoute, async (c) => {
    const raw = await c.req.text();
    if (!verifier) {
      throw new ApiError(503, 'webhook_not_configured', 'RESEND_WEBHOOK_SECRET is not set: this server does not accept Resend webhooks. Set it to the signing secret of the Resend webhook (whsec_…).');
    }
    const headers = { 'webhook-id': c.req.header('svix-id'), 'webhook-timestamp': c.req.header('svix-timestamp'), 'webhook-signature': c.req.header('svix-signature') };
    const missing = Object.entries(headers).filter(([, v]) => !v).map(([k]) => k.replace('webhook-', 'svix-'));
    if (missing.length > 0) {
      throw new ApiError(401, 'invalid_signature', `Missing ${missing.join(', ')}: a Resend webhook is signed with svix-id, svix-timestamp and svix-signature.`, { missing });
    }
    const svixId = headers['webhook-id'] ?? '';
    try {
      verifier.verify(raw, headers as Record<string, string>, { jsonParse: false });
    } catch (err) {
      const reason = err instanceof WebhookVerificationError ? err.message : 'signature could not be checked';
      log.warn({ svixId: svixId.slice(0, 100), reason }, 'resend webhook refused');
      throw new ApiError(401, 'invalid_signature', `The webhook signature is not valid: ${reason}.`, { reason });
    }

    if (svixId.length > MAX_SVIX_ID_LENGTH) {
      throw new ApiError(400, 'validation_failed', `svix-id must be at most ${MAX_SVIX_ID_LENGTH} characters (it has ${svixId.length}).`, { field: 'svix-id' });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new ApiError(400, 'invalid_json', 'The body is not JSON: a Resend event is a JSON object with type, created_at and data.');
    }
    const unstorable = unstorableJson(body);
    if (unstorable) throw new ApiError(400, 'validation_failed', `Invalid json: ${unstorable}.`);
    const envelope = ResendEnvelope.safeParse(body);
    if (!envelope.success) throw invalidEvent(envelope.error);
    const { type } = envelope.data;
    const tracked = trackedResendEvent(type);
    // A type Recertify does not track, known or new, is acknowledged and ignored: a 4xx would make
    // Resend retry it and in the end disable the endpoint, ending every delivery status with it.
    if (!tracked && !isIgnored(type)) log.warn({ svixId, type: type.slice(0, 100) }, 'resend webhook: an event type Resend did not send before; ignored');
    let event: ResendEvent = { type, occurredAt: new Date(envelope.data.created_at), emailId: null, bounce: null, failedReason: null };
    if (tracked) {
      const data = ResendEmailData.safeParse(envelope.data.data);
      if (!data.success) {
        throw invalidEvent(new z.ZodError(data.error.issues.map((i) => ({ ...i, path: ['data', ...i.path] }))));
      }
      const { email_id, bounce, failed } = data.data;
      event = {
        ...event,
        emailId: email_id,
        bounce: bounce ? { type: bounce.type, subType: bounce.subType ?? null, message: bounce.message ?? null } : null,
        failedReason: failed?.reason ?? null,
      };
    }

    const received = await sql.begin((tx) => receiveResendEvent(tx, { svixId, event }));
    const entry = { svixId, type, emailId: event.emailId, outcome: received.outcome, messageId: received.messageId };
    if (received.outcome === 'unmatched') log.info(entry, 'resend webhook: no message has this email id (kept, applied if its send is recorded)');
    else log.info(entry, 'resend webhook');
    if (received.suppressedLearnerId) log.warn({ learnerId: received.suppressedLearnerId, messageId: received.messageId, type }, "learner's address suppressed");
    return c.json({ received: true as const, outcome: received.outcome }, 200);
  });

  return app;
}
