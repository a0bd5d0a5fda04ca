/**
 * An import's rows sent as CSV (`Content-Type: text/csv`): RFC 4180, UTF-8 with or without a BOM, a
 * header row naming the columns `email`, `name`, `awardedAt` and optionally `expiresAt` and
 * `managerEmail` (in any order; matched case-insensitively). Parsed by csv-parse (a well-kept RFC 4180 parser), then handed
 * to the route as the JSON body `{"rows": [...]}` it already validates, so both forms meet one schema.
 *
 * A bad row never refuses the file: a row with more or fewer fields than the header is kept
 * (csv-parse `relax_column_count`) and marked, and the route rejects it `wrong_field_count` like any
 * other bad row. Blank lines and rows of only empty cells are no rows (`skip_empty_lines`,
 * `skip_records_with_empty_values`). Only what leaves no table to read refuses the file.
 */
import { parse } from 'csv-parse/sync';
import type { MiddlewareHandler } from 'hono';
import { MAX_IMPORT_ROWS } from '../domain/importing.ts';
import { ApiError } from './errors.ts';

/** The columns a CSV import's header may name, as the JSON rows spell them. */
export const IMPORT_CSV_COLUMNS = ['email', 'name', 'awardedAt', 'expiresAt', 'managerEmail'] as const;
/** Optional columns whose empty cell is the same as no cell (none given). */
const EMPTY_IS_NONE: readonly string[] = ['expiresAt', 'managerEmail'];
const REQUIRED: readonly string[] = ['email', 'name', 'awardedAt'];

/** 400 `malformed_csv`: the CSV cannot be read as the import's table. */
const malformed = (message: string, details: unknown = null): ApiError => new ApiError(400, 'malformed_csv', message, details);

/** A count as the messages write it: 100,000. */
const count = (n: number): string => n.toLocaleString('en-US');

/** An import's CSV as read. */
export interface ImportCsv {
  /** The rows as the JSON body's `rows` gives them: `{email, name, awardedAt, expiresAt?, managerEmail?}` texts. */
  rows: Record<string, string>[];
  /** The indexes (0-based) in `rows` of the rows with more or fewer fields than the header: each is rejected `wrong_field_count`. */
  wrongFieldCount: ReadonlySet<number>;
}

/**
 * Reads `bytes` as an import's CSV. Returns its rows as `{email, name, awardedAt, expiresAt?, managerEmail?}`
 * texts (an empty `expiresAt` or `managerEmail` cell is absent; a short row's missing cells are empty,
 * a long row's extra cells dropped) and which of them had the wrong number of fields. Blank lines and
 * rows whose every cell is empty are skipped (they are no rows). Throws ApiError 400 `malformed_csv`
 * for bytes that are not UTF-8; a CSV that is not RFC 4180 (an unclosed quote, a stray quote: naming
 * the line); no header row; a header without a required column, with an unknown or repeated column; a
 * header without rows under it (naming its columns); more than `MAX_IMPORT_ROWS` rows.
 */
export function readImportCsv(bytes: Uint8Array): ImportCsv {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed('The CSV is not UTF-8 text.');
  }
  let records: string[][];
  // The line the last whole record ended on: where an unclosed quote was opened is after it.
  let lastLine = 0;
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      on_record: (record: string[], context) => {
        lastLine = context.lines;
        return record;
      },
    }) as string[][];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      throw malformed(
        `The CSV cannot be read: a quote opened after line ${lastLine} is never closed (the file ends inside a quoted cell, at line ${e.lines ?? '?'}).`,
        { code: e.code, line: lastLine + 1 },
      );
    }
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
  const found = header.map((h) => h.trim());
  if (rows.length === 0) {
    throw malformed(`The CSV has a header row (${found.join(', ')}) but no rows under it: add at least one row of a holder to import.`, { columns: found });
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    throw malformed(`The CSV has ${count(rows.length)} rows: an import takes at most ${count(MAX_IMPORT_ROWS)}; split the file.`, { rows: rows.length, max: MAX_IMPORT_ROWS });
  }
  const wrongFieldCount = new Set<number>();
  const read = rows.map((cells, index) => {
    if (cells.length !== columns.length) wrongFieldCount.add(index);
    const row: Record<string, string> = {};
    columns.forEach((c, i) => {
      const cell = cells[i] ?? '';
      if (EMPTY_IS_NONE.includes(c) && cell.trim() === '') return;
      row[c] = cell;
    });
    return row;
  });
  return { rows: read, wrongFieldCount };
}

/** The CSV facts of the requests whose body `csvImportBody` read, by the request it handed on. */
const csvRequests = new WeakMap<Request, ReadonlySet<number>>();

/**
 * The indexes (0-based) of the rows with the wrong field count in the CSV `request` carried (as
 * `csvImportBody` handed it on; `c.req.raw` in the route); an empty set for a JSON body.
 */
export const csvWrongFieldCount = (request: Request): ReadonlySet<number> => csvRequests.get(request) ?? new Set();

/**
 * Middleware for the import route: a `text/csv` body is read (under the route's body limit, which
 * runs before) and replaced by the JSON `{"rows": [...]}` the route validates, the rows with the
 * wrong field count kept for the route (`csvWrongFieldCount`); any other body passes untouched.
 * Errors as `readImportCsv`.
 */
export const csvImportBody: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (c.req.method === 'POST' && type === 'text/csv') {
    const { rows, wrongFieldCount } = readImportCsv(new Uint8Array(await c.req.raw.arrayBuffer()));
    const headers = new Headers(c.req.raw.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    c.req.raw = new Request(c.req.raw.url, { method: 'POST', headers, body: JSON.stringify({ rows }) });
    csvRequests.set(c.req.raw, wrongFieldCount);
  }
  await next();
};
