/**
 * Optimistic concurrency for the routes whose resources have a version (certificates: `settingsVersion`;
 * courses: `version`): the version is the resource's entity tag (`"7"`), sent as `ETag` by GET, POST
 * and PATCH, and a PATCH may send it back as `If-Match`. The routes compare it under the row lock,
 * inside the change's transaction, so of two changes made at the same version exactly one commits and
 * the other is a 409 `version_conflict`.
 */
import { z } from '@hono/zod-openapi';

/** A resource's entity tag: its version, quoted (`"7"`). */
export const etagOf = (version: number): string => `"${version}"`;

/** `*`, or a comma-separated list of entity tags, strong (`"7"`) or weak (`W/"7"`) (RFC 9110 §8.8.3, §13.1.1). */
const IF_MATCH = /^\s*(?:\*|(?:W\/)?"[^"\s]*"(?:\s*,\s*(?:W\/)?"[^"\s]*")*)\s*$/;

/** What `If-Match` accepts, said once for every route that takes it. */
const IF_MATCH_RULES =
  '`*` matches any version and a list matches any of its tags. A weak tag (`W/"3"`) never matches (strong comparison); ' +
  'anything else is 400 `validation_failed`. The version is compared under the row lock, in the change\'s transaction, ' +
  'so of two changes made at the same version exactly one is saved.';

/**
 * The `If-Match` request header of a PATCH: `what` names the version in the refusal of a malformed one
 * (e.g. `the course's version`), `description` says what it does on the route; the rules every route
 * shares (`IF_MATCH_RULES`) are appended.
 */
export function ifMatchHeaders(opts: { what: string; description: string; example: string }) {
  return z.object({
    'if-match': z
      .string()
      .regex(IF_MATCH, `If-Match must be an entity tag such as ${opts.example} (${opts.what}, in double quotes, as its ETag gives it), a list of them, or *`)
      .optional()
      .openapi({
        param: { name: 'if-match', in: 'header' },
        description: `${opts.description} ${IF_MATCH_RULES}`,
        example: opts.example,
      }),
  });
}

/** The `ETag` response header: `description` says which version it is. */
export function etagHeader(description: string, example: string) {
  return z.object({ ETag: z.string().openapi({ description, example }) });
}

/**
 * Whether an `If-Match` header lets a change to a resource at `version` through: absent, `*`, or
 * naming its ETag under the strong comparison (a weak `W/"7"` never matches).
 */
export function ifMatchAllows(header: string | undefined, version: number): boolean {
  if (header === undefined || header.trim() === '*') return true;
  for (const m of header.matchAll(/(W\/)?"([^"]*)"/g)) {
    if (!m[1] && m[2] === String(version)) return true;
  }
  return false;
}
