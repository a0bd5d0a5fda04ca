/**
 * The admin page's cross-cutting middleware, in the order createAdminApp (index.tsx) applies it:
 * response headers (a strict Content-Security-Policy, no caching), the form size limit, the CSRF
 * check of form posts, and the sign-in gate.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { drain } from '../request-body.ts';
import type { AdminEnv } from './context.ts';
import { SESSION_COOKIE } from './session.ts';
import { scopeAllows } from '../../domain/audit.ts';
import { renderRefusal } from './renderer.tsx';

/** The largest form the admin page takes; a larger one is a 413. */
export const MAX_FORM_BYTES = 64 * 1024;

/** Scripts and styles from /admin/assets only; nothing frames the page; forms post to this site only. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Rendered email bodies (in a sandboxed frame) often carry inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Every answer's security headers, and `Cache-Control: no-store` unless the handler set its own. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Frame-Options', 'DENY');
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
};

/**
 * Refuses a request body over MAX_FORM_BYTES with a 413, after reading and discarding it (up to 16 MB)
 * so the browser sees the answer and its next request on the connection is not reset.
 */
const smallFormLimit: MiddlewareHandler = bodyLimit({
  maxSize: MAX_FORM_BYTES,
  onError: async (c) => {
    await drain(c.req.raw, 16 * 1024 * 1024);
    return c.text('The form is too large.', 413);
  },
});

/**
 * The largest import form (a CSV file, or the dry run's confirmation carrying that CSV's text): 8 MB,
 * about 100,000 short rows. Smaller than the API's 32 MB because the confirmation page carries the
 * file's text back in a hidden field (nothing is stored between the dry run and the confirm).
 */
export const MAX_IMPORT_FORM_BYTES = 8 * 1024 * 1024;
/** The admin paths that take an import form (areas/imports.tsx). */
export const IMPORT_FORM_PATH = /^\/admin\/certificates\/[^/]+\/import$/;

const importFormLimit: MiddlewareHandler = bodyLimit({
  maxSize: MAX_IMPORT_FORM_BYTES,
  onError: async (c) => {
    await drain(c.req.raw, 16 * 1024 * 1024);
    return c.text(`The import file is too large: the admin page takes up to ${MAX_IMPORT_FORM_BYTES / 1024 / 1024} MB (larger files: POST it to the API).`, 413);
  },
});

/** The form size limit: MAX_IMPORT_FORM_BYTES on the import form's path, MAX_FORM_BYTES elsewhere. */
export const formBodyLimit: MiddlewareHandler = (c, next) => (IMPORT_FORM_PATH.test(c.req.path) ? importFormLimit(c, next) : smallFormLimit(c, next));

/**
 * Refuses (403) a form post whose `Origin` (or `Sec-Fetch-Site`) is not this site: the request's own
 * origin, or `appOrigin` (APP_BASE_URL's, when the API sits behind a proxy). The Strict cookie is the
 * first defence; this is the second.
 */
export const sameSiteForms = (appOrigin: string): MiddlewareHandler =>
  csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === appOrigin });

/** The form posts a `read` token's session may make: signing itself out. */
const READ_ONLY_POSTS = new Set(['/admin/logout']);

/**
 * The read-only gate (after the sign-in gate): a session whose token has only the `read` scope makes
 * no change through the page: any other form post is a 403 page, before the area's handler (the API
 * would refuse it with 403 `insufficient_scope` as well). `logout-everywhere` needs `admin`.
 */
export const readOnlyGate: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const actor = c.var.admin.actor;
  if (!actor || c.req.method !== 'POST' || isPublic(c.req.path)) return await next();
  const need = c.req.path === '/admin/logout-everywhere' ? 'admin' : READ_ONLY_POSTS.has(c.req.path) ? 'read' : 'write';
  if (scopeAllows(actor.scope, need)) return await next();
  return renderRefusal(c, 403, 'Read-only', `Token "${actor.name}" has the ${actor.scope} scope: this change needs ${need}. Nothing was changed.`);
};

/** The paths open without a session: the sign-in page and the page's own files. */
const isPublic = (path: string): boolean => path === '/admin/login' || path.startsWith('/admin/assets/');

/**
 * The sign-in gate: a request without a live session (session.ts; its token still live) goes to the
 * sign-in page (303), which brings a GET back to where it was going and a POST to the certificates.
 * A live session's actor (its token's name and scope) is set on `c.var.admin`, with an API client
 * acting as it.
 */
export const requireSession: MiddlewareHandler<AdminEnv> = async (c, next) => {
  if (isPublic(c.req.path)) return await next();
  const actor = await c.var.admin.sessions.actorOf(getCookie(c, SESSION_COOKIE));
  if (actor) {
    c.set('admin', { ...c.var.admin, actor, api: c.var.admin.apiAs(actor) });
    return await next();
  }
  const url = new URL(c.req.url);
  const nextPath = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/admin/certificates';
  return c.redirect(`/admin/login?next=${encodeURIComponent(nextPath)}`, 303);
};
