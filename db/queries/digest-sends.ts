/**
 * The only SQL of the weekly digest (issue 14 §4): the awards a digest may list, read as the database
 * has them now, and the ledger `digest_sends` (one row per period and recipient).
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { DigestCandidate } from '../../domain/digest.ts';
import type { DigestAudience, DigestSendStatus, MailProvider } from '../../domain/vocabulary.ts';

type Db = Sql | TransactionSql;

/**
 * The awards a digest of the slot `at` may list (domain/digest.ts `digestEntryState` decides): held
 * awards in grace, with an open recertification attempt, or expiring up to `lapsingUntil`; and
 * awards (held or expired) whose expiry is after `expiredSince`. Learners deactivated or erased are
 * left out, and so are archived certificates. Manager addresses come lower-cased.
 */
export async function digestCandidates(sql: Db, args: { expiredSince: Date; lapsingUntil: Date }): Promise<DigestCandidate[]> {
  return await sql<DigestCandidate[]>`
    select a.id as award_id, a.status, a.expires_at, a.grace_ends_at, c.title as certificate_title,
      l.id as learner_id, l.name as learner_name, l.email as learner_email, lower(l.manager_email) as manager_email,
      att.progress as open_attempt_progress
    from awards a
      join learners l on l.id = a.learner_id
      join certificates c on c.id = a.certificate_id
      left join course_attempts att on att.award_id = a.id and att.source = 'recertification' and att.status in ('enrolled', 'in_progress')
    where l.deactivated_at is null and l.erased_at is null and c.archived_at is null
      and (
        a.status = 'in_grace'
        or (a.status = 'active' and (att.id is not null or (a.expires_at > ${args.expiredSince} and a.expires_at <= ${args.lapsingUntil})))
        or (a.status = 'expired' and a.expires_at > ${args.expiredSince})
      )
    order by a.expires_at nulls last, a.id`;
}

/** A digest's ledger row. */
export interface DigestSendRow {
  period: string;
  recipient: string;
  audience: DigestAudience;
  status: DigestSendStatus;
  idempotencyKey: string;
  provider: MailProvider;
  fromAddress: string;
  /** The payload, kept while `sending` (a re-send repeats it exactly); cleared when the provider answered. */
  subject: string | null;
  htmlBody: string | null;
  textBody: string | null;
  entryCount: number;
  providerMessageId: string | null;
  error: string | null;
  sendAttempts: number;
  createdAt: Date;
  completedAt: Date | null;
}

/**
 * Writes the ledger row of (period, recipient) with its payload, status `sending`, unless one is there
 * already: returns the row as it is now and whether this call wrote it. A second run of the period
 * gets the first run's row (and its payload), never a second one.
 */
export async function claimDigestSend(
  sql: Db,
  row: Pick<DigestSendRow, 'period' | 'recipient' | 'audience' | 'idempotencyKey' | 'provider' | 'fromAddress' | 'subject' | 'htmlBody' | 'textBody' | 'entryCount'>,
): Promise<{ row: DigestSendRow; created: boolean }> {
  const [inserted] = await sql<DigestSendRow[]>`
    insert into digest_sends ${sql(row as Record<string, unknown>, 'period', 'recipient', 'audience', 'idempotencyKey', 'provider', 'fromAddress', 'subject', 'htmlBody', 'textBody', 'entryCount')}
    on conflict (period, recipient) do nothing
    returning *`;
  if (inserted) return { row: inserted, created: true };
  const [existing] = await sql<DigestSendRow[]>`select * from digest_sends where period = ${row.period} and recipient = ${row.recipient}`;
  if (!existing) throw new Error(`digest_sends (${row.period}, ${row.recipient}) neither inserted nor found`);
  return { row: existing, created: false };
}

/**
 * Records the provider's answer to a `sending` row: `sent` with its message id, or `failed` with the
 * reason; the payload is cleared (it names learners). A row no longer `sending` is left as it is.
 * Returns the row as it is now.
 */
export async function completeDigestSend(
  sql: Db,
  key: { period: string; recipient: string },
  outcome: { ok: true; providerMessageId: string } | { ok: false; error: string },
): Promise<DigestSendRow | null> {
  const [row] = await sql<DigestSendRow[]>`
    update digest_sends set
      status = ${outcome.ok ? 'sent' : 'failed'},
      provider_message_id = ${outcome.ok ? outcome.providerMessageId : null},
      error = ${outcome.ok ? null : outcome.error},
      html_body = null, text_body = null, completed_at = now(), send_attempts = send_attempts + 1
    where period = ${key.period} and recipient = ${key.recipient} and status = 'sending'
    returning *`;
  if (row) return row;
  const [now] = await sql<DigestSendRow[]>`select * from digest_sends where period = ${key.period} and recipient = ${key.recipient}`;
  return now ?? null;
}

/** Notes a retryable failure of a `sending` row's request (it stays `sending`, to be re-sent as it is). */
export async function noteDigestRetry(sql: Db, key: { period: string; recipient: string }, error: string): Promise<void> {
  await sql`
    update digest_sends set error = ${error}, send_attempts = send_attempts + 1
    where period = ${key.period} and recipient = ${key.recipient} and status = 'sending'`;
}

/** The latest ledger rows, newest first (the admin's digest view), without their payloads. */
export async function recentDigestSends(sql: Db, limit: number): Promise<Omit<DigestSendRow, 'htmlBody' | 'textBody'>[]> {
  return await sql<Omit<DigestSendRow, 'htmlBody' | 'textBody'>[]>`
    select period, recipient, audience, status, idempotency_key, provider, from_address, subject, entry_count,
      provider_message_id, error, send_attempts, created_at, completed_at
    from digest_sends order by created_at desc, recipient limit ${limit}`;
}

/** The distinct manager addresses of active learners, lower-cased, sorted. */
export async function managerAddresses(sql: Db): Promise<string[]> {
  const rows = await sql<{ address: string }[]>`
    select distinct lower(manager_email) as address from learners
    where manager_email is not null and deactivated_at is null and erased_at is null
    order by 1`;
  return rows.map((r) => r.address);
}

/**
 * Replaces `address` (case-insensitively) as a digest's recipient, and in its idempotency key, with
 * `placeholder` (an erasure of that person). Returns how many ledger rows changed.
 */
export async function redactDigestRecipient(sql: Db, address: string, placeholder: string): Promise<number> {
  const rows = await sql`
    update digest_sends set recipient = ${placeholder}, idempotency_key = 'digest:' || period || ':' || ${placeholder}
    where recipient = lower(${address})
    returning 1`;
  return rows.length;
}
