/**
 * An import's rows sent as CSV (`Content-Type: text/csv`): RFC 4180, UTF-8 with or without a BOM, a
 * header row naming the columns `email`, `name`, `awardedAt` and optionally `expiresAt` and
 * `managerEmail` (in any order; matched case-insensitively). Parsed by csv-parse (a well-kept RFC 4180 parser), then handed
 * to the route as the JSON body `{"rows": [...]}` it already validates, so both forms meet one schema.
 */
import { parse } from 'csv-parse/sync';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

/** The columns a CSV import's header may name, as the JSON rows spell them. */
export const IMPORT_CSV_COLUMNS = ['email', 'name', 'awardedAt', 'expiresAt', 'managerEmail'] as const;
/** Optional columns whose empty cell is the same as no cell (none given). */
const EMPTY_IS_NONE: readonly string[] = ['expiresAt', 'managerEmail'];
const REQUIRED: readonly string[] = ['email', 'name', 'awardedAt'];

/** 400 `malformed_csv`: the CSV cannot be read as the import's table. */
const malformed = (message: string, details: unknown = null): ApiError => new ApiError(400, 'malformed_csv', message, details);

/**
 * Reads `text` as an import's CSV. Returns the rows as `{email, name, awardedAt, expiresAt?, managerEmail?}`
 * texts (an empty `expiresAt` or `managerEmail` cell is absent). Throws ApiError 400 `malformed_csv` naming the line for a
 * CSV that is not RFC 4180 (an unclosed quote, a row with more or fewer cells than the header), a
 * header without a required column, with an unknown or repeated column, or bytes that are not UTF-8.
 */
export function readImportCsv(bytes: Uint8Array): Record<string, string>[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed('The CSV is not UTF-8 text.');
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    throw malformed(`The CSV cannot be read${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`, { code: e.code ?? null, line: e.lines ?? null });
  }
  const [header, ...rows] = records;
  if (!header) throw malformed(`The CSV is empty: it needs a header row (${IMPORT_CSV_COLUMNS.join(',')}) and at least one row.`);
  const columns = header.map((h) => {
    const known = IMPORT_CSV_COLUMNS.find((c) => c.toLowerCase() === h.trim().toLowerCase());
    if (!known) throw malformed(`The header names an unknown column "${h}"; the columns are ${IMPORT_CSV_COLUMNS.join(', ')}.`, { column: h });
    return known;
  });
  const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
  if (repeated) throw malformed(`The header names the column ${repeated} twice.`, { column: repeated });
  const missing = REQUIRED.filter((c) => !(columns as readonly string[]).includes(c));
  if (missing.length) throw malformed(`The header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, { missing });
  return rows.map((cells) => {
    const row: Record<string, string> = {};
    columns.forEach((c, i) => {
      const cell = cells[i] ?? '';
      if (EMPTY_IS_NONE.includes(c) && cell.trim() === '') return;
      row[c] = cell;
    });
    return row;
  });
}

/**
 * Middleware for the import route: a `text/csv` body is read (under the route's body limit, which
 * runs before) and replaced by the JSON `{"rows": [...]}` the route validates; any other body passes
 * untouched. Errors as `readImportCsv`.
 */
export const csvImportBody: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (c.req.method === 'POST' && type === 'text/csv') {
    const rows = readImportCsv(new Uint8Array(await c.req.raw.arrayBuffer()));
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(c.req.raw.url, { method: 'POST', headers, body: JSON.stringify({ rows }) });
  }
  await next();
};
