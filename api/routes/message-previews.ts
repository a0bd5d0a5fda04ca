/**
 * Message previews (issue 13 §1): a certificate's Certificate Expiring, reminder or Certificate Expired
 * message rendered for a learner (or a sample one) before its template is saved, exactly as the
 * send-message activity renders it (the same pure templates, domain/message-templates.ts).
 */
import { createRoute } from '@hono/zod-openapi';
import * as certsQ from '../../db/queries/certificates.ts';
import * as coursesQ from '../../db/queries/courses.ts';
import * as learnersQ from '../../db/queries/learners.ts';
import { dueAt as dueAtOf, DAY_MS } from '../../domain/dates.ts';
import { DEFAULT_TIME_ZONE } from '../../domain/instant-format.ts';
import { messageSettingsViolations, TEMPLATE_MESSAGE_KINDS, type MessageTemplates } from '../../domain/settings.ts';
import { renderMessage, type TemplateContext } from '../../domain/message-templates.ts';
import { createRouter, requires, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound, unprocessable } from '../errors.ts';
import { IdParams, MessagePreviewRequestSchema, MessagePreviewSchema, body, json, type MessagePreviewDto } from '../schemas.ts';

const tags = ['Certificates'];

/** The learner a preview shows when none is named. */
const SAMPLE_LEARNER = { name: 'Ada Lovelace', email: 'ada.lovelace@example.com' };

export const messagePreviewRoute = createRoute({
  method: 'post',
  path: '/certificates/{id}/message-preview',
  tags,
  ...requires('read'), // changes nothing, like GET
  summary: 'Preview one of a certificate\'s messages with a template before saving it',
  description:
    'Renders `message` (`certificateExpiring`, `recertificationReminder` or `certificateExpired`) with `template` (unsaved; absent: the ' +
    'saved one, null: the built-in text) for `learnerId` or a sample learner, with the certificate\'s title and recertification course, ' +
    'at the instant the message goes out: Certificate Expiring when recertification falls due (the expiry `leadDays` away, no `{{daysLeft}}`, ' +
    'as a real one), the first reminder (the most reminder days, else 7) before the expiry (that many `{{daysLeft}}`), Certificate Expired at the ' +
    'expiry (no `{{daysLeft}}`). Dates are written in `timeZone`, else the ' +
    'learner\'s, else `DEFAULT_TIME_ZONE`. Answers subject (plain text), the HTML document (show it sandboxed) and its text part. ' +
    'Nothing is saved or sent. 422 `unknown_placeholder` (details `field`, `unknown`, `allowed`) when the template uses anything in ' +
    'double braces that is not a placeholder, or a `{{` without its `}}`; 404 for an unknown certificate or learner.',
  request: { params: IdParams, body: body(MessagePreviewRequestSchema) },
  responses: {
    200: json(MessagePreviewSchema, 'The message as the learner would receive it.'),
    ...errorResponses(400, 401, 404, 415, 422),
  },
});

/**
 * The instant a preview shows `message` at, as it goes out (activities/messages.ts renders the same
 * values): Certificate Expiring when recertification falls due (the expiry `leadDays` away, no
 * `{{daysLeft}}`); the first reminder on its day (the most of `reminderDaysBeforeExpiry`, else 7) before the
 * expiry, which is then `daysLeft` days away; Certificate Expired at the expiry (no `{{daysLeft}}`).
 * `now`: ms since the epoch; the expiry is cut to the minute. Returns the sample's expiry, due time
 * (expiry − lead days, domain/dates.ts) and days left (null where a real message has none). Throws nothing.
 */
export function sampleInstant(
  message: keyof typeof TEMPLATE_MESSAGE_KINDS,
  recertification: { leadDays: number; reminderDaysBeforeExpiry: readonly number[] },
  now: number,
): { expiresAt: Date; dueAt: Date; daysLeft: number | null } {
  const reminders = recertification.reminderDaysBeforeExpiry;
  const daysLeft = message === 'recertificationReminder' ? (reminders.length > 0 ? Math.max(...reminders) : 7) : null;
  const daysAway = message === 'certificateExpiring' ? recertification.leadDays : (daysLeft ?? 0);
  const expiresAt = new Date(Math.floor((now + daysAway * DAY_MS) / 60_000) * 60_000);
  return { expiresAt, dueAt: dueAtOf(expiresAt, recertification.leadDays), daysLeft };
}

/** The message previews' sub-app (routes relative to `/api`). */
export function messagePreviewsApp(deps: ApiDeps): App {
  const { sql, config } = deps;
  const app = createRouter();

  app.openapi(messagePreviewRoute, async (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const certificate = await certsQ.getCertificate(sql, id);
    if (!certificate) throw notFound('Certificate', id);
    const learner = input.learnerId ? await learnersQ.getLearner(sql, input.learnerId) : null;
    if (input.learnerId && !learner) throw notFound('Learner', input.learnerId);

    const settings = certificate.settings;
    let templates: MessageTemplates | null = settings.messageTemplates ?? null;
    if (input.template !== undefined) {
      const [violation] = messageSettingsViolations(settings, input.template ? { messageTemplates: { [input.message]: input.template } } : {});
      if (violation) {
        const { code, message, ...facts } = violation;
        throw unprocessable(code, message, facts);
      }
      templates = { certificateExpiring: null, recertificationReminder: null, certificateExpired: null, ...templates, [input.message]: input.template };
    }
    const courseId = settings.recertification.courseId;
    const course = courseId ? await coursesQ.getCourse(sql, courseId) : null;
    const { expiresAt, dueAt, daysLeft } = sampleInstant(input.message, settings.recertification, Date.now());
    const timeZone = input.timeZone ?? learner?.timeZone ?? config.defaultTimeZone ?? DEFAULT_TIME_ZONE;
    const who = learner ? { name: learner.name, email: learner.email } : SAMPLE_LEARNER;
    const ctx: TemplateContext = {
      appBaseUrl: config.appBaseUrl,
      courseUrlTemplate: config.courseUrlTemplate,
      learner: who,
      certificate: { title: certificate.title },
      course: course ? { id: course.id, title: course.title, url: course.url } : null,
      expiresAt,
      dueAt,
      daysLeft,
      timeZone,
    };
    const rendered = renderMessage(TEMPLATE_MESSAGE_KINDS[input.message], ctx, null, templates);
    if (!rendered) throw new Error(`no rendering for ${input.message}`); // every template kind renders
    const answer: MessagePreviewDto = {
      ...rendered,
      timeZone,
      sample: { learnerName: who.name, learnerEmail: who.email, expiresAt: expiresAt.toISOString(), dueAt: dueAt.toISOString(), daysLeft },
    };
    return c.json(answer, 200);
  });

  return app;
}
