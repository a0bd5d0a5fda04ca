/** Activities of the recertification workflow that read and write PostgreSQL. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../db/client.ts';
import * as q from '../db/queries/recertification.ts';
import type { Logger } from '../config/logger.ts';
import type { AwardContext, CreateAttemptInput, CreateAttemptResult, ExpireAwardResult, RecertificationActivities } from './types.ts';

export interface RecertificationDeps {
  sql: Sql;
  log: Logger;
}

export function createRecertificationActivities({ sql, log }: RecertificationDeps): RecertificationActivities {
  return {
    async loadAwardContext({ awardId }): Promise<AwardContext> {
      const ctx = await q.loadAwardContext(sql, awardId);
      // A missing award cannot appear by retrying: fail the workflow's call for good.
      if (!ctx) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      const { award, certificate, learner, recertificationCourse: course } = ctx;
      return {
        awardId: award.id,
        status: award.status,
        certificateId: certificate.id,
        certificateTitle: certificate.title,
        learnerId: learner.id,
        learnerName: learner.name,
        expiresAt: award.expiresAt ? award.expiresAt.toISOString() : null,
        settings: certificate.settings,
        settingsVersion: certificate.settingsVersion,
        recertificationCourse: course
          ? { id: course.id, title: course.title, status: course.status, hasEnrollmentMessage: course.enrollmentMessage !== null }
          : null,
        renewedByAwardId: award.renewedByAwardId,
        revokedReason: award.revokedReason,
      };
    },

    async createRecertificationAttempt({ awardId, courseId }: CreateAttemptInput): Promise<CreateAttemptResult> {
      const result = await q.createRecertificationAttempt(sql, { awardId, courseId });
      if (!result) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      log.info({ awardId, attemptId: result.attempt.id, created: result.created, superseded: result.supersededAttemptId }, 'recertification attempt');
      return {
        attemptId: result.attempt.id,
        courseId: result.attempt.courseId,
        supersededAttemptId: result.supersededAttemptId,
        created: result.created,
      };
    },

    async expireAward({ awardId }): Promise<ExpireAwardResult> {
      const result = await q.expireAward(sql, awardId);
      if (!result) throw ApplicationFailure.nonRetryable(`award ${awardId} not found`, 'AwardNotFound');
      if (result.expired) log.info({ awardId }, 'award expired');
      return result;
    },
  };
}
