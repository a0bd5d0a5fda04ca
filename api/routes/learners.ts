/** Learners: create, list (by email), get. Mounted at `/api`. */
import { createRoute } from '@hono/zod-openapi';
import * as q from '../../db/queries/learners.ts';
import { bearer, createRouter, type ApiDeps, type App } from '../deps.ts';
import { conflict, errorResponses, notFound } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import {
  IdParams,
  IdempotencyHeaders,
  LearnerCreateSchema,
  LearnerListSchema,
  LearnerSchema,
  ListQuery,
  searchText,
  body,
  json,
  toLearner,
  type LearnerDto,
} from '../schemas.ts';

const tags = ['Learners'];

export const createLearnerRoute = createRoute({
  method: 'post',
  path: '/learners',
  tags,
  security: bearer,
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
  security: bearer,
  summary: 'List learners (newest first), optionally by email',
  description: 'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page).',
  request: { query: ListQuery('learners').extend({ email: searchText(320).optional() }) },
  responses: {
    200: json(LearnerListSchema, 'The learners.'),
    ...errorResponses(400, 401),
  },
});

export const getLearnerRoute = createRoute({
  method: 'get',
  path: '/learners/{id}',
  tags,
  security: bearer,
  summary: 'Get a learner',
  request: { params: IdParams },
  responses: {
    200: json(LearnerSchema, 'The learner.'),
    ...errorResponses(400, 401, 404),
  },
});

/** The learners area's sub-app (routes relative to `/api`). */
export function learnersApp({ sql }: ApiDeps): App {
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
    const { limit, email, before } = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await q.listLearners(sql, { limit: limit + 1, email, before }), limit);
    return c.json({ learners: rows.map(toLearner), nextBefore }, 200);
  });

  app.openapi(getLearnerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await q.getLearner(sql, id);
    if (!row) throw notFound('Learner', id);
    return c.json(toLearner(row), 200);
  });

  return app;
}
