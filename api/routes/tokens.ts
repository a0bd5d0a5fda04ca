/**
 * API tokens (`admin` scope): create (the secret shown once), list, revoke. Mounted at `/api`. Each
 * change writes its audit entry in its transaction (domain/access.ts). See api/tokens.ts for the
 * hashing and api/auth.ts for how a request's token is checked.
 */
import { createRoute } from '@hono/zod-openapi';
import * as tokensQ from '../../db/queries/api-tokens.ts';
import { createToken, revokeToken } from '../../domain/access.ts';
import { TokenCreateSchema, TokenCreatedSchema, TokenListSchema, TokenSchema, toToken } from '../access-schemas.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { IdParams, body, json } from '../schemas.ts';
import { hashToken, newToken } from '../tokens.ts';

const tags = ['Tokens'];

export const createTokenRoute = createRoute({
  method: 'post',
  path: '/tokens',
  tags,
  ...requires('admin'),
  summary: 'Create an API token (the secret is shown once)',
  description:
    'The answer\'s `secret` is the token; only its keyed hash is stored, so it cannot be shown again. 409 `name_taken` when a live token ' +
    'has the name (without regard to case); 422 `reserved_name` for `ADMIN_API_TOKEN`, `expiry_in_past`. Audited (`token.created`).',
  request: { body: body(TokenCreateSchema) },
  responses: {
    201: json(TokenCreatedSchema, 'The token and its secret.'),
    ...errorResponses(400, 401, 409, 415, 422),
  },
});

export const listTokensRoute = createRoute({
  method: 'get',
  path: '/tokens',
  tags,
  ...requires('admin'),
  summary: 'List API tokens, newest first (the first 1000), revoked and expired included',
  responses: {
    200: json(TokenListSchema, 'The tokens (never their secrets).'),
    ...errorResponses(400, 401),
  },
});

export const revokeTokenRoute = createRoute({
  method: 'post',
  path: '/tokens/{id}/revoke',
  tags,
  ...requires('admin'),
  summary: 'Revoke an API token: from then on it is 401 `token_revoked`, and its admin page sessions end',
  description: '409 `token_revoked` when it is already revoked. No body. Audited (`token.revoked`).',
  request: { params: IdParams },
  responses: {
    200: json(TokenSchema, 'The token as revoked.'),
    ...errorResponses(400, 401, 404, 409),
  },
});

/** The tokens area's sub-app (routes relative to `/api`). */
export function tokensApp(deps: ApiDeps): App {
  const { sql, config } = deps;
  const app = createRouter();

  app.openapi(createTokenRoute, async (c) => {
    const input = c.req.valid('json');
    const secret = newToken();
    const row = await sql.begin((tx) =>
      createToken(tx, c.var.who, {
        name: input.name,
        scope: input.scope,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        tokenHash: hashToken(secret, config.access.tokenHashKey),
      }),
    );
    return c.json({ token: toToken(row), secret }, 201);
  });

  app.openapi(listTokensRoute, async (c) => {
    const rows = await tokensQ.listApiTokens(sql, 1000);
    const now = new Date();
    return c.json({ tokens: rows.map((r) => toToken(r, now)) }, 200);
  });

  app.openapi(revokeTokenRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await sql.begin((tx) => revokeToken(tx, c.var.who, id));
    return c.json(toToken(row), 200);
  });

  return app;
}
