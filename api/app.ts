/**
 * The REST API (SPEC §6) as one OpenAPIHono app: every route is declared with createRoute and zod, so
 * `/api/openapi.json` is generated from the routes themselves; `/api/docs` renders it.
 * All `/api/*` routes need the admin bearer token except those two.
 */
import { performance } from 'node:perf_hooks';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createAdminApp } from './admin/index.tsx';
import { bearerAuth } from './auth.ts';
import { DOCS_ASSET_BASE, docsAsset, docsPage } from './docs.ts';
import type { ApiDeps, AppEnv } from './deps.ts';
import { errorResponse, handleError, validationHook } from './errors.ts';
import { registerAttemptRoutes } from './routes/attempts.ts';
import { registerAwardRoutes } from './routes/awards.ts';
import { registerCertificateRoutes } from './routes/certificates.ts';
import { registerCourseRoutes } from './routes/courses.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerLearnerRoutes } from './routes/learners.ts';
import { registerMessageRoutes } from './routes/messages.ts';

export type { ApiDeps } from './deps.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads and discards a refused body (up to a bound) so the client gets the 413 instead of a reset
 * connection; beyond the bound the connection is dropped.
 */
async function drain(req: Request, bound = 16 * MAX_BODY_BYTES): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  const reader = req.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > bound) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // the client went away
  }
}

export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const { log, config } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Structured request log: method, path (no query string), status, duration. Never headers.
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    const status = c.res.status;
    const entry = { method: c.req.method, path: c.req.path, status, ms };
    if (status >= 500) log.error(entry, 'request');
    else if (c.req.path === '/healthz' || c.req.path === '/readyz') log.debug(entry, 'request');
    else log.info(entry, 'request');
  });
  app.use('/api/*', bearerAuth(config.adminApiToken));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: async (c) => {
        await drain(c.req.raw);
        return errorResponse(c, 413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_API_TOKEN.',
  });

  registerHealthRoutes(app, deps);
  registerLearnerRoutes(app, deps);
  registerCourseRoutes(app, deps);
  registerCertificateRoutes(app, deps);
  registerAwardRoutes(app, deps);
  registerAttemptRoutes(app, deps);
  registerMessageRoutes(app, deps);

  app.doc(OPENAPI_PATH, (c) => ({
    openapi: '3.0.3',
    info: {
      title: 'Recertify API',
      version: '1.0.0',
      description:
        'Keeps expiring certificates from lapsing: one durable Temporal workflow per expiring award. ' +
        'Errors are `{"error": {"code", "message", "details"}}`.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get(DOCS_PATH, docsPage(app, OPENAPI_PATH, 'Recertify API'));
  app.get(`${DOCS_ASSET_BASE}/:file`, docsAsset);

  app.route('/admin', createAdminApp(deps, app)); // the admin page (api/admin): HTML, signed-in by cookie

  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}.`));
  app.onError((err, c) => handleError(err, c, log));
  return app;
}
