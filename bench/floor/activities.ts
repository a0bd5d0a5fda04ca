/**
 * The engine floor's one activity: writes one row to the bench table `bench_floor_rows` of the run's
 * PostgreSQL (created by `ensureFloorTable`). Idempotent: a retried attempt writes nothing more.
 */
import type { Sql } from '../../db/client.ts';

/** The line bench/floor/worker.ts prints once both its workers poll: `BENCH_FLOOR_WORKER_READY <pid>`. */
export const FLOOR_READY_LINE = 'BENCH_FLOOR_WORKER_READY';

export interface FloorActivities {
  /** Inserts `{ id }` with the time it was written; nothing when the row exists. */
  writeRow(input: { id: string }): Promise<void>;
}

/** Creates `bench_floor_rows (id text primary key, written_at timestamptz)` if missing. */
export async function ensureFloorTable(sql: Sql): Promise<void> {
  await sql`create table if not exists bench_floor_rows (id text primary key, written_at timestamptz not null default clock_timestamp())`;
}

export function createFloorActivities(sql: Sql): FloorActivities {
  return {
    async writeRow({ id }) {
      await sql`insert into bench_floor_rows (id) values (${id}) on conflict (id) do nothing`;
    },
  };
}
