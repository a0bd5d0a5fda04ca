/**
 * Middleware: counts every request the API answers and how long it took (`recertify_http_requests_total`,
 * `recertify_http_request_duration_seconds`, config/metrics.ts), labelled by method, status and the
 * matched route *pattern* (`/api/awards/:id`, as registered), never the raw path: ids, typos and
 * scanners' paths would make a series each. A request no route matched (404, 405) is `(unmatched)`.
 * The admin page's in-process API calls (api/in-process.ts) are part of the page's request and are
 * not counted again.
 */
import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { METHOD_NAME_ALL } from 'hono/router';
import { UNMATCHED_ROUTE, recordHttpRequest } from '../config/metrics.ts';
import { isInProcess } from './in-process.ts';

/** The pattern of the route that answered `c` (its last matched endpoint, not a middleware), or `(unmatched)`. */
export function routePattern(c: Context): string {
  const endpoints = matchedRoutes(c).filter((r) => r.method !== METHOD_NAME_ALL);
  return endpoints.at(-1)?.path ?? UNMATCHED_ROUTE;
}

/** The middleware (mounted first on `*` in api/app.ts, so it times everything after it). */
export const httpMetrics: MiddlewareHandler = async (c, next) => {
  const t0 = performance.now();
  try {
    await next();
  } finally {
    if (!isInProcess(c.req.raw)) recordHttpRequest(c.req.method, routePattern(c), c.res.status, (performance.now() - t0) / 1000);
  }
};
