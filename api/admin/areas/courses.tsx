/**
 * Courses: the list, a "New course" form and each course's edit form (title, status, the URL where
 * learners take it). Writes are POST /api/courses and PATCH /api/courses/:id made in-process: the URL
 * rule and the propagation of a status change to running workflows are the API's, and its refusal
 * is shown beside the field it names, nothing saved. The edit form carries the course's version it
 * was rendered from (`revision`, the ETag) and the save sends it as `If-Match`: a change someone made
 * meanwhile is a 409 page showing the course as it is now, never a lost update.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { courseUrlFromTemplate } from '../../../domain/course-url.ts';
import { isId } from '../../../domain/ids.ts';
import { versionOfEtag, type VersionedCourse } from '../api-client.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import {
  COURSE_EDIT_FORM_SHAPE,
  courseErrorsFromApi,
  courseRevisionOf,
  courseValuesFromCourse,
  courseValuesFromForm,
  createBody,
  patchBody,
  repeatedCourseFieldErrors,
  NEW_COURSE_VALUES,
  type CourseFormValues,
} from '../course-form.ts';
import type { FieldErrors } from '../forms.ts';
import { renderNotFound } from '../renderer.tsx';
import { formGaps, formGapsText, isComplete, readForm } from '../requests.ts';
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

function coursePage(c: AdminContext, { course, version }: VersionedCourse, r: CourseRender = {}): Response | Promise<Response> {
  c.status(r.status ?? 200);
  return c.render(<CourseEditPage course={course} values={r.values ?? courseValuesFromCourse(course, version)} errors={r.errors ?? {}} defaultUrl={defaultCourseUrl(c)(course.id)} />, {
    title: `${course.title} · Course`,
    section: 'courses',
    banner: r.banner,
    replaceUrl: r.fromPost ? `/admin/courses/${course.id}` : undefined,
  });
}

/** The status of a page answering a refused course write: the API's, or 500 for anything unexpected. */
const refusedStatus = (status: number) => ([400, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode;
/** The banner of a save refused because the course changed since the form was opened. */
const STALE_COURSE_TEXT =
  'Nothing was saved: someone else changed this course while you were editing. The form now shows the course as it is now; make your change again.';
/** The banner of a save whose form does not carry the course version it was rendered from. */
const BAD_REVISION_TEXT =
  'Nothing was saved: the form did not say which version of the course it was opened on (its revision is missing or malformed). ' +
  'The form now shows the course as it is now; make your change again.';
const nothingSaved = (general: string | null): Banner => ({ kind: 'error', text: `Nothing was saved: ${general ?? 'correct the fields marked below.'}` });

export const courses = new Hono<AdminEnv>();

courses.get('/', (c) => coursesPage(c));

courses.post('/', async (c) => {
  const form = await readForm(c); // not a form: 415; a broken one: 400; nothing created
  const values = courseValuesFromForm(form);
  const repeated = repeatedCourseFieldErrors(form);
  const { body, errors } = createBody(values);
  const all = { ...errors, ...repeated };
  if (Object.keys(all).length > 0) return coursesPage(c, { values, errors: all, status: 400, fromPost: true, banner: nothingSaved(null) });
  const answer = await c.var.admin.api.createCourse(body);
  if (!answer.ok) {
    const { fields, general } = courseErrorsFromApi(answer.error);
    return coursesPage(c, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
  }
  return coursesPage(c, { fromPost: true, banner: { kind: 'ok', text: <strong>Course “{answer.body.title}” created.</strong> } });
});

courses.get('/:id', async (c) => {
  const id = c.req.param('id');
  const found = isId(id) ? await c.var.admin.api.getCourse(id) : null;
  return found ? coursePage(c, found) : renderNotFound(c, 'That course');
});

courses.post('/:id', async (c) => {
  const { api } = c.var.admin;
  const id = c.req.param('id');
  const found = isId(id) ? await api.getCourse(id) : null;
  if (!found) return renderNotFound(c, 'That course');
  const form = await readForm(c); // not a form: 415; a broken one: 400; nothing saved
  const values = courseValuesFromForm(form);
  /** The answer to a save made on a stale form: 409, the course as it is now, nothing saved. */
  const stale = (current: VersionedCourse) => coursePage(c, current, { status: 409, fromPost: true, banner: { kind: 'error', text: STALE_COURSE_TEXT } });
  const expectedVersion = courseRevisionOf(form);
  // A form without a well-formed revision is malformed (400), not stale: nobody else saved anything.
  if (expectedVersion === null) return coursePage(c, found, { status: 400, fromPost: true, banner: { kind: 'error', text: BAD_REVISION_TEXT } });
  // A post lacking a field the form always sends is refused, never filled in (a missing URL is not an emptied one).
  const gaps = formGaps(form, COURSE_EDIT_FORM_SHAPE);
  if (!isComplete(gaps)) return coursePage(c, found, { status: 400, fromPost: true, banner: { kind: 'error', text: `Nothing was saved: ${formGapsText(gaps)}` } });
  // A quick refusal for a form already stale; the API's If-Match check is the one that holds when
  // two saves race (it runs under the course's row lock).
  if (expectedVersion !== found.version) return stale(found);
  const { body, errors } = patchBody(values, found.course);
  const all = { ...errors, ...repeatedCourseFieldErrors(form) };
  if (Object.keys(all).length > 0) return coursePage(c, found, { values, errors: all, status: 400, fromPost: true, banner: nothingSaved(null) });
  if (Object.keys(body).length === 0) return coursePage(c, found, { fromPost: true, banner: { kind: 'info', text: 'Nothing changed.' } });
  const answer = await api.patchCourse(found.course.id, body, { expectedVersion });
  if (!answer.ok) {
    if (answer.status === 404) return renderNotFound(c, 'That course');
    if (answer.status === 409 && answer.error.code === 'version_conflict') {
      const current = await api.getCourse(found.course.id);
      return current ? stale(current) : renderNotFound(c, 'That course');
    }
    const { fields, general } = courseErrorsFromApi(answer.error);
    return coursePage(c, found, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
  }
  const version = versionOfEtag(answer.etag);
  if (version === null) throw new Error(`PATCH /api/courses/${found.course.id} answered without a version ETag`);
  return coursePage(c, { course: answer.body, version }, { fromPost: true, banner: { kind: 'ok', text: <strong>Course saved.</strong> } });
});
