/** The readiness probe's database check. */
import type { Sql } from '../client.ts';

export async function ping(sql: Sql): Promise<void> {
  await sql`select 1`;
}
