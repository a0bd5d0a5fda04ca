/**
 * The API's paging cursors. A list answered newest first pages on `(createdAt, id)` (db/queries/paging.ts):
 * its `nextBefore` is an opaque cursor naming where the page ended, passed back as `before` for the
 * next page; it is null on the last page. Rows created in the same instant are each reached once.
 */
import { Buffer } from 'node:buffer';
import { pageKeyOf, type Keyed, type PageKey } from '../db/queries/paging.ts';

/** `2026-03-01T09:00:00.123456Z 3f1c9a4e-…`: what a cursor carries, before it is encoded. */
const KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z) ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The opaque cursor of a page key (base64url; clients pass it back as it is). */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAt} ${key.id.toLowerCase()}`, 'utf8').toString('base64url');
}

/** The page key of a cursor `encodeCursor` made, or null for anything else. */
export function decodeCursor(cursor: string): PageKey | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = KEY.exec(text);
  if (!m?.[1] || !m[2] || Number.isNaN(Date.parse(m[1])) || encodeCursor({ createdAt: m[1], id: m[2] }) !== cursor) return null;
  return { createdAt: m[1], id: m[2] };
}

/**
 * A page of at most `limit` rows from the `limit + 1` the query was asked for, and the cursor of the
 * next page (null when the extra row did not come: nothing is left).
 */
export function pageOf<R extends Keyed<{ id: string }>>(rows: R[], limit: number): { rows: R[]; nextBefore: string | null } {
  if (rows.length <= limit) return { rows, nextBefore: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextBefore: last ? encodeCursor(pageKeyOf(last)) : null };
}
