/**
 * The stack's Temporal, one of two servers:
 *  - `dev` (default): a dev server (`temporal server start-dev`, our search attributes) on a free
 *    port and a temp SQLite file;
 *  - `full`: the full Temporal server (go.temporal.io/server, config/temporal-server/recertify.yaml)
 *    on two fresh PostgreSQL databases (`temporal_<id>`, `temporal_visibility_<id>`, set up by the
 *    schema tool) of the PostgreSQL the tests share (or the one given), 4 history shards, SQL
 *    visibility, namespace `default` and our search attributes registered through the operator API.
 * Either can be stopped and started again on the same data and ports (or frozen with SIGSTOP), with a
 * client of the test's own that reconnects after a restart.
 *
 * Which one `startServices`/`startStack` (test/support/stack.ts) get: `opts.server`, else the default
 * set by {@link useTemporalServer} (the full-server test file and the benchmarks set it), else
 * `RECERTIFY_TEST_TEMPORAL=server` in the environment, else `dev`.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { Client, Connection } from '@temporalio/client';
import {
  startTemporalDevServer,
  TemporalDevServerStartError,
  startTemporalServer,
  temporalServerPorts,
  type RunningTemporal,
  type TemporalServerDatabases,
  type TemporalServerPorts,
} from '../../../scripts/services.ts';
import { freePort } from '../../../scripts/tools.ts';

/** `dev`: the CLI's dev server on SQLite; `full`: the full Temporal server on PostgreSQL. */
export type TemporalServerKind = 'dev' | 'full';

export interface RestartableTemporal {
  /** Which server this is. */
  kind: TemporalServerKind;
  address: string;
  namespace: string;
  port: number;
  /** The Web UI, when it was asked for (dev server only). */
  uiUrl: string | undefined;
  /** The dev server's SQLite file; for the full server `postgres:<history db>/<visibility db>`. */
  dbFile: string;
  running(): boolean;
  /** The server process (to SIGSTOP/SIGCONT it, or read its CPU time). */
  process(): ChildProcess | null;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A client connected to it (reconnects after a restart). */
  client(): Promise<Client>;
  /** Stops the server, closes the client and removes its data (the SQLite file, or both databases). */
  dispose(): Promise<void>;
}

interface ServerChoice {
  kind: TemporalServerKind;
  /** PostgreSQL admin URL the full server's databases are made on (default TEST_DATABASE_ADMIN_URL). */
  postgresAdminUrl?: string;
}

let defaultChoice: ServerChoice | null = null;

/**
 * Makes every stack started after this call (in this process) run on `kind`, its databases on the
 * PostgreSQL of `postgresAdminUrl` (default the one the tests share). `null` goes back to the
 * environment's choice.
 */
export function useTemporalServer(kind: TemporalServerKind | null, opts: { postgresAdminUrl?: string } = {}): void {
  defaultChoice = kind ? { kind, postgresAdminUrl: opts.postgresAdminUrl } : null;
}

/** The server the next stack gets (see the file's comment). */
export function chosenTemporalServer(): TemporalServerKind {
  return defaultChoice?.kind ?? (process.env.RECERTIFY_TEST_TEMPORAL === 'server' ? 'full' : 'dev');
}

export async function startRestartableTemporal(opts: {
  log?: (m: string) => void;
  /** Serve the Web UI on a free port too (default headless; dev server only). */
  ui?: boolean;
  /** SQLite pragmas (see `startTemporalDevServer`; the benchmarks' WAL settings; dev server only). */
  sqlitePragmas?: string[];
  /** Which server (default {@link chosenTemporalServer}). */
  server?: TemporalServerKind;
  /** For the full server: the PostgreSQL admin URL its databases are made on. */
  postgresAdminUrl?: string;
} = {}): Promise<RestartableTemporal> {
  const kind = opts.server ?? chosenTemporalServer();
  return kind === 'full'
    ? await startRestartableFullServer({ log: opts.log, postgresAdminUrl: opts.postgresAdminUrl ?? defaultChoice?.postgresAdminUrl })
    : await startRestartableDevServer(opts);
}

/** The client half shared by both kinds: one connection, made on first use, closed on dispose. */
function lazyClient(address: string, namespace: string): { get(): Promise<Client>; close(): Promise<void> } {
  let connection: Connection | null = null;
  let client: Client | null = null;
  return {
    async get() {
      if (!client) {
        connection = await Connection.connect({ address, connectTimeout: 10_000 });
        client = new Client({ connection, namespace });
      }
      return client;
    },
    async close() {
      await connection?.close().catch(() => {});
    },
  };
}

/**
 * The one server process behind a restartable handle, started at most once at a time by `launch`
 * (which reads its ports and data from the caller's closure) and stopped idempotently.
 */
function serverSlot(launch: () => Promise<RunningTemporal>): Pick<RestartableTemporal, 'running' | 'process' | 'start' | 'stop'> {
  let current: RunningTemporal | null = null;
  return {
    running: () => current !== null,
    process: () => current?.process ?? null,
    async start() {
      if (current) return;
      current = await launch();
    },
    async stop() {
      const c = current;
      current = null;
      if (c) await c.stop();
    },
  };
}

/** The handle both kinds answer: the slot's start and stop, a lazy client, and a dispose that also runs `removeData`. */
function restartableHandle(
  slot: ReturnType<typeof serverSlot>,
  args: Pick<RestartableTemporal, 'kind' | 'port' | 'uiUrl' | 'dbFile'> & { address: string; removeData: () => Promise<void> | void },
): RestartableTemporal {
  const client = lazyClient(args.address, 'default');
  return {
    kind: args.kind,
    address: args.address,
    namespace: 'default',
    port: args.port,
    uiUrl: args.uiUrl,
    dbFile: args.dbFile,
    ...slot,
    client: client.get,
    async dispose() {
      await client.close();
      await slot.stop();
      await args.removeData();
    },
  };
}

async function startRestartableDevServer(opts: { log?: (m: string) => void; ui?: boolean; sqlitePragmas?: string[] }): Promise<RestartableTemporal> {
  const dir = mkdtempSync(join(tmpdir(), 'recertify-temporal-'));
  const dbFile = join(dir, 'temporal.db');
  let port = 0;
  let uiPort: number | undefined;
  const slot = serverSlot(() => startTemporalDevServer({ dbFile, port, uiPort, log: opts.log, sqlitePragmas: opts.sqlitePragmas }));
  // The first start may pick its ports afresh if another process took one before the server bound it
  // (a restart keeps them: the workers and clients know the address).
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    uiPort = opts.ui ? await freePort() : undefined;
    try {
      await slot.start();
      break;
    } catch (err) {
      if (err instanceof TemporalDevServerStartError && attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  return restartableHandle(slot, {
    kind: 'dev',
    address: `127.0.0.1:${port}`,
    port,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    dbFile,
    removeData: () => rmSync(dir, { recursive: true, force: true }),
  });
}

/** The PostgreSQL the tests share, as scripts/test.ts exported it. */
function sharedAdminUrl(): string {
  const url = process.env.TEST_DATABASE_ADMIN_URL;
  if (!url) throw new Error('the full Temporal server needs a PostgreSQL: TEST_DATABASE_ADMIN_URL is not set (run the tests with `npx tsx scripts/test.ts`), or pass postgresAdminUrl');
  return url;
}

async function startRestartableFullServer(opts: { log?: (m: string) => void; postgresAdminUrl?: string }): Promise<RestartableTemporal> {
  const adminUrl = opts.postgresAdminUrl ?? sharedAdminUrl();
  const u = new URL(adminUrl);
  const id = randomBytes(4).toString('hex');
  const db: TemporalServerDatabases = {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: `temporal_${id}`,
    visibilityDatabase: `temporal_visibility_${id}`,
  };
  const ports: TemporalServerPorts = await temporalServerPorts();
  // Small pools: the four services of the process each open their own, on the PostgreSQL the
  // test files share (max_connections 300).
  const slot = serverSlot(() => startTemporalServer({ db, ports, log: opts.log, maxConns: 8, visibilityMaxConns: 4 }));
  const dropDatabases = async (): Promise<void> => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      for (const name of [db.database, db.visibilityDatabase]) await admin.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await admin.end();
    }
  };
  await slot.start().catch(async (err: unknown) => {
    await dropDatabases().catch(() => {});
    throw err;
  });
  return restartableHandle(slot, {
    kind: 'full',
    address: `127.0.0.1:${ports.frontend}`,
    port: ports.frontend,
    uiUrl: undefined,
    dbFile: `postgres:${db.database}/${db.visibilityDatabase}`,
    removeData: dropDatabases,
  });
}
