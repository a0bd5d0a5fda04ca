/**
 * The plain-text part of a message, derived from its HTML (issue 13 §1: spam filters and some mail
 * clients expect one).
 *
 * Why not a library: `html-to-text` (the well-kept one) is not among the installed packages and this
 * branch installs none. The parsing is still a library's: sanitize-html (a dependency already) runs its
 * htmlparser2 over the HTML and calls the hooks below for every tag and text node in document order,
 * entities decoded; only the layout rules are ours, and they are few because every HTML we send is
 * either our own templates or an administrator's HTML reduced to a small allowlist (templates.ts
 * ADMIN_HTML: p, br, h1–h6, ul, ol, li, strong, b, em, i, u, a).
 *
 * Layout: paragraphs, headings, lists and tables are separated by a blank line; `<br>` is a line
 * break; list items start with `- ` (ordered: `1. `); a link is its text followed by its address in
 * parentheses, unless the text is the address; runs of white space are one space; script, style,
 * head and title say nothing.
 */
import sanitizeHtml from 'sanitize-html';

const PARAGRAPH = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'table', 'blockquote', 'pre', 'section', 'article', 'header', 'footer', 'hr']);
const LINE = new Set(['br', 'li', 'tr']);

/** The characters sanitize-html escapes in the text it hands a `textFilter`, undone (`&amp;` last). */
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * `html` (a whole document or a fragment) as plain text, laid out as the module says. Lines are
 * trimmed, at most one blank line separates blocks, and the result has no leading or trailing blank
 * line. Never throws.
 */
export function htmlToText(html: string): string {
  let out = '';
  const links: { href: string; from: number }[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  sanitizeHtml(html, {
    allowedTags: [],
    allowedAttributes: {},
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'head', 'title', 'textarea', 'option', 'noscript', 'template'],
    onOpenTag: (name, attribs) => {
      if (PARAGRAPH.has(name)) out += '\n\n';
      if (name === 'ul' || name === 'ol') lists.push({ ordered: name === 'ol', n: 0 });
      if (LINE.has(name)) out += '\n';
      if (name === 'li') {
        const list = lists[lists.length - 1];
        const depth = '  '.repeat(Math.max(0, lists.length - 1));
        if (list?.ordered) out += `${depth}${++list.n}. `;
        else out += `${depth}- `;
      }
      if (name === 'a') links.push({ href: (attribs.href ?? '').trim(), from: out.length });
    },
    onCloseTag: (name) => {
      if (name === 'a') {
        const link = links.pop();
        if (link && link.href) {
          const text = out.slice(link.from).replace(/\s+/g, ' ').trim();
          const shown = link.href.replace(/^mailto:/i, '');
          if (text !== link.href && text !== shown) out += ` (${shown})`;
        }
      }
      if (name === 'ul' || name === 'ol') lists.pop();
      if (PARAGRAPH.has(name)) out += '\n\n';
    },
    textFilter: (escaped) => {
      out += unescape(escaped).replace(/\s+/g, ' ');
      return '';
    },
  });
  return out
    .split('\n')
    .map((line) => line.replace(/ {2,}/g, ' ').replace(/^ (?=\S)/, '').trimEnd())
    .map((line) => (/^\s*$/.test(line) ? '' : line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
