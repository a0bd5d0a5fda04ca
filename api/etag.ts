/**
 * Optimistic concurrency for the routes whose resources have a version (certificates: `settingsVersion`;
 * courses: `version`): the version is the resource's entity tag (`"7"`), sent as `ETag` by GET, POST
 * and PATCH, and a PATCH may send it back as `If-Match`. The routes compare it under the row lock,
 * inside the change's transaction, so of two changes made at the same version exactly one commits and
 * the other is a 409 `version_conflict`.
 *
 * Only the routes that declare `If-Match` (the certificate and course PATCH) compare a precondition:
 * `If-Match`, `If-None-Match` or `If-Unmodified-Since` sent with a change (POST, PUT, PATCH, DELETE) to any other `/api` route is
 * refused with 400 `precondition_unsupported` (`PRECONDITIONS_HONOURED`, api/unhonoured-headers.ts),
 * never ignored while the change is made. GET and HEAD may carry them (caches do): they change nothing.
 */
import { z } from '@hono/zod-openapi';
import type { HonouredHeader } from './unhonoured-headers.ts';

/** A resource's entity tag: its version, quoted (`"7"`). */
export const etagOf = (version: number): string => `"${version}"`;

/** The methods that change something: a precondition on them must be kept or refused, never ignored. */
const CHANGING_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The preconditions (RFC 9110 §13.1) as api/unhonoured-headers.ts refuses them on a change to a route
 * that does not declare them: `If-Match` is declared by the routes of versioned resources (certificate
 * and course PATCH); no route declares `If-None-Match` or `If-Unmodified-Since` (no resource keeps a
 * last-modified time to compare).
 */
export const PRECONDITIONS_HONOURED: readonly HonouredHeader[] = [
  {
    header: 'if-match',
    name: 'If-Match',
    code: 'precondition_unsupported',
    methods: CHANGING_METHODS,
    meaningless: (route) => `If-Match is not compared on ${route}: only the routes that change a versioned resource's fields (details.honouredBy) compare it.`,
  },
  {
    header: 'if-none-match',
    name: 'If-None-Match',
    code: 'precondition_unsupported',
    methods: CHANGING_METHODS,
    meaningless: (route) => `If-None-Match cannot be checked on ${route}: no route that changes data compares it.`,
  },
  {
    header: 'if-unmodified-since',
    name: 'If-Unmodified-Since',
    code: 'precondition_unsupported',
    methods: CHANGING_METHODS,
    meaningless: (route) => `If-Unmodified-Since cannot be checked on ${route}: no resource keeps a last-modified time to compare (versioned ones take If-Match).`,
  },
];

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

/** The strong entity tags' values of an If-Match header (`"7", W/"8"` → `['7']`): weak ones never match. */
const strongTags = (header: string): string[] => [...header.matchAll(/(W\/)?"([^"]*)"/g)].filter((m) => !m[1]).map((m) => m[2] ?? '');

/**
 * Whether an `If-Match` header lets a change to a resource at `version` through: absent, `*`, or
 * naming its ETag under the strong comparison (a weak `W/"7"` never matches).
 */
export function ifMatchAllows(header: string | undefined, version: number): boolean {
  if (header === undefined || header.trim() === '*') return true;
  return strongTags(header).includes(String(version));
}

/**
 * The message of a 409 `version_conflict`: `what` names the resource (`certificate`), `versionName`
 * its version field (`settingsVersion`), `header` the If-Match sent, `current` the version now. Says
 * "changed since" only when the header names a version the resource has had; a tag that names none
 * it can have (weak, not a whole number, or one it has not reached) is said to be that instead.
 */
export function versionConflictMessage(what: string, versionName: string, header: string | undefined, current: number): string {
  const versions = strongTags(header ?? '').filter((t) => /^[1-9][0-9]*$/.test(t)).map(Number);
  const why = versions.some((v) => v < current)
    ? `The ${what} changed since the version in If-Match (${header ?? ''})`
    : versions.length > 0
      ? `If-Match (${header ?? ''}) names a version the ${what} has not reached`
      : `If-Match (${header ?? ''}) names no version a ${what} can have (a strong tag of a whole number, such as "${current}"; a weak W/ tag never matches)`;
  return `${why}: it is now at ${versionName} ${current}. Nothing was saved; read it again, re-apply the change and send the new ETag.`;
}
