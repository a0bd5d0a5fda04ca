/**
 * The Courses page's form: its values as typed (so a refused entry is shown back as it was), the
 * body the JSON API takes (POST /api/courses, or a PATCH of only what changed), and the API's refusal
 * turned into messages beside the fields. The rules (an absolute http/https URL, a visible title) are
 * the API's own; the page does not restate them.
 */
import { COURSE_STATUSES, type CourseStatus } from '../../domain/vocabulary.ts';
import type { CourseDto } from '../schemas.ts';
import type { CourseWriteBody } from './api-client.ts';
import type { FieldErrors, FormBody } from './forms.ts';
import { sentField, type SentFormShape } from './requests.ts';

/** The course form's fields: the API's field names, so its refusal lands beside the field it names. */
export const COURSE_FIELDS = ['title', 'status', 'url'] as const;
export type CourseField = (typeof COURSE_FIELDS)[number];
const isCourseField = (name: string): name is CourseField => (COURSE_FIELDS as readonly string[]).includes(name);

/** The course form's fields, as typed. */
export interface CourseFormValues {
  title: string;
  status: string;
  url: string;
  /**
   * The edit form's hidden field: the course's version it was rendered from (its ETag without
   * quotes). The save sends it as `If-Match`, so a change someone made meanwhile is a 409, not a
   * lost update. Empty on the "New course" form.
   */
  revision: string;
}

/**
 * What every post of a course's edit form carries besides its revision: title, status and URL (an
 * emptied URL is sent empty). A post lacking one is refused (formGaps), so a missing URL never
 * removes the course's own.
 */
export const COURSE_EDIT_FORM_SHAPE: SentFormShape = Object.fromEntries(COURSE_FIELDS.map((name) => [name, sentField]));

/** The fields a course form sends once each; one sent twice is refused (repeatedCourseFieldErrors). */
export const COURSE_FORM_FIELDS = [...COURSE_FIELDS, 'revision'] as const;

const field = (body: FormBody, name: string): string => {
  const v = body[name];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : '';
};

/** The values of a submitted course form. */
export function courseValuesFromForm(body: FormBody): CourseFormValues {
  return { title: field(body, 'title'), status: field(body, 'status'), url: field(body, 'url'), revision: field(body, 'revision') };
}

/** Errors beside each course field the form sent more than once (the save is refused, never one value picked). */
export function repeatedCourseFieldErrors(body: FormBody): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of COURSE_FIELDS) {
    const v = body[name];
    if (Array.isArray(v) && v.length > 1) errors[name] = 'The form sent this field more than once; send it once.';
  }
  return errors;
}

/** The version an edit form was rendered from, or null when its `revision` is missing, repeated or malformed. */
export function courseRevisionOf(body: FormBody): number | null {
  const v = body.revision;
  return typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v) ? Number(v) : null;
}

/** The form's values for a saved course at `version` (no url: an empty field). */
export function courseValuesFromCourse(course: CourseDto, version: number | null = null): CourseFormValues {
  return { title: course.title, status: course.status, url: course.url ?? '', revision: version === null ? '' : String(version) };
}

/** The empty "New course" form. */
export const NEW_COURSE_VALUES: CourseFormValues = { title: '', status: 'draft', url: '', revision: '' };

const isStatus = (v: string): v is CourseStatus => (COURSE_STATUSES as readonly string[]).includes(v);

/**
 * The body of POST /api/courses for a new course's form. An empty URL is no URL (the course then
 * uses COURSE_URL_TEMPLATE); the title and URL go to the API as typed, which trims and checks them.
 */
export function createBody(v: CourseFormValues): { body: CourseWriteBody; errors: FieldErrors } {
  if (!isStatus(v.status)) return { body: {}, errors: { status: 'Choose draft, live or archived.' } };
  return { body: { title: v.title, status: v.status, url: v.url.trim() === '' ? null : v.url }, errors: {} };
}

/**
 * The PATCH /api/courses/:id body for an edited form: only the fields that differ from the saved
 * course (so re-saving an unchanged form sends `{}` and publishes or signals nothing). An emptied URL
 * removes the course's own URL (`null`).
 */
export function patchBody(v: CourseFormValues, saved: CourseDto): { body: CourseWriteBody; errors: FieldErrors } {
  const body: CourseWriteBody = {};
  if (!isStatus(v.status)) return { body, errors: { status: 'Choose draft, live or archived.' } };
  if (v.title !== saved.title) body.title = v.title;
  if (v.status !== saved.status) body.status = v.status;
  const url = v.url.trim() === '' ? null : v.url;
  if (url !== (saved.url ?? null)) body.url = url;
  return { body, errors: {} };
}

/**
 * The API's refusal as messages beside the course form's fields (`title`, `status`, `url`: the API's
 * field names), each the API's own message; what names no field is the general message.
 */
export function courseErrorsFromApi(failure: { code?: string; message: string; details: unknown }): { fields: FieldErrors; general: string | null } {
  const fields: FieldErrors = {};
  const d = failure.details;
  if (d && typeof d === 'object' && Array.isArray((d as { issues?: unknown }).issues)) {
    for (const issue of (d as { issues: { path?: unknown; message?: unknown }[] }).issues) {
      if (typeof issue.path !== 'string' || typeof issue.message !== 'string') continue;
      const name = issue.path.split('.')[0] ?? '';
      if (isCourseField(name)) fields[name] ??= issue.message;
    }
  }
  return { fields, general: Object.keys(fields).length ? null : failure.message };
}
