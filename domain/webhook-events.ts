/**
 * The events outbound webhooks report, and the one way to emit them: in the transaction of the change
 * they report (an outbox). Each emit writes the event and its pending deliveries
 * (db/queries/webhooks.ts `insertWebhookEvent`) or nothing when no enabled subscription asks for its
 * type; the API's dispatcher starts a delivery workflow per delivery after the commit. An event's
 * `data` holds ids, statuses and instants, never a name or an email: a receiver asks the API for
 * more, and an erasure need not reach the outbox.
 *
 * Where each is emitted:
 *  - `award.created`, `award.renewed`: domain/awarding.ts `recordAward` (manual awards, imports,
 *    completions);
 *  - `award.revoked`: `POST /api/awards/{id}/revoke` (api/routes/awards.ts) and the lifecycle's
 *    revocations (domain/lifecycle.ts: deactivation, erasure, archive);
 *  - `award.expired`: the recertification workflow's `expireAward` activity;
 *  - `recertification.enrolled`: domain/attempts.ts `enrollWhenDue` (the due step since
 *    ENROLL_WHEN_DUE) and `createRecertificationAttempt` (before it);
 *  - `recertification.reminded`: db/queries/messages.ts `completeBatch`, when a reminder becomes `sent`;
 *  - `message.bounced`: `emitMessageBounced`, for the code that records a bounce.
 */
import type { TransactionSql } from '../db/client.ts';
import type { AttemptRow, AwardRow, MessageRow } from '../db/rows.ts';
import * as awardsQ from '../db/queries/awards.ts';
import { hasSubscribers, insertWebhookEvent, type WebhookEventData } from '../db/queries/webhooks.ts';
import type { WebhookEventType } from './vocabulary.ts';

const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** An award as an event carries it: ids, status, instants (ISO 8601), the revoke reason. */
export function awardEventData(award: AwardRow): WebhookEventData {
  return {
    awardId: award.id,
    certificateId: award.certificateId,
    learnerId: award.learnerId,
    status: award.status,
    awardedAt: award.awardedAt.toISOString(),
    expiresAt: isoOrNull(award.expiresAt),
    previousAwardId: award.previousAwardId,
    renewedByAwardId: award.renewedByAwardId,
    revokedReason: award.revokedReason,
  };
}

/**
 * Emits one `award.*` event per award (in order), in the caller's transaction. Returns the event ids
 * written (none when no subscription asks for `type`).
 */
export async function emitAwardEvents(
  tx: TransactionSql,
  type: Extract<WebhookEventType, `award.${string}`>,
  awards: readonly AwardRow[],
): Promise<string[]> {
  const ids: string[] = [];
  if (awards.length > 1 && !(await hasSubscribers(tx, type))) return ids; // a lifecycle change may revoke thousands
  for (const award of awards) {
    const id = await insertWebhookEvent(tx, type, awardEventData(award));
    if (id) ids.push(id);
  }
  return ids;
}

/** `recertification.enrolled`: the workflow enrolled the award's learner in the recertification course (attempt made). */
export async function emitRecertificationEnrolled(
  tx: TransactionSql,
  award: Pick<AwardRow, 'id' | 'certificateId' | 'learnerId' | 'expiresAt'>,
  attempt: Pick<AttemptRow, 'id' | 'courseId' | 'createdAt'>,
  supersededAttemptId: string | null,
): Promise<string | null> {
  return await insertWebhookEvent(tx, 'recertification.enrolled', {
    awardId: award.id,
    certificateId: award.certificateId,
    learnerId: award.learnerId,
    expiresAt: isoOrNull(award.expiresAt),
    courseId: attempt.courseId,
    attemptId: attempt.id,
    supersededAttemptId,
    enrolledAt: attempt.createdAt.toISOString(),
  });
}

/** `recertification.reminded`: a recertification reminder about the award was accepted by the email provider. */
export async function emitRecertificationReminded(
  tx: TransactionSql,
  award: Pick<AwardRow, 'id' | 'certificateId' | 'learnerId' | 'expiresAt'>,
  message: Pick<MessageRow, 'id' | 'attemptId'> & { sentAt: Date | null },
): Promise<string | null> {
  return await insertWebhookEvent(tx, 'recertification.reminded', {
    awardId: award.id,
    certificateId: award.certificateId,
    learnerId: award.learnerId,
    expiresAt: isoOrNull(award.expiresAt),
    messageId: message.id,
    attemptId: message.attemptId,
    remindedAt: isoOrNull(message.sentAt),
  });
}

/**
 * `recertification.reminded` for each of `messages` that is a recertification reminder now `sent`
 * (db/queries/messages.ts `completeBatch` hands it the rows a provider answer changed), in the
 * caller's transaction. Returns the event ids written.
 */
export async function emitRemindersSent(tx: TransactionSql, messages: readonly MessageRow[]): Promise<string[]> {
  const reminders = messages.filter((m) => m.kind === 'recertification_reminder' && m.status === 'sent' && m.awardId);
  if (reminders.length === 0 || !(await hasSubscribers(tx, 'recertification.reminded'))) return [];
  const ids: string[] = [];
  for (const message of reminders) {
    const award = message.awardId ? await awardsQ.getAward(tx, message.awardId) : null;
    const id = award ? await emitRecertificationReminded(tx, award, message) : null;
    if (id) ids.push(id);
  }
  return ids;
}

/** What is known of a bounce: its kind as the provider names it (e.g. `hard`, `soft`), when it happened. */
export interface BounceInfo {
  /** The provider's bounce type (Resend's `bounce.type`), if it gives one. */
  bounceType?: string | null;
  /** When the provider reported it. */
  bouncedAt: Date;
}

/**
 * `message.bounced`: the message `message` bounced. Call it in the transaction that records the
 * bounce (once per message: the caller's replay protection keeps it from being emitted twice).
 * Returns the event id, or null when no subscription asks for `message.bounced`.
 */
export async function emitMessageBounced(
  tx: TransactionSql,
  message: Pick<MessageRow, 'id' | 'kind' | 'learnerId' | 'awardId' | 'attemptId'>,
  bounce: BounceInfo,
): Promise<string | null> {
  return await insertWebhookEvent(tx, 'message.bounced', {
    messageId: message.id,
    kind: message.kind,
    learnerId: message.learnerId,
    awardId: message.awardId,
    attemptId: message.attemptId,
    bounceType: bounce.bounceType ?? null,
    bouncedAt: bounce.bouncedAt.toISOString(),
  });
}
