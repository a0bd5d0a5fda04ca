/**
 * Request headers that ask for a guarantee only some routes give (`Idempotency-Key`, `If-Match`,
 * `If-None-Match`, `If-Unmodified-Since`): sent to an `/api` route that does not honour one, the
 * request is refused with 400 and changes nothing, never run without the guarantee its sender asked
 * for. A route honours a header by declaring it among its request headers, so the OpenAPI document
 * and the behaviour agree (the app's OpenAPI registry is the one list).
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { METHOD_NAME_ALL } from 'hono/router';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './deps.ts';
import { errorResponse } from './errors.ts';

/** Hono's path pattern of an OpenAPI path (`/api/awards/{id}` → `/api/awards/:id`), as OpenAPIHono registers it. */
export const honoPath = (openApiPath: string): string => openApiPath.replaceAll(/\/{(.+?)}/g, '/:$1');
/** The OpenAPI path of a Hono path pattern, for messages. */
export const openApiPath = (path: string): string => path.replaceAll(/:([^/]+)/g, '{$1}');

/**
 * The routes whose declared request headers hold `header` (lower case), as `METHOD /hono/:path`.
 * `app` is the whole API: `app.route()` copies each area's routes into its registry with their full
 * paths, so call it once every area is mounted.
 */
export function routesDeclaringHeader(app: OpenAPIHono<AppEnv>, header: string): Set<string> {
  const out = new Set<string>();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== 'route') continue;
    const headers = def.route.request?.headers;
    if (headers instanceof z.ZodObject && header in headers.shape) out.add(`${def.route.method.toUpperCase()} ${honoPath(def.route.path)}`);
  }
  return out;
}

/** One header a route must declare to be sent it. */
export interface HonouredHeader {
  /** Lower case, as Hono reads it (`if-match`). */
  header: string;
  /** As people write it, for messages (`If-Match`). */
  name: string;
  /** The refusal's error code (`idempotency_key_unsupported`). */
  code: string;
  /** Only requests of these methods are refused (absent: every method). */
  methods?: readonly string[];
  /** Why it means nothing on `route`, the message's first sentence. */
  meaningless: (route: string) => string;
}

/**
 * Middleware for `/api/*`: a request carrying one of `headers` to a route that does not declare it is
 * 400 with that header's code; `details` give the header, the route and `honouredBy` (the routes that
 * do, maybe none). Requests to no route at all pass on (to the 404 or 405).
 */
export function refuseUnhonouredHeaders(app: OpenAPIHono<AppEnv>, headers: readonly HonouredHeader[]): MiddlewareHandler<AppEnv> {
  let honoured: Map<string, Set<string>> | undefined; // read on first use: every route is registered by then
  return async (c, next) => {
    const method = c.req.method.toUpperCase();
    const sent = headers.filter((h) => c.req.header(h.header) !== undefined && (!h.methods || h.methods.includes(method)));
    if (sent.length === 0) return await next();
    const endpoint = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
    if (!endpoint) return await next();
    honoured ??= new Map(headers.map((h) => [h.header, routesDeclaringHeader(app, h.header)]));
    const key = `${endpoint.method.toUpperCase()} ${endpoint.path}`;
    const refused = sent.find((h) => !honoured!.get(h.header)!.has(key));
    if (!refused) return await next();
    const route = `${endpoint.method.toUpperCase()} ${openApiPath(endpoint.path)}`;
    const honouredBy = [...honoured.get(refused.header)!].map((r) => openApiPath(r)).sort();
    const which = honouredBy.length ? 'details.honouredBy lists the routes that honour it' : 'no route honours it';
    return errorResponse(c, 400, refused.code, `${refused.meaningless(route)} Send the request without ${refused.name} (${which}); nothing was changed.`, {
      header: refused.name,
      route,
      honouredBy,
    });
  };
}
