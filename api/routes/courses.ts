/**
 * Courses: create, list (by status), get, patch (title, publishing, enrollment message, url). Mounted at `/api`.
 *
 * Optimistic concurrency, as for certificates: a course's `version` (1 when created, raised by every
 * change) is its ETag (`"3"`) on GET, POST and PATCH. A PATCH with `If-Match` is compared with the
 * version under the course's row lock, inside the change's transaction, so of two changes made at the
 * same version one commits and the other is a 409 `version_conflict` with nothing saved. Without
 * `If-Match` a PATCH applies to whatever is current. (An integer version, not `updated_at`: two
 * changes within the clock's resolution, or a clock set back, would share a timestamp.)
 */
import { createRoute, z } from '@hono/zod-openapi';
import { PLACEHOLDERS, unknownPlaceholders } from '../../domain/placeholders.ts';
import type { CourseRow, EnrollmentMessage } from '../../db/rows.ts';
import * as q from '../../db/queries/courses.ts';
import * as certsQ from '../../db/queries/certificates.ts';
import * as awardsQ from '../../db/queries/awards.ts';
import { recordChange } from '../../domain/audit.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorBody, errorResponses, notFound, unprocessable } from '../errors.ts';
import { etagHeader, etagOf, ifMatchAllows, ifMatchHeaders, versionConflictMessage } from '../etag.ts';
import { idempotencyScope, markReplayed, runIdempotent } from '../idempotency.ts';
import { tryStartSettingsPropagation } from '../temporal-gateway.ts';
import { canonicalJson } from '../util.ts';
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

type CoursePatch = z.output<typeof CoursePatchSchema>;

const tags = ['Courses'];

const CourseIfMatchHeaders = ifMatchHeaders({
  what: 'the course\'s version',
  description:
    'Apply the change only if the course is still at this version: the `ETag` of GET, POST and PATCH. Otherwise nothing ' +
    'changes and the answer is 409 `version_conflict` with the current `ETag`. Without it the change applies to the current version.',
  example: '"3"',
});

const CourseEtagHeader = etagHeader('The course\'s version (quoted; every change raises it); send it back as If-Match.', '"3"');

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
    `The enrollment message uses unknown placeholders: ${unknown.map((n) => (/^[A-Za-z0-9_.]+$/.test(n) ? `{{${n}}}` : n)).join(', ')}.`,
    { unknown, allowed: [...PLACEHOLDERS] },
  );
}

export const createCourseRoute = createRoute({
  method: 'post',
  path: '/courses',
  tags,
  ...requires('write'),
  summary: 'Create a course (draft unless a status is given)',
  description:
    'With an `Idempotency-Key`, a repeat returns the first answer and creates no second course. ' +
    '422 `unknown_placeholder` for an enrollment message with an unknown placeholder (see EnrollmentMessage).',
  request: { headers: IdempotencyHeaders, body: body(CourseCreateSchema) },
  responses: {
    201: { ...json(CourseSchema, 'The course.'), headers: CourseEtagHeader },
    ...errorResponses(400, 401, 415, 422),
  },
});

export const listCoursesRoute = createRoute({
  method: 'get',
  path: '/courses',
  tags,
  ...requires('read'),
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
  ...requires('read'),
  summary: 'Get a course',
  request: { params: IdParams },
  responses: {
    200: { ...json(CourseSchema, 'The course.'), headers: CourseEtagHeader },
    ...errorResponses(400, 401, 404),
  },
});

export const patchCourseRoute = createRoute({
  method: 'patch',
  path: '/courses/{id}',
  tags,
  ...requires('write'),
  summary: 'Change title, status (publish: `live`), url or enrollment message (null removes it)',
  description:
    'Running recertification workflows read the course when they fall due: a course that is no longer live then ' +
    'leaves them waiting for settings (phase `waiting_for_settings`). A status change is signalled to the running workflows of every ' +
    'certificate that recertifies with the course, so one waiting for the course to go live enrolls at once. ' +
    'Concurrency: send `If-Match` with the `ETag` you read (the course\'s version) to change only that version; a change made ' +
    'meanwhile makes it a 409 `version_conflict` (details `version`, the current one, also in the `ETag`) and nothing is saved. ' +
    'Every change raises the version; a PATCH that changes nothing does not. ' +
    '422 `unknown_placeholder` for an enrollment message with an unknown placeholder (see EnrollmentMessage).',
  request: { params: IdParams, headers: CourseIfMatchHeaders, body: body(CoursePatchSchema) },
  responses: {
    200: { ...json(CourseSchema, 'The course as it is now.'), headers: CourseEtagHeader },
    ...errorResponses(400, 401, 404, 409, 415, 422),
  },
});

/** The fields of `patch` that differ from the course as it is (a PATCH that changes nothing raises no version). */
function changedFields(before: CourseRow, patch: CoursePatch): CoursePatch {
  const out: CoursePatch = {};
  if (patch.title !== undefined && patch.title !== before.title) out.title = patch.title;
  if (patch.status !== undefined && patch.status !== before.status) out.status = patch.status;
  if (patch.url !== undefined && patch.url !== before.url) out.url = patch.url;
  if (patch.enrollmentMessage !== undefined && canonicalJson(patch.enrollmentMessage) !== canonicalJson(before.enrollmentMessage)) out.enrollmentMessage = patch.enrollmentMessage;
  return out;
}

/** The fields of a course its audit entries compare. */
function auditedCourse(row: CourseRow): Record<string, unknown> {
  return { title: row.title, status: row.status, url: row.url, enrollmentMessage: row.enrollmentMessage };
}

/** The courses area's sub-app (routes relative to `/api`). */
export function coursesApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();

  app.openapi(createCourseRoute, async (c) => {
    const input = c.req.valid('json');
    assertKnownPlaceholders(input.enrollmentMessage);
    const scope = idempotencyScope(createCourseRoute, c.req.valid('header')['idempotency-key'], input);
    const who = c.var.who;
    const outcome = await runIdempotent<CourseDto>(sql, scope, async (tx) => {
      const row = await q.insertCourse(tx, input);
      await recordChange(tx, who, { action: 'course.created', entityType: 'course', entityId: row.id, before: null, after: auditedCourse(row) });
      return { status: 201, body: toCourse(row) };
    });
    if (outcome.replayed) markReplayed(c);
    c.header('ETag', etagOf(1)); // the answer is the course as created, at its first version (a replay too)
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
    c.header('ETag', etagOf(row.version));
    return c.json(toCourse(row), 200);
  });

  app.openapi(patchCourseRoute, async (c) => {
    const { id } = c.req.valid('param');
    const ifMatch = c.req.valid('header')['if-match'];
    const patch = c.req.valid('json');
    assertKnownPlaceholders(patch.enrollmentMessage);
    const who = c.var.who;
    const result = await sql.begin(async (tx) => {
      const before = await q.getCourse(tx, id, { forUpdate: true });
      if (!before) throw notFound('Course', id);
      // Under the row lock: a concurrent change has committed (and raised the version) or waits for this one.
      if (!ifMatchAllows(ifMatch, before.version)) return { kind: 'conflict', current: before.version } as const;
      const change = changedFields(before, patch);
      if (Object.keys(change).length === 0) return { kind: 'saved', row: before, propagations: [] } as const;
      const updated = await q.updateCourse(tx, id, change);
      if (!updated) throw notFound('Course', id);
      await recordChange(tx, who, { action: 'course.changed', entityType: 'course', entityId: id, before: auditedCourse(before), after: auditedCourse(updated) });
      // Publishing or withdrawing a recertification course is news to the workflows of the
      // certificates that use it (one waiting for its course to go live re-checks).
      const out: { certificateId: string; settingsVersion: number }[] = [];
      if (updated.status !== before.status) {
        for (const cert of await certsQ.bumpVersionsForRecertificationCourse(tx, id)) {
          if ((await awardsQ.countActiveWorkflows(tx, cert.id)) === 0) continue;
          await certsQ.insertPropagation(tx, cert.id, cert.settingsVersion, cert.leadDays);
          out.push({ certificateId: cert.id, settingsVersion: cert.settingsVersion });
        }
      }
      return { kind: 'saved', row: updated, propagations: out } as const;
    });
    if (result.kind === 'conflict') {
      c.header('ETag', etagOf(result.current));
      return c.json(
        errorBody(
          'version_conflict',
          versionConflictMessage('course', 'version', ifMatch, result.current),
          { version: result.current, ifMatch: ifMatch ?? null },
        ),
        409,
      );
    }
    for (const p of result.propagations) await tryStartSettingsPropagation(deps, p.certificateId, p.settingsVersion);
    c.header('ETag', etagOf(result.row.version));
    return c.json(toCourse(result.row), 200);
  });

  return app;
}
