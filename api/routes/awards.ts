/**
 * Awards. Mounted at `/api`. A manual award is made by the awarding routine (domain/awarding.ts: the
 * expiry, the plan, the workflow id, the insert) in the request's transaction; after the commit its
 * workflow is started, and if the process or Temporal fails in between, the reconciler starts it. A
 * learner holds at most one active award of a certificate: a manual award while one is active is 409
 * `already_awarded` (renewals come from course completions). The routine's refusals are answered by
 * api/app.ts. Changing an award's expiry and revoking it signal its workflow after the commit.
 */
import { createRoute } from '@hono/zod-openapi';
import type { AwardRow } from '../../db/rows.ts';
import * as awardsQ from '../../db/queries/awards.ts';
import { erasedAmong } from '../../db/queries/learners.ts';
import { awardCertificate, startAwardAutomation } from '../../domain/awarding.ts';
import { emitAwardEvents } from '../../domain/webhook-events.ts';
import { workflowIdForAward } from '../../workflows/contract.ts';
import { recordChange } from '../../domain/audit.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { conflict, errorResponses, notFound, unprocessable } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent, updateIdempotentAnswer } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import {
  awardWorkflows,
  deliverAwardChange,
  recertificationStatus,
  summarizeAwardWorkflows,
  tryEnsureAwardWorkflow,
  type SignalOutcome,
} from '../temporal-gateway.ts';
import {
  AwardChangedSchema,
  AwardCreateSchema,
  AwardCreatedSchema,
  AwardListQuery,
  AwardListSchema,
  AwardPatchSchema,
  AwardViewSchema,
  IdParams,
  IdempotencyHeaders,
  RevokeSchema,
  body,
  json,
  toAward,
  type AwardChanged,
  type AwardCreated,
  type AwardDto,
} from '../schemas.ts';

const tags = ['Awards'];

/** The award transaction's answer, and its award row for the workflow start after the commit. */
type AwardCreatedRun = { status: number; body: AwardCreated; start: awardsQ.AwardStartInfo };

export const createAwardRoute = createRoute({
  method: 'post',
  path: '/certificates/{id}/awards',
  tags,
  ...requires('write'),
  summary: 'Award the certificate to a learner; starts the recertification workflow when it expires',
  description:
    'expiresAt = awardedAt + the certificate\'s `expiration.validFor`, or null when expiration is off (no workflow). ' +
    '409 `already_awarded` when the learner holds an active award of it, `certificate_archived` for an archived certificate, ' +
    '`learner_deactivated` for a deactivated learner, `learner_erased` for an erased one, `already_recorded` when the learner already has an ' +
    'award of it given at the same `awardedAt` (whatever its status: the same record is never recorded twice); 422 `unknown_learner`, `awarded_at_in_future`. ' +
    'With an `Idempotency-Key`, a repeat returns the first answer and starts nothing. ' +
    'The award is committed with `workflowStartedAt: null`. Its workflow is then started (`USE_EXISTING`, so a repeat never starts a ' +
    'second one) and the start recorded. If Temporal is unreachable, the answer is still 201 and the reconciler starts the workflow ' +
    'within `RECONCILE_INTERVAL_SECONDS`. Renewals come from completing a course, not from this route.',
  request: { params: IdParams, headers: IdempotencyHeaders, body: body(AwardCreateSchema) },
  responses: {
    201: json(AwardCreatedSchema, 'The award and its workflow id (null when it does not expire).'),
    ...errorResponses(400, 401, 404, 409, 415, 422),
  },
});

export const listAwardsRoute = createRoute({
  method: 'get',
  path: '/awards',
  tags,
  ...requires('read'),
  summary: 'List awards by certificate, learner and status (newest first)',
  description: 'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page); awards created in the same instant are each listed once.',
  request: { query: AwardListQuery },
  responses: {
    200: json(AwardListSchema, 'The awards.'),
    ...errorResponses(400, 401),
  },
});

export const getAwardRoute = createRoute({
  method: 'get',
  path: '/awards/{id}',
  tags,
  ...requires('read'),
  summary: 'Get an award with its workflow\'s live recertification status',
  request: { params: IdParams },
  responses: {
    200: json(AwardViewSchema, 'The award.'),
    ...errorResponses(400, 401, 404),
  },
});

export const patchAwardRoute = createRoute({
  method: 'patch',
  path: '/awards/{id}',
  tags,
  ...requires('write'),
  summary: 'Change an active award\'s expiry (extend or shorten); signals its workflow',
  description:
    '422 `invalid_expiry` unless expiresAt is after awardedAt, `expiry_in_past` unless it is in the future (to end an award now, revoke it); 409 `award_not_active` for a renewed, expired or revoked award. ' +
    'An award without an expiry (its certificate\'s expiration is off, or was when it was awarded) may be given one: it then expires at ' +
    'expiresAt and its recertification workflow is started, acting on the certificate\'s settings as for any expiring award (with ' +
    'recertification off: the expiring and expired notices as set, no enrollment). The certificate\'s settings do not change.',
  request: { params: IdParams, body: body(AwardPatchSchema) },
  responses: {
    200: json(AwardChangedSchema, 'The award as it is now and what reached its workflow.'),
    ...errorResponses(400, 401, 404, 409, 415, 422),
  },
});

export const revokeAwardRoute = createRoute({
  method: 'post',
  path: '/awards/{id}/revoke',
  tags,
  ...requires('write'),
  summary: 'Revoke an active award; signals its workflow, which ends',
  description:
    '409 `award_not_active` for an award that is not active (a second revoke too). With an `Idempotency-Key`, a repeat ' +
    'returns the first answer (200) instead, and does nothing.',
  request: { params: IdParams, headers: IdempotencyHeaders, body: body(RevokeSchema) },
  responses: {
    200: json(AwardChangedSchema, 'The revoked award and what reached its workflow.'),
    ...errorResponses(400, 401, 404, 409, 415, 422),
  },
});

/** The awards area's sub-app (routes relative to `/api`). */
export function awardsApp(deps: ApiDeps): App {
  const { sql, config } = deps;
  const app = createRouter();

  app.openapi(createAwardRoute, async (c) => {
    const { id: certificateId } = c.req.valid('param');
    const input = c.req.valid('json');
    const scope = idempotencyScope(createAwardRoute, c.req.valid('header')['idempotency-key'], { certificateId, body: input });
    const outcome = await runIdempotent<AwardCreated, AwardCreatedRun>(sql, scope, async (tx) => {
      const request = { certificateId, learnerId: input.learnerId, ...(input.awardedAt ? { awardedAt: new Date(input.awardedAt) } : {}) };
      const { award, plan, start } = await awardCertificate(tx, request);
      return { status: 201, body: { award: toAward(config, award), workflowId: award.workflowId, plan }, start };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as AwardCreated, 201);
    }
    // After the commit: start the workflow from the inserted row (no read back; a failure leaves it to the reconciler).
    const [started = outcome.start.award] = await startAwardAutomation(awardWorkflows(deps), { awards: [outcome.start] });
    const final: AwardCreated = { ...outcome.body, award: toAward(config, started) };
    await updateIdempotentAnswer(sql, scope, 201, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 201);
  });

  app.openapi(listAwardsRoute, async (c) => {
    const { include, ...q } = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await awardsQ.listAwards(sql, { ...q, limit: q.limit + 1 }), q.limit);
    const erased = await erasedAmong(sql, rows.map((r) => r.learnerId));
    const dto = (r: AwardRow): AwardDto => toAward(config, r, { learnerErased: erased.has(r.learnerId) });
    if (include !== 'recertification') return c.json({ awards: rows.map(dto), nextBefore }, 200);
    const summaries = await summarizeAwardWorkflows(deps, rows);
    return c.json(
      {
        awards: rows.map((r) => ({ ...dto(r), recertification: summaries?.get(r.id) ?? null })),
        recertificationUnavailable: summaries ? null : 'Temporal did not answer',
        nextBefore,
      },
      200,
    );
  });

  app.openapi(getAwardRoute, async (c) => {
    const { id } = c.req.valid('param');
    const award = await awardsQ.getAward(sql, id);
    if (!award) throw notFound('Award', id);
    const view = await recertificationStatus(deps, award);
    const erased = await erasedAmong(sql, [award.learnerId]);
    return c.json(
      {
        award: toAward(config, award, { learnerErased: erased.has(award.learnerId) }),
        workflowStatus: view.workflowStatus,
        recertification: view.available ? view.status : null,
        recertificationUnavailable: view.available ? null : view.reason,
      },
      200,
    );
  });

  app.openapi(patchAwardRoute, async (c) => {
    const { id } = c.req.valid('param');
    const expiresAt = new Date(c.req.valid('json').expiresAt);
    const who = c.var.who;
    const award = await sql.begin(async (tx) => {
      const current = await awardsQ.getAward(tx, id, { forUpdate: true });
      if (!current) throw notFound('Award', id);
      if (current.status !== 'active') throw notActive(current.id, current.status);
      if (expiresAt.getTime() <= current.awardedAt.getTime()) {
        throw unprocessable('invalid_expiry', 'expiresAt must be after awardedAt.', { field: 'expiresAt', awardedAt: current.awardedAt.toISOString() });
      }
      // The SPEC's extend moves an expiry that is still to come; an expiry in the past would expire the award at once (and send the
      // expired notice), which is revoking's work, done without its reason.
      if (expiresAt.getTime() <= Date.now()) {
        throw unprocessable('expiry_in_past', 'expiresAt must be in the future: an award\'s expiry can be moved later or earlier, not into the past. To end an award now, revoke it.', {
          field: 'expiresAt',
        });
      }
      const updated = await awardsQ.setAwardExpiry(tx, id, expiresAt, workflowIdForAward(id));
      if (!updated) throw notActive(current.id, current.status);
      await recordChange(tx, who, { action: 'award.extended', entityType: 'award', entityId: id, before: { expiresAt: current.expiresAt }, after: { expiresAt: updated.expiresAt } });
      return updated;
    });
    // An award without a running workflow (it did not expire, or the start is pending) gets it started
    // now; the signal then tells a workflow that was already running. A failed signal stays pending
    // and the reconciler delivers it (deliverAwardChange).
    const final = await tryEnsureAwardWorkflow(deps, award);
    const signal: SignalOutcome = await deliverAwardChange(deps, final.id);
    return c.json({ award: toAward(config, final), signal }, 200);
  });

  app.openapi(revokeAwardRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const scope = idempotencyScope(revokeAwardRoute, c.req.valid('header')['idempotency-key'], { awardId: id, reason });
    const who = c.var.who;
    const outcome = await runIdempotent<AwardChanged>(sql, scope, async (tx) => {
      const current = await awardsQ.getAward(tx, id, { forUpdate: true });
      if (!current) throw notFound('Award', id);
      if (current.status !== 'active') throw notActive(current.id, current.status);
      const revoked = await awardsQ.revokeAward(tx, id, reason);
      if (!revoked) throw notActive(current.id, current.status);
      await emitAwardEvents(tx, 'award.revoked', [revoked]);
      await recordChange(tx, who, {
        action: 'award.revoked',
        entityType: 'award',
        entityId: id,
        before: { status: current.status, revokedReason: current.revokedReason },
        after: { status: revoked.status, revokedReason: revoked.revokedReason },
      });
      // Stored until the signal's outcome replaces it: `failed` (not delivered yet; the workflow reads the revocation
      // from the database and the reconciler delivers the pending signal) if this process dies before signalling.
      return { status: 200, body: { award: toAward(config, revoked), signal: revoked.workflowId ? 'failed' : 'no_workflow' } };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as AwardChanged, 200);
    }
    const signal = await deliverAwardChange(deps, outcome.body.award.id);
    const final: AwardChanged = { ...outcome.body, signal };
    await updateIdempotentAnswer(sql, scope, 200, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 200);
  });

  return app;
}

/** 409 `award_not_active` for award `id` in `status` (details `{status}`). */
function notActive(id: string, status: string): Error {
  return conflict('award_not_active', `Award ${id} is ${status}; only an active award can change.`, { status });
}

export type { AwardDto };
