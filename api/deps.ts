/** What the API runs on: its dependencies, its Hono env, and the one way an area's sub-app is made. */
import type { Client } from '@temporalio/client';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { Sql } from '../db/client.ts';
import { validationHook } from './errors.ts';

export interface ApiDeps {
  config: Config;
  sql: Sql;
  /** The Temporal client. */
  client: Client;
  log: Logger;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type AppEnv = {};
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
