/**
 * Learners: create, list (by email, or a search of email and name), get, edit, deactivate, erase.
 * Mounted at `/api`. Deactivating and erasing end the learner's automation through the awards'
 * revoke path (domain/lifecycle.ts): their active awards are revoked in the transaction, each change
 * pending for its workflow; after the commit the workflows are signalled (the reconciler delivers
 * what is not), and an erasure then deletes the learner's workflow executions from Temporal (the
 * reconciler finishes that too when this request cannot).
 */
import { createRoute } from '@hono/zod-openapi';
import * as q from '../../db/queries/learners.ts';
import { deactivateLearner, editLearner, eraseLearner } from '../../domain/lifecycle.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { conflict, errorResponses, notFound } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent, updateIdempotentAnswer } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import { deliverAwardChanges, eraseLearnerFromTemporal } from '../temporal-gateway.ts';
import {
  IdParams,
  IdempotencyHeaders,
  LearnerCreateSchema,
  LearnerDeactivatedSchema,
  LearnerEraseSchema,
  LearnerErasedSchema,
  LearnerListQuery,
  LearnerListSchema,
  LearnerPatchSchema,
  LearnerSchema,
  body,
  json,
  toLearner,
  type LearnerDeactivated,
  type LearnerDto,
  type LearnerErasedDto,
} from '../schemas.ts';

const tags = ['Learners'];

export const createLearnerRoute = createRoute({
  method: 'post',
  path: '/learners',
  tags,
  ...requires('write'),
  summary: 'Create a learner',
  description:
    '409 `email_taken` when a learner already has this email, compared without regard to case. ' +
    'With an `Idempotency-Key`, a repeat returns the first answer (not a 409 `email_taken`) and creates nothing.',
  request: { headers: IdempotencyHeaders, body: body(LearnerCreateSchema) },
  responses: {
    201: json(LearnerSchema, 'The learner.'),
    ...errorResponses(400, 401, 409, 415, 422),
  },
});

export const listLearnersRoute = createRoute({
  method: 'get',
  path: '/learners',
  tags,
  ...requires('read'),
  summary: 'List learners (newest first): by email, by a search of email and name, by status',
  description:
    'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page), with the same `q`, `email` and `status`: ' +
    'every learner that matches is listed once across the pages.',
  request: { query: LearnerListQuery },
  responses: {
    200: json(LearnerListSchema, 'The learners.'),
    ...errorResponses(400, 401),
  },
});

export const getLearnerRoute = createRoute({
  method: 'get',
  path: '/learners/{id}',
  tags,
  ...requires('read'),
  summary: 'Get a learner',
  request: { params: IdParams },
  responses: {
    200: json(LearnerSchema, 'The learner.'),
    ...errorResponses(400, 401, 404),
  },
});

export const patchLearnerRoute = createRoute({
  method: 'patch',
  path: '/learners/{id}',
  tags,
  ...requires('write'),
  summary: 'Change a learner\'s name, email, time zone and/or manager (`managerEmail`: the weekly digest\'s recipient; null: none)',
  description:
    'Validated as when created (400 `validation_failed`; an empty body too). 409 `email_taken` when another learner has the email ' +
    '(compared without regard to case), `learner_erased` for an erased learner. Messages recorded from then on go to the new address: ' +
    'each message reads the learner when it is sent, not when its workflow started. Messages already sent keep the address they went to.',
  request: { params: IdParams, body: body(LearnerPatchSchema) },
  responses: {
    200: json(LearnerSchema, 'The learner as it is now.'),
    ...errorResponses(400, 401, 404, 409, 415),
  },
});

export const deactivateLearnerRoute = createRoute({
  method: 'post',
  path: '/learners/{id}/deactivate',
  tags,
  ...requires('write'),
  summary: 'Deactivate a learner: their workflows end (revoked, "learner deactivated"), nothing new is made for them',
  description:
    'In one transaction the learner is marked deactivated and each of their active awards is revoked with reason "learner deactivated" ' +
    '(kept as history, like every award). After the commit each award\'s workflow is signalled and ends as `revoked`; a signal Temporal ' +
    'does not take is delivered by the reconciler, and a workflow that wakes first reads the revocation from the database. From then on ' +
    'no award (409 `learner_deactivated`), enrollment, completion or message is made for them. 409 `learner_deactivated` when already ' +
    'deactivated, `learner_erased` when erased. No body. With an `Idempotency-Key`, a repeat returns the first answer.',
  request: { params: IdParams, headers: IdempotencyHeaders },
  responses: {
    200: json(LearnerDeactivatedSchema, 'The learner, and the awards revoked.'),
    ...errorResponses(400, 401, 404, 409),
  },
});

export const eraseLearnerRoute = createRoute({
  method: 'post',
  path: '/learners/{id}/erase',
  tags,
  ...requires('admin'),
  summary: 'Erase a learner\'s personal data (a data-protection request)',
  description:
    '`confirm` must be the learner\'s current email (422 `confirmation_mismatch` otherwise; nothing is erased). In one transaction: the ' +
    'learner is deactivated (active awards revoked, "learner erased"), their name and email are replaced with placeholders ' +
    '(`Erased learner`, `erased-<id>@erased.invalid`), their stored messages\' recipient, subject, body and error are redacted, and ' +
    'stored API answers showing them (an `Idempotency-Key` repeat of their creation or deactivation) hold the placeholders instead. The row stays (awards, attempts and messages reference it). After the ' +
    'commit their workflow executions (recertification and enrollment-message workflows) are terminated and deleted from Temporal ' +
    '(history and visibility); if Temporal does not answer, the reconciler deletes them. Temporal never held their name or email in ' +
    'workflow summaries (ids only). A repeat on an erased learner answers 200 with `alreadyErased: true` and finishes any pending deletion.',
  request: { params: IdParams, headers: IdempotencyHeaders, body: body(LearnerEraseSchema) },
  responses: {
    200: json(LearnerErasedSchema, 'The anonymised learner and what was erased.'),
    ...errorResponses(400, 401, 404, 415, 422),
  },
});

/** The learners area's sub-app (routes relative to `/api`). */
export function learnersApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();

  app.openapi(createLearnerRoute, async (c) => {
    const input = c.req.valid('json');
    const scope = idempotencyScope(createLearnerRoute, c.req.valid('header')['idempotency-key'], input);
    const outcome = await runIdempotent<LearnerDto>(sql, scope, async (tx) => {
      const row = await q.insertLearner(tx, input);
      if (!row) throw conflict('email_taken', `A learner with email ${input.email} exists.`, { field: 'email' });
      return { status: 201, body: toLearner(row) };
    });
    if (outcome.replayed) markReplayed(c);
    return c.json(outcome.body as LearnerDto, 201);
  });

  app.openapi(listLearnersRoute, async (c) => {
    const { limit, email, before, q: search, status } = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await q.listLearners(sql, { limit: limit + 1, email, q: search || undefined, status, before }), limit);
    return c.json({ learners: rows.map(toLearner), nextBefore }, 200);
  });

  app.openapi(getLearnerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await q.getLearner(sql, id);
    if (!row) throw notFound('Learner', id);
    return c.json(toLearner(row), 200);
  });

  app.openapi(patchLearnerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const row = await sql.begin((tx) => editLearner(tx, id, input, c.var.who));
    return c.json(toLearner(row), 200);
  });

  app.openapi(deactivateLearnerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const scope = idempotencyScope(deactivateLearnerRoute, c.req.valid('header')['idempotency-key'], { learnerId: id });
    const who = c.var.who;
    const outcome = await runIdempotent<LearnerDeactivated, { status: number; body: LearnerDeactivated; awardIds: string[] }>(sql, scope, async (tx) => {
      const { learner, revoked } = await deactivateLearner(tx, id, who);
      const awardIds = revoked.map((a) => a.id);
      // Stored as it is until the signals' outcome replaces it: all pending if this process dies first.
      return { status: 200, body: { learner: toLearner(learner), revokedAwards: revoked.length, signalled: 0, pending: revoked.length }, awardIds };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as LearnerDeactivated, 200);
    }
    const delivered = await deliverAwardChanges(deps, outcome.awardIds);
    const final: LearnerDeactivated = { ...outcome.body, signalled: delivered.signalled, pending: delivered.failed + delivered.left };
    await updateIdempotentAnswer(sql, scope, 200, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 200);
  });

  app.openapi(eraseLearnerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const scope = idempotencyScope(eraseLearnerRoute, c.req.valid('header')['idempotency-key'], { learnerId: id, body: input });
    const who = c.var.who;
    const outcome = await runIdempotent<LearnerErasedDto, { status: number; body: LearnerErasedDto; awardIds: string[] }>(sql, scope, async (tx) => {
      const erased = await eraseLearner(tx, id, input.confirm, who);
      const body: LearnerErasedDto = {
        learner: toLearner(erased.learner),
        alreadyErased: !erased.erasedNow,
        messagesRedacted: erased.messagesRedacted,
        revokedAwards: erased.revoked.length,
        signalled: 0,
        pending: erased.revoked.length,
        temporal: { deleted: 0, done: false },
      };
      return { status: 200, body, awardIds: erased.revoked.map((a) => a.id) };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as LearnerErasedDto, 200);
    }
    // The workflows hear of the revocation first (they end as revoked), then they are deleted; what fails is the reconciler's.
    const delivered = await deliverAwardChanges(deps, outcome.awardIds);
    const temporal = await eraseLearnerFromTemporal(deps, id);
    const final: LearnerErasedDto = { ...outcome.body, signalled: delivered.signalled, pending: delivered.failed + delivered.left, temporal };
    await updateIdempotentAnswer(sql, scope, 200, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 200);
  });

  return app;
}
