/**
 * The only SQL for `resend_webhook_events`: one receipt per received Resend webhook event id (svix-id),
 * so a replayed event changes nothing; an event whose email id no message has yet is kept `unmatched`
 * with what to apply, and applied when the send that got that id is recorded (issue 10 §1).
 */
import type { TransactionSql } from '../client.ts';
import type { DeliveryEventType, WebhookReceiptOutcome } from '../../domain/vocabulary.ts';

export interface WebhookReceiptRow {
  svixId: string;
  eventType: string;
  emailId: string | null;
  outcome: WebhookReceiptOutcome;
  deliveryType: DeliveryEventType | null;
  occurredAt: Date | null;
  detail: string | null;
  hardBounce: boolean;
  receivedAt: Date;
}

export type NewWebhookReceipt = Omit<WebhookReceiptRow, 'receivedAt'>;

/**
 * Serializes everything done for these email ids in the current transaction (a webhook event, the
 * recording of a send's provider id), so an event that finds no message yet and the send recorded at
 * the same moment cannot miss each other. Locks in a fixed order (no deadlock between callers).
 */
export async function lockEmailIds(tx: TransactionSql, emailIds: readonly string[]): Promise<void> {
  if (emailIds.length === 0) return;
  await tx`select pg_advisory_xact_lock(hashtextextended('resend-email:' || e, 0)) from unnest(${[...emailIds]}::text[]) e order by e`;
}

/** Stores the receipt; false when an event with this svix id was received before (nothing stored). */
export async function insertWebhookReceipt(tx: TransactionSql, r: NewWebhookReceipt): Promise<boolean> {
  const rows = await tx`
    insert into resend_webhook_events (svix_id, event_type, email_id, outcome, delivery_type, occurred_at, detail, hard_bounce)
    values (${r.svixId}, ${r.eventType}, ${r.emailId}, ${r.outcome}, ${r.deliveryType}, ${r.occurredAt}, ${r.detail}, ${r.hardBounce})
    on conflict (svix_id) do nothing
    returning svix_id`;
  return rows.length === 1;
}

/** The `unmatched` receipts of these email ids, oldest event first, locked for update. */
export async function lockUnmatchedReceipts(tx: TransactionSql, emailIds: readonly string[]): Promise<WebhookReceiptRow[]> {
  if (emailIds.length === 0) return [];
  return await tx<WebhookReceiptRow[]>`
    select * from resend_webhook_events where outcome = 'unmatched' and email_id = any(${[...emailIds]}::text[])
    order by occurred_at, received_at for update`;
}

/** Marks receipts applied. */
export async function markReceiptsApplied(tx: TransactionSql, svixIds: readonly string[]): Promise<void> {
  if (svixIds.length === 0) return;
  await tx`update resend_webhook_events set outcome = 'applied' where svix_id = any(${[...svixIds]}::text[])`;
}

/** Replaces the detail of every received Resend event about the learner's messages with `placeholder` (an erasure); returns how many. */
export async function redactReceiptsOfLearner(tx: TransactionSql, learnerId: string, placeholder: string): Promise<number> {
  const rows = await tx`
    update resend_webhook_events r set detail = ${placeholder}
    from messages m where m.learner_id = ${learnerId} and m.provider_message_id is not null
      and r.email_id = m.provider_message_id and r.detail is not null
    returning r.svix_id`;
  return rows.length;
}
