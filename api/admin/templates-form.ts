/**
 * The Settings tab's templates and send window form (issue 13): its values from a certificate or a
 * submitted form, and the PATCH /api/certificates/:id settings it saves. Field names are the API's
 * field paths, so the API's 422 (`unknown_placeholder` naming `messageTemplates.<message>.body`,
 * `invalid_send_window`) lands beside its field.
 */
import { TEMPLATE_MESSAGES, type CertificateSettings, type MessageTemplate, type TemplateMessage } from '../../domain/settings.ts';
import { DEFAULT_SEND_WINDOW, WEEKDAYS, type SendWindow, type Weekday } from '../../domain/send-window.ts';
import type { CertificateDto } from '../schemas.ts';
import type { FormBody } from './forms.ts';
import { CHECKBOXES_FIELD, checkboxMarker, sentChoice, sentField, type SentFormShape } from './requests.ts';
import type { TemplatesFormValues } from './views/message-templates.tsx';

/** The templates form's tick boxes (the send window's days): absent from a post when unticked, which the hidden `checkboxes` field vouches for. */
export const TEMPLATES_CHECKBOXES = checkboxMarker(['sendWindow.days']);

/** The templates form's fields that carry one value (all but the days), the revision included. */
export const TEMPLATES_SINGLE_FIELDS: readonly string[] = [
  'revision',
  ...TEMPLATE_MESSAGES.flatMap((name) => [`messageTemplates.${name}.subject`, `messageTemplates.${name}.body`]),
  'sendWindow.mode',
  'sendWindow.start',
  'sendWindow.end',
];

/**
 * What every post of the templates form carries (the revision has its own check): each message's
 * subject and body (empty: the built-in text), the window's mode (one of the three radio buttons is
 * always checked), start and end, and the `checkboxes` marker for the days. A post lacking one, or
 * with a mode the form does not offer, is refused (formGaps): an absent template is never taken for
 * an emptied one, an unknown mode never for the organisation's window.
 */
export const TEMPLATES_FORM_SHAPE: SentFormShape = {
  ...Object.fromEntries(TEMPLATES_SINGLE_FIELDS.filter((name) => name !== 'revision' && name !== 'sendWindow.mode').map((name) => [name, sentField])),
  'sendWindow.mode': sentChoice(['org', 'on', 'off']),
  [CHECKBOXES_FIELD]: TEMPLATES_CHECKBOXES.schema,
};

/** The form's values for a certificate's saved templates and window. */
export function templateValuesFromCertificate(cert: CertificateDto): TemplatesFormValues {
  const s: CertificateSettings = cert.settings;
  const window = s.sendWindow ?? DEFAULT_SEND_WINDOW;
  const templates = Object.fromEntries(
    TEMPLATE_MESSAGES.map((name) => [name, { subject: s.messageTemplates?.[name]?.subject ?? '', body: s.messageTemplates?.[name]?.body ?? '' }]),
  ) as TemplatesFormValues['templates'];
  return {
    revision: String(cert.settingsVersion),
    templates,
    windowMode: s.sendWindow ? (s.sendWindow.enabled ? 'on' : 'off') : 'org',
    windowStart: window.start,
    windowEnd: window.end,
    windowDays: [...window.days],
  };
}

const one = (form: FormBody, name: string): string => {
  const v = form[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
};

/** The values of a submitted form, as typed. */
export function templateValuesFromForm(form: FormBody): TemplatesFormValues {
  const templates = Object.fromEntries(
    TEMPLATE_MESSAGES.map((name) => [name, { subject: one(form, `messageTemplates.${name}.subject`), body: one(form, `messageTemplates.${name}.body`) }]),
  ) as TemplatesFormValues['templates'];
  const mode = one(form, 'sendWindow.mode');
  const days = form['sendWindow.days'];
  const dayList = (Array.isArray(days) ? days : days === undefined ? [] : [days]).filter((d): d is string => typeof d === 'string');
  return {
    revision: one(form, 'revision'),
    templates,
    windowMode: mode === 'on' || mode === 'off' ? mode : 'org',
    windowStart: one(form, 'sendWindow.start').trim() || DEFAULT_SEND_WINDOW.start,
    windowEnd: one(form, 'sendWindow.end').trim() || DEFAULT_SEND_WINDOW.end,
    windowDays: dayList,
  };
}

/** A message's template as typed: null (the built-in text) when subject and body are both empty. */
export function templateOf(values: TemplatesFormValues, name: TemplateMessage): MessageTemplate | null {
  const t = values.templates[name];
  return t.subject.trim() === '' && t.body.trim() === '' ? null : { subject: t.subject, body: t.body };
}

/** The settings part of the PATCH the form saves: every template (null: built-in) and the window (null: the organisation's). */
export function templatesPatch(values: TemplatesFormValues): { messageTemplates: Record<TemplateMessage, MessageTemplate | null>; sendWindow: SendWindow | null } {
  const messageTemplates = Object.fromEntries(TEMPLATE_MESSAGES.map((name) => [name, templateOf(values, name)])) as Record<TemplateMessage, MessageTemplate | null>;
  const days = WEEKDAYS.filter((d) => values.windowDays.includes(d)) as Weekday[];
  const sendWindow: SendWindow | null =
    values.windowMode === 'org' ? null : { enabled: values.windowMode === 'on', start: values.windowStart, end: values.windowEnd, days: days.length ? days : [...DEFAULT_SEND_WINDOW.days] };
  return { messageTemplates, sendWindow };
}

/** The organisation's window in words, for the form: "off" or "08:00–18:00 mon, tue, wed, thu, fri". */
export function windowInWords(window: SendWindow): string {
  return window.enabled ? `${window.start}–${window.end} ${window.days.join(', ')}` : 'off';
}
