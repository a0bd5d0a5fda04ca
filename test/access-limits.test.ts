/**
 * Failed authentications are limited per client address (issue 15): past AUTH_FAILURE_LIMIT failures
 * in a window the address gets 429 with Retry-After and its tokens are not even checked, for the API's
 * bearer tokens and the admin sign-in alike, so a token cannot be guessed online; no log line holds a
 * token (a guessed one, a real one, or ADMIN_API_TOKEN).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createFailureLimiter } from '../api/auth-limiter.ts';
import { startApiServer, type RunningApi } from '../api/server.ts';
import type { TokenCreated } from '../api/access-schemas.ts';
import { startStack, type TestStack } from './support/stack.ts';

test('the limiter: `limit` failures per window per address, then blocked until the window ends', async () => {
  const limiter = createFailureLimiter({ limit: 3, windowSeconds: 1 });
  assert.equal((await limiter.get('a')).blocked, false);
  const states = [];
  for (let i = 0; i < 4; i++) states.push(await limiter.consume('a'));
  assert.deepEqual(states.map((s) => s.blocked), [false, false, true, true]);
  assert.deepEqual(states.map((s) => s.remaining), [2, 1, 0, 0]);
  const blocked = await limiter.get('a');
  assert.equal(blocked.blocked, true);
  assert.ok(blocked.msBeforeNext > 0 && blocked.msBeforeNext <= 1000, `ms before next ${blocked.msBeforeNext}`);
  assert.equal((await limiter.get('b')).blocked, false, 'per address');
  await new Promise((resolve) => setTimeout(resolve, blocked.msBeforeNext + 50));
  assert.deepEqual(await limiter.get('a'), { blocked: false, remaining: 3, msBeforeNext: 0 }, 'the window ended');
  assert.equal((await limiter.consume('a')).remaining, 2, 'a new window counts from one');
});

let stack: TestStack;
let api: RunningApi;
const lines: string[] = [];
const LIMIT = 5;
before(async () => {
  stack = await startStack({ dbPrefix: 'access_limits', workers: false });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const config = { ...stack.config, access: { ...stack.config.access, authFailureLimit: LIMIT, authFailureWindowSeconds: 600 } };
  api = await startApiServer({ config, sql: stack.sql, client: stack.client, log: pino({ level: 'trace' }, sink), port: 0, host: '127.0.0.1' });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

test('brute force is slowed: past the limit every attempt is 429 unchecked, the right token included; no token is logged', async () => {
  const made = await stack.request<TokenCreated>('POST', '/api/tokens', { name: 'real', scope: 'read' });
  assert.equal(made.status, 201);
  const real = made.body.secret;
  const get = (token: string) => fetch(`${api.url}/api/learners`, { headers: { authorization: `Bearer ${token}` } });

  assert.equal((await get(real)).status, 200, 'a right token passes and counts nothing');
  const guesses = Array.from({ length: 40 }, (_, i) => `rct_${String(i).padStart(43, 'g')}`);
  const statuses: number[] = [];
  const t0 = performance.now();
  for (const guess of guesses) statuses.push((await get(guess)).status);
  const ms = performance.now() - t0;
  assert.equal(statuses.filter((s) => s === 401).length, LIMIT, `only ${LIMIT} guesses were checked: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 429).length, guesses.length - LIMIT);
  const blocked = await get(real);
  assert.equal(blocked.status, 429, 'while blocked even the right token is not checked (a guess that hits is not told apart)');
  const retryAfter = Number(blocked.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`);
  assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'too_many_failed_authentications');
  console.log(`${guesses.length} guesses in ${Math.round(ms)} ms: ${LIMIT} checked, then 429 for ${retryAfter} s`);

  // The admin sign-in shares the limit.
  const login = await fetch(`${api.url}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: api.url },
    body: new URLSearchParams({ token: stack.token, next: '/admin/certificates' }).toString(),
    redirect: 'manual',
  });
  assert.equal(login.status, 429, 'the admin sign-in is refused too, even with ADMIN_API_TOKEN');

  const log = lines.join('\n');
  assert.ok(log.includes('authentication failed') && log.includes('too many failures'), 'failures are logged');
  for (const secret of [real, real.slice(4), stack.token, ...guesses]) assert.ok(!log.includes(secret), 'no token in the logs');
});
