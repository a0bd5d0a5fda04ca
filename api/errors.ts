/**
 * The API's one error shape: `{"error": {"code", "message", "details"}}`.
 *   400 malformed input (bad JSON, failed validation), 401 auth, 404 unknown resource,
 *   405 a method the path does not answer, 409 conflict with the current state, 413 body too large,
 *   415 body not JSON, 422 a business rule, 503 not ready.
 * Handlers throw `ApiError`; `onError` turns it (and anything else) into that shape. A client that
 * goes away while its body is read is no error of ours: it gets nothing (499, logged at info).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode, UnofficialStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';
import type { Logger } from '../config/logger.ts';
import { isPgError } from '../db/errors.ts';

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export class ApiError extends Error {
  constructor(
    public readonly status: ErrorStatus,
    public readonly code: string,
    message: string,
    public readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, id: string): ApiError => new ApiError(404, 'not_found', `${what} ${id} does not exist.`, { id });
export const conflict = (code: string, message: string, details: unknown = null): ApiError => new ApiError(409, code, message, details);
export const unprocessable = (code: string, message: string, details: unknown = null): ApiError => new ApiError(422, code, message, details);

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'course_not_live' }),
      message: z.string().openapi({ example: 'Course "Forklift Safety" is draft; only live courses can be chosen.' }),
      details: z.unknown().openapi({ description: 'More about the error (validation issues, the field at fault), or null.' }),
    }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof ErrorSchema>;

export function errorBody(code: string, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details } };
}

export function errorResponse(c: Context, status: ErrorStatus, code: string, message: string, details: unknown = null): Response {
  return c.json(errorBody(code, message, details), status as ContentfulStatusCode);
}

/** The documented error responses of a route, for createRoute's `responses`. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }> {
  const describe: Record<ErrorStatus, string> = {
    400:
      'Malformed input: invalid JSON (`malformed_json`); failed validation (`validation_failed`: `details.issues` lists the first 20 issues, unknown keys first, ' +
      'as `{path, code, message}` and `details.issueCount` counts them all; an `unrecognized_keys` issue names the first 20 unknown keys in ' +
      '`keys`, with `keyCount`; any path, key or message echoed back is cut at 200 characters), including a query parameter given more than ' +
      'once (`repeated_parameter`) and a body sent to a route that takes none (an empty body or `{}` is accepted); or an ' +
      '`Idempotency-Key` sent to a route that does not honour it (`idempotency_key_unsupported`; `details.honouredBy` lists the routes that do), ' +
      'or a precondition (`If-Match`, `If-None-Match`, `If-Unmodified-Since`) sent with a change to a route that cannot check it ' +
      '(`precondition_unsupported`: only the certificate and course PATCH compare `If-Match`; `details.honouredBy` lists the routes that do).',
    401: 'Missing or unknown bearer token (`unauthorized`), a revoked one (`token_revoked`) or an expired one (`token_expired`).',
    403: 'The token lacks the scope this route needs (`insufficient_scope`; `details.requiredScope`, `details.tokenScope`).',
    404: 'Unknown resource (`not_found`).',
    405: 'The path does not answer this method (`method_not_allowed`); the `Allow` header lists those it answers.',
    409: 'Conflicts with the current state.',
    413: 'The body is larger than 1 MB (`payload_too_large`).',
    415:
      'The body is not `application/json`, or is content-coded (a `Content-Encoding` other than `identity`, answered with ' +
      '`Accept-Encoding: identity`) (`unsupported_media_type`).',
    422: 'Breaks a business rule.',
    429:
      'Too many failed authentications from this client address (`too_many_failed_authentications`); `Retry-After` says when to ' +
      'try again. The token is not checked meanwhile.',
    500: 'Unexpected failure (`internal_error`).',
    503: 'A dependency is unavailable (`not_ready`).',
  };
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
  for (const s of statuses) out[s] = { description: describe[s], content: { 'application/json': { schema: ErrorSchema } } };
  // Every route that takes a token (401) can also refuse its scope (403) or a client past its failure limit (429).
  if ((statuses as ErrorStatus[]).includes(401)) {
    const more = out as Record<ErrorStatus, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
    for (const s of [403, 429] as const) more[s] = { description: describe[s], content: { 'application/json': { schema: ErrorSchema } } };
  }
  return out;
}

/** At most this many issues are listed in a 400's details (`issueCount` says how many there were). */
export const MAX_LISTED_ISSUES = 20;
/** At most this many unknown keys are named per issue (`keyCount` says how many there were). */
export const MAX_LISTED_KEYS = 20;
/** Longest path, key or message echoed back; longer ones are cut with `…`. */
export const MAX_ECHOED_CHARS = 200;

/** One listed issue of a 400: where, which check, what; for unknown keys, the first few and their count. */
export interface ValidationIssue {
  path: string;
  code: string;
  message: string;
  keys?: string[];
  keyCount?: number;
}

/** The `details` of a 400 `validation_failed`. */
export interface ValidationDetails {
  target: string;
  /** The first `MAX_LISTED_ISSUES` issues. */
  issues: ValidationIssue[];
  /** How many issues the input had in all. */
  issueCount: number;
}

const clip = (text: string): string => (text.length <= MAX_ECHOED_CHARS ? text : `${text.slice(0, MAX_ECHOED_CHARS - 1)}…`);

/**
 * One zod issue as listed. The size of the answer does not grow with the input: zod's own message for
 * unknown keys names every key (50,000 keys made a 1.2 MB answer), so that message is rebuilt from
 * the first `MAX_LISTED_KEYS`, and every path, key and message is clipped to `MAX_ECHOED_CHARS`.
 */
function listIssue(issue: z.core.$ZodIssue): ValidationIssue {
  const path = clip(issue.path.map(String).join('.'));
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.slice(0, MAX_LISTED_KEYS).map(clip);
    const more = issue.keys.length - keys.length;
    const named = keys.map((k) => JSON.stringify(k)).join(', ');
    const message = `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${named}${more > 0 ? `, … and ${more} more` : ''}`;
    return { path, code: issue.code, message, keys, keyCount: issue.keys.length };
  }
  return { path, code: issue.code, message: clip(issue.message) };
}

/** zod issues as the `details` of a 400: where and what, unknown keys first, the first `MAX_LISTED_ISSUES` of them and their count. */
export function validationDetails(error: z.ZodError, target: string): ValidationDetails {
  // Unknown keys first: a misspelt or misplaced key is usually why a required one looks missing.
  const ordered = [...error.issues.filter((i) => i.code === 'unrecognized_keys'), ...error.issues.filter((i) => i.code !== 'unrecognized_keys')];
  return {
    target,
    issues: ordered.slice(0, MAX_LISTED_ISSUES).map(listIssue),
    issueCount: error.issues.length,
  };
}

/** OpenAPIHono's defaultHook: a failed zod validation answers 400 `validation_failed`. */
export function validationHook(result: { target: string; success: boolean; error?: z.ZodError }, c: Context): Response | undefined {
  if (result.success || !result.error) return undefined;
  const details = validationDetails(result.error, result.target);
  const first = details.issues[0];
  const where = first && first.path !== '' ? `${result.target}.${first.path}` : result.target;
  const others = details.issueCount > 1 ? ` (and ${details.issueCount - 1} more issue${details.issueCount === 2 ? '' : 's'})` : '';
  return errorResponse(c, 400, 'validation_failed', `Invalid ${where}: ${first?.message ?? 'validation failed'}${others}`, details);
}

/**
 * The status of an answer to a client that closed its connection before its request was read (the
 * "client closed request" of nginx and others). Nobody receives it; it marks the request log line.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** Error codes Node and undici give a body read cut short by the client. */
const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR', 'UND_ERR_ABORTED']);

/**
 * Whether the client went away: the request's abort signal (set by @hono/node-server when the
 * connection closes before the answer is written) or the Node request stream itself.
 */
function clientWentAway(c: Context): boolean {
  if (c.req.raw.signal.aborted) return true;
  // @hono/node-server passes the Node request as the `incoming` binding; absent under app.request().
  const env: unknown = c.env;
  const incoming = env && typeof env === 'object' && 'incoming' in env ? (env as { incoming?: IncomingMessage }).incoming : undefined;
  return incoming?.readableAborted === true || (incoming?.destroyed === true && incoming.complete === false);
}

/**
 * Whether `err` is the failure to read a body the client stopped sending (it aborted the upload),
 * which is no server error. @hono/node-server rejects the read with `aborted` (ECONNRESET) or
 * "Client connection prematurely closed."; `bodyLimit` passes that on as it is (chunked bodies), while
 * the JSON validator turns it into a 400 HTTPException "Malformed JSON" (bodies with a length). Only
 * when the connection is indeed gone: an ApiError or any other failure is the handler's own.
 */
export function isClientAbort(err: unknown, c: Context): boolean {
  if (err instanceof ApiError || !clientWentAway(c)) return false;
  if (err instanceof HTTPException) return err.status === 400;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name === 'AbortError' ||
    (typeof code === 'string' && ABORT_CODES.has(code)) ||
    /^(aborted|Client connection prematurely closed\.?|Body is unusable.*)$/i.test(err.message)
  );
}

/** The non-answer to a client that went away mid-body: an info line (no stack) and an empty 499. */
export function clientClosedRequest(err: unknown, c: Context, log: Logger): Response {
  const reason = err instanceof Error ? err.message : String(err);
  log.info({ method: c.req.method, path: c.req.path, reason }, 'client closed the connection before its request body was read; nothing answered');
  return c.body(null, CLIENT_CLOSED_REQUEST as UnofficialStatusCode);
}

/** Turns any thrown error into the error shape; unexpected ones are logged (never the request's headers). */
export function handleError(err: unknown, c: Context, log: Logger): Response {
  if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details);
  if (isClientAbort(err, c)) return clientClosedRequest(err, c, log);
  if (err instanceof HTTPException) {
    if (err.status === 400) return errorResponse(c, 400, 'malformed_json', err.message || 'Malformed JSON in request body.');
    if (err.status === 415) return errorResponse(c, 415, 'unsupported_media_type', 'Send the body as application/json.');
    if (err.status === 401) return errorResponse(c, 401, 'unauthorized', err.message || 'Unauthorized.');
    return c.json(errorBody('http_error', err.message), err.status);
  }
  if (isPgError(err) && err.code === '22P02') return errorResponse(c, 400, 'validation_failed', 'Malformed value.', null);
  log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
  return errorResponse(c, 500, 'internal_error', 'Something went wrong on our side.');
}
