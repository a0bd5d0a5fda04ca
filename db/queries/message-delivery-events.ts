/** The only SQL for `message_delivery_events`: each message's delivery timeline (issue 10 §1). */
import type { Sql, TransactionSql } from '../client.ts';
import type { DeliveryEventRow } from '../rows.ts';
import type { DeliveryEventType } from '../../domain/vocabulary.ts';

/** An event to add to a message's timeline. */
export interface NewDeliveryEvent {
  messageId: string;
  type: DeliveryEventType;
  /** The provider's event id; an id already stored makes the insert a no-op. Null: no id (always inserted). */
  providerEventId: string | null;
  occurredAt: Date;
  detail: string | null;
}

/** Adds the event; null when an event with the same provider id is stored already. */
export async function insertDeliveryEvent(tx: TransactionSql, e: NewDeliveryEvent): Promise<DeliveryEventRow | null> {
  const [row] = await tx<DeliveryEventRow[]>`
    insert into message_delivery_events (message_id, type, provider_event_id, occurred_at, detail)
    values (${e.messageId}, ${e.type}, ${e.providerEventId}, ${e.occurredAt}, ${e.detail})
    on conflict (provider_event_id) do nothing
    returning *`;
  return row ?? null;
}

/** The timelines of `messageIds`, each oldest first (by when it happened, then when it arrived), by message id. */
export async function deliveryEventsOf(sql: Sql | TransactionSql, messageIds: readonly string[]): Promise<Map<string, DeliveryEventRow[]>> {
  const out = new Map<string, DeliveryEventRow[]>();
  if (messageIds.length === 0) return out;
  const rows = await sql<DeliveryEventRow[]>`
    select * from message_delivery_events where message_id = any(${[...messageIds]}::uuid[])
    order by message_id, occurred_at, received_at, id`;
  for (const r of rows) {
    const list = out.get(r.messageId);
    if (list) list.push(r);
    else out.set(r.messageId, [r]);
  }
  return out;
}

/** Replaces the detail of every delivery event of the learner's messages with `placeholder` (an erasure); returns how many. */
export async function redactDeliveryEventsOfLearner(tx: TransactionSql, learnerId: string, placeholder: string): Promise<number> {
  const rows = await tx`
    update message_delivery_events e set detail = ${placeholder}
    from messages m where m.id = e.message_id and m.learner_id = ${learnerId} and e.detail is not null
    returning e.id`;
  return rows.length;
}
