/**
 * Courses: the list, a "New course" form and each course's edit form (title, status, the URL where
 * learners take it). Writes are POST /api/courses and PATCH /api/courses/:id made in-process: the URL
 * rule and the propagation of a status change to running workflows are the API's, and its refusal
 * is shown beside the field it names, nothing saved.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { courseUrlFromTemplate } from '../../../activities/mail/templates.ts';
import { isId } from '../../../domain/ids.ts';
import type { CourseDto } from '../../schemas.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { courseErrorsFromApi, courseValuesFromCourse, courseValuesFromForm, createBody, patchBody, NEW_COURSE_VALUES, type CourseFormValues } from '../course-form.ts';
import type { FieldErrors, FormBody } from '../forms.ts';
import { renderNotFound } from '../renderer.tsx';
import { CourseEditPage, CoursesPage } from '../views/courses.tsx';
import type { Banner } from '../views/layout.tsx';

/** What a course page shows besides the course(s): the form's values as typed, errors, the banner. */
interface CourseRender {
  values?: CourseFormValues;
  errors?: FieldErrors;
  banner?: Banner | null;
  status?: ContentfulStatusCode;
  /** The answer to a POST: the address bar shows the page's GET URL. */
  fromPost?: boolean;
}

/** Where a course without a URL of its own is taken: COURSE_URL_TEMPLATE filled in. */
const defaultCourseUrl = (c: AdminContext) => (courseId: string) => courseUrlFromTemplate(c.var.admin.config.courseUrlTemplate, courseId);

async function coursesPage(c: AdminContext, r: CourseRender = {}): Promise<Response> {
  const list = await c.var.admin.api.listCourses();
  c.status(r.status ?? 200);
  return await c.render(<CoursesPage courses={list} values={r.values ?? NEW_COURSE_VALUES} errors={r.errors ?? {}} defaultUrl={defaultCourseUrl(c)} />, {
    title: 'Courses',
    section: 'courses',
    banner: r.banner,
    replaceUrl: r.fromPost ? '/admin/courses' : undefined,
  });
}

function coursePage(c: AdminContext, course: CourseDto, r: CourseRender = {}): Response | Promise<Response> {
  c.status(r.status ?? 200);
  return c.render(<CourseEditPage course={course} values={r.values ?? courseValuesFromCourse(course)} errors={r.errors ?? {}} defaultUrl={defaultCourseUrl(c)(course.id)} />, {
    title: `${course.title} · Course`,
    section: 'courses',
    banner: r.banner,
    replaceUrl: r.fromPost ? `/admin/courses/${course.id}` : undefined,
  });
}

/** The status of a page answering a refused course write: the API's, or 500 for anything unexpected. */
const refusedStatus = (status: number) => ([400, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode;
const nothingSaved = (general: string | null): Banner => ({ kind: 'error', text: `Nothing was saved: ${general ?? 'correct the fields marked below.'}` });

export const courses = new Hono<AdminEnv>();

courses.get('/', (c) => coursesPage(c));

courses.post('/', async (c) => {
  const values = courseValuesFromForm((await c.req.parseBody({ all: true })) as FormBody);
  const { body, errors } = createBody(values);
  if (Object.keys(errors).length > 0) return coursesPage(c, { values, errors, status: 400, fromPost: true, banner: nothingSaved(null) });
  const answer = await c.var.admin.api.createCourse(body);
  if (!answer.ok) {
    const { fields, general } = courseErrorsFromApi(answer.error);
    return coursesPage(c, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
  }
  return coursesPage(c, { fromPost: true, banner: { kind: 'ok', text: <strong>Course “{answer.body.title}” created.</strong> } });
});

courses.get('/:id', async (c) => {
  const id = c.req.param('id');
  const course = isId(id) ? await c.var.admin.api.getCourse(id) : null;
  return course ? coursePage(c, course) : renderNotFound(c, 'That course');
});

courses.post('/:id', async (c) => {
  const { api } = c.var.admin;
  const id = c.req.param('id');
  const course = isId(id) ? await api.getCourse(id) : null;
  if (!course) return renderNotFound(c, 'That course');
  const values = courseValuesFromForm((await c.req.parseBody({ all: true })) as FormBody);
  const { body, errors } = patchBody(values, course);
  if (Object.keys(errors).length > 0) return coursePage(c, course, { values, errors, status: 400, fromPost: true, banner: nothingSaved(null) });
  if (Object.keys(body).length === 0) return coursePage(c, course, { fromPost: true, banner: { kind: 'info', text: 'Nothing changed.' } });
  const answer = await api.patchCourse(course.id, body);
  if (!answer.ok) {
    if (answer.status === 404) return renderNotFound(c, 'That course');
    const { fields, general } = courseErrorsFromApi(answer.error);
    return coursePage(c, course, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
  }
  return coursePage(c, answer.body, { fromPost: true, banner: { kind: 'ok', text: <strong>Course saved.</strong> } });
});
