/**
 * Course attempts: manual enrollment, progress, completion. Mounted at `/api`. Enrolling and completing
 * are the domain's (domain/attempts.ts, domain/awarding.ts), in the request's transaction; their
 * refusals are answered by api/app.ts.
 *
 * Completion, in one transaction: the attempt becomes `completed` (progress 100), and every
 * certificate whose associated content holds the course is awarded, renewing the learner's active
 * award of it where there is one. A repeated or concurrent completion answers the first completion's
 * result (200, `alreadyCompleted: true`) and awards nothing more. After the commit the old workflows
 * are told of their renewal and the new awards' workflows started.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.ts';
import type { AwardRow } from '../../db/rows.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import * as attemptsQ from '../../db/queries/attempts.ts';
import { completeAttempt, enrollLearner, type Completion as CompletionResult } from '../../domain/attempts.ts';
import { startAwardAutomation } from '../../domain/awarding.ts';
import { enrollmentMessageWorkflowId } from '../../workflows/enrollment-message.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { conflict, errorResponses, notFound } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent, updateIdempotentAnswer, type IdempotencyScope, type IdempotentOutcome } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import { awardWorkflows, startEnrollmentMessage } from '../temporal-gateway.ts';
import {
  AttemptListQuery,
  AttemptListSchema,
  AttemptPatchSchema,
  AttemptSchema,
  CompletionSchema,
  EnrollmentCreateSchema,
  EnrollmentCreatedSchema,
  IdParams,
  IdempotencyHeaders,
  body,
  json,
  toAttempt,
  toAward,
  type Completion,
  type EnrollmentCreated,
} from '../schemas.ts';

const tags = ['Attempts'];

/** A completion run: its answer, and its rows for the steps after the commit. */
type CompletionRun = { status: number; body: Completion; result: CompletionResult };

/** The completion's answer from its rows (awards as they are: their workflows may start later). */
function completionBody(config: ApiDeps['config'], result: CompletionResult, awards: AwardRow[] = result.awards): Completion {
  return {
    attempt: toAttempt(result.attempt),
    awards: awards.map((a) => toAward(config, a)),
    renewed: result.renewals.map(({ previous, next }) => ({ previousAwardId: previous.id, newAwardId: next.id })),
    alreadyCompleted: result.alreadyCompleted,
  };
}

/**
 * Runs the completion transaction of attempt `attemptId`, with the `Idempotency-Key` claim (a repeat
 * of the key gets the first answer and does nothing). A manual award of the same certificate
 * committed between our check for an active award and our insert trips `awards_one_active`: run
 * again (up to 3 times), now renewing it. Throws the domain's refusals and any other database error.
 */
async function completeWithRetry(
  sql: Sql,
  config: ApiDeps['config'],
  attemptId: string,
  scope: IdempotencyScope,
): Promise<IdempotentOutcome<Completion, CompletionRun>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runIdempotent<Completion, CompletionRun>(sql, scope, async (tx) => {
        const result = await completeAttempt(tx, attemptId);
        return { status: 200, body: completionBody(config, result), result };
      });
    } catch (err) {
      if (attempt < 3 && isUniqueViolation(err, 'awards_one_active')) continue;
      throw err;
    }
  }
}

export const enrollRoute = createRoute({
  method: 'post',
  path: '/courses/{id}/enrollments',
  tags,
  ...requires('write'),
  summary: 'Enroll a learner in a live course (a fresh attempt; sends the course\'s enrollment message)',
  description:
    'Supersedes the learner\'s current attempt on the course (kept as history, progress reset). 422 `course_not_live`, ' +
    '`unknown_learner`; 409 `learner_deactivated` (`learner_erased` for an erased learner). The enrollment message, when the course has one, is sent by a workflow (`enrollment-message-<attemptId>`).',
  request: { params: IdParams, headers: IdempotencyHeaders, body: body(EnrollmentCreateSchema) },
  responses: {
    201: json(EnrollmentCreatedSchema, 'The new attempt.'),
    ...errorResponses(400, 401, 404, 415, 422),
  },
});

export const listAttemptsRoute = createRoute({
  method: 'get',
  path: '/attempts',
  tags,
  ...requires('read'),
  summary: 'A learner\'s attempts (current and superseded), newest first',
  description: 'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page).',
  request: { query: AttemptListQuery },
  responses: {
    200: json(AttemptListSchema, 'The attempts.'),
    ...errorResponses(400, 401),
  },
});

export const patchAttemptRoute = createRoute({
  method: 'patch',
  path: '/attempts/{id}',
  tags,
  ...requires('write'),
  summary: 'Record progress (0–100) on an open attempt',
  description: 'The attempt becomes `in_progress`. 409 `attempt_superseded` / `attempt_completed` for a closed one; completion is its own call.',
  request: { params: IdParams, body: body(AttemptPatchSchema) },
  responses: {
    200: json(AttemptSchema, 'The attempt.'),
    ...errorResponses(400, 401, 404, 409, 415),
  },
});

export const completeAttemptRoute = createRoute({
  method: 'post',
  path: '/attempts/{id}/complete',
  tags,
  ...requires('write'),
  summary: 'Complete an attempt: awards (or renews) every certificate whose associated content holds the course',
  description:
    'One transaction; a repeated or concurrent completion answers the first result (200, `alreadyCompleted: true`). ' +
    '409 `attempt_superseded` for an attempt a newer one replaced before it was completed (a completed one answers its completion again, ' +
    'even once superseded); 409 `learner_deactivated` for a deactivated learner\'s attempt (`learner_erased` for an erased one\'s). An archived certificate is not awarded. With an `Idempotency-Key`, a repeat returns the very first ' +
    'answer (`alreadyCompleted: false`, the awards it made) and does nothing. ' +
    'The attempt is completed (progress 100), and every certificate whose associated content holds the course is awarded. Where the ' +
    'learner holds an active award of it, the new award renews it: the old one becomes `renewed` with `renewedByAwardId`, and the new ' +
    'one has `previousAwardId`, with its expiry set by the certificate\'s `anchor`. After the commit, the old workflow is signalled ' +
    '`awardRenewed` and the new award\'s workflow started.',
  request: { params: IdParams, headers: IdempotencyHeaders },
  responses: {
    200: json(CompletionSchema, 'The completed attempt and the awards it made.'),
    ...errorResponses(400, 401, 404, 409, 422),
  },
});

/** The attempts area's sub-app (routes relative to `/api`). */
export function attemptsApp(deps: ApiDeps): App {
  const { sql, config } = deps;
  const app = createRouter();

  app.openapi(enrollRoute, async (c) => {
    const { id: courseId } = c.req.valid('param');
    const { learnerId } = c.req.valid('json');
    const scope = idempotencyScope(enrollRoute, c.req.valid('header')['idempotency-key'], { courseId, learnerId });
    const outcome = await runIdempotent<EnrollmentCreated>(sql, scope, async (tx) => {
      const { attempt, supersededAttemptId, course } = await enrollLearner(tx, { courseId, learnerId });
      const body: EnrollmentCreated = {
        attempt: toAttempt(attempt),
        supersededAttemptId,
        enrollmentMessageWorkflowId: course.enrollmentMessage ? enrollmentMessageWorkflowId(attempt.id) : null,
      };
      return { status: 201, body };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as EnrollmentCreated, 201);
    }
    const created = outcome.body;
    if (created.enrollmentMessageWorkflowId) {
      // A failure here is caught up by the reconciler (attempts without their enrollment message).
      await startEnrollmentMessage(deps, created.attempt.id).catch((err: unknown) =>
        deps.log.warn({ err, attemptId: created.attempt.id }, 'could not start the enrollment message; the reconciler will retry'),
      );
    }
    return c.json(created, 201);
  });

  app.openapi(listAttemptsRoute, async (c) => {
    const q = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await attemptsQ.listAttempts(sql, { ...q, limit: q.limit + 1 }), q.limit);
    return c.json({ attempts: rows.map(toAttempt), nextBefore }, 200);
  });

  app.openapi(patchAttemptRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { progress } = c.req.valid('json');
    const row = await attemptsQ.setProgress(sql, id, progress);
    if (row) return c.json(toAttempt(row), 200);
    const current = await attemptsQ.getAttempt(sql, id);
    if (!current) throw notFound('Attempt', id);
    throw conflict(`attempt_${current.status}`, `Attempt ${id} is ${current.status}.`, { status: current.status });
  });

  app.openapi(completeAttemptRoute, async (c) => {
    const { id } = c.req.valid('param');
    const scope = idempotencyScope(completeAttemptRoute, c.req.valid('header')['idempotency-key'], { attemptId: id });
    const outcome = await completeWithRetry(sql, config, id, scope);
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as Completion, 200);
    }
    const { result } = outcome;
    // A failed signal stays pending on the old award; the reconciler delivers it. The new awards'
    // workflows start also on a repeat, in case the first call died before it could.
    const awards = await startAwardAutomation(awardWorkflows(deps), {
      awards: result.alreadyCompleted ? result.awards : result.starts,
      renewedAwardIds: result.alreadyCompleted ? [] : result.renewals.map(({ previous }) => previous.id),
    });
    const final = completionBody(config, result, awards);
    await updateIdempotentAnswer(sql, scope, 200, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 200);
  });

  return app;
}
