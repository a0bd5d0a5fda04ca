/**
 * CSV as RFC 4180 says: CRLF between records, a field is quoted when it holds a comma, a quote, CR or
 * LF, and quotes inside are doubled. A text cell that a spreadsheet would run as a formula (starting
 * with = + - @, tab or CR) gets a leading apostrophe, so a learner named "=HYPERLINK(…)" stays text.
 */
export type CsvValue = string | number | Date | null | undefined;

/** One field as RFC 4180 writes it (dates as ISO 8601, null and NaN empty, formula-like text behind an apostrophe). */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value instanceof Date ? value.toISOString() : value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: the header, then the rows, each record ended by CRLF. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
