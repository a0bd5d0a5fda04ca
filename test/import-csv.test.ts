/**
 * Reading an import's CSV (api/import-csv.ts `readImportCsv`), pure: a row with more or fewer fields
 * than the header is a row to reject (`wrongFieldCount`), not a refused file; blank lines, rows of
 * only empty cells, CRLF, CR and a BOM read as the plain file; what makes the file unreadable (an
 * unclosed quote, no header, no rows under the header, more rows than an import takes) is a 400
 * `malformed_csv` that says so in words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.ts';
import { readImportCsv, type ImportCsv } from '../api/import-csv.ts';
import { MAX_IMPORT_ROWS } from '../domain/importing.ts';

const read = (text: string) => readImportCsv(new TextEncoder().encode(text));

/** The refusal `text` gets: its code and message. */
function refusal(text: string): { code: string; message: string; details: unknown } {
  try {
    read(text);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.status, 400);
    return { code: err.code, message: err.message, details: err.details };
  }
  assert.fail(`not refused: ${JSON.stringify(text.slice(0, 200))}`);
}

test('a row with fewer or more fields than the header is a row with the wrong field count, the others read as always', () => {
  const csv = read('email,name,awardedAt\nshort@example.com,Short\nok@example.com,OK,2026-01-01T00:00:00Z\nlong@example.com,Long,2026-01-01,extra\n');
  assert.deepEqual(csv.rows, [
    { email: 'short@example.com', name: 'Short', awardedAt: '' },
    { email: 'ok@example.com', name: 'OK', awardedAt: '2026-01-01T00:00:00Z' },
    { email: 'long@example.com', name: 'Long', awardedAt: '2026-01-01' },
  ]);
  assert.deepEqual([...csv.wrongFieldCount], [0, 2]);
});

test('a multi-line quoted cell is one row; a short row after it is still only that row', () => {
  const csv = read('email,name,awardedAt\r\na@example.com,"Two\r\nLines",2026-01-01\r\nb@example.com,B\r\n');
  assert.deepEqual(csv.rows.map((r) => r.name), ['Two\r\nLines', 'B']);
  assert.deepEqual([...csv.wrongFieldCount], [1]);
});

/** Each of `texts` reads as `plain` did: the same rows, the same rows of the wrong field count. */
function readAsPlain(plain: ImportCsv, texts: readonly string[]): void {
  for (const text of texts) {
    const csv = read(text);
    assert.deepEqual(csv.rows, plain.rows, JSON.stringify(text));
    assert.deepEqual([...csv.wrongFieldCount], [...plain.wrongFieldCount], JSON.stringify(text));
  }
}

test('blank lines, whitespace-only lines and rows of only empty cells are no rows, wherever they are', () => {
  const plain = read('email,name,awardedAt\na@example.com,A,2026-01-01\nb@example.com,B,2026-01-02\n');
  assert.deepEqual(plain.wrongFieldCount.size, 0);
  readAsPlain(plain, [
    'email,name,awardedAt\n\na@example.com,A,2026-01-01\n\n\nb@example.com,B,2026-01-02\n\n\n',
    'email,name,awardedAt\na@example.com,A,2026-01-01\n   \nb@example.com,B,2026-01-02\n \t \n',
    'email,name,awardedAt\na@example.com,A,2026-01-01\n,,\nb@example.com,B,2026-01-02\n , ,\n,,,,,,\n"","",""\n',
  ]);
});

test('CRLF, CR alone and a BOM read as the plain file', () => {
  const plain = read('email,name,awardedAt\na@example.com,A,2026-01-01\nb@example.com,B\n');
  assert.deepEqual([...plain.wrongFieldCount], [1]);
  readAsPlain(plain, [
    'email,name,awardedAt\r\na@example.com,A,2026-01-01\r\nb@example.com,B\r\n',
    'email,name,awardedAt\ra@example.com,A,2026-01-01\rb@example.com,B\r',
    '\uFEFFemail,name,awardedAt\r\na@example.com,A,2026-01-01\r\nb@example.com,B',
  ]);
});

test('a header without rows is refused in words that name the columns found (blank lines, empty rows and a BOM alike)', () => {
  for (const text of ['email,name,awardedAt\n', '\uFEFFemail,name,awardedAt', 'email,Name,awardedAt,expiresAt\r\n\r\n,,,\r\n   \r\n']) {
    const { code, message, details } = refusal(text);
    assert.equal(code, 'malformed_csv');
    assert.match(message, /has a header row .* but no rows/, message);
    assert.match(message, /email, [nN]ame, awardedAt/, message);
    assert.doesNotMatch(message, /json/i);
    assert.ok(details && typeof details === 'object' && Array.isArray((details as { columns?: unknown }).columns), JSON.stringify(details));
  }
});

test(`more than ${MAX_IMPORT_ROWS} rows is refused in words of the file, not of JSON`, () => {
  const text = ['email,name,awardedAt', ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `r${i}@example.com,R,2025-01-01`)].join('\n');
  const { code, message } = refusal(text);
  assert.equal(code, 'malformed_csv');
  assert.match(message, /100,001 rows/, message);
  assert.match(message, /at most 100,000/, message);
  assert.doesNotMatch(message, /json/i);
  assert.equal(read(text.split('\n').slice(0, MAX_IMPORT_ROWS + 1).join('\n')).rows.length, MAX_IMPORT_ROWS, 'the limit itself is taken');
});

test('what makes the file unreadable is still refused whole, naming the line: an unclosed quote, no header, not CSV at all', () => {
  const cases: [string, RegExp][] = [
    // The parser finds an unclosed quote at the end of the file: the message names where it was opened.
    ['email,name,awardedAt\r\nok@example.com,Ok,2025-01-01\r\na@example.com,"Ada,2025-01-01\r\nb@example.com,B,2025-01-01\r\n', /cannot be read: a quote opened after line 2 is never closed/],
    ['email,name,awardedAt\r\na@example.com,Ad"a,2025-01-01\r\n', /cannot be read at line 2/],
    ['', /empty/],
    ['\n\n \n', /empty/],
    ['{"rows": [{"email": "a@example.com"}]}', /cannot be read at line 1/],
    ['a@example.com,A,2025-01-01\r\n', /unknown column "a@example.com"/],
  ];
  for (const [text, message] of cases) {
    const answer = refusal(text);
    assert.equal(answer.code, 'malformed_csv', JSON.stringify(text));
    assert.match(answer.message, message, JSON.stringify(text));
  }
});
