/**
 * What the admin page reads from a request, refused clearly when it is not what a page sends: the
 * form of a POST (readForm), a query parameter (queryParam), a field that must come once
 * (repeatedFields), the fields a form always sends (formGaps). A refusal is a `PageRefusal`, which
 * createAdminApp (index.tsx) answers with an error page of its status (400, 415) naming what was
 * wrong; nothing is changed.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { FormBody } from './forms.ts';

/** Field names as the page's messages write them: `“a”, “b”`. */
export const fieldNames = (names: readonly string[]): string => names.map((n) => `“${n}”`).join(', ');

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
    throw new PageRefusal(400, 'Bad form', `The form sent ${fieldNames(repeated)} more than once. Nothing was changed.`);
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

// ---------------------------------------------------------------------------------------------
// the fields a form always sends

/** The message of a field the post lacks (formGaps tells it from a malformed one by this). */
const MISSING = 'missing';

/** A zod error map: `missing` for an absent field, else `why`. */
const missingOr =
  (why: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? MISSING : why;

/**
 * A field every post of its form carries whatever the admin did: a text, hidden or date input, a
 * textarea, a select, a radio group with one always checked. Its value is the form's to check; sent
 * twice it is refused by repeatedFields, so only its absence (or a file) fails here.
 */
export const sentField = z.union([z.string(), z.array(z.string())], { error: missingOr('is not text') });

/** A field the form always sends with one of `values` (a select or radio group the page renders). */
export const sentChoice = (values: readonly [string, ...string[]]) => z.enum(values, { error: missingOr(`is not one of ${values.join(', ')}`) });

/** The hidden field that names a form's tick boxes (see checkboxMarker). */
export const CHECKBOXES_FIELD = 'checkboxes';

/**
 * The marker of a form's tick boxes: a browser leaves an unticked box out of the post, so an absent
 * box is read as unticked only when the post carries this hidden field naming exactly the boxes
 * `names` (space-separated). Without it an absent box cannot be told from one the post lacks.
 * Shape: `{ value }` to render as `<input type="hidden" name="checkboxes" value={value}>`, `schema`
 * for the form's schema under CHECKBOXES_FIELD.
 */
export function checkboxMarker(names: readonly string[]): { value: string; schema: z.ZodType } {
  const value = names.join(' ');
  return { value, schema: z.literal(value, { error: missingOr('is not this form’s list of tick boxes (reload the page)') }) };
}

/** What a form always sends: field name → its zod schema (sentField, sentChoice, a checkboxMarker's schema). */
export type SentFormShape = Record<string, z.ZodType>;

/** What a post lacks of its form: the fields it does not carry, and the ones it carries malformed (field → why). */
export interface FormGaps {
  missing: string[];
  malformed: Record<string, string>;
}

/**
 * Checks `form` against `shape` (the fields its page always sends) with zod: the names the post
 * lacks, in `shape`'s order, and those it carries but not as the page sends them (a file for text, a
 * choice the page does not offer, a tick-box marker that is not the form's own). Fields not in
 * `shape` are not looked at. Throws nothing.
 */
export function formGaps(form: FormBody, shape: SentFormShape): FormGaps {
  const gaps: FormGaps = { missing: [], malformed: {} };
  const checked = z.object(shape).safeParse({ ...form });
  if (checked.success) return gaps;
  for (const issue of checked.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (issue.message === MISSING) {
      if (!gaps.missing.includes(name)) gaps.missing.push(name);
    } else gaps.malformed[name] ??= issue.message;
  }
  return gaps;
}

/** True when the post lacks nothing of its form and carries nothing malformed. */
export const isComplete = (gaps: FormGaps): boolean => gaps.missing.length === 0 && Object.keys(gaps.malformed).length === 0;

/**
 * The sentences saying what a post lacks (for a page's banner), e.g. "The form did not send “url”,
 * “status”, which the page’s form always sends. “sendWindow.mode” is not one of org, on, off. Reload
 * the page and make your change again." Empty when the post is complete.
 */
export function formGapsText(gaps: FormGaps): string {
  const parts: string[] = [];
  if (gaps.missing.length) {
    const names = fieldNames(gaps.missing);
    const marker = gaps.missing.includes(CHECKBOXES_FIELD) ? ` (its hidden “${CHECKBOXES_FIELD}” field is what tells an unticked box from one the post lacks)` : '';
    parts.push(`The form did not send ${names}, which the page’s form always sends${marker}.`);
  }
  for (const [name, why] of Object.entries(gaps.malformed)) parts.push(`“${name}” ${why}.`);
  return parts.length ? `${parts.join(' ')} Reload the page and make your change again.` : '';
}
