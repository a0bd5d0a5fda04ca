/** Text into HTML: the one escaping routine of the product (mail templates, the API docs page). */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * `value` with the five HTML-significant characters (`& < > " '`) replaced by entities, safe in
 * element content and in quoted attribute values. Never throws.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
