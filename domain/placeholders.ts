/**
 * The placeholders an administrator may write in a message template (`{{learner.name}}`), and the rule
 * that refuses anything else that looks like one: a typo, an empty `{{}}`, an invisible character
 * inside the braces or an unclosed `{{` would otherwise be mailed to learners literally.
 * Pure; the mail templates (domain/message-templates.ts) fill the same list.
 */

export const PLACEHOLDERS = [
  'learner.name',
  'learner.email',
  'certificate.title',
  'course.title',
  'course.url',
  'expiresAt',
  'daysLeft',
  // Issue 13: when the enrollment falls (or fell) due, and the learner's own time zone (every date is written in it).
  'dueAt',
  'learner.timeZone',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** A well-formed placeholder: a name of letters, digits, `_` and `.` in double braces, spaces allowed inside. */
export const PLACEHOLDER_RE = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;
/** Anything in double braces (no brace inside), well-formed or not. */
const BRACED_RE = /\{\{([^{}]*)\}\}/g;

export const isPlaceholder = (name: string): name is Placeholder => (PLACEHOLDERS as readonly string[]).includes(name);

/** Cuts `s` for an error message: at most 40 characters, control and invisible characters shown as \u escapes. */
function shown(s: string): string {
  const cut = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return cut.replace(/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/**
 * What in `template` looks like a placeholder but is not one of PLACEHOLDERS, each once, in order of
 * appearance: an unknown name (`course.link`, as written without braces); any other braced text
 * (`{{}}`, `{{learner.name\u200b}}`, shown whole with invisible characters escaped); and a `{{` or
 * `}}` left without its pair. Empty when the template is fine. Never throws.
 */
export function unknownPlaceholders(template: string): string[] {
  const unknown = new Set<string>();
  for (const match of template.matchAll(BRACED_RE)) {
    const wellFormed = /^\s*([A-Za-z0-9_.]+)\s*$/.exec(match[1] ?? '');
    if (wellFormed) {
      if (!isPlaceholder(wellFormed[1]!)) unknown.add(wellFormed[1]!);
    } else {
      unknown.add(shown(match[0]));
    }
  }
  const rest = template.replace(BRACED_RE, ' ');
  if (rest.includes('{{')) unknown.add(`an unclosed "{{" (${shown(rest.slice(rest.indexOf('{{'), rest.indexOf('{{') + 30))})`);
  if (rest.includes('}}')) unknown.add(`a "}}" without its "{{" (${shown(rest.slice(Math.max(0, rest.indexOf('}}') - 28), rest.indexOf('}}') + 2))})`);
  return [...unknown];
}
