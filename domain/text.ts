/**
 * What text a person writes may hold. Names, titles, subjects and reasons are one line; a message body
 * may have line breaks. Every text must be valid Unicode that PostgreSQL can store as UTF-8, and must
 * show something: a name made only of invisible characters cannot be told apart from an empty one.
 * Pure; the API's schemas (api/schemas.ts) apply these rules to every text field and text query.
 */

/** An unpaired UTF-16 surrogate: JSON's `"\ud800"` parses to one; PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Control characters (C0, DEL, C1); a multi-line text may keep tab, line feed and carriage return. */
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS = /[^\P{Cc}\t\n\r]/u;
/** Line and paragraph separators (U+2028, U+2029): line breaks a one-line text must not hold. */
const LINE_SEPARATORS = /[\u2028\u2029]/;
/** Noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, …): reserved for a program's internal use, never text. */
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
/**
 * Characters that show nothing on their own: white space, format characters (bidi controls such as
 * U+202A–U+202E, U+2066–U+2069, U+061C; zero-width U+200B–U+200D, U+2060, U+FEFF; soft hyphen;
 * invisible operators; tags), Unicode's default-ignorable code points (variation selectors, Hangul
 * fillers, U+034F, U+180E, U+1BCA0…), combining marks with nothing to combine with, controls, and
 * the Braille blank U+2800.
 */
const INVISIBLE = /[\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}\p{M}\p{Cc}\u2800]/gu;

/**
 * Bidi overrides (U+202D LRO, U+202E RLO): they force the characters after them to display in an
 * order other than the one they are written in, the trick that makes `abc\u202Egnp.exe` read
 * "abcexe.png" (Unicode TR36 §2.1, "Trojan Source"). No name, title or message needs them: text in
 * two directions is shown right with marks, embeddings and isolates, which are allowed.
 */
const BIDI_OVERRIDE = /[\u202D\u202E]/;
/** Any bidi embedding, override, pop or isolate control: text without one needs no pairing check. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** Bidi embeddings (U+202A LRE, U+202B RLE) and isolates (U+2066 LRI, U+2067 RLI, U+2068 FSI), with what closes them. */
const EMBEDDING_OPEN = new Set(['\u202A', '\u202B']);
const ISOLATE_OPEN = new Set(['\u2066', '\u2067', '\u2068']);
const POP_EMBEDDING = '\u202C';
const POP_ISOLATE = '\u2069';

/**
 * The first bidi embedding or isolate `value` opens and does not close, as UAX #9 (rules X6a, X7)
 * pairs them: PDF closes the last embedding unless an isolate was opened after it, PDI the last
 * isolate and every embedding opened inside it; a PDF or PDI with nothing of its kind to close does
 * nothing and is let be. Null when every opening is closed. An unclosed one would turn the text that
 * follows the value around wherever it is shown inside a sentence (a message's "Hi {{learner.name}}, …").
 */
function unclosedBidi(value: string): string | null {
  if (!BIDI_CONTROL.test(value)) return null;
  const open: string[] = [];
  for (const c of value) {
    if (EMBEDDING_OPEN.has(c) || ISOLATE_OPEN.has(c)) open.push(c);
    else if (c === POP_EMBEDDING) {
      if (open.length > 0 && EMBEDDING_OPEN.has(open.at(-1)!)) open.pop();
    } else if (c === POP_ISOLATE) {
      const at = open.findLastIndex((o) => ISOLATE_OPEN.has(o));
      if (at >= 0) open.length = at;
    }
  }
  const first = open[0];
  return first === undefined ? null : `${codePoint(first)} is not closed by ${EMBEDDING_OPEN.has(first) ? codePoint(POP_EMBEDDING) : codePoint(POP_ISOLATE)}`;
}

/** `U+XXXX` of a character, for messages. */
const codePoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Text from outside (a receiver's answer, an error message) made storable in PostgreSQL: NUL and
 * unpaired surrogates, which a UTF-8 text column refuses, become U+FFFD. Nothing else changes.
 */
export const storableText = (value: string): string => value.replace(new RegExp(`\u0000|${LONE_SURROGATE.source}`, 'g'), '\uFFFD');

/**
 * Why a parsed JSON value cannot be stored as text, or null: the path and problem of the first string
 * (key or value) holding NUL or an unpaired surrogate, e.g. `data.email_id: must not contain NUL
 * characters (\u0000)`.
 */
export function unstorableJson(value: unknown, path = ''): string | null {
  const at = (p: string): string => (p === '' ? 'the body' : p);
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return `${at(path)}: must not contain NUL characters (\\u0000)`;
    if (LONE_SURROGATE.test(value)) return `${at(path)}: must be valid Unicode text (it has an unpaired surrogate)`;
    return null;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const problem = unstorableJson(v, `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = path === '' ? k : `${path}.${k}`;
      const problem = unstorableJson(k, key) ?? unstorableJson(v, key);
      if (problem) return problem;
    }
  }
  return null;
}

/** True when `value` has at least one character that shows (see INVISIBLE). */
export const hasVisibleText = (value: string): boolean => value.replace(INVISIBLE, '').length > 0;

/**
 * Why `value` is not acceptable text, or null when it is. `lines: 'one'` (names, titles, subjects,
 * reasons, search terms) refuses every control character; `lines: 'many'` (message bodies) allows
 * tab and line breaks. Checked: unpaired surrogates, U+FFFD (the mark of bytes that were not UTF-8,
 * e.g. a body sent as Latin-1), NUL, noncharacters (U+FFFF…), line and paragraph separators in one
 * line, other controls, (with `visible`) nothing visible, and (unless `bidi: false`, for a search
 * term, which may be a fragment of a name) bidi overrides (U+202D, U+202E) and bidi embeddings or
 * isolates left open (they would turn around the text shown after the value).
 * The answer is a phrase for a 400's message, e.g. "must not contain control characters (U+001B)".
 */
export function textProblem(value: string, opts: { lines: 'one' | 'many'; visible?: boolean; bidi?: boolean }): string | null {
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (it has an unpaired surrogate)';
  if (value.includes('\uFFFD')) return 'must be UTF-8 text (it has U+FFFD, the mark of bytes that were not UTF-8)';
  if (value.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  const nonchar = NONCHARACTER.exec(value);
  if (nonchar) return `must not contain noncharacters (${codePoint(nonchar[0])})`;
  const separator = opts.lines === 'one' ? LINE_SEPARATORS.exec(value) : null;
  if (separator) return `must be one line without line or paragraph separators (${codePoint(separator[0])})`;
  const control = (opts.lines === 'one' ? CONTROL : CONTROL_BUT_LINE_BREAKS).exec(value);
  if (control) {
    const code = codePoint(control[0]);
    return opts.lines === 'one' ? `must be one line without control characters (${code})` : `must not contain control characters (${code})`;
  }
  if (opts.visible !== false && !hasVisibleText(value)) {
    return 'must contain a visible character (not only spaces, bidi controls, zero-width or other invisible characters)';
  }
  if (opts.bidi === false) return null;
  const override = BIDI_OVERRIDE.exec(value);
  if (override) return `must not contain bidi overrides (${codePoint(override[0])}), which show text in another order than it is written`;
  const unclosed = unclosedBidi(value);
  if (unclosed) return `must close every bidi embedding and isolate it opens (${unclosed})`;
  return null;
}
