/**
 * Message templates: subject and HTML body for each message kind. Pure functions.
 *
 * Placeholders: {{learner.name}}, {{learner.email}}, {{certificate.title}}, {{course.title}},
 * {{course.url}}, {{expiresAt}} (the expiry instant as date, time and zone, "1 March 2027, 02:00 (UTC)":
 * formatInstant of domain/instant-format.ts, issue 18 §7), {{daysLeft}}. In the body every substituted
 * value is HTML-escaped; the subject is plain text with CR/LF removed (no header injection). A known
 * placeholder without a value (say {{course.url}} when no course is assigned) becomes empty. The API
 * refuses an administrator's message with an unknown placeholder (`unknownPlaceholders`); one stored
 * earlier keeps it as written.
 *
 * {{course.url}} is where the learner takes the course: the course's own `url` (its LMS page), else
 * the configured pattern COURSE_URL_TEMPLATE with `{courseId}` filled in (domain/course-url.ts).
 *
 * An administrator's HTML (a course's enrollment message) is sanitised at render time with
 * sanitize-html's allowlist (`sanitizeAdminHtml`), so messages stored before the rule are safe too.
 */
import sanitizeHtml from 'sanitize-html';
import type { EnrollmentMessage, MessageKind } from '../db/rows.ts';
import { DEFAULT_TIME_ZONE, formatInstant } from './instant-format.ts';
import { htmlToText } from './html-to-text.ts';
import { escapeHtml } from './html.ts';
import { courseUrl } from './course-url.ts';
import { isPlaceholder, PLACEHOLDER_RE, type Placeholder } from './placeholders.ts';
import { TEMPLATE_MESSAGE_KINDS, TEMPLATE_MESSAGES, type MessageTemplates } from './settings.ts';

export interface TemplateContext {
  appBaseUrl: string;
  /**
   * The course link pattern used when a course has no `url`, with `{courseId}` where the course's id
   * goes (COURSE_URL_TEMPLATE). Unset: `<appBaseUrl>/courses/{courseId}`.
   */
  courseUrlTemplate?: string;
  learner: { name: string; email: string };
  certificate?: { title: string } | null;
  /**
   * The course the message points to (the recertification course or the enrolled course); `url` is
   * where the learner takes it, when the course has one.
   */
  course?: { id: string; title: string; url?: string | null } | null;
  expiresAt?: Date | null;
  /**
   * When the learner is (or was) enrolled ({{dueAt}}): the time the enrollment falls or fell due. Before
   * the enrollment, the award's expiry − the current lead days; once enrolled, the due time the workflow
   * entered `assigned` with (a later change of the lead days or the expiry does not move it).
   */
  dueAt?: Date | null;
  daysLeft?: number | null;
  /**
   * The IANA zone every date is written in ({{expiresAt}}, {{dueAt}}), and {{learner.timeZone}}: the
   * learner's own, else the organisation's DEFAULT_TIME_ZONE. Unset: UTC.
   */
  timeZone?: string;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  /** The plain-text part, derived from `html` (htmlToText). */
  text: string;
}

/** A subject line: one line of plain text. */
export function sanitizeSubject(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** The placeholder values of a context (raw, not yet escaped); undefined when not available. */
export function placeholderValues(ctx: TemplateContext): Record<Placeholder, string | undefined> {
  return {
    'learner.name': ctx.learner.name,
    'learner.email': ctx.learner.email,
    'certificate.title': ctx.certificate?.title,
    'course.title': ctx.course?.title,
    'course.url': ctx.course ? courseUrl(ctx.appBaseUrl, ctx.course, ctx.courseUrlTemplate) : undefined,
    expiresAt: ctx.expiresAt ? formatInstant(ctx.expiresAt, ctx.timeZone) : undefined,
    daysLeft: ctx.daysLeft === null || ctx.daysLeft === undefined ? undefined : String(ctx.daysLeft),
    dueAt: ctx.dueAt ? formatInstant(ctx.dueAt, ctx.timeZone) : undefined,
    'learner.timeZone': ctx.timeZone ?? DEFAULT_TIME_ZONE,
  };
}

/**
 * Substitutes placeholders in `template`. `mode: 'html'` escapes each value (the template itself is
 * trusted markup); `mode: 'text'` inserts values as they are.
 */
export function fillPlaceholders(template: string, values: Record<Placeholder, string | undefined>, mode: 'html' | 'text'): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string) => {
    if (!isPlaceholder(name)) return whole;
    const value = values[name] ?? '';
    return mode === 'html' ? escapeHtml(value) : value;
  });
}

/** Subject and body templates → the rendered message. The body template is trusted HTML. */
export function renderTemplate(subject: string, htmlBody: string, ctx: TemplateContext): RenderedMessage {
  const values = placeholderValues(ctx);
  return withText(sanitizeSubject(fillPlaceholders(subject, values, 'text')), layout(fillPlaceholders(htmlBody, values, 'html')));
}

/** A message of `subject` and `html`, with its plain-text part derived from the HTML. */
function withText(subject: string, html: string): RenderedMessage {
  return { subject, html, text: htmlToText(html) };
}

const HAS_MARKUP = /<\/?[a-z][a-z0-9]*(\s[^>]*)?>/i;

/**
 * What an administrator's HTML may keep: paragraphs, line breaks, headings, lists, emphasis and links
 * (absolute http, https and mailto only, with rel="noopener"). Everything else goes: script, style and iframe
 * with their content, other elements keep only their text, and no attribute but a link's href (so no
 * on* handlers, no style).
 */
const ADMIN_HTML: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'strong', 'b', 'em', 'i', 'u', 'a'],
  allowedAttributes: { a: ['href', 'rel'] }, // rel is always set to noopener below
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'template'],
  transformTags: {
    // A link keeps an absolute http/https/mailto href (or one placeholder, filled in later); a relative
    // one means nothing in an email. sanitize-html's scheme check still runs after this.
    a: (tagName, attribs) => {
      const href = attribs.href?.trim() ?? '';
      const keep = /^(https?:|mailto:)/i.test(href) || /^\{\{\s*[A-Za-z0-9_.]+\s*\}\}$/.test(href);
      const kept: sanitizeHtml.Attributes = keep ? { href, rel: 'noopener' } : { rel: 'noopener' };
      return { tagName, attribs: kept };
    },
  },
};

/** An administrator's HTML reduced to the allowlist of ADMIN_HTML (sanitize-html). */
export function sanitizeAdminHtml(html: string): string {
  return sanitizeHtml(html, ADMIN_HTML);
}

/**
 * An administrator's body text as HTML. Text with markup is sanitised (`sanitizeAdminHtml`); plain
 * text is escaped and its blank-line paragraphs and line breaks kept.
 */
export function adminBodyToHtml(body: string): string {
  if (HAS_MARKUP.test(body)) return sanitizeAdminHtml(body);
  return body
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

function layout(inner: string): string {
  return `<!doctype html><html><body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.5; color: #1f2933;">\n${inner}\n</body></html>`;
}

const courseLink = '<a href="{{course.url}}">{{course.title}}</a>';

export function renderCertificateExpiring(ctx: TemplateContext): RenderedMessage {
  const next = ctx.course
    ? `<p>To keep it, you have been enrolled in the recertification course ${courseLink}. Complete it before {{expiresAt}} to receive a renewed certificate.</p>\n<p><a href="{{course.url}}">Start the course</a></p>`
    : '<p>Please contact your administrator to renew it before it lapses.</p>';
  return renderTemplate(
    'Your certificate "{{certificate.title}}" expires on {{expiresAt}}',
    `<p>Hello {{learner.name}},</p>\n<p>Your certificate <strong>{{certificate.title}}</strong> expires on <strong>{{expiresAt}}</strong>.</p>\n${next}`,
    ctx,
  );
}

export function renderRecertificationReminder(ctx: TemplateContext): RenderedMessage {
  const days = ctx.daysLeft === 1 ? '{{daysLeft}} day' : '{{daysLeft}} days';
  const next = ctx.course
    ? `<p>Complete the recertification course ${courseLink} to renew it.</p>\n<p><a href="{{course.url}}">Continue the course</a></p>`
    : '<p>Please contact your administrator to renew it.</p>';
  return renderTemplate(
    `Reminder: "{{certificate.title}}" expires in ${days}`,
    `<p>Hello {{learner.name}},</p>\n<p>Your certificate <strong>{{certificate.title}}</strong> expires in ${days}, on <strong>{{expiresAt}}</strong>.</p>\n${next}`,
    ctx,
  );
}

export function renderCertificateExpired(ctx: TemplateContext): RenderedMessage {
  const next = ctx.course
    ? `<p>You can still complete the course ${courseLink} to be awarded the certificate again.</p>`
    : '<p>Please contact your administrator if you need it renewed.</p>';
  return renderTemplate(
    'Your certificate "{{certificate.title}}" has expired',
    `<p>Hello {{learner.name}},</p>\n<p>Your certificate <strong>{{certificate.title}}</strong> expired on <strong>{{expiresAt}}</strong>.</p>\n${next}`,
    ctx,
  );
}

/**
 * Names the recertification course the learner was just enrolled in, when the expiring notice went
 * out earlier without one (recertification was off or the course not live at the due time).
 */
export function renderRecertificationEnrollment(ctx: TemplateContext): RenderedMessage {
  return renderTemplate(
    'You are enrolled in "{{course.title}}" to renew "{{certificate.title}}"',
    `<p>Hello {{learner.name}},</p>\n<p>Your certificate <strong>{{certificate.title}}</strong> expires on <strong>{{expiresAt}}</strong>. To keep it, you have been enrolled in the recertification course ${courseLink}. Complete it before then to receive a renewed certificate.</p>\n<p><a href="{{course.url}}">Start the course</a></p>`,
    ctx,
  );
}

/**
 * A course's own enrollment message, written by an administrator. The body is sanitised once more
 * after the placeholders are filled, so a value cannot make a link unsafe (say `href="{{learner.name}}"`
 * with a name `javascript:…`).
 */
export function renderCourseEnrollment(ctx: TemplateContext, message: EnrollmentMessage): RenderedMessage {
  return renderAdminMessage(ctx, message);
}

/**
 * A message an administrator wrote (a course's enrollment message, a certificate's template of issue
 * 13): the subject plain text, the body HTML (or plain text made HTML) sanitised to ADMIN_HTML once
 * more after the placeholders are filled with escaped values, and the text part derived from it.
 */
export function renderAdminMessage(ctx: TemplateContext, message: { subject: string; body: string }): RenderedMessage {
  const values = placeholderValues(ctx);
  return withText(
    sanitizeSubject(fillPlaceholders(message.subject, values, 'text')),
    layout(sanitizeAdminHtml(fillPlaceholders(adminBodyToHtml(message.body), values, 'html'))),
  );
}

/**
 * Renders a message of `kind`: with the certificate's template of that kind when `templates` has
 * one, else the built-in text. `course_enrollment` needs the course's enrollment message and
 * returns null without one (nothing to send).
 */
export function renderMessage(
  kind: MessageKind,
  ctx: TemplateContext,
  enrollmentMessage: EnrollmentMessage | null = null,
  templates: MessageTemplates | null = null,
): RenderedMessage | null {
  // A certificate's own wording of this kind (issue 13), else the built-in text.
  const own = TEMPLATE_MESSAGES.find((name) => TEMPLATE_MESSAGE_KINDS[name] === kind);
  const template = own ? templates?.[own] : null;
  if (template) return renderAdminMessage(ctx, template);
  switch (kind) {
    case 'certificate_expiring':
      return renderCertificateExpiring(ctx);
    case 'recertification_reminder':
      return renderRecertificationReminder(ctx);
    case 'certificate_expired':
      return renderCertificateExpired(ctx);
    case 'course_enrollment':
      return enrollmentMessage ? renderCourseEnrollment(ctx, enrollmentMessage) : null;
    case 'recertification_enrollment':
      return ctx.course ? renderRecertificationEnrollment(ctx) : null;
  }
}
