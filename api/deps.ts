/** What the API runs on: its dependencies, its Hono env, and the one way an area's sub-app is made. */
import type { Client } from '@temporalio/client';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { Sql } from '../db/client.ts';
import type { AuditContext } from '../domain/audit.ts';
import type { TokenScope } from '../domain/vocabulary.ts';
import { validationHook } from './errors.ts';

export interface ApiDeps {
  config: Config;
  sql: Sql;
  /** The Temporal client. */
  client: Client;
  log: Logger;
}

/** Each `/api` request's variables: `who` (the actor and the route, set by api/auth.ts) for the domain's audit entries. */
export type AppEnv = { Variables: { who: AuditContext } };
export type App = OpenAPIHono<AppEnv>;

/** Where the JSON API's areas are mounted (`app.route(API_BASE, area)`); their route paths are relative to it. */
export const API_BASE = '/api';

/**
 * A new OpenAPIHono app: the whole API's, or one area's sub-app. Each carries the same `defaultHook`
 * (a hook is per app, not inherited by `app.route()`), so a failed validation on any route answers
 * the same 400 `validation_failed` (api/errors.ts `validationHook`).
 */
export function createRouter(): App {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** The OpenAPI security requirement every /api route declares. */
export const bearer = [{ Bearer: [] }];

/**
 * What a route spreads into its `createRoute`: the bearer requirement and the scope it needs
 * (`x-required-scope`, which api/auth.ts enforces: a token without it is 403 `insufficient_scope`).
 */
export function requires(scope: TokenScope): { security: typeof bearer; 'x-required-scope': TokenScope } {
  return { security: bearer, 'x-required-scope': scope };
}
