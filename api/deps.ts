/** What the API runs on. */
import type { Client } from '@temporalio/client';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { Sql } from '../db/client.ts';

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

/** The OpenAPI security requirement every /api route declares. */
export const bearer = [{ Bearer: [] }];
