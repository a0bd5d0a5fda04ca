/**
 * The audit log (`read` scope): every recorded change, newest first, filtered and paged. Mounted at
 * `/api`. Entries are written by the domain services in each change's transaction (domain/audit.ts).
 */
import { createRoute } from '@hono/zod-openapi';
import * as auditQ from '../../db/queries/audit-log.ts';
import { AuditListQuery, AuditListSchema, toAuditEntry } from '../access-schemas.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { pageOf } from '../paging.ts';
import { json } from '../schemas.ts';

export const listAuditRoute = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['Audit'],
  ...requires('read'),
  summary: 'The audit log: who changed what, when, with the changed fields before and after (newest first)',
  description:
    'Recorded for settings (certificate created/changed), awards (extended, revoked), learners (edited, deactivated, erased), courses, ' +
    'imports and tokens, each in the change\'s own transaction. Filters combine: `entityType` and `entityId` (one thing\'s history), ' +
    '`actor` (a token name), `action`, `since`/`until`. Paged newest first: pass `nextBefore` as `before` (null on the last page). ' +
    'An erased learner\'s entries hold `[erased]` instead of their name and email.',
  request: { query: AuditListQuery },
  responses: {
    200: json(AuditListSchema, 'The entries.'),
    ...errorResponses(400, 401),
  },
});

/** The audit area's sub-app (routes relative to `/api`). */
export function auditApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();
  app.openapi(listAuditRoute, async (c) => {
    const q = c.req.valid('query');
    const { rows, nextBefore } = pageOf(
      await auditQ.listAuditEntries(sql, {
        entityType: q.entityType,
        entityId: q.entityId,
        actor: q.actor,
        action: q.action,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        before: q.before,
        limit: q.limit + 1,
      }),
      q.limit,
    );
    return c.json({ entries: rows.map(toAuditEntry), nextBefore }, 200);
  });
  return app;
}
