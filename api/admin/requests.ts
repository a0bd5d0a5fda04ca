/**
 * What the admin page reads from a request, refused clearly when it is not what a page sends: the
 * form of a POST (readForm), a query parameter (queryParam), a field that must come once
 * (repeatedFields). A refusal is a `PageRefusal`, which createAdminApp (index.tsx) answers with an
 * error page of its status (400, 415) naming what was wrong; nothing is changed.
 */
import type { Context } from 'hono';
import type { FormBody } from './forms.ts';

/** A request the admin page refuses before acting on it: its status, the page's title and message. */
export class PageRefusal extends Error {
  constructor(
    public readonly status: 400 | 404 | 415,
    public readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = 'PageRefusal';
  }
}

/** The media types an HTML form posts. */
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * The posted form, every field with all its values (`c.req.parseBody({ all: true })`'s shape). A
 * body that is not a form (JSON, text) is a 415; a form that cannot be parsed (a multipart body with
 * no boundary or a broken one) is a 400. An empty body without a type is an empty form. A client that
 * goes away mid-body is left to the error handler, as elsewhere (no answer).
 */
export async function readForm(c: Context): Promise<FormBody> {
  const contentType = c.req.header('content-type') ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const bytes = await c.req.arrayBuffer(); // an aborted upload fails here, as it is
  if (mediaType === '' && bytes.byteLength === 0) return Object.create(null) as FormBody;
  if (!FORM_TYPES.has(mediaType)) {
    throw new PageRefusal(415, 'Not a form', `This address takes an HTML form (application/x-www-form-urlencoded or multipart/form-data), not ${mediaType || 'a body without a Content-Type'}. Nothing was changed.`);
  }
  let data: FormData;
  try {
    data = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new PageRefusal(400, 'Unreadable form', `The form could not be read: the body is not valid ${mediaType}. Nothing was changed.`);
  }
  const form = Object.create(null) as FormBody;
  data.forEach((value, key) => {
    const had = form[key];
    if (had === undefined) form[key] = value;
    else form[key] = Array.isArray(had) ? [...had, value] : [had, value];
  });
  return form;
}

/** The names among `names` that the form sent more than once. */
export function repeatedFields(form: FormBody, names: readonly string[]): string[] {
  return names.filter((n) => Array.isArray(form[n]) && form[n].length > 1);
}

/** Refuses (400) a form that sent one of `names` more than once. */
export function refuseRepeated(form: FormBody, names: readonly string[]): void {
  const repeated = repeatedFields(form, names);
  if (repeated.length > 0) {
    throw new PageRefusal(400, 'Bad form', `The form sent ${repeated.map((n) => `“${n}”`).join(', ')} more than once. Nothing was changed.`);
  }
}

/** The one string value of a form field; '' when absent or a file (call refuseRepeated/repeatedFields first for single fields). */
export function formText(form: FormBody, name: string): string {
  const v = form[name];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'string' ? one : '';
}

/**
 * A query parameter: undefined when absent or empty (an HTML form's empty choice), its value when
 * given once; given more than once it is a 400 naming it.
 */
export function queryParam(c: Context, name: string): string | undefined {
  const all = c.req.queries(name) ?? [];
  if (all.length > 1) throw badParameter(name, 'it is given more than once');
  const value = all[0];
  return value === undefined || value === '' ? undefined : value;
}

/** The 400 refusal of a query parameter: "The parameter “before” is not valid: …". */
export function badParameter(name: string, why: string): PageRefusal {
  return new PageRefusal(400, 'Bad request', `The parameter “${name}” is not valid: ${why}.`);
}

/**
 * The message of a 400 the API gave a read the page made with a query parameter as given: "The
 * parameter “before” is not valid: …" from the first issue's path (the API's validation details of
 * its `query`); null when the refusal is not about a query parameter (then it is the page's own fault).
 */
export function refusedParameterMessage(failure: { message: string; details: unknown }): string | null {
  const d = failure.details;
  if (!d || typeof d !== 'object' || (d as { target?: unknown }).target !== 'query') return null;
  const issues = (d as { issues?: unknown }).issues;
  const issue = Array.isArray(issues) ? (issues[0] as { path?: unknown; message?: unknown } | undefined) : undefined;
  if (!issue || typeof issue.path !== 'string' || issue.path === '') return null;
  return badParameter(issue.path, typeof issue.message === 'string' ? issue.message : 'refused').message;
}
