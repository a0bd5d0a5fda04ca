/**
 * Awarding a certificate: the one routine by which an award comes to be, whether an administrator
 * awards it (`POST /api/certificates/{id}/awards`), a course completion renews it
 * (domain/attempts.ts `completeAttempt`), or a bulk import brings in a page of existing holders.
 *
 * In the caller's transaction it holds the certificate's settings still (a share lock: a settings
 * change waits, so the award is either counted by the change or made after it and its workflow reads
 * the new settings), computes the expiry and anchor day (domain/dates.ts `expiryFor`), decides what
 * the automation does (domain/acting-rules.ts `planForAward`: an expiry already past is recorded
 * `expired`, with no workflow and no message), retires the award it renews, and inserts the new one
 * with its workflow id and `workflow_started_at = null`, with its outbound webhook events
 * (`award.created`, `award.renewed`: domain/webhook-events.ts). After the commit `startAwardAutomation`
 * starts the workflows and tells renewed awards' workflows, through the `AwardWorkflows` port; what
 * fails there is left to the reconciler (api/reconciler.ts), so the row and the workflow never
 * disagree for longer than a reconcile interval.
 *
 * No HTTP here: a request the rules refuse is a `Refusal` (domain/refusal.ts).
 */
import { randomUUID } from 'node:crypto';
import { organisationTimeZone } from '../config/time-zone.ts';
import type { TransactionSql } from '../db/client.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { AttemptRow, AwardRow, CertificateRow } from '../db/rows.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as certsQ from '../db/queries/certificates.ts';
import * as learnersQ from '../db/queries/learners.ts';
import { workflowIdForAward } from '../workflows/contract.ts';
import { planForAward, type AwardPlan } from './acting-rules.ts';
import { dueAt, expiryFor } from './dates.ts';
import { certificateArchived, refuseUnlessActive } from './lifecycle.ts';
import { notFound, Refusal, unknownLearner } from './refusal.ts';
import { emitAwardEvents } from './webhook-events.ts';

/** How far in the future (ms) a given `awardedAt` may be: clock skew between the caller and us. */
export const FUTURE_TOLERANCE_MS = 60_000;

/**
 * What the awarding routine needs of Temporal (api/temporal-gateway.ts `awardWorkflows` implements it).
 * Neither method throws for Temporal's sake: what did not reach Temporal stays recorded for the
 * reconciler.
 */
export interface AwardWorkflows {
  /**
   * Starts the award's recertification workflow when it has one to run (an expiry and a workflow id)
   * and records that Temporal confirmed it; returns the award as it is afterwards (unchanged when the
   * start failed: `workflow_started_at` stays null). Given the start facts of the transaction that
   * made the award (`AwardMade.start`), it starts from them without reading the award back.
   */
  ensureStarted(award: AwardRow | awardsQ.AwardStartInfo): Promise<AwardRow>;
  /** Tells the award's workflow its latest change (here: that it was renewed); a failure stays pending. */
  deliverChange(awardId: string): Promise<void>;
}

/** An award an administrator (or an import) gives: it starts a renewal chain. */
export interface AwardRequest {
  certificateId: string;
  learnerId: string;
  /** When it was given; absent: now. May lie in the past (history brought in), not in the future. */
  awardedAt?: Date;
  /**
   * An expiry the holder's record already states (a bulk import's `expiresAt` column), after
   * `awardedAt`; absent: counted from the certificate's settings (`awardTerms`).
   */
  expiresAt?: Date;
}

/** What a new award will be: its expiry and anchor day (null: none), and what its automation does. */
export interface AwardTerms {
  expiresAt: Date | null;
  anchorDay: number | null;
  /** `schedule`, `enroll_now`, `record_expired` or `no_expiry` (domain/acting-rules.ts `planForAward`). */
  plan: AwardPlan;
  /** When recertification falls due (expiry − lead days, domain/dates.ts `dueAt`); null without an expiry. */
  dueAt: Date | null;
}

/**
 * The terms of a new award of a certificate with `settings`, given at `awardedAt` (`now`: ms since the
 * epoch). The expiry is `explicitExpiresAt` when given (a record brought in: no anchor day stored, as
 * for an admin's explicit expiry), else counted by domain/dates.ts `expiryFor` while expiration is on
 * (renewing `previous` when given; a fixed date is read in the organisation's time zone, config/time-zone.ts),
 * else none. The one place a new award's terms are computed: the
 * awarding routine records them and an import's dry run shows them. Throws nothing.
 */
export function awardTerms(
  settings: CertificateRow['settings'],
  args: { awardedAt: Date; explicitExpiresAt?: Date | null; previous?: AwardRow | null },
  now: number,
): AwardTerms {
  const { expiration, recertification } = settings;
  // Renewing before expiry with anchor previous_expiry continues the chain (its anchor day); anything
  // else starts one counted from awardedAt (domain/dates.ts expiryFor).
  const expiry = args.explicitExpiresAt
    ? { expiresAt: args.explicitExpiresAt, anchorDay: null }
    : expiration.enabled
      ? expiryFor({
          awardedAt: args.awardedAt,
          validFor: expiration.validFor,
          anchor: expiration.anchor,
          previous: args.previous ? { ...args.previous, inGrace: args.previous.status === 'in_grace' } : null,
          fixedDate: expiration.fixedDate ?? null,
          timeZone: organisationTimeZone(),
        })
      : null;
  const expiresAt = expiry?.expiresAt ?? null;
  return {
    expiresAt,
    anchorDay: expiry?.anchorDay ?? null,
    plan: planForAward({ expiresAt, leadDays: recertification.leadDays, now }),
    dueAt: expiresAt ? dueAt(expiresAt, recertification.leadDays) : null,
  };
}

/** An award made, in the transaction that made it. */
export interface AwardMade {
  award: AwardRow;
  /** What its automation does: `schedule`, `enroll_now`, `record_expired` or `no_expiry`. */
  plan: AwardPlan;
  /** The award it renewed (as it was before: still `active` in this row), whose workflow must be told; null for a first award. */
  renewed: AwardRow | null;
  /**
   * What starting its workflow needs (the inserted row, its certificate's title and lead days), taken
   * from this transaction: the request path starts the workflow from it after the commit without
   * reading the award back (issue 11: no post-commit re-reads).
   */
  start: awardsQ.AwardStartInfo;
}

/** The learner already holds an active award of the certificate (`awardId`, or null when a concurrent award won the race). */
export const alreadyAwarded = (awardId: string | null): Refusal =>
  new Refusal('conflict', 'already_awarded', 'The learner already holds an active award of this certificate (completing one of its courses renews it).', {
    awardId,
  });

/**
 * The learner already has an award of the certificate given at the same instant (`awardId`, in any
 * status: e.g. an expired record imported before): the same record is never recorded twice.
 */
export const alreadyRecorded = (awardId: string): Refusal =>
  new Refusal('conflict', 'already_recorded', 'An award of this certificate to the learner given at this awardedAt is already recorded; it is not recorded twice.', {
    awardId,
  });

/**
 * Awards certificates to learners, one award per request, in the caller's transaction (a page of a
 * bulk import, or one manual award). Each starts a chain: its expiry and anchor day count from its
 * `awardedAt`. `now`: ms since the epoch. Returns the awards made, in request order; their workflows
 * start after the commit (`startAwardAutomation`).
 *
 * Throws a `Refusal`, and the caller's transaction should roll back: `not_found` (no such
 * certificate), `certificate_archived`, `learner_deactivated` and `learner_erased` (409, domain/lifecycle.ts), `unknown_learner`, `awarded_at_in_future` (more than FUTURE_TOLERANCE_MS ahead of
 * `now`), `invalid_expiry` (an explicit `expiresAt` not after `awardedAt`), `already_awarded` (the learner holds an active award of it: completing one of its courses
 * renews it instead), `already_recorded` (409: an award of it to the learner given at the same `awardedAt` exists, whatever its
 * status, e.g. an expired record brought in before; the one rule that keeps a re-import or a repeated manual award from doubling it).
 */
export async function awardCertificates(tx: TransactionSql, requests: readonly AwardRequest[], now: number = Date.now()): Promise<AwardMade[]> {
  const certificates = new Map<string, CertificateRow>();
  const made: AwardMade[] = [];
  for (const request of requests) {
    let certificate = certificates.get(request.certificateId);
    if (!certificate) {
      const locked = await certsQ.lockCertificateShared(tx, request.certificateId);
      certificate = locked ? ((await certsQ.getCertificate(tx, request.certificateId)) ?? undefined) : undefined;
      if (!certificate) throw notFound('Certificate', request.certificateId);
      if (certificate.archivedAt) throw certificateArchived(certificate.id);
      certificates.set(certificate.id, certificate);
    }
    // A share lock: a deactivation (which takes the row's update lock) either sees this award or comes after it.
    const learner = await learnersQ.lockLearner(tx, request.learnerId, 'share');
    if (!learner) throw unknownLearner(request.learnerId);
    refuseUnlessActive(learner);
    const awardedAt = request.awardedAt ?? new Date(now);
    if (awardedAt.getTime() > now + FUTURE_TOLERANCE_MS) {
      throw new Refusal('rule', 'awarded_at_in_future', 'awardedAt must not be in the future.', { field: 'awardedAt' });
    }
    // Held to the commit: a concurrent award of the same holding (another import of the same record) waits, then sees this one.
    await awardsQ.lockHolding(tx, certificate.id, learner.id);
    const inTheWay = await awardsQ.awardsInTheWay(tx, certificate.id, learner.id, awardedAt);
    if (inTheWay.activeId) throw alreadyAwarded(inTheWay.activeId);
    if (inTheWay.sameInstantId) throw alreadyRecorded(inTheWay.sameInstantId);
    if (request.expiresAt && request.expiresAt.getTime() <= awardedAt.getTime()) {
      throw new Refusal('rule', 'invalid_expiry', 'expiresAt must be after awardedAt.', { field: 'expiresAt' });
    }
    made.push(
      await recordAward(
        tx,
        { certificate, learnerId: learner.id, awardedAt, explicitExpiresAt: request.expiresAt ?? null, previous: null, sourceAttemptId: null },
        now,
      ),
    );
  }
  return made;
}

/** One manual award: `awardCertificates` for a single request (same refusals). */
export async function awardCertificate(tx: TransactionSql, request: AwardRequest, now: number = Date.now()): Promise<AwardMade> {
  const [made] = await awardCertificates(tx, [request], now);
  if (!made) throw new Error('awardCertificates made no award');
  return made;
}

/**
 * Awards every certificate whose associated content holds the attempt's course (archived ones aside), for the attempt
 * completed at `completedAt`, in the caller's transaction. Where the learner holds an active award of
 * one, the new award renews it: the old one becomes `renewed` (`renewedByAwardId`, its change pending
 * for its workflow), the new one has `previousAwardId` and keeps the chain's anchor when the
 * certificate's anchor is `previous_expiry` and the renewal comes before the expiry. Returns the
 * awards made, in certificate id order.
 *
 * Throws the database's unique violation `awards_one_active` when an award of the same certificate
 * was committed between the check and the insert: run the transaction again (it then renews it).
 */
export async function renewForCompletion(
  tx: TransactionSql,
  attempt: Pick<AttemptRow, 'id' | 'learnerId' | 'courseId'>,
  completedAt: Date,
  now: number = Date.now(),
): Promise<AwardMade[]> {
  const made: AwardMade[] = [];
  for (const certificate of await certsQ.certificatesForCourse(tx, attempt.courseId)) {
    await certsQ.lockCertificateShared(tx, certificate.id);
    // An archived certificate is awarded no more (read under the lock: an archive takes the row's update lock).
    if (await certsQ.isArchived(tx, certificate.id)) continue;
    const previous = await awardsQ.findActiveAward(tx, certificate.id, attempt.learnerId, { forUpdate: true });
    made.push(await recordAward(tx, { certificate, learnerId: attempt.learnerId, awardedAt: completedAt, previous, sourceAttemptId: attempt.id }, now));
  }
  return made;
}

/**
 * Records one award of `certificate` (whose settings the caller holds share-locked): expiry, plan,
 * the renewed award retired, the insert. A manual award (no `sourceAttemptId`) losing the race for
 * the one active award is refused `already_awarded`; a completion's loss is thrown as the database
 * raised it, for the caller to retry.
 */
async function recordAward(
  tx: TransactionSql,
  a: {
    certificate: CertificateRow;
    learnerId: string;
    awardedAt: Date;
    explicitExpiresAt?: Date | null;
    previous: AwardRow | null;
    sourceAttemptId: string | null;
  },
  now: number,
): Promise<AwardMade> {
  const { expiresAt, anchorDay, plan } = awardTerms(a.certificate.settings, a, now);
  if (a.previous) await awardsQ.retireForRenewal(tx, a.previous.id);
  const id = randomUUID();
  const award = await awardsQ
    .insertAward(tx, {
      id,
      certificateId: a.certificate.id,
      learnerId: a.learnerId,
      awardedAt: a.awardedAt,
      expiresAt,
      anchorDay,
      status: plan === 'record_expired' ? 'expired' : 'active',
      workflowId: plan === 'schedule' || plan === 'enroll_now' ? workflowIdForAward(id) : null,
      previousAwardId: a.previous?.id ?? null,
      sourceAttemptId: a.sourceAttemptId,
    })
    .catch((err: unknown) => {
      if (!a.sourceAttemptId && isUniqueViolation(err, 'awards_one_active')) throw alreadyAwarded(null);
      throw err;
    });
  if (a.previous) await awardsQ.markRenewed(tx, a.previous.id, award.id);
  // Outbound webhooks (domain/webhook-events.ts), in this transaction: the renewal, then the new award.
  if (a.previous) await emitAwardEvents(tx, 'award.renewed', [{ ...a.previous, status: 'renewed', renewedByAwardId: award.id }]);
  await emitAwardEvents(tx, 'award.created', [award]);
  const start = { award, certificateTitle: a.certificate.title, leadDays: a.certificate.settings.recertification.leadDays };
  return { award, plan, renewed: a.previous, start };
}

/**
 * After the commit that made awards: tells each renewed award's workflow of its renewal (in order),
 * then starts each new award's workflow that is not started yet (from its start facts when given:
 * `AwardMade.start`). Returns the awards as they are afterwards, in the order given. Does not throw for Temporal's sake (see `AwardWorkflows`).
 */
export async function startAwardAutomation(
  workflows: AwardWorkflows,
  args: { awards: readonly (AwardRow | awardsQ.AwardStartInfo)[]; renewedAwardIds?: readonly string[] },
): Promise<AwardRow[]> {
  for (const awardId of args.renewedAwardIds ?? []) await workflows.deliverChange(awardId);
  const out: AwardRow[] = [];
  for (const given of args.awards) {
    const award = 'certificateTitle' in given ? given.award : given;
    out.push(award.workflowStartedAt ? award : await workflows.ensureStarted(given));
  }
  return out;
}
