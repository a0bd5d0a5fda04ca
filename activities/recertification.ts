/** Activities of the recertification workflow that read and write PostgreSQL. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../db/client.ts';
import type { CourseRow } from '../db/rows.ts';
import * as awardsQ from '../db/queries/awards.ts';
import { createRecertificationAttempt, enrollWhenDue } from '../domain/attempts.ts';
import type { Logger } from '../config/logger.ts';
import { enrollmentRefusal, type AwardTruth } from '../domain/acting-rules.ts';
import { emitAwardEvents } from '../domain/webhook-events.ts';
import type { AwardContext, CourseSummary, CreateAttemptInput, CreateAttemptRefused, CreateAttemptResult, EnrollWhenDueInput, EnrollWhenDueResult, EnterGraceResult, ExpireAwardResult, MessageWindow, RecertificationActivities } from './types.ts';
import type { SendWindow } from '../domain/send-window.ts';
import { DEFAULT_TIME_ZONE } from '../domain/instant-format.ts';

export interface RecertificationDeps {
  sql: Sql;
  log: Logger;
  /** Config.defaultTimeZone: the zone of learners without one (issue 13). Unset: UTC. */
  defaultTimeZone?: string;
  /** Config.sendWindow: the org-wide send window, overridden by a certificate's `sendWindow`. Unset: off. */
  sendWindow?: SendWindow;
}

/**
 * The send window in force for an award's messages (issue 13): the certificate's own, else the
 * organisation's, in the learner's zone (else the default zone); null when it is off, so a learner's
 * time zone reaches Temporal's history only when a window needs it.
 */
export function messageWindowOf(
  ctx: awardsQ.AwardContextRow,
  org: { defaultTimeZone?: string | undefined; sendWindow?: SendWindow | undefined },
): MessageWindow | null {
  const window = ctx.certificate.settings.sendWindow ?? org.sendWindow ?? null;
  if (!window?.enabled) return null;
  return { timeZone: ctx.learner.timeZone ?? org.defaultTimeZone ?? DEFAULT_TIME_ZONE, window };
}

/** The acting rules' view of an award, its certificate's settings and the settings' course (if loaded). */
export function awardTruth(ctx: awardsQ.AwardTruthRow): AwardTruth {
  const { award, certificate, recertificationCourse: course } = ctx;
  return {
    status: award.status,
    awardedAt: award.awardedAt,
    sourceAttemptId: award.sourceAttemptId,
    expiresAt: award.expiresAt,
    settings: certificate.settings,
    course: course ? { id: course.id, title: course.title, status: course.status } : null,
  };
}

/** A course as the workflow sees it: whether it has an enrollment message of its own, not the message. */
const courseSummary = (course: CourseRow): CourseSummary => ({
  id: course.id,
  title: course.title,
  status: course.status,
  hasEnrollmentMessage: course.enrollmentMessage !== null,
});

function toAwardContext(ctx: awardsQ.AwardContextRow, messageWindow: MessageWindow | null): AwardContext {
  const { award, certificate, learner, recertificationCourse: course } = ctx;
  return {
    ...(messageWindow ? { messageWindow } : {}),
    awardId: award.id,
    status: award.status,
    certificateId: certificate.id,
    certificateTitle: certificate.title,
    learnerId: learner.id,
    awardedAt: award.awardedAt.toISOString(),
    sourceAttemptId: award.sourceAttemptId,
    expiresAt: award.expiresAt ? award.expiresAt.toISOString() : null,
    settings: certificate.settings,
    settingsVersion: certificate.settingsVersion,
    recertificationCourse: course ? courseSummary(course) : null,
    renewedByAwardId: award.renewedByAwardId,
    revokedReason: award.revokedReason,
  };
}

/** `asOf` from a workflow: an ISO instant; anything else is a bug in the caller, not worth retrying. */
function parseAsOf(asOf: string | undefined): number | undefined {
  if (asOf === undefined) return undefined;
  const ms = Date.parse(asOf);
  if (Number.isNaN(ms)) throw ApplicationFailure.nonRetryable(`asOf is not an instant: ${asOf}`, 'InvalidInput');
  return ms;
}

export function createRecertificationActivities({ sql, log, ...org }: RecertificationDeps): RecertificationActivities {
  const toContext = (ctx: awardsQ.AwardContextRow): AwardContext => toAwardContext(ctx, messageWindowOf(ctx, org));
  return {
    async loadAwardContext({ awardId }): Promise<AwardContext> {
      const ctx = await awardsQ.loadAwardContext(sql, awardId);
      // A missing award cannot appear by retrying: fail the workflow's call for good.
      if (!ctx) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      return toContext(ctx);
    },

    async createRecertificationAttempt({ awardId, courseId, asOf }: CreateAttemptInput): Promise<CreateAttemptResult | CreateAttemptRefused> {
      const asOfMs = parseAsOf(asOf);
      const result = await createRecertificationAttempt(sql, {
        awardId,
        courseId,
        ...(asOfMs !== undefined ? { refuse: (truth: awardsQ.AwardTruthRow) => enrollmentRefusal(awardTruth(truth), asOfMs, courseId) } : {}),
      });
      if (!result) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      if ('refused' in result) {
        log.info({ awardId, courseId, reason: result.refused }, 'recertification attempt refused: the database changed since the workflow planned');
        return { refused: result.refused, context: toContext(result.context) };
      }
      log.info({ awardId, attemptId: result.attempt.id, created: result.created, superseded: result.supersededAttemptId }, 'recertification attempt');
      return {
        attemptId: result.attempt.id,
        courseId: result.attempt.courseId,
        supersededAttemptId: result.supersededAttemptId,
        created: result.created,
      };
    },

    async enrollWhenDue({ awardId, asOf }: EnrollWhenDueInput): Promise<EnrollWhenDueResult> {
      const asOfMs = parseAsOf(asOf);
      if (asOfMs === undefined) throw ApplicationFailure.nonRetryable('asOf is required', 'InvalidInput');
      const result = await enrollWhenDue(sql, { awardId, refuse: (truth) => enrollmentRefusal(awardTruth(truth), asOfMs) });
      if (!result) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      const context = toContext(result.context);
      if ('refused' in result) return { context, refused: result.refused };
      const { attempt, supersededAttemptId, created, course } = result.made;
      log.info({ awardId, attemptId: attempt.id, created, superseded: supersededAttemptId }, 'recertification attempt');
      return {
        context,
        enrolled: { attemptId: attempt.id, courseId: attempt.courseId, supersededAttemptId, created, course: courseSummary(course) },
      };
    },

    async enterGrace({ awardId, asOf, graceEndsAt }): Promise<EnterGraceResult> {
      const asOfMs = parseAsOf(asOf) ?? Date.now();
      const endsMs = parseAsOf(graceEndsAt) ?? asOfMs;
      const r = await awardsQ.enterGrace(sql, awardId, new Date(asOfMs), new Date(endsMs));
      if (!r) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      if (r.entered) log.info({ awardId, graceEndsAt }, 'award in grace');
      return { entered: r.entered, status: r.status, expiresAt: r.expiresAt?.toISOString() ?? null, graceEndsAt: r.graceEndsAt?.toISOString() ?? null };
    },

    async expireAward({ awardId, asOf }): Promise<ExpireAwardResult> {
      const asOfMs = parseAsOf(asOf);
      // The expiry and its `award.expired` webhook event (domain/webhook-events.ts) commit together.
      const result = await sql.begin(async (tx) => {
        const r = await awardsQ.expireAward(tx, awardId, asOfMs === undefined ? undefined : new Date(asOfMs));
        if (r?.expired) {
          const award = await awardsQ.getAward(tx, awardId);
          if (award) await emitAwardEvents(tx, 'award.expired', [award]);
        }
        return r;
      });
      if (!result) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      if (result.expired) log.info({ awardId }, 'award expired');
      return { expired: result.expired, status: result.status, expiresAt: result.expiresAt ? result.expiresAt.toISOString() : null };
    },
  };
}
