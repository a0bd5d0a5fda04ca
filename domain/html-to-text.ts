/**
 * The plain-text part of a message, derived from its HTML (issue 13 §1: spam filters and some mail
 * clients expect one), by `html-to-text` (the maintained converter, on htmlparser2: entities decoded,
 * script/style/head dropped). Only the layout is chosen here: headings as written (not upper-cased),
 * list items `- ` (ordered `1. `), a link as its text followed by its address in parentheses unless
 * the text is the address (`mailto:` dropped), images left out, and no line wrapping (mail clients
 * wrap; a wrapped line would split a link).
 */
import { compile } from 'html-to-text';

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

const convert = compile({
  wordwrap: false,
  selectors: [
    ...HEADINGS,
    { selector: 'a', options: { linkBrackets: ['(', ')'], hideLinkHrefIfSameAsText: true, noAnchorUrl: true } },
    { selector: 'ul', options: { itemPrefix: '- ' } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable' },
  ],
});

/**
 * `html` (a whole document or a fragment) as plain text, laid out as the module says: blocks separated
 * by one blank line, lines trimmed, no leading or trailing blank line. Never throws.
 */
export function htmlToText(html: string): string {
  return convert(html)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
