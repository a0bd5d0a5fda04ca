/** Courses: create, list (by status), get, patch (title, publishing, enrollment message). */
import { createRoute, z } from '@hono/zod-openapi';
import * as q from '../../db/queries/courses.ts';
import { bearer, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound } from '../errors.ts';
import { CourseCreateSchema, CourseListQuery, CoursePatchSchema, CourseSchema, IdParams, body, json, toCourse } from '../schemas.ts';

const tags = ['Courses'];

export function registerCourseRoutes(app: App, { sql }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/courses',
      tags,
      security: bearer,
      summary: 'Create a course (draft unless a status is given)',
      request: { body: body(CourseCreateSchema) },
      responses: {
        201: json(CourseSchema, 'The course.'),
        ...errorResponses(400, 401, 415),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const row = await q.insertCourse(sql, input);
      return c.json(toCourse(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/courses',
      tags,
      security: bearer,
      summary: 'List courses, e.g. `?status=live` for the recertification course choices',
      request: { query: CourseListQuery },
      responses: {
        200: json(z.object({ courses: z.array(CourseSchema) }), 'The courses, newest first.'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { status, limit } = c.req.valid('query');
      const rows = await q.listCourses(sql, { status, limit });
      return c.json({ courses: rows.map(toCourse) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/courses/{id}',
      tags,
      security: bearer,
      summary: 'Get a course',
      request: { params: IdParams },
      responses: {
        200: json(CourseSchema, 'The course.'),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await q.getCourse(sql, id);
      if (!row) throw notFound('Course', id);
      return c.json(toCourse(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/courses/{id}',
      tags,
      security: bearer,
      summary: 'Change title, status (publish: `live`) or enrollment message (null removes it)',
      description:
        'Running recertification workflows read the course when they fall due: a course that is no longer live then ' +
        'leaves them waiting for settings (SPEC §4).',
      request: { params: IdParams, body: body(CoursePatchSchema) },
      responses: {
        200: json(CourseSchema, 'The course as it is now.'),
        ...errorResponses(400, 401, 404, 415),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const patch = c.req.valid('json');
      const row = await q.updateCourse(sql, id, patch);
      if (!row) throw notFound('Course', id);
      return c.json(toCourse(row), 200);
    },
  );
}
