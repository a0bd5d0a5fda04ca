/**
 * The admin page, served by the API under `/admin`: server-rendered Hono JSX, plain HTML forms, one
 * stylesheet and a few lines of script. This file puts it together: the cross-cutting middleware
 * (middleware.ts), the layout (renderer.tsx), the errors, and one sub-app per area (areas/*).
 *
 * Design:
 *  - Sign-in: `/admin/login` takes the admin token and sets an HttpOnly, SameSite=Strict cookie
 *    holding a random session id (with a MAC keyed by the token), never the token. Sessions live in
 *    PostgreSQL (session.ts): "Sign out" ends that session on the server, "Sign out everywhere" all.
 *  - Saving settings or a course is optimistic: the form carries the version it was rendered from
 *    (`settingsVersion`, the course's version: their ETags) and the save sends it as `If-Match`,
 *    checked by the API inside the change's transaction; a change made meanwhile is a 409 that shows
 *    the current values.
 *  - A request the page cannot take as it is (a body that is not a readable form, a query parameter
 *    the API refuses, a field sent twice, a method a path does not answer) is a 4xx page and changes
 *    nothing (requests.ts; the 405 below); never a guess, never a 500.
 *  - Every write is a form POST to `/admin/...`, handled on the server by calling the JSON API
 *    in-process with the bearer token (api-client.ts): the settings rules, warnings and workflow
 *    signals are the API's own, and `/api` stays bearer-only (a cookie never authorizes it).
 *    Form posts are CSRF-checked (Origin / Sec-Fetch-Site must be this site; the cookie is Strict).
 *  - Reads go through the JSON API too, except what it has no route for (learner names of a page,
 *    the expiring-soon window, active-award counts: db/queries/learners.ts and awards.ts) and the
 *    Awards tab's phases, which come from one Temporal visibility query by `CertificateId`
 *    (workflows.ts).
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { workflowsUiUrl } from '../../config/temporal.ts';
import type { FailureLimiter } from '../auth-limiter.ts';
import type { ApiDeps } from '../deps.ts';
import { methodsOfPath } from '../methods.ts';
import { clientClosedRequest, isClientAbort } from '../errors.ts';
import { AdminApiError, createAdminApi, type InProcessFetch } from './api-client.ts';
import { assets } from './areas/assets.ts';
import { awards } from './areas/awards.tsx';
import { overview } from './areas/overview.tsx';
import { certificates } from './areas/certificates.tsx';
import { courses } from './areas/courses.tsx';
import { expiring } from './areas/expiring.tsx';
import { imports } from './areas/imports.tsx';
import { learners } from './areas/learners.tsx';
import { mailbox } from './areas/mailbox.tsx';
import { session } from './areas/session.tsx';
import { webhooks } from './areas/webhooks.tsx';
import { access } from './areas/access.tsx';
import { digest } from './areas/digest.tsx';
import type { AdminEnv, AdminServices } from './context.ts';
import { formBodyLimit, readOnlyGate, requireSession, sameSiteForms, securityHeaders } from './middleware.ts';
import { adminRenderer, renderFailure, renderNotFound, renderRefusal } from './renderer.tsx';
import { PageRefusal, refusedParameterMessage } from './requests.ts';
import { createSessionStore } from './session.ts';

/** Where api/app.ts mounts the admin page. */
export const ADMIN_BASE = '/admin';

/**
 * The admin page as a Hono app, to be mounted at `ADMIN_BASE` (`/admin`); `apiApp` is the JSON API it calls
 * in-process (as the signed-in token's actor); `limiter` counts failed sign-ins with the API's failed
 * authentications. Each request's `c.var.admin` holds `deps`, that client, the session store and,
 * once the sign-in gate passed, the actor.
 */
export function createAdminApp(deps: ApiDeps, apiApp: InProcessFetch, limiter: FailureLimiter): Hono<AdminEnv> {
  const { config, sql, log } = deps;
  const services: AdminServices = {
    ...deps,
    api: createAdminApi(apiApp, undefined),
    sessions: createSessionStore(sql, config.adminApiToken),
    actor: null,
    limiter,
    apiAs: (actor) => createAdminApi(apiApp, actor),
  };
  const admin = new Hono<AdminEnv>();

  admin.onError((err, c) => {
    if (isClientAbort(err, c)) return clientClosedRequest(err, c, log); // not a server error
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof PageRefusal) return renderRefusal(c, err.status, err.title, err.message);
    if (err instanceof AdminApiError && err.status === 404) return renderNotFound(c);
    // A read the API refused for a query parameter the page passed on as given (mailbox filters,
    // paging): a 400 naming that parameter, as the API does. Any other refusal is the page's own fault.
    const badParameter = err instanceof AdminApiError && err.status === 400 ? refusedParameterMessage(err.failure) : null;
    if (badParameter) return renderRefusal(c, 400, 'Bad request', badParameter);
    log.error({ err, path: c.req.path }, 'admin page failed');
    return renderFailure(c);
  });

  // Cross-cutting, in this order for every request: its services and the layout, the response
  // headers, the form size limit, CSRF, then the sign-in gate (the sign-in page and assets are open).
  admin.use('*', async (c, next) => {
    c.set('admin', services);
    await next();
  });
  admin.use('*', adminRenderer(workflowsUiUrl(config)));
  admin.use('*', securityHeaders);
  admin.use('*', formBodyLimit);
  admin.use('*', sameSiteForms(new URL(config.appBaseUrl).origin));
  admin.use('*', requireSession);
  admin.use('*', readOnlyGate);

  admin.route('/assets', assets);
  admin.route('/', session);
  admin.get('/', (c) => c.redirect('/admin/certificates', 303));
  admin.route('/certificates', certificates);
  admin.route('/certificates', awards);
  admin.route('/certificates', overview);
  admin.route('/', imports);
  admin.route('/courses', courses);
  admin.route('/learners', learners);
  admin.route('/', expiring);
  admin.route('/mailbox', mailbox);
  admin.route('/webhooks', webhooks);
  admin.route('/', access);
  admin.route('/', digest);

  // A path the page has, asked with a method it does not answer, is a 405 with `Allow` (from the
  // routes registered above, as the API derives its own); any other path is the 404 page.
  const allowed = methodsOfPath(admin);
  admin.all('*', (c) => {
    const allow = allowed(c.req.path.slice(ADMIN_BASE.length) || '/');
    if (allow.length === 0 || allow.includes(c.req.method)) return renderNotFound(c);
    c.header('Allow', allow.join(', '));
    return renderRefusal(c, 405, 'Method not allowed', `${c.req.path} does not answer ${c.req.method}; it answers ${allow.join(', ')}.`);
  });
  return admin;
}
