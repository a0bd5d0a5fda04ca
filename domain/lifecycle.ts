/**
 * Learners change and leave, certificates retire: editing, deactivating and erasing a learner, and
 * archiving a certificate, each in the caller's transaction. Each ends the automation it concerns
 * through the awards' own revoke path: every active award of the learner (or the certificate) is
 * revoked with a reason ("learner deactivated", "certificate archived") and its change recorded
 * pending for its workflow (`workflow_signal_pending_at`), in the same transaction. After the commit
 * the caller signals those workflows (api/temporal-gateway.ts `deliverAwardChanges`); whatever it
 * does not reach (a crash, Temporal down, a certificate with thousands of awards) the reconciler
 * delivers, and a workflow that wakes before its signal re-reads the award and ends as revoked
 * anyway (every acting step acts on the database's truth). Awards keep their history: nothing is
 * deleted.
 *
 * New awards, enrollments and completions for a deactivated learner, and new awards of an archived
 * certificate, are refused (`refuseUnlessActive`: `learner_deactivated` or `learner_erased`;
 * `certificateArchived`), under the row locks these
 * routines take (`for update` here, `for share` where something is made for the learner or of the
 * certificate), so a deactivation and an award never interleave.
 *
 * No HTTP here: a refusal is a `Refusal` (domain/refusal.ts).
 */
import * as deliveryEventsQ from '../db/queries/message-delivery-events.ts';
import * as receiptsQ from '../db/queries/resend-webhook-events.ts';
import type { TransactionSql } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { AwardRow, CertificateRow, LearnerRow } from '../db/rows.ts';
import * as auditQ from '../db/queries/audit-log.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as certsQ from '../db/queries/certificates.ts';
import * as digestSendsQ from '../db/queries/digest-sends.ts';
import * as idempotencyQ from '../db/queries/idempotency.ts';
import * as importsQ from '../db/queries/imports.ts';
import * as learnersQ from '../db/queries/learners.ts';
import * as messagesQ from '../db/queries/messages.ts';
import { LEARNER_PERSONAL_FIELDS, recordChange, redactLearnerEntries, type AuditContext } from './audit.ts';
import { notFound, Refusal } from './refusal.ts';
import { emitAwardEvents } from './webhook-events.ts';
import { LIFECYCLE_REVOKE_REASONS, type LearnerStatus } from './vocabulary.ts';

/** The learner's status, derived from their row. */
export function learnerStatus(l: Pick<LearnerRow, 'deactivatedAt' | 'erasedAt'>): LearnerStatus {
  return l.erasedAt ? 'erased' : l.deactivatedAt ? 'deactivated' : 'active';
}

/** 409 `learner_deactivated`: nothing new is made for a deactivated learner. */
export const learnerDeactivated = (learnerId: string): Refusal =>
  new Refusal('conflict', 'learner_deactivated', `Learner ${learnerId} is deactivated: no award, enrollment or completion is made for them.`, {
    learnerId,
  });

/** 409 `certificate_archived`: an archived certificate is awarded no more. */
export const certificateArchived = (certificateId: string): Refusal =>
  new Refusal('conflict', 'certificate_archived', `Certificate ${certificateId} is archived: it is awarded no more.`, { certificateId });

/** 409 `learner_erased`: an erased learner's record holds placeholders only; nothing is made or changed for them. */
export const learnerErased = (learnerId: string): Refusal =>
  new Refusal('conflict', 'learner_erased', `Learner ${learnerId} was erased: their record holds placeholders only, and no award, enrollment, completion or change is made for them.`, {
    learnerId,
  });

/**
 * The one check of "is anything new made for this learner": throws 409 `learner_erased` for an erased
 * learner, 409 `learner_deactivated` for a deactivated one, nothing for an active one. An import
 * rejects a row for such a learner with the same word (domain/importing.ts).
 */
export function refuseUnlessActive(learner: Pick<LearnerRow, 'id' | 'deactivatedAt' | 'erasedAt'>): void {
  const status = learnerStatus(learner);
  if (status === 'erased') throw learnerErased(learner.id);
  if (status === 'deactivated') throw learnerDeactivated(learner.id);
}

/**
 * Edits a learner's name and/or email (what is absent stays). Later messages go to the new address:
 * the send-message activity reads the learner when it records a message. Throws a `Refusal`:
 * `not_found`, `learner_erased`, `email_taken` (another learner has the email, case-insensitively).
 */
export async function editLearner(
  tx: TransactionSql,
  id: string,
  patch: { email?: string; name?: string; timeZone?: string | null; managerEmail?: string | null },
  who: AuditContext,
): Promise<LearnerRow> {
  const current = await learnersQ.lockLearner(tx, id, 'update');
  if (!current) throw notFound('Learner', id);
  if (current.erasedAt) throw learnerErased(id);
  try {
    const row = await learnersQ.updateLearner(tx, id, patch);
    if (!row) throw notFound('Learner', id);
    await recordChange(tx, who, { action: 'learner.edited', entityType: 'learner', entityId: id, before: learnerAudited(current), after: learnerAudited(row) });
    return row;
  } catch (err) {
    if (isUniqueViolation(err, 'learners_email_unique')) {
      throw new Refusal('conflict', 'email_taken', `Another learner has email ${patch.email ?? ''}.`, { field: 'email' });
    }
    throw err;
  }
}

/** The learner fields an edit's audit entry compares (LEARNER_PERSONAL_FIELDS: an erasure redacts them). */
const learnerAudited = (l: LearnerRow): Record<(typeof LEARNER_PERSONAL_FIELDS)[number], string | null> => ({
  name: l.name,
  email: l.email,
  timeZone: l.timeZone,
  managerEmail: l.managerEmail,
});

/** A deactivation or erasure done: the learner as they are now and the awards it revoked (to signal after the commit). */
export interface LearnerEnded {
  learner: LearnerRow;
  revoked: AwardRow[];
}

/**
 * Deactivates a learner: marks them deactivated and revokes every active award of theirs ("learner
 * deactivated"), each pending for its workflow. Throws a `Refusal`: `not_found`,
 * `learner_deactivated` (already deactivated: nothing more to end), `learner_erased` (erased: likewise).
 */
export async function deactivateLearner(tx: TransactionSql, id: string, who: AuditContext): Promise<LearnerEnded> {
  const current = await learnersQ.lockLearner(tx, id, 'update');
  if (!current) throw notFound('Learner', id);
  if (current.erasedAt) throw learnerErased(id);
  if (current.deactivatedAt) {
    throw new Refusal('conflict', 'learner_deactivated', `Learner ${id} is already ${learnerStatus(current)}.`, { status: learnerStatus(current) });
  }
  const revoked = await awardsQ.revokeActiveAwards(tx, { learnerId: id }, LIFECYCLE_REVOKE_REASONS.learnerDeactivated);
  await emitAwardEvents(tx, 'award.revoked', revoked);
  const learner = await learnersQ.markDeactivated(tx, id);
  if (!learner) throw notFound('Learner', id);
  await recordChange(tx, who, {
    action: 'learner.deactivated',
    entityType: 'learner',
    entityId: id,
    before: { status: learnerStatus(current) },
    after: { status: learnerStatus(learner), revokedAwardIds: revoked.map((a) => a.id) },
  });
  return { learner, revoked };
}

/** The placeholders an erased learner's record and messages hold instead of personal data. */
export const ERASED = {
  name: 'Erased learner',
  /** An address that cannot receive mail (RFC 2606 `.invalid`), unique per learner as the email index wants. */
  email: (learnerId: string): string => `erased-${learnerId}@erased.invalid`,
  subject: '[redacted]',
  body: '<p>[redacted: the learner was erased]</p>',
  /** A delivery event's detail (a bounce's text often quotes the address and the name). */
  detail: '[redacted: the learner was erased]',
} as const;

/** An erasure done. */
export interface LearnerErased extends LearnerEnded {
  /** false: the learner had been erased before (the personal data was already gone; nothing changed here). */
  erasedNow: boolean;
  messagesRedacted: number;
  /** Stored API answers (Idempotency-Key) that showed the learner, rewritten with the placeholders. */
  answersRedacted: number;
}

/**
 * Erases a learner (a data-protection request): `confirm` must be their current email
 * (case-insensitively), so an erasure is never a slip of the id. Deactivates them when they were not
 * (revoking their active awards, "learner erased"), replaces name and email with placeholders
 * (`ERASED`), redacts their stored messages (recipient, subject, body, error; their delivery
 * events' and Resend receipts' detail) and rewrites stored API
 * answers that show them (the placeholders instead). The row stays (awards, attempts and messages reference
 * it), anonymised. Their workflow executions are deleted from Temporal after the commit (the caller;
 * the reconciler when that fails: `erasure_temporal_done_at` stays null until it is done).
 *
 * Idempotent: an erased learner is answered as they are (`erasedNow: false`), whatever `confirm` says.
 * Throws a `Refusal`: `not_found`, `confirmation_mismatch` (422).
 */
export async function eraseLearner(tx: TransactionSql, id: string, confirm: string, who: AuditContext): Promise<LearnerErased> {
  const current = await learnersQ.lockLearner(tx, id, 'update');
  if (!current) throw notFound('Learner', id);
  if (current.erasedAt) return { learner: current, revoked: [], erasedNow: false, messagesRedacted: 0, answersRedacted: 0 };
  if (confirm.trim().toLowerCase() !== current.email.toLowerCase()) {
    throw new Refusal('rule', 'confirmation_mismatch', 'To erase a learner, confirm with their current email address.', { field: 'confirm' });
  }
  const revoked = current.deactivatedAt ? [] : await awardsQ.revokeActiveAwards(tx, { learnerId: id }, LIFECYCLE_REVOKE_REASONS.learnerErased);
  await emitAwardEvents(tx, 'award.revoked', revoked);
  const learner = await learnersQ.markErased(tx, id, { name: ERASED.name, email: ERASED.email(id) });
  if (!learner) throw notFound('Learner', id);
  const messagesRedacted = await messagesQ.redactMessagesOfLearner(tx, id, { toAddress: ERASED.email(id), subject: ERASED.subject, body: ERASED.body });
  const placeholders = { name: ERASED.name, email: ERASED.email(id) };
  const answersRedacted =
    (await idempotencyQ.redactAnswersShowingLearner(tx, id, placeholders)) +
    (await idempotencyQ.redactAnswersNaming(tx, { email: current.email, name: current.name }, placeholders));
  await importsQ.redactImportRowsOfLearner(tx, id, current.email, placeholders);
  // The learner may also be other learners' manager: their address goes from those learners (each
  // change audited, without the address), from import rows and audit entries naming them as manager,
  // and from the weekly digest's ledger of what was sent to them.
  for (const managed of await learnersQ.clearManagerAddress(tx, current.email)) {
    await recordChange(tx, who, { action: 'learner.edited', entityType: 'learner', entityId: managed.id, before: { managerEmail: '[erased]' }, after: { managerEmail: null } });
  }
  await importsQ.clearImportRowManagerAddress(tx, current.email);
  await auditQ.redactManagerAddress(tx, current.email);
  await digestSendsQ.redactDigestRecipient(tx, current.email, ERASED.email(id));
  // Delivery timelines and Resend's receipts: a bounce's text quotes the address, often the name too.
  await deliveryEventsQ.redactDeliveryEventsOfLearner(tx, id, ERASED.detail);
  await receiptsQ.redactReceiptsOfLearner(tx, id, ERASED.detail);
  // The audit log keeps that it happened, never who it was: earlier entries lose the name and email,
  // and this one holds ids and counts only.
  await redactLearnerEntries(tx, id);
  await recordChange(tx, who, {
    action: 'learner.erased',
    entityType: 'learner',
    entityId: id,
    before: { status: learnerStatus(current) },
    after: { status: 'erased', revokedAwardIds: revoked.map((a) => a.id), messagesRedacted },
  });
  return { learner, revoked, erasedNow: true, messagesRedacted, answersRedacted };
}

/** An archive done: the certificate as it is now and the awards it revoked (to signal after the commit). */
export interface CertificateRetired {
  certificate: CertificateRow;
  revoked: AwardRow[];
}

/**
 * Archives a certificate: marks it archived and revokes every active award of it ("certificate
 * archived"), each pending for its workflow. It leaves the default lists and is awarded no more
 * (`certificate_archived`). Throws a `Refusal`: `not_found`, `certificate_archived` (already).
 */
export async function archiveCertificate(tx: TransactionSql, id: string, who: AuditContext): Promise<CertificateRetired> {
  const current = await certsQ.getCertificate(tx, id, { forUpdate: true });
  if (!current) throw notFound('Certificate', id);
  if (current.archivedAt) throw new Refusal('conflict', 'certificate_archived', `Certificate ${id} is already archived.`, { certificateId: id });
  const revoked = await awardsQ.revokeActiveAwards(tx, { certificateId: id }, LIFECYCLE_REVOKE_REASONS.certificateArchived);
  await emitAwardEvents(tx, 'award.revoked', revoked);
  await certsQ.markArchived(tx, id);
  const certificate = await certsQ.getCertificate(tx, id);
  if (!certificate) throw notFound('Certificate', id);
  await recordChange(tx, who, {
    action: 'certificate.archived',
    entityType: 'certificate',
    entityId: id,
    before: { archivedAt: current.archivedAt },
    after: { archivedAt: certificate.archivedAt, revokedAwardIds: revoked.map((a) => a.id) },
  });
  return { certificate, revoked };
}
