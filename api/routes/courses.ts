/** Courses: create, list (by status), get, patch (title, publishing, enrollment message, url). Mounted at `/api`. */
import { createRoute } from '@hono/zod-openapi';
import { PLACEHOLDERS, unknownPlaceholders } from '../../domain/placeholders.ts';
import type { EnrollmentMessage } from '../../db/rows.ts';
import * as q from '../../db/queries/courses.ts';
import * as certsQ from '../../db/queries/certificates.ts';
import * as awardsQ from '../../db/queries/awards.ts';
import { bearer, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound, unprocessable } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent } from '../idempotency.ts';
import { tryStartSettingsPropagation } from '../temporal-gateway.ts';
import {
  CourseCreateSchema,
  CourseListQuery,
  CourseListSchema,
  CoursePatchSchema,
  CourseSchema,
  IdParams,
  IdempotencyHeaders,
  body,
  json,
  toCourse,
  type CourseDto,
} from '../schemas.ts';

const tags = ['Courses'];

/**
 * Refuses an enrollment message naming a placeholder the templates do not know (a typo would be sent
 * literally): throws 422 `unknown_placeholder` with details `{unknown, allowed}` (placeholder names).
 */
export function assertKnownPlaceholders(message: EnrollmentMessage | null | undefined): void {
  if (!message) return;
  const unknown = [...new Set([...unknownPlaceholders(message.subject), ...unknownPlaceholders(message.body)])];
  if (unknown.length === 0) return;
  throw unprocessable(
    'unknown_placeholder',
    `The enrollment message uses unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')}.`,
    { unknown, allowed: [...PLACEHOLDERS] },
  );
}

export const createCourseRoute = createRoute({
  method: 'post',
  path: '/courses',
  tags,
  security: bearer,
  summary: 'Create a course (draft unless a status is given)',
  description: 'With an `Idempotency-Key`, a repeat returns the first answer and creates no second course.',
  request: { headers: IdempotencyHeaders, body: body(CourseCreateSchema) },
  responses: {
    201: json(CourseSchema, 'The course.'),
    ...errorResponses(400, 401, 415, 422),
  },
});

export const listCoursesRoute = createRoute({
  method: 'get',
  path: '/courses',
  tags,
  security: bearer,
  summary: 'List courses, e.g. `?status=live` for the recertification course choices',
  request: { query: CourseListQuery },
  responses: {
    200: json(CourseListSchema, 'The courses, newest first.'),
    ...errorResponses(400, 401),
  },
});

export const getCourseRoute = createRoute({
  method: 'get',
  path: '/courses/{id}',
  tags,
  security: bearer,
  summary: 'Get a course',
  request: { params: IdParams },
  responses: {
    200: json(CourseSchema, 'The course.'),
    ...errorResponses(400, 401, 404),
  },
});

export const patchCourseRoute = createRoute({
  method: 'patch',
  path: '/courses/{id}',
  tags,
  security: bearer,
  summary: 'Change title, status (publish: `live`), url or enrollment message (null removes it)',
  description:
    'Running recertification workflows read the course when they fall due: a course that is no longer live then ' +
    'leaves them waiting for settings (phase `waiting_for_settings`). A status change is signalled to the running workflows of every ' +
    'certificate that recertifies with the course, so one waiting for the course to go live enrolls at once.',
  request: { params: IdParams, body: body(CoursePatchSchema) },
  responses: {
    200: json(CourseSchema, 'The course as it is now.'),
    ...errorResponses(400, 401, 404, 415, 422),
  },
});

/** The courses area's sub-app (routes relative to `/api`). */
export function coursesApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();

  app.openapi(createCourseRoute, async (c) => {
    const input = c.req.valid('json');
    assertKnownPlaceholders(input.enrollmentMessage);
    const scope = idempotencyScope(createCourseRoute, c.req.valid('header')['idempotency-key'], input);
    const outcome = await runIdempotent<CourseDto>(sql, scope, async (tx) => ({ status: 201, body: toCourse(await q.insertCourse(tx, input)) }));
    if (outcome.replayed) markReplayed(c);
    return c.json(outcome.body as CourseDto, 201);
  });

  app.openapi(listCoursesRoute, async (c) => {
    const { status, limit } = c.req.valid('query');
    const rows = await q.listCourses(sql, { status, limit });
    return c.json({ courses: rows.map(toCourse) }, 200);
  });

  app.openapi(getCourseRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await q.getCourse(sql, id);
    if (!row) throw notFound('Course', id);
    return c.json(toCourse(row), 200);
  });

  app.openapi(patchCourseRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    assertKnownPlaceholders(patch.enrollmentMessage);
    const { row, propagations } = await sql.begin(async (tx) => {
      const before = await q.getCourse(tx, id);
      if (!before) throw notFound('Course', id);
      const updated = await q.updateCourse(tx, id, patch);
      if (!updated) throw notFound('Course', id);
      // Publishing or withdrawing a recertification course is news to the workflows of the
      // certificates that use it (one waiting for its course to go live re-checks).
      const out: { certificateId: string; settingsVersion: number }[] = [];
      if (updated.status !== before.status) {
        for (const cert of await certsQ.bumpVersionsForRecertificationCourse(tx, id)) {
          if ((await awardsQ.countActiveWorkflows(tx, cert.id)) === 0) continue;
          await certsQ.insertPropagation(tx, cert.id, cert.settingsVersion);
          out.push({ certificateId: cert.id, settingsVersion: cert.settingsVersion });
        }
      }
      return { row: updated, propagations: out };
    });
    for (const p of propagations) await tryStartSettingsPropagation(deps, p.certificateId, p.settingsVersion);
    return c.json(toCourse(row), 200);
  });

  return app;
}
