/**
 * Keyset paging of the lists the API pages newest first, on `(created_at, id)`: a row's page key is
 * its creation instant at the database's own precision (microseconds, which a JavaScript Date would
 * cut to milliseconds) and its id, so rows created in the same instant (the awards of one completion)
 * are each reached once. The API wraps the key in an opaque cursor (api/paging.ts).
 */
import type postgres from 'postgres';
import type { Sql, TransactionSql } from '../client.ts';

type Db = Sql | TransactionSql;
type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** Where a page ends: its last row's creation instant (ISO 8601 with microseconds, UTC) and id. */
export interface PageKey {
  createdAt: string;
  id: string;
}

/** A page's lower bound: rows strictly before a page key, or (as before keys) created strictly before an instant. */
export type PageBefore = PageKey | Date;

/** A row with its page key's instant (the `page_created_at` column `pageKeyColumn` selects). */
export type Keyed<R> = R & { pageCreatedAt: string };

/** The columns of a table (or of its alias, e.g. `c`) the paging reads. */
export type PagedTable = '' | 'c.';

/** The select-list column `page_created_at`: `created_at` in UTC with microseconds. */
export function pageKeyColumn(sql: Db, table: PagedTable = ''): Fragment {
  return sql`to_char(${sql(`${table}created_at`)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as page_created_at`;
}

/** `and <rows before the bound>`, or nothing without a bound. */
export function beforeCondition(sql: Db, before: PageBefore | undefined, table: PagedTable = ''): Fragment {
  if (before === undefined) return sql``;
  const createdAt = sql(`${table}created_at`);
  if (before instanceof Date) return sql`and ${createdAt} < ${before}`;
  const id = sql(`${table}id`);
  // Sent as text: a parameter PostgreSQL types timestamptz is serialized through a JavaScript Date, which drops the microseconds.
  return sql`and (${createdAt}, ${id}) < (${before.createdAt}::text::timestamptz, ${before.id}::uuid)`;
}

/** The key of a listed row. */
export const pageKeyOf = (row: Keyed<{ id: string }>): PageKey => ({ createdAt: row.pageCreatedAt, id: row.id });
