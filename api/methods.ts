/**
 * The methods each path of an app answers, for the 405's `Allow` header: used by the API (api/app.ts)
 * and the admin page (api/admin/index.tsx). Its own module so the admin page need not import the
 * app that mounts it.
 */
import type { Env, Hono } from 'hono';
import { inspectRoutes } from 'hono/dev';
import { METHOD_NAME_ALL } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/**
 * The methods each path is answered on, read from the routes `app` registered (no hand-kept list):
 * every route but middleware registered for all methods (auth, logging, the admin page's catch-all).
 * HEAD goes with GET (Hono answers HEAD from the GET route). Built on first use, when every route is
 * registered; the router is Hono's own, so a path matches here exactly when it would match there.
 */
export function methodsOfPath<E extends Env>(app: Hono<E>): (path: string) => string[] {
  let router: TrieRouter<string> | undefined;
  return (path) => {
    if (!router) {
      router = new TrieRouter<string>();
      for (const r of inspectRoutes(app)) if (r.method !== METHOD_NAME_ALL) router.add(METHOD_NAME_ALL, r.path, r.method.toUpperCase());
    }
    const methods = new Set(router.match(METHOD_NAME_ALL, path)[0].map(([method]) => method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
