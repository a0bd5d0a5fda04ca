/**
 * What every admin request has at hand: `c.var.admin`, set once per request by createAdminApp
 * (index.tsx) before any area's routes run. The areas (areas/*) are `new Hono<AdminEnv>()` sub-apps
 * that read their dependencies from here instead of closing over them.
 */
import type { Context } from 'hono';
import type { ApiDeps } from '../deps.ts';
import type { Actor } from '../../domain/audit.ts';
import type { FailureLimiter } from '../auth-limiter.ts';
import type { AdminApi } from './api-client.ts';
import type { SessionStore } from './session.ts';

/**
 * The API's dependencies, the in-process JSON API client (acting as the signed-in token: `actor`),
 * the sign-in sessions and the failed-authentication limiter shared with the API.
 */
export interface AdminServices extends ApiDeps {
  api: AdminApi;
  sessions: SessionStore;
  /** Who the signed-in session acts as (null before sign-in: the API client then has no actor and every call is 401). */
  actor: Actor | null;
  limiter: FailureLimiter;
  /** The client of the JSON API acting as `actor`. */
  apiAs(actor: Actor): AdminApi;
}

/** The Hono env of the admin app and of each area's sub-app. */
export interface AdminEnv {
  Variables: { admin: AdminServices };
}

/** A request's context in the admin app. */
export type AdminContext = Context<AdminEnv>;
