/**
 * The REST API: one OpenAPIHono app that mounts each area's sub-app (api/routes/*.ts, routes declared
 * with createRoute and zod) with `app.route()`, so `/api/openapi.json` is generated from the routes
 * themselves; `/api/docs` renders it. All `/api/*` routes need the admin bearer token except those
 * two. A path that exists asked with another method is 405 with `Allow` (from the registered routes);
 * an unknown path is 404.
 */
import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { METHOD_NAME_ALL } from 'hono/router';
import { z } from '@hono/zod-openapi';
import { createAdminApp } from './admin/index.tsx';
import { isInProcess } from './in-process.ts';
import { methodsOfPath } from './methods.ts';
import { apiAuth } from './auth.ts';
import { createFailureLimiter } from './auth-limiter.ts';
import { tokensApp } from './routes/tokens.ts';
import { auditApp } from './routes/audit.ts';
import { DOCS_ASSET_BASE, docsAsset, docsPage } from './docs.ts';
import { API_BASE, createRouter, type ApiDeps, type App, type AppEnv } from './deps.ts';
import { Refusal, type RefusalKind } from '../domain/refusal.ts';
import { ApiError, MAX_ECHOED_CHARS, MAX_LISTED_ISSUES, errorResponse, handleError, validationHook, type ErrorStatus } from './errors.ts';
import { PRECONDITIONS_HONOURED } from './etag.ts';
import { IDEMPOTENCY_KEY_HONOURED } from './idempotency.ts';
import { honoPath, openApiPath, refuseUnhonouredHeaders } from './unhonoured-headers.ts';
import { attemptsApp } from './routes/attempts.ts';
import { awardsApp } from './routes/awards.ts';
import { certificatesApp } from './routes/certificates.ts';
import { coursesApp } from './routes/courses.ts';
import { healthApp } from './routes/health.ts';
import { learnersApp } from './routes/learners.ts';
import { messagesApp } from './routes/messages.ts';
import { webhooksApp } from './routes/webhooks.ts';
import { messagePreviewsApp } from './routes/message-previews.ts';
import { digestApp } from './routes/digest.ts';
import { resendWebhooksApp } from './routes/resend-webhooks.ts';
import { IMPORT_PATH, MAX_IMPORT_BODY_BYTES, importsApp } from './routes/imports.ts';
import { drain } from './request-body.ts';
import { httpMetrics } from './http-metrics.ts';

export type { ApiDeps } from './deps.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';
export const MAX_BODY_BYTES = 1024 * 1024;

/** How much of a refused body is read and discarded before the connection is dropped (api/request-body.ts). */
const DRAIN_BOUND = 16 * MAX_BODY_BYTES;

/**
 * Middleware: a request whose body is content-coded (`Content-Encoding` other than `identity`: gzip,
 * br, deflate…) is 415 `unsupported_media_type` naming the coding, with `Accept-Encoding: identity`;
 * the API reads bodies as they are and would otherwise misread a compressed one. Nothing is read.
 */
export const refuseContentEncoding: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('content-encoding');
  if (header === undefined) return await next();
  const codings = header.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const unsupported = codings.filter((s) => s !== 'identity');
  if (unsupported.length === 0) return await next();
  c.header('Accept-Encoding', 'identity');
  return errorResponse(
    c,
    415,
    'unsupported_media_type',
    `Content-Encoding ${unsupported.join(', ')} is not supported: send the body uncompressed (identity).`,
    { header: 'Content-Encoding', contentEncoding: unsupported, accepted: ['identity'] },
  );
};

/**
 * Middleware: the query is checked against the route's declared query schema (read from the OpenAPI
 * registry, as for bodies and `Idempotency-Key`, so the document and the behaviour agree). A parameter
 * the route does not declare (`?learnerid=` for `learnerId`, or any parameter on a route that takes
 * none) is 400 `validation_failed` naming it, instead of being ignored (which answered every row); a
 * parameter given more than once (`?limit=1&limit=2`) is too: no parameter of the API takes a list,
 * and which of the values was meant is anyone's guess. Requests to no registered route pass on.
 */
export function refuseUnknownOrRepeatedQueryParameters(app: App): MiddlewareHandler<AppEnv> {
  let declared: Map<string, Set<string>> | undefined; // read on first use: every route is registered by then
  return async (c, next) => {
    const counts = new Map<string, number>();
    for (const name of new URL(c.req.url).searchParams.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (counts.size === 0) return await next();
    const endpoint = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
    declared ??= queryParametersOfRoutes(app);
    const route = endpoint ? `${endpoint.method.toUpperCase()} ${endpoint.path}` : undefined;
    const known = route === undefined ? undefined : declared.get(route);
    const issues: { path: string; code: string; message: string }[] = [];
    for (const [name, n] of counts) {
      if (known && !known.has(name)) {
        const takes = known.size === 0 ? 'it takes no query parameters' : `it takes ${[...known].join(', ')}`;
        issues.push({ path: clipped(name), code: 'unknown_parameter', message: `${clipped(name)} is not a query parameter of ${openApiPath(route ?? '')}; ${takes}` });
      } else if (n > 1) {
        issues.push({ path: clipped(name), code: 'repeated_parameter', message: `${clipped(name)} is given ${n} times; give it once` });
      }
    }
    if (issues.length === 0) return await next();
    const [first] = issues;
    const others = issues.length > 1 ? ` (and ${issues.length - 1} more invalid parameter${issues.length === 2 ? '' : 's'})` : '';
    return errorResponse(c, 400, 'validation_failed', `Invalid query.${first?.path ?? ''}: ${first?.message ?? ''}${others}`, {
      target: 'query',
      issues: issues.slice(0, MAX_LISTED_ISSUES),
      issueCount: issues.length,
    });
  };
}

/**
 * The query parameters each registered route declares, by `METHOD /hono/:path` (from the app's OpenAPI
 * registry): an empty set for a route that declares no query. A route whose query schema is not a
 * plain object (none today) is left out, and its query is not checked for unknown names.
 */
function queryParametersOfRoutes(app: App): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const query: unknown = def.route.request?.query;
    const key = `${def.route.method.toUpperCase()} ${honoPath(def.route.path)}`;
    if (query === undefined) out.set(key, new Set());
    else if (query instanceof z.ZodObject) out.set(key, new Set(Object.keys(query.shape as Record<string, unknown>)));
  }
  return out;
}

const clipped = (text: string): string => (text.length <= MAX_ECHOED_CHARS ? text : `${text.slice(0, MAX_ECHOED_CHARS - 1)}…`);

/** Whether a request carries a body by its framing: a non-zero Content-Length, or any Transfer-Encoding. */
function framesABody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (length !== undefined && length.trim() !== '0') || c.req.header('transfer-encoding') !== undefined;
}

/**
 * Middleware: a route that declares no request body (every GET, `POST /api/attempts/{id}/complete`)
 * refuses one instead of ignoring it, so a client that believes it sent something learns it did not
 * count. Accepted: no body, an empty one, or the empty JSON object `{}` (for clients that always send
 * JSON). Anything else is 400 `validation_failed`: a JSON object with keys names them as unknown, as on
 * every other route; any other content says the route takes no body. Which routes declare a body is
 * read from the OpenAPI registry (as for `Idempotency-Key`), so the document and the behaviour agree.
 */
export function refuseUnexpectedBody(app: App): MiddlewareHandler<AppEnv> {
  let withBody: Set<string> | undefined; // read on first use: every route is registered by then
  return async (c, next) => {
    const endpoint = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
    if (!endpoint) return await next();
    withBody ??= routesWithBody(app);
    const method = endpoint.method.toUpperCase();
    if (withBody.has(`${method} ${endpoint.path}`)) return await next();
    const route = `${method} ${openApiPath(endpoint.path)}`;
    const noBody = (): Response =>
      errorResponse(c, 400, 'validation_failed', `Invalid body: ${route} takes no body; send none.`, {
        target: 'body',
        issues: [{ path: '', code: 'unexpected_body', message: `${route} takes no body` }],
        issueCount: 1,
      });
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return framesABody(c) ? noBody() : await next();
    if (!framesABody(c) && !c.req.raw.body) return await next();
    const text = (await c.req.text()).trim();
    if (text === '') return await next();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return noBody();
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return noBody();
    const result = EmptyBody.safeParse(parsed);
    if (result.success) return await next();
    return validationHook({ target: 'json', success: false, error: result.error }, c) ?? noBody();
  };
}

/** The body a route without one may still be sent: `{}`. */
const EmptyBody = z.object({}).strict();

/** The routes that declare a request body, as `METHOD /hono/:path` (read from the app's OpenAPI registry). */
function routesWithBody(app: App): Set<string> {
  const out = new Set<string>();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type === 'route' && def.route.request?.body) out.add(`${def.route.method.toUpperCase()} ${honoPath(def.route.path)}`);
  }
  return out;
}

/** The status a domain refusal (domain/refusal.ts) is answered with. */
const REFUSAL_STATUS: Record<RefusalKind, ErrorStatus> = { not_found: 404, conflict: 409, rule: 422 };

/** A domain refusal as the API's error (same code, message and details); anything else as it is. */
export function asApiError(err: unknown): unknown {
  return err instanceof Refusal ? new ApiError(REFUSAL_STATUS[err.kind], err.code, err.message, err.details) : err;
}

/**
 * The whole HTTP app: request log, `/api` middleware (auth, Idempotency-Key, body limit), the areas'
 * sub-apps, the OpenAPI document and docs page, the admin page, and the 404/405 and error answers.
 */
export function createApp(deps: ApiDeps): App {
  const { log, config } = deps;
  const app = createRouter();

  app.use('*', httpMetrics); // request counts and latencies by route pattern (api/http-metrics.ts)
  // Structured request log: method, path (no query string), status, duration. Never headers.
  // The admin page's in-process API calls are part of its request (logged once, by the page's own
  // line): they are at debug, marked `inProcess`, unless they fail.
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    const status = c.res.status;
    const inProcess = isInProcess(c.req.raw);
    const entry = inProcess ? { method: c.req.method, path: c.req.path, status, ms, inProcess } : { method: c.req.method, path: c.req.path, status, ms };
    if (status >= 500) log.error(entry, 'request');
    else if (inProcess || c.req.path === '/healthz' || c.req.path === '/readyz') log.debug(entry, 'request');
    else log.info(entry, 'request');
  });
  // Failed authentications per client address, shared by the API's bearer check and the admin sign-in.
  const authFailures = createFailureLimiter({ limit: config.access.authFailureLimit, windowSeconds: config.access.authFailureWindowSeconds });
  app.use('/api/*', apiAuth(deps, app, authFailures));
  app.use('/api/*', refuseContentEncoding);
  app.use('/api/*', refuseUnknownOrRepeatedQueryParameters(app));
  app.use('/api/*', refuseUnhonouredHeaders(app, [IDEMPOTENCY_KEY_HONOURED, ...PRECONDITIONS_HONOURED]));
  const limitBody = (maxSize: number): MiddlewareHandler<AppEnv> =>
    bodyLimit({
      maxSize,
      onError: async (c) => {
        await drain(c.req.raw, DRAIN_BOUND);
        return errorResponse(c, 413, 'payload_too_large', `The body is larger than ${maxSize} bytes.`);
      },
    });
  const apiBodyLimit = limitBody(MAX_BODY_BYTES);
  const importBodyLimit = limitBody(MAX_IMPORT_BODY_BYTES); // an import's rows (api/routes/imports.ts)
  app.use('/api/*', (c, next) => (c.req.method === 'POST' && IMPORT_PATH.test(c.req.path) ? importBodyLimit(c, next) : apiBodyLimit(c, next)));
  const refuseBody = refuseUnexpectedBody(app);
  app.use('/api/*', refuseBody);
  app.use('/healthz', refuseBody);
  app.use('/webhooks/*', apiBodyLimit); // Resend's webhooks (api/routes/resend-webhooks.ts): signed, no bearer token
  app.use('/readyz', refuseBody);

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API token (`POST /api/tokens`, scopes read < write < admin) or ADMIN_API_TOKEN (scope admin), never logged. Without one, ' +
      'or with an unknown one, every `/api` route answers 401 `unauthorized` (with `WWW-Authenticate: Bearer`); a revoked token 401 ' +
      '`token_revoked`, an expired one 401 `token_expired`; a token without the scope a route declares (`x-required-scope`) 403 ' +
      '`insufficient_scope`. Too many failed authentications from one address: 429. `/api/docs` and `/api/openapi.json` need none.',
  });

  // Each area's routes (and their OpenAPI definitions) are copied in as they are mounted; the
  // middleware above, registered first, runs before them.
  app.route('/', healthApp(deps));
  app.route('/', resendWebhooksApp(deps));
  app.route(API_BASE, learnersApp(deps));
  app.route(API_BASE, coursesApp(deps));
  app.route(API_BASE, certificatesApp(deps));
  app.route(API_BASE, awardsApp(deps));
  app.route(API_BASE, attemptsApp(deps));
  app.route(API_BASE, messagesApp(deps));
  app.route(API_BASE, importsApp(deps));
  app.route(API_BASE, webhooksApp(deps));
  app.route(API_BASE, tokensApp(deps));
  app.route(API_BASE, auditApp(deps));
  app.route(API_BASE, messagePreviewsApp(deps));
  app.route(API_BASE, digestApp(deps));

  app.doc(OPENAPI_PATH, (c) => ({
    openapi: '3.0.3',
    info: {
      title: 'Recertify API',
      version: '1.0.0',
      description:
        'Keeps expiring certificates from lapsing: one durable Temporal workflow per expiring award. ' +
        'Errors are `{"error": {"code", "message", "details"}}`.\n\n' +
        'Every `/api` route needs `Authorization: Bearer <token>` (an API token with the scope the route declares in ' +
        '`x-required-scope`, or ADMIN_API_TOKEN); `/api/docs`, `/api/openapi.json`, `/healthz` and `/readyz` ' +
        'need none. A malformed id in the path (not a UUID) is 400 `validation_failed`, an unknown one 404 `not_found`, and an unknown id ' +
        'inside a body (a learner to award, an associated course) 422 (`unknown_learner`, `unknown_course`). A path asked with a method it ' +
        'does not answer is 405 `method_not_allowed`: the `Allow` header and `details.allow` list the methods it answers (HEAD goes with ' +
        'GET). The token is checked first, so without it a wrong method is 401. A body over 1 MB is 413 `payload_too_large`; a body with a ' +
        '`Content-Encoding` other than `identity` is 415 `unsupported_media_type`. A query parameter the route does not declare (a misspelt ' +
        'name included) or one given twice is 400 `validation_failed` naming it, and so is a body sent to a route that takes none (every ' +
        'GET, `POST /api/attempts/{id}/complete`; an empty body or `{}` is accepted). Lists that page (learners, certificates, awards, ' +
        'attempts, messages) are newest first: `nextBefore` is an opaque ' +
        'cursor to pass as `before` for the next page, null on the last page. Every change is one database transaction, and Temporal is ' +
        'called only after it commits. If Temporal is unreachable then, the change is still saved and answered, and the reconciler (every ' +
        '`RECONCILE_INTERVAL_SECONDS`) starts or signals the workflow.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get(DOCS_PATH, docsPage(app, OPENAPI_PATH, 'Recertify API'));
  app.get(`${DOCS_ASSET_BASE}/:file`, docsAsset);

  app.route('/admin', createAdminApp(deps, app, authFailures)); // the admin page (api/admin): HTML, signed-in by cookie

  const allowed = methodsOfPath(app);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    if (allow.length === 0 || allow.includes(c.req.method)) return errorResponse(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}.`);
    c.header('Allow', allow.join(', '));
    return errorResponse(c, 405, 'method_not_allowed', `${c.req.path} does not answer ${c.req.method}; it answers ${allow.join(', ')}.`, { allow });
  });
  app.onError((err, c) => handleError(asApiError(err), c, log));
  return app;
}
