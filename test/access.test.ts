/**
 * Access (issue 15): API tokens, scopes on every route, and the 401/403 table. For every route of the
 * OpenAPI document (its `x-required-scope`), each kind of caller is tried: no token, a wrong token, a
 * revoked and an expired token (401 with their codes), and a token of each scope (403
 * `insufficient_scope` naming the missing scope below the route's, never 401/403 at or above it).
 * Also: tokens are stored hashed and shown once; the bootstrap ADMIN_API_TOKEN acts as `admin`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TokenCreated, TokenDto, TokenList } from '../api/access-schemas.ts';
import type { TokenScope } from '../domain/vocabulary.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  // This test fails hundreds of authentications on purpose: the per-address limit is lifted here (test/access-limits covers it).
  stack = await startStack({ dbPrefix: 'access', env: { AUTH_FAILURE_LIMIT: '100000' } });
});
after(async () => {
  await stack?.stop();
});

type ErrorAnswer = { error: { code: string; message: string; details: { requiredScope?: string; tokenScope?: string } | null } };

async function newToken(name: string, scope: TokenScope, expiresAt?: string): Promise<TokenCreated> {
  const res = await stack.request<TokenCreated>('POST', '/api/tokens', { name, scope, ...(expiresAt ? { expiresAt } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

const as = (secret: string | null): Record<string, string | null> => ({ authorization: secret === null ? null : `Bearer ${secret}` });

test('tokens are shown once and stored as a keyed hash; a revoked or expired token is refused with its own code', async () => {
  const made = await newToken('lms-push', 'write');
  assert.match(made.secret, /^rct_[A-Za-z0-9_-]{43}$/);
  assert.equal(made.token.scope, 'write');
  assert.equal(made.token.createdBy, 'ADMIN_API_TOKEN');
  const stored = await stack.sql<{ tokenHash: Buffer }[]>`select token_hash from api_tokens where id = ${made.token.id}`;
  assert.equal(stored[0]!.tokenHash.length, 32);
  assert.ok(!stored[0]!.tokenHash.toString('latin1').includes(made.secret), 'the secret is not stored');
  const dump = await stack.sql<{ t: string }[]>`select row_to_json(t)::text as t from api_tokens t`;
  assert.ok(dump.every((r) => !r.t.includes(made.secret.slice(4))), 'no column holds the secret');

  const list = await stack.request<TokenList>('GET', '/api/tokens');
  assert.ok(!JSON.stringify(list.body).includes(made.secret), 'the list never shows a secret');
  assert.equal(list.body.tokens.find((t) => t.id === made.token.id)?.status, 'active');

  assert.equal((await stack.request('GET', '/api/learners', undefined, as(made.secret))).status, 200);
  const used = await stack.request<TokenList>('GET', '/api/tokens');
  assert.ok(used.body.tokens.find((t) => t.id === made.token.id)?.lastUsedAt, 'its last use is recorded');

  const dup = await stack.request<ErrorAnswer>('POST', '/api/tokens', { name: 'LMS-push', scope: 'read' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'name_taken');
  const reserved = await stack.request<ErrorAnswer>('POST', '/api/tokens', { name: 'admin_api_token', scope: 'read' });
  assert.equal(reserved.status, 422);
  assert.equal(reserved.body.error.code, 'reserved_name');
  const past = await stack.request<ErrorAnswer>('POST', '/api/tokens', { name: 'old', scope: 'read', expiresAt: '2020-01-01T00:00:00Z' });
  assert.equal(past.status, 422);
  assert.equal(past.body.error.code, 'expiry_in_past');

  const revoked = await stack.request<TokenDto>('POST', `/api/tokens/${made.token.id}/revoke`);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.status, 'revoked');
  const again = await stack.request<ErrorAnswer>('POST', `/api/tokens/${made.token.id}/revoke`);
  assert.equal(again.status, 409);
  const refused = await stack.request<ErrorAnswer>('GET', '/api/learners', undefined, as(made.secret));
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.code, 'token_revoked');
  // A revoked token's name is free again.
  await newToken('lms-push', 'read');
});

test('every route declares its scope, and the permission table holds for each caller', async () => {
  const doc = await stack.request<{ paths: Record<string, Record<string, { 'x-required-scope'?: string; responses: Record<string, unknown> }>> }>(
    'GET',
    '/api/openapi.json',
    undefined,
    as(null),
  );
  const tokens: Record<TokenScope, string> = {
    read: (await newToken('table-read', 'read')).secret,
    write: (await newToken('table-write', 'write')).secret,
    admin: (await newToken('table-admin', 'admin')).secret,
  };
  const revoked = await newToken('table-revoked', 'admin');
  assert.equal((await stack.request('POST', `/api/tokens/${revoked.token.id}/revoke`)).status, 200);
  const expired = await newToken('table-expired', 'admin', new Date(Date.now() + 3_600_000).toISOString());
  await stack.sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${expired.token.id}`;

  const rank: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };
  const routes: { method: string; path: string; scope: TokenScope }[] = [];
  for (const [template, ops] of Object.entries(doc.body.paths)) {
    if (!template.startsWith('/api/')) continue;
    for (const [method, op] of Object.entries(ops)) {
      const scope = op['x-required-scope'];
      assert.ok(scope === 'read' || scope === 'write' || scope === 'admin', `${method.toUpperCase()} ${template} declares its scope (got ${String(scope)})`);
      assert.ok('401' in op.responses && '403' in op.responses, `${method.toUpperCase()} ${template} documents 401 and 403`);
      routes.push({ method: method.toUpperCase(), path: template.replaceAll(/\{[^}]+\}/g, randomUUID()), scope });
    }
  }
  assert.ok(routes.length >= 38, `every /api route is in the table (${routes.length})`);
  const table: string[] = [];
  for (const r of routes) {
    const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
    const call = (h: Record<string, string | null>) => stack.request<ErrorAnswer>(r.method, r.path, body, h);
    const where = `${r.method} ${r.path}`;
    for (const [who, h, code] of [
      ['no token', as(null), 'unauthorized'],
      ['a wrong token', as(`rct_${'x'.repeat(43)}`), 'unauthorized'],
      ['a revoked token', as(revoked.secret), 'token_revoked'],
      ['an expired token', as(expired.secret), 'token_expired'],
    ] as const) {
      const res = await call(h);
      assert.equal(res.status, 401, `${where} with ${who}`);
      assert.equal(res.body.error.code, code, `${where} with ${who}`);
    }
    const cells: string[] = [];
    for (const scope of ['read', 'write', 'admin'] as const) {
      const res = await call(as(tokens[scope]));
      if (rank[scope] < rank[r.scope]) {
        assert.equal(res.status, 403, `${where} with a ${scope} token needs ${r.scope}`);
        assert.equal(res.body.error.code, 'insufficient_scope');
        assert.equal(res.body.error.details?.requiredScope, r.scope);
        assert.equal(res.body.error.details?.tokenScope, scope);
        assert.ok(res.body.error.message.includes(r.scope), 'the message names the missing scope');
        cells.push('403');
      } else {
        assert.ok(res.status !== 401 && res.status !== 403, `${where} with a ${scope} token: ${res.status} ${JSON.stringify(res.body)}`);
        cells.push('ok');
      }
    }
    table.push(`${r.method} ${r.path.replaceAll(/[0-9a-f-]{36}/g, '{id}')} [${r.scope}]: ${cells.join(' ')}`);
  }
  // The bootstrap token is admin: it passes every scope check.
  for (const r of routes) {
    const res = await stack.request<ErrorAnswer>(r.method, r.path, r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
    assert.ok(res.status !== 401 && res.status !== 403, `${r.method} ${r.path} with ADMIN_API_TOKEN`);
  }
  console.log(table.join('\n'));
});
