/**
 * The only SQL for `messages` and `email_batches` (a message is stored, then sent once per idempotency key).
 *
 * A message's life: `queued` (inserted, unique idempotency key) → `sending` (claimed by exactly one
 * provider request, recorded in `email_batches`) → `sent` | `failed`. A row in `sending` stays bound
 * to its batch until that batch's outcome is recorded, so a retry re-sends the *same* request (same
 * payloads, same order, same provider idempotency key) instead of sending the message again.
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { MessageRow, MessageStatus } from '../rows.ts';
import type { DeliveryStatus } from '../../domain/vocabulary.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageKey } from './paging.ts';

export type MessageProvider = MessageRow['provider'];

/** A message as recorded before sending: the row's own fields, the rest filled in by the database. */
export type NewMessage = Pick<
  MessageRow,
  'kind' | 'learnerId' | 'awardId' | 'attemptId' | 'toAddress' | 'fromAddress' | 'subject' | 'body' | 'provider' | 'idempotencyKey'
> & { textBody?: string | null };

export type BatchStatus = 'sending' | 'sent' | 'failed';
export interface EmailBatchRow {
  id: string;
  idempotencyKey: string;
  /** The messages of the provider request, in payload order. */
  messageIds: string[];
  status: BatchStatus;
  createdAt: Date;
  completedAt: Date | null;
}

/** The recorded outcome of one message of a provider request. */
export type MessageOutcome =
  | { messageId: string; ok: true; providerMessageId: string }
  | { messageId: string; ok: false; error: string };

// ---------------------------------------------------------------------------------------------
// messages

/**
 * Inserts the message unless its idempotency key exists, and returns the stored row either way.
 * The first writer wins: a later draft with the same key (re-rendered, maybe different) is ignored.
 */
export async function insertOrGetMessage(sql: Sql, m: NewMessage): Promise<{ message: MessageRow; created: boolean }> {
  const [inserted] = await sql<MessageRow[]>`
    insert into messages (kind, learner_id, award_id, attempt_id, to_address, from_address, subject, body, text_body, provider, idempotency_key)
    values (${m.kind}, ${m.learnerId}, ${m.awardId}, ${m.attemptId}, ${m.toAddress}, ${m.fromAddress}, ${m.subject}, ${m.body},
            ${m.textBody ?? null}, ${m.provider}, ${m.idempotencyKey})
    on conflict (idempotency_key) do nothing
    returning *`;
  if (inserted) return { message: inserted, created: true };
  const existing = await getMessageByKey(sql, m.idempotencyKey);
  if (!existing) throw new Error(`message ${m.idempotencyKey} conflicted but cannot be read`);
  return { message: existing, created: false };
}

export async function getMessageById(sql: Sql, id: string): Promise<MessageRow | null> {
  const [row] = await sql<MessageRow[]>`select * from messages where id = ${id}`;
  return row ?? null;
}

export async function getMessageByKey(sql: Sql, idempotencyKey: string): Promise<MessageRow | null> {
  const [row] = await sql<MessageRow[]>`select * from messages where idempotency_key = ${idempotencyKey}`;
  return row ?? null;
}

/** The rows of `ids`, in the order of `ids` (missing ids are left out). */
export async function getMessagesByIds(sql: Sql | TransactionSql, ids: string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  const rows = await sql<MessageRow[]>`select * from messages where id = any(${ids}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Records a permanent failure of a message that never joined a provider request (e.g. an invalid
 * address). Only a `queued` row changes; returns the row as it is afterwards.
 */
export async function markMessageFailed(sql: Sql, id: string, error: string): Promise<MessageRow> {
  const [row] = await sql<MessageRow[]>`
    update messages set status = 'failed', error = ${error}
    where id = ${id} and status = 'queued' returning *`;
  if (row) return row;
  const current = await getMessageById(sql, id);
  if (!current) throw new Error(`message ${id} not found`);
  return current;
}

export interface ListMessagesFilter {
  learnerId?: string;
  awardId?: string;
  /** At most this many (1–1001: a page of up to 1000 and the one row that says there is more). */
  limit: number;
  /**
   * Only messages after this page key in the order (keyset paging on created_at, id), or created
   * strictly before this instant.
   */
  before?: PageKey | Date | string;
}

/** The message log, newest first (created_at, then id, descending), each with its page key (db/queries/paging.ts). */
export async function listMessages(sql: Sql, filter: ListMessagesFilter): Promise<Keyed<MessageRow>[]> {
  const limit = Math.max(1, Math.min(Math.trunc(filter.limit), 1001));
  const before = filter.before === undefined || typeof filter.before === 'object' ? filter.before : new Date(filter.before);
  if (before instanceof Date && Number.isNaN(before.getTime())) throw new Error(`invalid "before" instant: ${String(filter.before)}`);
  return await sql<Keyed<MessageRow>[]>`
    select *, ${pageKeyColumn(sql)} from messages
    where true
      ${filter.learnerId ? sql`and learner_id = ${filter.learnerId}` : sql``}
      ${filter.awardId ? sql`and award_id = ${filter.awardId}` : sql``}
      ${beforeCondition(sql, before)}
    order by created_at desc, id desc
    limit ${limit}`;
}

/**
 * Redacts every stored message of a learner (an erasure): recipient, subject, body and error replaced
 * with placeholders; kind, status, provider, ids and instants stay as history. Returns how many.
 */
export async function redactMessagesOfLearner(
  sql: Sql | TransactionSql,
  learnerId: string,
  placeholders: { toAddress: string; subject: string; body: string },
): Promise<number> {
  const rows = await sql`
    update messages set to_address = ${placeholders.toAddress}, subject = ${placeholders.subject}, body = ${placeholders.body},
      text_body = case when text_body is null then null else ${placeholders.body} end,
      error = case when error is null then null else ${placeholders.subject} end
    where learner_id = ${learnerId}
    returning id`;
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// email_batches: the ledger of provider requests

/**
 * Writes the ledger row of a provider request and binds its messages to it, in one transaction:
 * the batch row (its own idempotency key, the ordered message ids) and, for every message, status
 * `sending` + `batch_id`. Only messages still `queued` are claimed (row locks make two processes
 * racing for the same message claim it once); the batch holds exactly the claimed ones, in the
 * order given. A message whose learner's address is suppressed (and is still the address it was
 * written to) becomes `suppressed` instead, with `suppressedNote` as its error, and is not claimed.
 * Returns null when none could be claimed.
 */
export async function claimBatch(
  sql: Sql,
  args: { batchId: string; idempotencyKey: string; messageIds: string[]; provider: MessageProvider; suppressedNote?: string },
): Promise<{ batch: EmailBatchRow; messages: MessageRow[] } | null> {
  if (args.messageIds.length === 0) return null;
  return await sql.begin(async (tx) => {
    // The address may have been suppressed (a hard bounce, a complaint) since the message was recorded:
    // such a message is recorded `suppressed` now, at the moment it would leave, and is not claimed.
    await tx`
      update messages m set status = 'suppressed', error = ${args.suppressedNote ?? 'not sent: the address is suppressed'}
      from learners l
      where m.id = any(${args.messageIds}::uuid[]) and m.status = 'queued' and m.batch_id is null
        and l.id = m.learner_id and l.email_suppressed_at is not null and lower(l.email) = lower(m.to_address)`;
    const claimable = await tx<{ id: string }[]>`
      select id from messages
      where id = any(${args.messageIds}::uuid[]) and status = 'queued' and batch_id is null
      for update`;
    const ok = new Set(claimable.map((r) => r.id));
    const ids = args.messageIds.filter((id) => ok.has(id));
    if (ids.length === 0) return null;
    const [batch] = await tx<EmailBatchRow[]>`
      insert into email_batches (id, idempotency_key, message_ids, status)
      values (${args.batchId}, ${args.idempotencyKey}, ${ids}::uuid[], 'sending')
      returning *`;
    if (!batch) throw new Error('insert into email_batches returned no row');
    await tx`
      update messages
      set status = 'sending', batch_id = ${batch.id}, provider = ${args.provider}, send_attempts = send_attempts + 1, error = null
      where id = any(${ids}::uuid[])`;
    return { batch, messages: await getMessagesByIds(tx, ids) };
  });
}

export async function getBatch(sql: Sql, id: string): Promise<EmailBatchRow | null> {
  const [row] = await sql<EmailBatchRow[]>`select * from email_batches where id = ${id}`;
  return row ?? null;
}

/** Counts one more provider request for the messages of a batch being re-sent. */
export async function countBatchResend(sql: Sql, batchId: string): Promise<void> {
  await sql`update messages set send_attempts = send_attempts + 1 where batch_id = ${batchId} and status = 'sending'`;
}

/**
 * Records the answer to a batch's provider request: each message `sent` (with the provider's id) or
 * `failed` (with the reason), and the batch done, in one transaction. Only rows still `sending` in
 * this batch change, so recording the same answer twice is harmless. Returns the batch's rows.
 * `inTransaction`, when given, is called before the commit with the rows this call changed (as they
 * are now), to record what follows from them in the same transaction (outbound webhook events).
 */
export async function completeBatch(
  sql: Sql,
  batchId: string,
  outcomes: MessageOutcome[],
  inTransaction?: (tx: TransactionSql, changed: MessageRow[]) => Promise<void>,
): Promise<MessageRow[]> {
  const ids = outcomes.map((o) => o.messageId);
  const statuses: MessageStatus[] = outcomes.map((o) => (o.ok ? 'sent' : 'failed'));
  const providerIds = outcomes.map((o) => (o.ok ? o.providerMessageId : null));
  const errors = outcomes.map((o) => (o.ok ? null : o.error));
  const batchStatus: BatchStatus = outcomes.some((o) => o.ok) ? 'sent' : 'failed';
  return await sql.begin(async (tx) => {
    const changed = await tx<MessageRow[]>`
      update messages m
      set status = v.status,
          provider_message_id = v.provider_message_id,
          error = v.error,
          sent_at = case when v.status = 'sent' then now() else null end
      from unnest(${ids}::uuid[], ${statuses}::text[], ${providerIds}::text[], ${errors}::text[])
        as v(id, status, provider_message_id, error)
      where m.id = v.id and m.batch_id = ${batchId} and m.status = 'sending'
      returning m.*`;
    if (inTransaction && changed.length > 0) await inTransaction(tx, [...changed]);
    await tx`
      update email_batches set status = ${batchStatus}, completed_at = now()
      where id = ${batchId} and status = 'sending'`;
    return await tx<MessageRow[]>`select * from messages where batch_id = ${batchId}`;
  });
}

/**
 * Notes a retryable failure (rate limit, 5xx, network) of a batch's request on its messages, for the
 * message log. They stay `sending` and bound to the batch: the next try re-sends the same request.
 */
export async function noteBatchRetryableError(sql: Sql, batchId: string, error: string): Promise<void> {
  await sql`update messages set error = ${error} where batch_id = ${batchId} and status = 'sending'`;
}

// ---------------------------------------------------------------------------------------------
// delivery status (issue 10 §1): what the provider reported after accepting a message

/** The message with this provider id (Resend's `email_id`), locked for update; null when none has it. */
export async function lockMessageByProviderId(tx: TransactionSql, providerMessageId: string): Promise<MessageRow | null> {
  const [row] = await tx<MessageRow[]>`select * from messages where provider_message_id = ${providerMessageId} for update`;
  return row ?? null;
}

/** The message, locked for update (its delivery status is changed after this); null when unknown. */
export async function lockMessage(tx: TransactionSql, id: string): Promise<MessageRow | null> {
  const [row] = await tx<MessageRow[]>`select * from messages where id = ${id} for update`;
  return row ?? null;
}

/** Sets the message's delivery status and the instant of the event that set it; returns the row. */
export async function setDeliveryStatus(tx: TransactionSql, id: string, status: DeliveryStatus, at: Date): Promise<MessageRow> {
  const [row] = await tx<MessageRow[]>`
    update messages set delivery_status = ${status}, delivery_updated_at = ${at} where id = ${id} returning *`;
  if (!row) throw new Error(`message ${id} not found`);
  return row;
}
