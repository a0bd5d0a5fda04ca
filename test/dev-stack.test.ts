/**
 * End-to-end smoke test of `npm run dev`: boots the real stack (embedded PostgreSQL, Temporal dev
 * server with the Web UI, worker, API) in a scratch data directory on free ports, checks it is ready,
 * stops it with SIGINT, checks nothing is left running, and starts it again on the same data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, waitFor } from '../scripts/tools.ts';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

const TOKEN = 'smoke-test-admin-token-0123456789';

function processesUsing(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

async function boot(dataDir: string, ports: { pg: number; temporal: number; ui: number; api: number }): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      RECERTIFY_DATA_DIR: dataDir,
      RECERTIFY_DEV_PG_PORT: String(ports.pg),
      RECERTIFY_DEV_TEMPORAL_PORT: String(ports.temporal),
      RECERTIFY_DEV_TEMPORAL_UI_PORT: String(ports.ui),
      PORT: String(ports.api),
      APP_BASE_URL: `http://127.0.0.1:${ports.api}`,
      ADMIN_API_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor('npm run dev to print that it is running', async () => {
    if (child.exitCode !== null) throw new Error(`dev exited early:\n${output}`);
    return output.includes('Recertify is running');
  }, 240_000, 250);
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return await exited;
}

test('npm run dev boots the stack, serves /readyz and the Temporal UI, stops cleanly, and keeps its data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'recertify-dev-'));
  chmodSync(dataDir, 0o755);
  const ports = { pg: await freePort(), temporal: await freePort(), ui: await freePort(), api: await freePort() };
  try {
    const first = await boot(dataDir, ports);
    const ready = await fetch(`http://127.0.0.1:${ports.api}/readyz`);
    assert.equal(ready.status, 200);
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    assert.equal(ui.status, 200, 'the Temporal Web UI answers');
    const conn = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const attrs = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
    await conn.close();
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) assert.ok(name in (attrs.customAttributes ?? {}), `search attribute ${name} registered`);
    assert.match(first.output(), /Demo seeded/);
    const certs = await fetch(`http://127.0.0.1:${ports.api}/api/certificates`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(certs.status, 200);
    const certBody = JSON.stringify(await certs.json());
    assert.match(certBody, /Forklift Operator/);

    assert.equal(await stop(first.child), 0);
    assert.deepEqual(processesUsing(dataDir), [], 'no postgres or temporal process is left behind');

    const second = await boot(dataDir, ports);
    assert.match(second.output(), /already has data/, 'the data was kept; no second demo');
    const again = await fetch(`http://127.0.0.1:${ports.api}/api/certificates`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(JSON.stringify(await again.json()), certBody, 'the same certificates after a restart');
    assert.equal(await stop(second.child), 0);
    assert.deepEqual(processesUsing(dataDir), []);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
