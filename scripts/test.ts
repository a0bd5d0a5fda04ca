/**
 * `npm test` (after type check and lint): starts the real infrastructure the tests share, then runs
 * every test file with node's test runner, whose summary lines CI reads.
 *  - an embedded PostgreSQL in a throwaway directory (or $DATABASE_URL's server when set); each test
 *    file creates its own database on it;
 *  - the tools from scripts/provision.sh: each workflow test file launches its own time-skipping
 *    test server through the wrapper, and end-to-end tests their own Temporal dev server.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from './services.ts';
import { ensureTools, freePort, toolPath } from './tools.ts';

ensureTools();
const started = Date.now();
const filter = process.argv.slice(2);
const files = readdirSync('test')
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))
  .sort()
  .map((f) => join('test', f));

let pg: RunningPostgres | undefined;
let pgDir: string | undefined;
let adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
if (!adminUrl) {
  pgDir = mkdtempSync(join(tmpdir(), 'recertify-test-pg-'));
  chmodSync(pgDir, 0o755); // the postgres user must reach its data directory
  const port = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: join(pgDir, 'data'), port });
  adminUrl = pg.adminUrl;
  console.log(`[test] embedded PostgreSQL on :${port} (${Date.now() - started} ms)`);
}

const env = {
  ...process.env,
  TEST_DATABASE_ADMIN_URL: adminUrl,
  TEMPORAL_TEST_SERVER: toolPath('temporal-test-server'),
  TEMPORAL_CLI: toolPath('temporal'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
  { stdio: 'inherit', env },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
if (pg) await pg.stop();
if (pgDir) rmSync(pgDir, { recursive: true, force: true });
console.log(`[test] wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);
