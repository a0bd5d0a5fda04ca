/**
 * Applies the versioned SQL migrations in db/migrations with node-pg-migrate. Safe to run from many
 * processes at once: node-pg-migrate holds an advisory lock (we wait for it) and records what ran.
 */
import { runner } from 'node-pg-migrate';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    count: Infinity,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log,
    logger: { debug: () => {}, info: log, warn: log, error: log },
    checkOrder: true,
  });
  return ran.map((m) => m.name);
}
