/**
 * The API's one error shape (SPEC §6): `{"error": {"code", "message", "details"}}`.
 *   400 malformed input (bad JSON, failed validation), 401 auth, 404 unknown resource,
 *   409 conflict with the current state, 413 body too large, 415 body not JSON, 422 a business rule,
 *   503 not ready.
 * Handlers throw `ApiError`; `onError` turns it (and anything else) into that shape.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';
import type { Logger } from '../config/logger.ts';

export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

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
    400: 'Malformed input: invalid JSON or failed validation (`malformed_json`, `validation_failed`).',
    401: 'Missing or wrong bearer token (`unauthorized`).',
    404: 'Unknown resource (`not_found`).',
    409: 'Conflicts with the current state.',
    413: 'The body is larger than 1 MB (`payload_too_large`).',
    415: 'The body is not `application/json` (`unsupported_media_type`).',
    422: 'Breaks a business rule.',
    500: 'Unexpected failure (`internal_error`).',
    503: 'A dependency is unavailable (`not_ready`).',
  };
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
  for (const s of statuses) out[s] = { description: describe[s], content: { 'application/json': { schema: ErrorSchema } } };
  return out;
}

/** zod issues as the `details` of a 400: where and what. */
export function validationDetails(error: z.ZodError, target: string): { target: string; issues: { path: string; code: string; message: string }[] } {
  return {
    target,
    issues: error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code, message: i.message })),
  };
}

/** OpenAPIHono's defaultHook: a failed zod validation answers 400 `validation_failed`. */
export function validationHook(result: { target: string; success: boolean; error?: z.ZodError }, c: Context): Response | undefined {
  if (result.success || !result.error) return undefined;
  const first = result.error.issues[0];
  const where = first && first.path.length > 0 ? `${result.target}.${first.path.map(String).join('.')}` : result.target;
  return errorResponse(c, 400, 'validation_failed', `Invalid ${where}: ${first?.message ?? 'validation failed'}`, validationDetails(result.error, result.target));
}

interface PgError {
  code: string;
  constraint_name?: string;
}
function isPgError(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string' && (err as { name?: unknown }).name === 'PostgresError';
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return isPgError(err) && err.code === '23505' && (constraint === undefined || err.constraint_name === constraint);
}

/** Turns any thrown error into the error shape; unexpected ones are logged (never the request's headers). */
export function handleError(err: unknown, c: Context, log: Logger): Response {
  if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details);
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
