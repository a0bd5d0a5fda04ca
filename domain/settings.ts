/**
 * Certificate settings: their schema, defaults, and the rules and warnings of saving them.
 * Types here are imported by workflow code with `import type` only.
 */
import { z } from 'zod';
import { textProblem } from './text.ts';
import { DEFAULT_SEND_WINDOW, WEEKDAYS, sendWindowProblem } from './send-window.ts';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders.ts';
import type { MessageKind } from './vocabulary.ts';
import { DEFAULT_LEAD_DAYS, DURATION_UNITS, EXPIRY_ANCHORS, maxDayOfMonth, shortestValidityDays, type DurationUnit, type ValidFor } from './dates.ts';

/**
 * The longest validity, per unit: 50 years, whatever unit says it (18250 days and 2600 weeks are just
 * under). Temporal does not create timers longer than about 99 years, and an award's workflow sleeps
 * until its due time (issue 18 §5); 50 years leaves room for an admin's later extension.
 */
export const MAX_VALIDITY: Readonly<Record<DurationUnit, number>> = { days: 18250, weeks: 2600, months: 600, years: 50 };
/** The limit in words, for messages: "at most 50 years (600 months, 2600 weeks or 18250 days)". */
export const MAX_VALIDITY_TEXT =
  `at most ${MAX_VALIDITY.years} years (${MAX_VALIDITY.months} months, ${MAX_VALIDITY.weeks} weeks or ${MAX_VALIDITY.days} days)`;

/** The largest `validFor.amount` in any unit (18250, in days): the bound the schema, and so the OpenAPI document, states. */
export const MAX_VALIDITY_AMOUNT = Math.max(...Object.values(MAX_VALIDITY));

/**
 * `validFor`: a whole `amount` ≥ 1 of a unit, up to `MAX_VALIDITY` of that unit (400 otherwise, naming
 * the limit). The amount's own maximum (`MAX_VALIDITY_AMOUNT`, the days' bound) is what the OpenAPI
 * document shows; the check per unit is the rule.
 */
export const ValidForSchema = z
  .object({
    amount: z
      .number()
      .int()
      .min(1, 'validFor.amount must be at least 1')
      .max(MAX_VALIDITY_AMOUNT, `validFor must be ${MAX_VALIDITY_TEXT}`)
      .meta({ description: `A whole number of the unit: 1 to ${MAX_VALIDITY_TEXT}.` }),
    unit: z.enum(DURATION_UNITS),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.amount > MAX_VALIDITY[v.unit]) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `validFor must be ${MAX_VALIDITY_TEXT}; ${v.amount} ${v.unit} is longer` });
    }
  });

/**
 * `expiration.fixedDate` (issue 14 §1), used by anchor `fixed_date`: month 1–12, day 1–31 (a day the
 * month has in a leap year: 31 April is a 422 `invalid_fixed_date`), minimumActiveDays 0–365.
 */
export const FixedDateSchema = z
  .object({
    month: z.number().int().min(1, 'fixedDate.month must be 1 to 12').max(12, 'fixedDate.month must be 1 to 12'),
    day: z.number().int().min(1, 'fixedDate.day must be 1 to 31').max(31, 'fixedDate.day must be 1 to 31'),
    minimumActiveDays: z.number().int().min(0, 'minimumActiveDays must be 0 to 365').max(365, 'minimumActiveDays must be 0 to 365'),
  })
  .strict();

const ExpirationSchema = z
  .object({
    enabled: z.boolean(),
    validFor: ValidForSchema,
    anchor: z.enum(EXPIRY_ANCHORS),
    // Policies (issue 14). Optional: settings saved before them read as absent (no fixed date).
    fixedDate: FixedDateSchema.nullable().optional(),
    /**
     * Days after the expiry the award stays `in_grace` (renewable by completing the course) before it
     * is `expired` and the expired notice goes out; 0 or absent: no grace period.
     */
    graceDays: z.number().int().min(0, 'graceDays must be 0 to 365').max(365, 'graceDays must be 0 to 365').optional(),
  })
  .strict();
/**
 * `recertification.repeatReminder` (issue 14 §3, SAP's "every N days until completed"): a reminder
 * every `everyDays` (1–365) days after the enrollment, at most `maxCount` (1–52) of them, while the
 * learner is enrolled and has not completed, and never at or after the expiry. null or absent: off.
 */
export const RepeatReminderSchema = z
  .object({
    everyDays: z.number().int().min(1, 'repeatReminder.everyDays must be 1 to 365').max(365, 'repeatReminder.everyDays must be 1 to 365')
      .meta({ description: 'Days between reminders, counted from the enrollment instant: reminder n falls at enrollment + n × everyDays.' }),
    maxCount: z.number().int().min(1, 'repeatReminder.maxCount must be 1 to 52').max(52, 'repeatReminder.maxCount must be 1 to 52')
      .meta({ description: 'At most this many repeating reminders per enrollment.' }),
  })
  .strict()
  .meta({
    description:
      'A reminder every `everyDays` days after the enrollment until the learner completes, at most `maxCount`; none at or after the expiry ' +
      '(nor in a grace period), after a renewal or a revocation. Sent as the recertification reminder message, each once ' +
      '(idempotency key `award:<id>:recertification_reminder:repeat:<n>`). null or absent: off.',
  });
export type RepeatReminder = z.infer<typeof RepeatReminderSchema>;

const RecertificationSchema = z
  .object({
    enabled: z.boolean(),
    courseId: z.string().uuid().nullable(),
    leadDays: z.number().int().min(1, 'leadDays must be at least 1').max(365, 'leadDays must be at most 365'),
    reminderDaysBeforeExpiry: z.array(z.number().int().min(1).max(365)).max(10),
    // Repeating reminders (issue 14 §3). Optional: settings saved before them read as absent (off).
    repeatReminder: RepeatReminderSchema.nullable().optional(),
  })
  .strict();
const NoticeSchema = z.object({ enabled: z.boolean() }).strict();

// Issue 13: per-certificate message templates and send window (both optional: absent means the
// built-in texts and the organisation's SEND_WINDOW, so settings stored before them stay valid).
const templateText = (max: number, lines: 'one' | 'many') =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((v, ctx) => {
      const problem = textProblem(v, { lines });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
/** One message's override: a plain-text subject and an HTML body, both with placeholders (domain/placeholders.ts). */
export const MessageTemplateSchema = z.object({ subject: templateText(300, 'one'), body: templateText(20_000, 'many') }).strict();
export type MessageTemplate = z.infer<typeof MessageTemplateSchema>;
/** The messages a certificate may word itself, each null (or absent) for the built-in text. */
export const TEMPLATE_MESSAGES = ['certificateExpiring', 'recertificationReminder', 'certificateExpired'] as const;
export type TemplateMessage = (typeof TEMPLATE_MESSAGES)[number];
/** The message kind each template words (domain/vocabulary.ts MESSAGE_KINDS). */
export const TEMPLATE_MESSAGE_KINDS = {
  certificateExpiring: 'certificate_expiring',
  recertificationReminder: 'recertification_reminder',
  certificateExpired: 'certificate_expired',
} as const satisfies Record<TemplateMessage, MessageKind>;
const MessageTemplatesSchema = z
  .object({
    certificateExpiring: MessageTemplateSchema.nullable(),
    recertificationReminder: MessageTemplateSchema.nullable(),
    certificateExpired: MessageTemplateSchema.nullable(),
  })
  .strict();
export type MessageTemplates = z.infer<typeof MessageTemplatesSchema>;
const HHMM = /^([01]\d|2[0-4]):[0-5]\d$/;
/** A certificate's own send window (domain/send-window.ts); null or absent: the organisation's SEND_WINDOW. */
const SendWindowSchema = z
  .object({
    enabled: z.boolean(),
    start: z.string().regex(HHMM, 'start must be a time HH:MM'),
    end: z.string().regex(HHMM, 'end must be a time HH:MM'),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
  })
  .strict();

export const SettingsSchema = z
  .object({
    expiration: ExpirationSchema,
    recertification: RecertificationSchema,
    expiringNotice: NoticeSchema,
    expiredNotice: NoticeSchema,
    messageTemplates: MessageTemplatesSchema.optional(),
    sendWindow: SendWindowSchema.nullable().optional(),
  })
  .strict();

export type CertificateSettings = z.infer<typeof SettingsSchema>;

/** A partial settings document as a PATCH carries it: every field optional, deeply. */
export const SettingsPatchSchema = z
  .object({
    expiration: ExpirationSchema.partial(),
    recertification: RecertificationSchema.partial(),
    expiringNotice: NoticeSchema.partial(),
    expiredNotice: NoticeSchema.partial(),
    messageTemplates: MessageTemplatesSchema.partial(),
    sendWindow: SendWindowSchema.partial().nullable(),
  })
  .strict()
  .partial();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export { DEFAULT_LEAD_DAYS };

export function defaultSettings(): CertificateSettings {
  return {
    expiration: { enabled: false, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
    recertification: { enabled: false, courseId: null, leadDays: DEFAULT_LEAD_DAYS, reminderDaysBeforeExpiry: [] },
    expiringNotice: { enabled: true },
    expiredNotice: { enabled: false },
  };
}

export function mergeSettings(current: CertificateSettings, patch: SettingsPatch): CertificateSettings {
  return {
    expiration: { ...current.expiration, ...patch.expiration },
    recertification: { ...current.recertification, ...patch.recertification },
    expiringNotice: { ...current.expiringNotice, ...patch.expiringNotice },
    expiredNotice: { ...current.expiredNotice, ...patch.expiredNotice },
    ...mergeMessageSettings(current, patch),
  };
}

/**
 * The templates and send window of `current` changed by `patch` (issue 13): a template given replaces
 * that one (null: the built-in text again); a send window given is merged into the current one (or the
 * default 08:00–18:00 weekdays), null: the organisation's again. Absent in both: absent.
 */
function mergeMessageSettings(current: CertificateSettings, patch: SettingsPatch): Pick<CertificateSettings, 'messageTemplates' | 'sendWindow'> {
  const out: Pick<CertificateSettings, 'messageTemplates' | 'sendWindow'> = {};
  if (current.messageTemplates || patch.messageTemplates) {
    out.messageTemplates = {
      certificateExpiring: null,
      recertificationReminder: null,
      certificateExpired: null,
      ...current.messageTemplates,
      ...patch.messageTemplates,
    };
  }
  if (patch.sendWindow === null) out.sendWindow = null;
  else if (patch.sendWindow) out.sendWindow = { ...(current.sendWindow ?? { ...DEFAULT_SEND_WINDOW, days: [...DEFAULT_SEND_WINDOW.days] }), ...patch.sendWindow };
  else if (current.sendWindow !== undefined) out.sendWindow = current.sendWindow;
  return out;
}

/**
 * Every warning a save can carry (200, saved all the same): settings that are allowed but cannot work
 * as meant. The reminder warnings (issue 17 §12) concern `recertification.reminderDaysBeforeExpiry`:
 *  - `reminder_before_enrollment`: a reminder on or before the enrollment day (days ≥ lead days). The
 *    workflow reminds only learners it has enrolled and marks the reminders whose time has passed at
 *    enrollment as done, so these are never sent.
 *  - `reminder_exceeds_validity`: a reminder at or before the award itself (days ≥ the shortest length
 *    the validity can have, e.g. 28 for one month); never sent either. A day gets this one instead of
 *    `reminder_before_enrollment`.
 *  - `duplicate_reminder_days`: a day listed more than once; one reminder goes out per day.
 */
export const WARNING_CODES = [
  'course_not_in_associated_content',
  'duplicate_messages',
  'no_message',
  'recertification_disabled_with_expiration',
  'reminder_before_enrollment',
  'reminder_exceeds_validity',
  'duplicate_reminder_days',
  // Issue 14 §3: a repeating reminder whose first repeat falls at or after the expiry.
  'repeat_reminder_never_sent',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface SettingsWarning {
  code: WarningCode;
  field: string;
  message: string;
}

export type RuleViolation =
  | { code: 'expiration_required'; message: string; field: string }
  | { code: 'fixed_date_required'; message: string; field: string }
  | { code: 'invalid_fixed_date'; message: string; field: string }
  | { code: 'unknown_placeholder'; message: string; field: string; unknown: string[]; allowed: string[] }
  | { code: 'invalid_send_window'; message: string; field: 'sendWindow' }
  | { code: 'course_not_live'; message: string; field: string }
  | { code: 'course_required'; message: string; field: string }
  | {
      code: 'lead_days_exceed_validity';
      message: string;
      field: 'recertification.leadDays';
      /** The largest lead (days) that fits: `shortestValidityDays` − 1 (0 when none does). */
      maxLeadDays: number;
      /** The fewest days the validity can last (28 for one month). */
      shortestValidityDays: number;
    };

/**
 * `leadDays` must be shorter than the shortest length the validity can have, or every award
 * (or, for months, some) falls due the day it is issued or before. Returns the violation, or null.
 * `shortestValidityDays` comes from domain/dates.ts (28 days for one month, so at most 27 lead days).
 */
export function leadDaysViolation(validFor: ValidFor, leadDays: number, fixedMinimumDays?: number): RuleViolation | null {
  const shortest = fixedMinimumDays ?? shortestValidityDays(validFor);
  const maxLeadDays = shortest - 1;
  if (leadDays <= maxLeadDays) return null;
  const validity = fixedMinimumDays !== undefined ? `a fixed date with ${fixedMinimumDays} minimum active days` : `${validFor.amount} ${validFor.unit}`;
  const can =
    fixedMinimumDays !== undefined
      ? `can be as short as ${shortest} days`
      : validFor.unit === 'months' || validFor.unit === 'years'
        ? `can be as short as ${shortest} days`
        : `is ${shortest} days`;
  return {
    code: 'lead_days_exceed_validity',
    field: 'recertification.leadDays',
    maxLeadDays,
    shortestValidityDays: shortest,
    message:
      maxLeadDays >= 1
        ? `Lead days must be shorter than the validity: ${validity} ${can}, so at most ${maxLeadDays} lead days fit; with ${leadDays}, an award falls due as it is issued or before.`
        : `A validity of ${validity} is too short for any lead time: choose a longer validity.`,
  };
}

/**
 * The fewest days an award of `expiration` can last: with anchor `fixed_date` its `minimumActiveDays`
 * (an award made exactly that long before the date expires on it), else `shortestValidityDays`.
 */
export function shortestDaysOf(expiration: CertificateSettings['expiration']): number {
  return expiration.anchor === 'fixed_date' && expiration.fixedDate ? expiration.fixedDate.minimumActiveDays : shortestValidityDays(expiration.validFor);
}

/**
 * The fixed-date rules (422): `fixed_date_required` (anchor `fixed_date` without an
 * `expiration.fixedDate`), `invalid_fixed_date` (a day its month does not have even in a leap year,
 * e.g. 31 April; 29 February is allowed and falls on 28 February in other years). A date is checked
 * whatever the anchor: one kept for later is a date too, never "31 February".
 */
export function fixedDateViolations(expiration: CertificateSettings['expiration']): RuleViolation[] {
  const fixed = expiration.fixedDate;
  if (!fixed) {
    if (expiration.anchor !== 'fixed_date') return [];
    return [{ code: 'fixed_date_required', field: 'expiration.fixedDate', message: 'The fixed-date anchor needs a date: set expiration.fixedDate (month, day, minimumActiveDays).' }];
  }
  const max = maxDayOfMonth(fixed.month);
  if (fixed.day > max) {
    return [{ code: 'invalid_fixed_date', field: 'expiration.fixedDate', message: `Month ${fixed.month} has at most ${max} days; ${fixed.day} is not a date.` }];
  }
  return [];
}

export interface CourseFacts {
  id: string;
  title: string;
  status: 'draft' | 'live' | 'archived';
  hasEnrollmentMessage: boolean;
}

/**
 * Applies the business rules of saving certificate settings to a change. Returns the settings to save (with
 * recertification switched off when expiration is), the rule violations (422), and the warnings.
 * `lead_days_exceed_validity` is checked while expiration is on and something is timed by the lead
 * days (after the change): the enrollment (recertification on) or the Certificate Expiring message
 * (sent at expiry − lead days, with or without recertification), and only when the patch carries
 * `expiration.enabled`, `expiration.validFor` or `recertification.leadDays`, or turns
 * `recertification.enabled` or `expiringNotice.enabled` on. With both off the lead days time nothing and constrain nothing;
 * turning either on checks them.
 */
export function evaluateSettings(args: {
  before: CertificateSettings;
  patch: SettingsPatch;
  associatedCourseIds: string[];
  recertificationCourse: CourseFacts | null;
}): { settings: CertificateSettings; violations: RuleViolation[]; warnings: SettingsWarning[] } {
  const { before, patch, associatedCourseIds, recertificationCourse } = args;
  const violations: RuleViolation[] = [];
  const warnings: SettingsWarning[] = [];
  let settings = mergeSettings(before, patch);

  const expirationTurnedOff = patch.expiration?.enabled === false;
  if (!settings.expiration.enabled && settings.recertification.enabled) {
    if (patch.recertification?.enabled === true) {
      violations.push({
        code: 'expiration_required',
        field: 'recertification.enabled',
        message: 'Recertification can be enabled only while certificate expiration is enabled.',
      });
    } else if (expirationTurnedOff || !settings.expiration.enabled) {
      settings = { ...settings, recertification: { ...settings.recertification, enabled: false } };
      warnings.push({
        code: 'recertification_disabled_with_expiration',
        field: 'recertification.enabled',
        message: 'Certificate expiration is off, so recertification was turned off too.',
      });
    }
  }

  const courseChosen = patch.recertification?.courseId !== undefined;
  if (settings.recertification.enabled || courseChosen) {
    const courseId = settings.recertification.courseId;
    if (settings.recertification.enabled && !courseId) {
      violations.push({
        code: 'course_required',
        field: 'recertification.courseId',
        message: 'Choose a recertification course to enable recertification.',
      });
    } else if (courseId && (courseChosen || patch.recertification?.enabled === true)) {
      if (!recertificationCourse || recertificationCourse.status !== 'live') {
        violations.push({
          code: 'course_not_live',
          field: 'recertification.courseId',
          message: recertificationCourse
            ? `Course "${recertificationCourse.title}" is ${recertificationCourse.status}; only live courses can be chosen.`
            : 'The recertification course does not exist.',
        });
      }
    }
  }

  // Checked only when the patch touches what the rule relates, so a certificate saved before the rule
  // (or by a direct write) can still be renamed or have its messages changed; and only while the lead
  // days time something (the enrollment or the expiring notice, on or being turned on).
  violations.push(...fixedDateViolations(settings.expiration));
  const leadFitTouched =
    patch.expiration?.enabled !== undefined ||
    patch.expiration?.validFor !== undefined ||
    // The fixed-date anchor's minimum is its shortest validity: switching to or from it, or moving it, touches the rule.
    (patch.expiration?.anchor !== undefined && patch.expiration.anchor !== before.expiration.anchor && [patch.expiration.anchor, before.expiration.anchor].includes('fixed_date')) ||
    patch.expiration?.fixedDate !== undefined ||
    patch.recertification?.enabled === true ||
    patch.recertification?.leadDays !== undefined ||
    patch.expiringNotice?.enabled === true;
  const leadTimesSomething = settings.recertification.enabled || settings.expiringNotice.enabled;
  if (settings.expiration.enabled && leadTimesSomething && leadFitTouched) {
    const fixed = settings.expiration.anchor === 'fixed_date' ? settings.expiration.fixedDate?.minimumActiveDays : undefined;
    const violation = leadDaysViolation(settings.expiration.validFor, settings.recertification.leadDays, fixed);
    if (violation) violations.push(violation);
  }

  if (settings.recertification.enabled && settings.recertification.courseId) {
    const courseId = settings.recertification.courseId;
    if (!associatedCourseIds.includes(courseId)) {
      warnings.push({
        code: 'course_not_in_associated_content',
        field: 'recertification.courseId',
        message: 'The recertification course is not in this certificate\'s associated content: completing it will not award a new certificate.',
      });
    }
    const courseMessage = recertificationCourse?.hasEnrollmentMessage ?? false;
    if (settings.expiringNotice.enabled && courseMessage) {
      warnings.push({
        code: 'duplicate_messages',
        field: 'expiringNotice.enabled',
        message: 'The expiring notice is on and the course also has an enrollment message: learners will get two emails.',
      });
    }
    if (!settings.expiringNotice.enabled && !courseMessage) {
      warnings.push({
        code: 'no_message',
        field: 'expiringNotice.enabled',
        message: 'Neither the expiring notice nor a course enrollment message is on: learners will be enrolled silently.',
      });
    }
  }

  if (settings.expiration.enabled && settings.recertification.enabled) warnings.push(...reminderWarnings(settings), ...repeatReminderWarnings(settings));
  violations.push(...messageSettingsViolations(settings, patch));

  return { settings, violations, warnings };
}

/**
 * Whether the workflows already running for a certificate act on the difference between its settings
 * `before` and `after` a change, so the change is propagated to them: `recertification`,
 * `expiringNotice` and `expiredNotice` (turning expiration off turns recertification off, so it counts).
 * `expiration.validFor` and `anchor` apply to awards made afterwards and are not propagated.
 */
export function affectsRunningWorkflows(before: CertificateSettings, after: CertificateSettings): boolean {
  return (
    !sameValue(before.recertification, after.recertification) ||
    !sameValue(before.expiringNotice, after.expiringNotice) ||
    !sameValue(before.expiredNotice, after.expiredNotice) ||
    // Issue 13: a waiting message replans with the new window. Templates are not propagated: the
    // send-message activity reads the certificate's current template when it renders.
    !sameValue(before.sendWindow ?? null, after.sendWindow ?? null)
  );
}

/** Structural equality of JSON-like values (object keys in any order; an undefined property is absent). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  const defined = (o: object): [string, unknown][] => Object.entries(o).filter(([, v]) => v !== undefined);
  const ea = defined(a);
  const eb = new Map(defined(b));
  return ea.length === eb.size && ea.every(([k, v]) => eb.has(k) && sameValue(v, eb.get(k)));
}

/** "7", "7 and 1", "14, 7 and 1": days for a message. */
function dayList(days: readonly number[]): string {
  if (days.length <= 1) return days.join('');
  return `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}`;
}

/** "The reminder 30 days", "The reminders 45 and 30 days". */
function reminders(days: readonly number[]): string {
  return `The reminder${days.length === 1 ? '' : 's'} ${dayList(days)} day${days.length === 1 && days[0] === 1 ? '' : 's'}`;
}

/**
 * The reminder warnings of settings whose expiration and recertification are on (see WARNING_CODES):
 * reminders that are never sent because they fall on or before the enrollment or the award, and days
 * listed twice. Each offending day is named once, under the most specific warning.
 */
export function reminderWarnings(settings: CertificateSettings): SettingsWarning[] {
  const field = 'recertification.reminderDaysBeforeExpiry';
  const { leadDays, reminderDaysBeforeExpiry: days } = settings.recertification;
  const warnings: SettingsWarning[] = [];
  const distinct = [...new Set(days)].sort((a, b) => b - a);
  const shortest = shortestDaysOf(settings.expiration);
  const beyondValidity = distinct.filter((d) => d >= shortest);
  const beforeEnrollment = distinct.filter((d) => d < shortest && d >= leadDays);
  if (beyondValidity.length > 0) {
    const { amount, unit } = settings.expiration.validFor;
    const length = unit === 'months' || unit === 'years' ? `can be as short as ${shortest} days` : `is ${shortest} days`;
    warnings.push({
      code: 'reminder_exceeds_validity',
      field,
      message:
        `${reminders(beyondValidity)} before expiry ${beyondValidity.length === 1 ? 'falls' : 'fall'} on or before the day the certificate is awarded ` +
        `(a validity of ${amount} ${unit} ${length}), so ${beyondValidity.length === 1 ? 'it is' : 'they are'} never sent. Use fewer days than the lead days (${leadDays}).`,
    });
  }
  if (beforeEnrollment.length > 0) {
    warnings.push({
      code: 'reminder_before_enrollment',
      field,
      message:
        `${reminders(beforeEnrollment)} before expiry ${beforeEnrollment.length === 1 ? 'falls' : 'fall'} on or before the enrollment (${leadDays} lead days before expiry): ` +
        `reminders go only to learners already enrolled, so ${beforeEnrollment.length === 1 ? 'it is' : 'they are'} never sent. Use fewer days than the lead days.`,
    });
  }
  const repeated = distinct.filter((d) => days.indexOf(d) !== days.lastIndexOf(d));
  if (repeated.length > 0) {
    warnings.push({
      code: 'duplicate_reminder_days',
      field,
      message: `${dayList(repeated)} ${repeated.length === 1 ? 'is' : 'are'} listed more than once among the reminder days: one reminder is sent per day.`,
    });
  }
  return warnings;
}

/**
 * The warning of a repeating reminder that can never go out (`repeat_reminder_never_sent`): the learner
 * is enrolled `leadDays` before the expiry, so with `everyDays` ≥ `leadDays` the first repeat falls at
 * or after the expiry, and repeats stop there. Empty when the repeat is off or can send.
 */
export function repeatReminderWarnings(settings: CertificateSettings): SettingsWarning[] {
  const repeat = settings.recertification.repeatReminder;
  const { leadDays } = settings.recertification;
  if (!repeat || repeat.everyDays < leadDays) return [];
  return [
    {
      code: 'repeat_reminder_never_sent',
      field: 'recertification.repeatReminder.everyDays',
      message:
        `A reminder every ${repeat.everyDays} day${repeat.everyDays === 1 ? '' : 's'} after the enrollment is never sent: learners are enrolled ${leadDays} ` +
        `day${leadDays === 1 ? '' : 's'} before the expiry, so the first repeat falls on or after it. Use fewer days than the lead days.`,
    },
  ];
}

/**
 * The rules of issue 13's settings, checked on what a patch changes: a template (subject or body)
 * with an unknown placeholder or a malformed one (`{{}}`, an unclosed `{{`) is `unknown_placeholder`,
 * naming the template's field, what is wrong and every placeholder allowed; a send window whose hours
 * do not make a window (start not before end) is `invalid_send_window`.
 */
export function messageSettingsViolations(settings: CertificateSettings, patch: SettingsPatch): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const name of TEMPLATE_MESSAGES) {
    const template = patch.messageTemplates?.[name];
    if (!template) continue;
    for (const part of ['subject', 'body'] as const) {
      const unknown = unknownPlaceholders(template[part]);
      if (unknown.length === 0) continue;
      const shown = unknown.map((n) => (/^[A-Za-z0-9_.]+$/.test(n) ? `{{${n}}}` : n)).join(', ');
      violations.push({
        code: 'unknown_placeholder',
        field: `messageTemplates.${name}.${part}`,
        message: `The ${part} of the ${name} template uses what is not a placeholder: ${shown}. Allowed: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`,
        unknown,
        allowed: [...PLACEHOLDERS],
      });
    }
  }
  if (patch.sendWindow && settings.sendWindow) {
    const problem = sendWindowProblem(settings.sendWindow);
    if (problem) violations.push({ code: 'invalid_send_window', field: 'sendWindow', message: `The send window is not valid: ${problem}.` });
  }
  return violations;
}
