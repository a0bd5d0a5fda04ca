/**
 * The stack's Temporal: a dev server (`temporal server start-dev`, our search attributes) on a free
 * port and a temp SQLite file, that can be stopped and started again on the same file and port (or
 * frozen with SIGSTOP), with a client of the test's own that reconnects after a restart.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type RunningTemporal } from '../../../scripts/services.ts';
import { freePort } from '../../../scripts/tools.ts';

export interface RestartableTemporal {
  address: string;
  namespace: string;
  port: number;
  /** The Web UI, when it was asked for. */
  uiUrl: string | undefined;
  dbFile: string;
  running(): boolean;
  /** The dev server process (to SIGSTOP/SIGCONT it). */
  process(): ChildProcess | null;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A client connected to it (reconnects after a restart). */
  client(): Promise<Client>;
  /** Stops the server, closes the client and removes the SQLite file. */
  dispose(): Promise<void>;
}

export async function startRestartableTemporal(opts: {
  log?: (m: string) => void;
  /** Serve the Web UI on a free port too (default headless). */
  ui?: boolean;
  /** SQLite pragmas (see `startTemporalDevServer`; the benchmarks' WAL settings). */
  sqlitePragmas?: string[];
} = {}): Promise<RestartableTemporal> {
  const dir = mkdtempSync(join(tmpdir(), 'recertify-temporal-'));
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  const uiPort = opts.ui ? await freePort() : undefined;
  let current: RunningTemporal | null = null;
  let connection: Connection | null = null;
  let client: Client | null = null;
  const start = async (): Promise<void> => {
    if (current) return;
    current = await startTemporalDevServer({ dbFile, port, uiPort, log: opts.log, sqlitePragmas: opts.sqlitePragmas });
  };
  await start().catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    address: `127.0.0.1:${port}`,
    namespace: 'default',
    port,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    dbFile,
    running: () => current !== null,
    process: () => current?.process ?? null,
    async stop() {
      const c = current;
      current = null;
      if (c) await c.stop();
    },
    start,
    async client() {
      if (!client) {
        connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 10_000 });
        client = new Client({ connection, namespace: 'default' });
      }
      return client;
    },
    async dispose() {
      await connection?.close().catch(() => {});
      const c = current;
      current = null;
      if (c) await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
