/**
 * The only SQL for outbound webhooks: `webhook_subscriptions`, the outbox `webhook_events`, each
 * event's delivery to each subscription (`webhook_deliveries`) and the delivery log
 * (`webhook_delivery_attempts`).
 *
 * An event is written by `insertWebhookEvent` in the caller's transaction, the one that makes the
 * change it reports, with one delivery row per enabled subscription that asks for its type: nothing
 * is written when none does. A delivery workflow per row (workflows/webhook-delivery.ts) sends it;
 * its attempts are recorded here; the event's id is the `webhook-id` of every attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from '../client.ts';
import type { WebhookDeliveryStatus, WebhookEventType } from '../../domain/vocabulary.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;

/** A value of an event's `data`: ids, instants (ISO 8601 strings), numbers, flags. */
export type WebhookDataValue = string | number | boolean | null;
/** An event's `data` (camelCase keys, as they are sent). */
export type WebhookEventData = Record<string, WebhookDataValue>;

export interface WebhookSubscriptionRow {
  id: string;
  url: string;
  description: string | null;
  /** `whsec_` + base64: the Standard Webhooks signing secret. */
  secret: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  /** Deliveries in a row that failed for good; a delivered one resets it. */
  consecutiveFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookEventRow {
  id: string;
  type: WebhookEventType;
  data: WebhookEventData;
  createdAt: Date;
}

export interface WebhookDeliveryRow {
  subscriptionId: string;
  eventId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastError: string | null;
  workflowStartedAt: Date | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** One attempt of a delivery, with its event's type (the delivery log). */
export interface WebhookAttemptRow {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: WebhookEventType;
  attempt: number;
  /** The HTTP status of the answer; null when none came (connection refused, timeout). */
  statusCode: number | null;
  /** Null on a 2xx answer. */
  error: string | null;
  durationMs: number;
  createdAt: Date;
  /** The delivery's status now. */
  deliveryStatus: WebhookDeliveryStatus;
}

// ---------------------------------------------------------------------------------------------
// subscriptions

export interface NewWebhookSubscription {
  url: string;
  description: string | null;
  secret: string;
  eventTypes: readonly WebhookEventType[];
}

/** Inserts an enabled subscription; returns it. */
export async function insertSubscription(sql: Db, s: NewWebhookSubscription): Promise<WebhookSubscriptionRow> {
  const [row] = await sql<WebhookSubscriptionRow[]>`
    insert into webhook_subscriptions (id, url, description, secret, event_types)
    values (${randomUUID()}, ${s.url}, ${s.description}, ${s.secret}, ${[...s.eventTypes]}::text[])
    returning *`;
  if (!row) throw new Error('insert into webhook_subscriptions returned no row');
  return row;
}

export async function getSubscription(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<WebhookSubscriptionRow | null> {
  const [row] = opts.forUpdate
    ? await sql<WebhookSubscriptionRow[]>`select * from webhook_subscriptions where id = ${id} for update`
    : await sql<WebhookSubscriptionRow[]>`select * from webhook_subscriptions where id = ${id}`;
  return row ?? null;
}

/** Subscriptions newest first (created_at, id descending), each with its page key. */
export async function listSubscriptions(sql: Db, f: { limit: number; before?: PageBefore }): Promise<Keyed<WebhookSubscriptionRow>[]> {
  return await sql<Keyed<WebhookSubscriptionRow>[]>`
    select *, ${pageKeyColumn(sql)} from webhook_subscriptions
    where true ${beforeCondition(sql, f.before)}
    order by created_at desc, id desc
    limit ${f.limit}`;
}

/** What a change of a subscription sets; absent fields stay. */
export interface WebhookSubscriptionPatch {
  url?: string;
  description?: string | null;
  eventTypes?: readonly WebhookEventType[];
  /** Enabling clears the reason and the failure count; disabling needs a reason. */
  enabled?: { enabled: true } | { enabled: false; reason: string };
}

/** Changes a subscription; returns it afterwards, null when there is no such subscription. */
export async function updateSubscription(sql: Db, id: string, p: WebhookSubscriptionPatch): Promise<WebhookSubscriptionRow | null> {
  const en = p.enabled;
  const [row] = await sql<WebhookSubscriptionRow[]>`
    update webhook_subscriptions set
      url = ${p.url === undefined ? sql`url` : sql`${p.url}`},
      description = ${p.description === undefined ? sql`description` : sql`${p.description}`},
      event_types = ${p.eventTypes === undefined ? sql`event_types` : sql`${[...p.eventTypes]}::text[]`},
      ${
        en === undefined
          ? sql``
          : en.enabled
            ? sql`enabled = true, disabled_at = null, disabled_reason = null, consecutive_failures = 0,`
            : sql`enabled = false, disabled_at = coalesce(disabled_at, now()), disabled_reason = ${en.reason},`
      }
      updated_at = now()
    where id = ${id}
    returning *`;
  return row ?? null;
}

/** Deletes a subscription with its deliveries and their log; false when there was none. */
export async function deleteSubscription(sql: Db, id: string): Promise<boolean> {
  const rows = await sql`delete from webhook_subscriptions where id = ${id} returning id`;
  return rows.length === 1;
}

// ---------------------------------------------------------------------------------------------
// the outbox

/**
 * Writes an event of `type` with `data` in the caller's transaction (the one that makes the change
 * it reports), and one pending delivery for each enabled subscription that asks for `type`, in one
 * statement. Returns the event's id (its `webhook-id`), or null when no subscription asks for it
 * (nothing is written). Throws what the database raises (e.g. a type outside the vocabulary).
 */
export async function insertWebhookEvent(tx: Db, type: WebhookEventType, data: WebhookEventData): Promise<string | null> {
  const id = randomUUID();
  const rows = await tx<{ eventId: string }[]>`
    with subscribers as (
      select id from webhook_subscriptions where enabled and ${type}::text = any(event_types)
    ), event as (
      insert into webhook_events (id, type, data)
      select ${id}, ${type}, ${tx.json(data)} where exists (select 1 from subscribers)
      returning id
    )
    insert into webhook_deliveries (subscription_id, event_id)
    select s.id, e.id from subscribers s cross join event e
    returning event_id`;
  return rows.length > 0 ? id : null;
}

/** Whether any enabled subscription asks for `type` (a shortcut before many `insertWebhookEvent`s). */
export async function hasSubscribers(sql: Db, type: WebhookEventType): Promise<boolean> {
  const [row] = await sql<{ any: boolean }[]>`
    select exists (select 1 from webhook_subscriptions where enabled and ${type}::text = any(event_types)) as any`;
  return row?.any ?? false;
}

/** Deliveries whose workflow Temporal has not confirmed, oldest first: what the dispatcher starts. */
export async function deliveriesAwaitingWorkflow(sql: Db, args: { limit: number }): Promise<{ subscriptionId: string; eventId: string }[]> {
  return await sql<{ subscriptionId: string; eventId: string }[]>`
    select subscription_id, event_id from webhook_deliveries
    where workflow_started_at is null
    order by created_at limit ${args.limit}`;
}

/** Records that Temporal confirmed the delivery's workflow. */
export async function markDeliveryWorkflowStarted(sql: Db, subscriptionId: string, eventId: string): Promise<void> {
  await sql`
    update webhook_deliveries set workflow_started_at = coalesce(workflow_started_at, now())
    where subscription_id = ${subscriptionId} and event_id = ${eventId}`;
}

/** A delivery with its event and subscription, as the delivery activity reads them now; null when deleted. */
export async function loadDelivery(
  sql: Db,
  subscriptionId: string,
  eventId: string,
): Promise<{ delivery: WebhookDeliveryRow; event: WebhookEventRow; subscription: WebhookSubscriptionRow } | null> {
  const [delivery] = await sql<WebhookDeliveryRow[]>`
    select * from webhook_deliveries where subscription_id = ${subscriptionId} and event_id = ${eventId}`;
  if (!delivery) return null;
  const [event] = await sql<WebhookEventRow[]>`select * from webhook_events where id = ${eventId}`;
  const subscription = await getSubscription(sql, subscriptionId);
  return event && subscription ? { delivery, event, subscription } : null;
}

/**
 * Records one attempt of a pending delivery (the delivery log) and its effect, in one transaction: a
 * 2xx answer (`ok`) makes the delivery `delivered` and resets the subscription's failure count; any
 * other answer notes the error on the delivery, which stays pending for the next retry. An attempt of
 * a delivery no longer pending is still logged. Returns the delivery's status afterwards (null: the
 * delivery was deleted with its subscription).
 */
export async function recordAttempt(
  sql: Sql,
  a: { subscriptionId: string; eventId: string; attempt: number; statusCode: number | null; error: string | null; durationMs: number; ok: boolean },
): Promise<WebhookDeliveryStatus | null> {
  return await sql.begin(async (tx) => {
    const [delivery] = await tx<{ status: WebhookDeliveryStatus }[]>`
      update webhook_deliveries set
        attempts = attempts + 1,
        last_error = ${a.ok ? tx`last_error` : tx`${a.error}`},
        status = case when status = 'pending' and ${a.ok} then 'delivered' else status end,
        completed_at = case when status = 'pending' and ${a.ok} then now() else completed_at end
      where subscription_id = ${a.subscriptionId} and event_id = ${a.eventId}
      returning status`;
    if (!delivery) return null;
    await tx`
      insert into webhook_delivery_attempts (id, subscription_id, event_id, attempt, status_code, error, duration_ms)
      values (${randomUUID()}, ${a.subscriptionId}, ${a.eventId}, ${a.attempt}, ${a.statusCode}, ${a.error}, ${Math.max(0, Math.round(a.durationMs))})`;
    if (a.ok) await tx`update webhook_subscriptions set consecutive_failures = 0 where id = ${a.subscriptionId} and consecutive_failures <> 0`;
    return delivery.status;
  });
}

/** Ends a pending delivery as `skipped` with why (its subscription was disabled); returns whether it was pending. */
export async function skipDelivery(sql: Db, subscriptionId: string, eventId: string, reason: string): Promise<boolean> {
  const rows = await sql`
    update webhook_deliveries set status = 'skipped', last_error = ${reason}, completed_at = now()
    where subscription_id = ${subscriptionId} and event_id = ${eventId} and status = 'pending'
    returning event_id`;
  return rows.length === 1;
}

/**
 * Ends a pending delivery as `failed` (its retry horizon passed) and counts it against the
 * subscription: at `disableAfter` failed deliveries in a row the subscription is disabled with a
 * reason naming them and `lastError`. Returns whether this call failed the delivery and whether it
 * disabled the subscription.
 */
export async function failDelivery(
  sql: Sql,
  a: { subscriptionId: string; eventId: string; lastError: string; disableAfter: number; horizonText: string },
): Promise<{ failed: boolean; disabled: boolean }> {
  return await sql.begin(async (tx) => {
    const failed = await tx`
      update webhook_deliveries set status = 'failed', last_error = coalesce(last_error, ${a.lastError}), completed_at = now()
      where subscription_id = ${a.subscriptionId} and event_id = ${a.eventId} and status = 'pending'
      returning event_id`;
    if (failed.length === 0) return { failed: false, disabled: false };
    const [sub] = await tx<{ consecutiveFailures: number; enabled: boolean }[]>`
      update webhook_subscriptions set consecutive_failures = consecutive_failures + 1
      where id = ${a.subscriptionId}
      returning consecutive_failures, enabled`;
    if (!sub || !sub.enabled || sub.consecutiveFailures < a.disableAfter) return { failed: true, disabled: false };
    const [delivery] = await tx<{ lastError: string | null }[]>`
      select last_error from webhook_deliveries where subscription_id = ${a.subscriptionId} and event_id = ${a.eventId}`;
    const reason =
      `${sub.consecutiveFailures} deliveries in a row failed, each retried for ${a.horizonText}; ` +
      `last error: ${(delivery?.lastError ?? a.lastError).slice(0, 300)}`;
    await tx`
      update webhook_subscriptions set enabled = false, disabled_at = now(), disabled_reason = ${reason}, updated_at = now()
      where id = ${a.subscriptionId} and enabled`;
    return { failed: true, disabled: true };
  });
}

/** A subscription's delivery attempts newest first (the delivery log), each with its page key. */
export async function listAttempts(
  sql: Db,
  subscriptionId: string,
  f: { limit: number; before?: PageBefore; eventId?: string },
): Promise<Keyed<WebhookAttemptRow>[]> {
  return await sql<Keyed<WebhookAttemptRow>[]>`
    select a.id, a.subscription_id, a.event_id, e.type as event_type, a.attempt, a.status_code, a.error, a.duration_ms, a.created_at,
      d.status as delivery_status,
      to_char(a.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as page_created_at
    from webhook_delivery_attempts a
      join webhook_deliveries d on d.subscription_id = a.subscription_id and d.event_id = a.event_id
      join webhook_events e on e.id = a.event_id
    where a.subscription_id = ${subscriptionId}
      ${f.eventId ? sql`and a.event_id = ${f.eventId}` : sql``}
      ${f.before === undefined ? sql`` : f.before instanceof Date ? sql`and a.created_at < ${f.before}` : sql`and (a.created_at, a.id) < (${f.before.createdAt}::text::timestamptz, ${f.before.id}::uuid)`}
    order by a.created_at desc, a.id desc
    limit ${f.limit}`;
}

/** How many of a subscription's deliveries are in each status (absent: 0). */
export async function deliveryCounts(sql: Db, subscriptionId: string): Promise<Partial<Record<WebhookDeliveryStatus, number>>> {
  const rows = await sql<{ status: WebhookDeliveryStatus; n: number }[]>`
    select status, count(*)::int as n from webhook_deliveries where subscription_id = ${subscriptionId} group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
