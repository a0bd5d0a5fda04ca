/**
 * The full Temporal server's pieces that need no running server: the dev switch
 * (RECERTIFY_TEMPORAL=server in planDevStack), the port choice (membership ports below 32768, which
 * PostgreSQL's smallint column needs), and the repo's config template as the server binary itself
 * renders it from our environment (`temporal-server render-config`) and validates the dynamic config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevStartError, planDevStack } from '../scripts/dev.ts';
import { TEMPORAL_SERVER_CONFIG_DIR, TEMPORAL_SERVER_CONFIG_ENV, temporalServerEnv, temporalServerPorts } from '../scripts/services.ts';
import { toolPath } from '../scripts/tools.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('RECERTIFY_TEMPORAL=server plans the full server on the frontend port, without the dev server\'s UI port', () => {
  const dev = planDevStack({});
  assert.equal(dev.temporal?.kind, 'dev');
  assert.ok(dev.ports.some((p) => p.variable === 'RECERTIFY_DEV_TEMPORAL_UI_PORT'));
  const full = planDevStack({ RECERTIFY_TEMPORAL: 'server', RECERTIFY_DEV_TEMPORAL_PORT: '17233' });
  assert.equal(full.temporal?.kind, 'server');
  assert.equal(full.temporal?.port, 17233);
  assert.deepEqual(full.ports.map((p) => p.variable), ['RECERTIFY_DEV_PG_PORT', 'RECERTIFY_DEV_TEMPORAL_PORT', 'PORT', 'METRICS_PORT', 'WORKER_METRICS_PORT']);
  assert.throws(() => planDevStack({ RECERTIFY_TEMPORAL: 'cluster' }), (err: unknown) => err instanceof DevStartError && /RECERTIFY_TEMPORAL=cluster is not a Temporal to run/.test(err.message));
  assert.throws(() => planDevStack({ RECERTIFY_TEMPORAL: 'server', TEMPORAL_ADDRESS: 'temporal:7233' }), (err: unknown) => err instanceof DevStartError && /unset TEMPORAL_ADDRESS/.test(err.message));
});

test('the nine ports are distinct, the frontend kept, the membership ports below 32768', async () => {
  const ports = await temporalServerPorts(17233);
  assert.equal(ports.frontend, 17233);
  assert.equal(new Set(Object.values(ports)).size, 9);
  for (const p of [ports.frontendMembership, ports.historyMembership, ports.matchingMembership, ports.workerMembership]) assert.ok(p <= 32767, `membership port ${p} fits a smallint`);
});

test('the server renders config/temporal-server/recertify.yaml from our environment, and accepts dynamic.yaml', async () => {
  const server = toolPath('temporal-server');
  const ports = await temporalServerPorts(17233);
  const db = { host: '127.0.0.9', port: 6543, user: 'rc_user', password: 'p@ss:word', database: 'temporal_x', visibilityDatabase: 'temporal_visibility_x' };
  const env = { ...process.env, ...temporalServerEnv(db, ports, { maxConns: 7, visibilityMaxConns: 3 }) };
  const out = spawnSync(server, ['--root', ROOT, '--config', TEMPORAL_SERVER_CONFIG_DIR, '--env', TEMPORAL_SERVER_CONFIG_ENV, 'render-config'], { encoding: 'utf8', env });
  assert.equal(out.status, 0, out.stderr);
  const yaml = out.stdout;
  assert.match(yaml, /numHistoryShards: 4/);
  assert.match(yaml, /defaultStore: postgres-default/);
  assert.match(yaml, /visibilityStore: postgres-visibility/);
  assert.match(yaml, /connectAddr: 127\.0\.0\.9:6543/);
  assert.match(yaml, /databaseName: temporal_x\n/);
  assert.match(yaml, /databaseName: temporal_visibility_x\n/);
  // render-config masks passwords; a password with `@` and `:` still renders (the template quotes it).
  assert.equal((yaml.match(/password: '\*+'/g) ?? []).length, 2);
  assert.match(yaml, /maxConns: 7\n/);
  assert.match(yaml, /maxConns: 3\n/);
  assert.match(yaml, new RegExp(`grpcPort: ${ports.historyGrpc}\\n`));
  assert.match(yaml, new RegExp(`membershipPort: ${ports.workerMembership}\\n`));
  assert.match(yaml, new RegExp(`rpcAddress: 127\\.0\\.0\\.1:${ports.frontend}\\n`));
  assert.equal((yaml.match(/pluginName: postgres12/g) ?? []).length, 2);
  const dyn = spawnSync(server, ['validate-dynamic-config', resolve(ROOT, TEMPORAL_SERVER_CONFIG_DIR, 'dynamic.yaml')], { encoding: 'utf8' });
  assert.equal(dyn.status, 0, dyn.stdout + dyn.stderr);
  assert.doesNotMatch(dyn.stdout + dyn.stderr, /unknown|error/i);
});
