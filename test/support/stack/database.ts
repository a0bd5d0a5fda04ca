/**
 * The stack's PostgreSQL: a fresh, migrated database of its own (tests never share rows), made on the
 * PostgreSQL that scripts/test.ts started for every test file ($TEST_DATABASE_ADMIN_URL), or on a
 * dedicated embedded PostgreSQL (`startDedicatedPostgres`) that a fault test can stop and start again
 * and the benchmarks run on.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql, type Sql } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../../scripts/services.ts';
import { freePort } from '../../../scripts/tools.ts';

export interface TestDatabase {
  url: string;
  sql: Sql;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** The admin URL of the PostgreSQL the test files share. */
export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_ADMIN_URL;
  if (!url) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run the tests with `npm test` (scripts/test.ts)');
  return url;
}

/**
 * Creates the database `<prefix>_<random>` on the server of `admin` (an admin URL; default the shared
 * one), migrated unless told not to, with a pool of `max` connections (default 20).
 */
export async function createTestDatabase(prefix = 'test', opts: { migrate?: boolean; max?: number; admin?: string } = {}): Promise<TestDatabase> {
  const admin = opts.admin ?? adminUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const a = postgres(admin, { max: 1, onnotice: () => {} });
  await a.unsafe(`create database ${name}`);
  await a.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  if (opts.migrate !== false) await migrate(url.toString());
  const sql = createSql(url.toString(), { max: opts.max ?? 20 });
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const d = postgres(admin, { max: 1, onnotice: () => {} });
      await d.unsafe(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

/** An embedded PostgreSQL of the caller's own, that can be stopped and started on the same data. */
export interface DedicatedPostgres {
  port: number;
  /** URL of its `postgres` database, for `createTestDatabase({ admin })`. */
  adminUrl: string;
  /** URL of its database `recertify` (not migrated). */
  url: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** Starts an embedded PostgreSQL on a free port in a temp dir, with one database `recertify`. */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'recertify-faults-pg-'));
  chmodSync(dir, 0o755); // the postgres user must reach its data directory when we run as root
  const port = await freePort();
  let pg: RunningPostgres | null = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port });
  const adminUrl = pg.adminUrl;
  const url = await pg.createDatabase('recertify');
  return {
    port,
    adminUrl,
    url,
    running: () => pg !== null,
    async stop() {
      const p = pg;
      pg = null;
      if (p) await p.stop();
    },
    async start() {
      if (!pg) pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port });
    },
    async dispose() {
      const p = pg;
      pg = null;
      if (p) await p.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Each of `tables` as `"<row count>:<md5 of its rows' text, in order>"`: two snapshots are equal only
 * when nothing in those tables changed (tests of "bad input changes nothing" and "the same file again
 * writes nothing"). Table names are the test's own constants, never input.
 */
export async function tableSnapshot(sql: Sql, tables: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const [row] = await sql.unsafe<{ n: number; digest: string | null }[]>(
      `select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${table} t`,
    );
    out[table] = `${row?.n}:${row?.digest ?? ''}`;
  }
  return out;
}
