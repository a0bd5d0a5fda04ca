/**
 * A message's delivery after the provider accepted it (issue 10 §1): the events the provider reports
 * (Resend's webhooks; the log provider's own), the delivery status they add up to, and the learner's
 * address suppressed after a hard bounce or a complaint.
 *
 * `recordDeliveryEvent` is the one way an event reaches a message: the Resend webhook
 * (api/routes/resend-webhooks.ts), the late matching of an event that arrived before its send was recorded,
 * and the log provider (activities/mail) all go through it.
 */
import type { Sql, TransactionSql } from '../db/client.ts';
import type { DeliveryEventRow, LearnerRow, MessageRow } from '../db/rows.ts';
import * as eventsQ from '../db/queries/message-delivery-events.ts';
import * as learnersQ from '../db/queries/learners.ts';
import * as messagesQ from '../db/queries/messages.ts';
import * as receiptsQ from '../db/queries/resend-webhook-events.ts';
import { emitMessageBounced } from './webhook-events.ts';
import { ERASED } from './lifecycle.ts';
import type { DeliveryEventType, DeliveryStatus, SuppressionReason, WebhookReceiptOutcome } from './vocabulary.ts';

/**
 * How decisive each status is: a later event never moves a message back to a less decisive status
 * (Resend's events can arrive out of order: `delivered` before `sent`, a `delivery_delayed` after
 * `delivered`). Equal rank: the event that happened later wins.
 */
export const DELIVERY_RANK: Record<DeliveryStatus, number> = {
  sent: 1,
  delivery_delayed: 2,
  delivered: 3,
  bounced: 4,
  failed: 4,
  complained: 5,
};

/**
 * The delivery status after an event: the event's type when it is more decisive than the current
 * status (`DELIVERY_RANK`), or as decisive and not older; else the current status. `current` null:
 * no event yet.
 */
export function deliveryStatusAfter(
  current: { status: DeliveryStatus; at: Date } | null,
  event: { type: DeliveryEventType; occurredAt: Date },
): DeliveryStatus {
  if (!current) return event.type;
  const rank = DELIVERY_RANK[event.type];
  const now = DELIVERY_RANK[current.status];
  if (rank > now) return event.type;
  if (rank === now && event.occurredAt.getTime() >= current.at.getTime()) return event.type;
  return current.status;
}

/** Why an event suppresses the address, or null: a complaint always, a bounce when it is hard (`Permanent`). */
export function suppressionFor(event: { type: DeliveryEventType; hardBounce: boolean }): SuppressionReason | null {
  if (event.type === 'complained') return 'complaint';
  if (event.type === 'bounced' && event.hardBounce) return 'hard_bounce';
  return null;
}

/** The `error` of a message recorded `suppressed` (db/queries/messages.ts claimBatch). */
export const SUPPRESSED_NOTE = "not sent: the learner's address hard-bounced or marked a message as spam; it is suppressed until the learner's email changes";

/** A delivery event for one message. */
export interface DeliveryEventInput {
  messageId: string;
  type: DeliveryEventType;
  /** The provider's event id (Resend: the svix-id header): recording the same id twice changes nothing. Null: none. */
  providerEventId: string | null;
  /** When the provider says it happened. */
  occurredAt: Date;
  /** A bounce's type, subtype and message; a failure's reason. */
  detail: string | null;
  /** A bounce of type `Permanent` (a hard bounce): suppresses the address. Ignored for other types. */
  hardBounce: boolean;
  /** A bounce's type as the provider gives it (Resend: `Permanent`, `Transient`, `Undetermined`); carried by `message.bounced`. */
  bounceType?: string | null;
}

export interface RecordedDeliveryEvent {
  /** False when the message is unknown or the provider event id was recorded before: nothing changed. */
  recorded: boolean;
  /** The timeline row added (null when nothing changed). */
  event: DeliveryEventRow | null;
  /** The message as it is afterwards (null when unknown). */
  message: MessageRow | null;
  /** The learner when this event suppressed their address (a hard bounce or complaint); else null. */
  suppressed: LearnerRow | null;
}

/**
 * Records one delivery event on its message, in the caller's transaction: adds it to the timeline,
 * moves the message's delivery status (`deliveryStatusAfter`), and after a hard bounce or a complaint
 * suppresses the learner's address — only while the learner's email is still the address the message
 * went to. Locks the message row. A known `providerEventId` or an unknown message changes nothing
 * (`recorded: false`). Throws only database errors.
 */
export async function recordDeliveryEvent(tx: TransactionSql, input: DeliveryEventInput): Promise<RecordedDeliveryEvent> {
  const message = await messagesQ.lockMessage(tx, input.messageId);
  if (!message) return { recorded: false, event: null, message: null, suppressed: null };
  const event = await eventsQ.insertDeliveryEvent(tx, {
    messageId: message.id,
    type: input.type,
    providerEventId: input.providerEventId,
    occurredAt: input.occurredAt,
    detail: input.detail,
  });
  if (!event) return { recorded: false, event: null, message, suppressed: null };
  const current = message.deliveryStatus && message.deliveryUpdatedAt ? { status: message.deliveryStatus, at: message.deliveryUpdatedAt } : null;
  const status = deliveryStatusAfter(current, input);
  const after = status === current?.status ? message : await messagesQ.setDeliveryStatus(tx, message.id, status, input.occurredAt);
  const reason = suppressionFor(input);
  const suppressed = reason
    ? await learnersQ.suppressLearnerAddress(tx, { learnerId: message.learnerId, address: message.toAddress, reason, messageId: message.id })
    : null;
  // Subscribers hear of each bounce once: this runs once per provider event id (the timeline row above).
  if (input.type === 'bounced') {
    await emitMessageBounced(tx, message, { bounceType: input.bounceType ?? (input.hardBounce ? 'Permanent' : null), bouncedAt: input.occurredAt });
  }
  return { recorded: true, event, message: after, suppressed };
}

/**
 * Applies the webhook events that arrived before their send was recorded (kept `unmatched`, by email
 * id) to the messages just recorded sent with those provider ids, in one transaction that holds the
 * email ids' locks (so an event arriving meanwhile either finds the message or is found here).
 * Returns how many events were applied.
 */
export async function applyUnmatchedDeliveryEvents(sql: Sql, sent: readonly Pick<MessageRow, 'id' | 'providerMessageId'>[]): Promise<number> {
  const byEmailId = new Map<string, string>();
  for (const m of sent) if (m.providerMessageId) byEmailId.set(m.providerMessageId, m.id);
  if (byEmailId.size === 0) return 0;
  return await sql.begin(async (tx) => {
    const emailIds = [...byEmailId.keys()];
    await receiptsQ.lockEmailIds(tx, emailIds);
    const pending = await receiptsQ.lockUnmatchedReceipts(tx, emailIds);
    const applied: string[] = [];
    for (const r of pending) {
      const messageId = r.emailId ? byEmailId.get(r.emailId) : undefined;
      if (!messageId || !r.deliveryType || !r.occurredAt) continue;
      await recordDeliveryEvent(tx, {
        messageId,
        type: r.deliveryType,
        providerEventId: r.svixId,
        occurredAt: r.occurredAt,
        detail: r.detail,
        hardBounce: r.hardBounce,
      });
      applied.push(r.svixId);
    }
    await receiptsQ.markReceiptsApplied(tx, applied);
    return applied.length;
  });
}

// ---------------------------------------------------------------------------------------------
// Resend's webhook events

/** Resend's event types Recertify tracks (`email.<type>`), each with the delivery event it records. */
export const TRACKED_RESEND_EVENTS = {
  'email.sent': 'sent',
  'email.delivered': 'delivered',
  'email.delivery_delayed': 'delivery_delayed',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.failed': 'failed',
} as const satisfies Record<`email.${DeliveryEventType}`, DeliveryEventType>;
export type TrackedResendEvent = keyof typeof TRACKED_RESEND_EVENTS;

/** The tracked Resend event's delivery event type, or null for any other type. */
export function trackedResendEvent(type: string): DeliveryEventType | null {
  return Object.hasOwn(TRACKED_RESEND_EVENTS, type) ? TRACKED_RESEND_EVENTS[type as TrackedResendEvent] : null;
}

/** A verified Resend event, as the webhook read it. */
export interface ResendEvent {
  /** Resend's type, e.g. `email.bounced`. */
  type: string;
  /** The event's `created_at`. */
  occurredAt: Date;
  /** `data.email_id` (the id Resend answered the send with); null for events that are not about an email. */
  emailId: string | null;
  /** `data.bounce` of `email.bounced`: `type` is `Permanent` (hard), `Transient` (soft) or `Undetermined`. */
  bounce: { type: string; subType: string | null; message: string | null } | null;
  /** `data.failed.reason` of `email.failed`. */
  failedReason: string | null;
}

/** What the webhook did with an event: its receipt's outcome, or `duplicate` (the event id was received before: nothing changed). */
export type ResendEventOutcome = WebhookReceiptOutcome | 'duplicate';

/** A bounce's words for the timeline, e.g. `Permanent/General: mailbox does not exist`. */
function bounceDetail(bounce: NonNullable<ResendEvent['bounce']>): string {
  const kind = bounce.subType ? `${bounce.type}/${bounce.subType}` : bounce.type;
  return bounce.message ? `${kind}: ${bounce.message}` : kind;
}

/**
 * Receives one verified Resend webhook event in the caller's transaction, once per event id
 * (`svixId`): a tracked type is recorded on the message whose provider id is its email id
 * (`recordDeliveryEvent`), or kept `unmatched` when no message has that id yet (applied by
 * `applyUnmatchedDeliveryEvents` when the send is recorded); another type is `ignored`. A repeated
 * event id changes nothing (`duplicate`). Throws only database errors.
 */
export async function receiveResendEvent(
  tx: TransactionSql,
  args: { svixId: string; event: ResendEvent },
): Promise<{ outcome: ResendEventOutcome; messageId: string | null; suppressedLearnerId: string | null }> {
  const { svixId, event } = args;
  const type = trackedResendEvent(event.type);
  const hardBounce = type === 'bounced' && event.bounce?.type === 'Permanent';
  let detail = type === 'bounced' && event.bounce ? bounceDetail(event.bounce) : type === 'failed' ? event.failedReason : null;
  const receipt = { svixId, eventType: event.type, emailId: event.emailId, occurredAt: event.occurredAt, detail, hardBounce };
  if (!type || !event.emailId) {
    const fresh = await receiptsQ.insertWebhookReceipt(tx, { ...receipt, outcome: 'ignored', deliveryType: null });
    return { outcome: fresh ? 'ignored' : 'duplicate', messageId: null, suppressedLearnerId: null };
  }
  await receiptsQ.lockEmailIds(tx, [event.emailId]);
  const message = await messagesQ.lockMessageByProviderId(tx, event.emailId);
  // An erased learner's personal data is not stored again: a bounce's text quotes the address.
  if (detail !== null && message && (await learnersQ.getLearner(tx, message.learnerId))?.erasedAt) detail = ERASED.detail;
  const fresh = await receiptsQ.insertWebhookReceipt(tx, { ...receipt, detail, outcome: message ? 'applied' : 'unmatched', deliveryType: type });
  if (!fresh) return { outcome: 'duplicate', messageId: message?.id ?? null, suppressedLearnerId: null };
  if (!message) return { outcome: 'unmatched', messageId: null, suppressedLearnerId: null };
  const recorded = await recordDeliveryEvent(tx, {
    messageId: message.id, type, providerEventId: svixId, occurredAt: event.occurredAt, detail, hardBounce, bounceType: event.bounce?.type ?? null,
  });
  return { outcome: 'applied', messageId: message.id, suppressedLearnerId: recorded.suppressed?.id ?? null };
}
