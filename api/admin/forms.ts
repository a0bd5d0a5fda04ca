/**
 * The Settings form: its values (as typed, so a bad entry is shown back as it was), and the turn of a
 * submitted form into the PATCH the JSON API takes. Only what the admin changed is sent, so the API's
 * rules see exactly the change (e.g. re-saving notices does not re-check a course that has since gone
 * draft). Numbers are checked against the domain's own schema (domain/settings.ts) so every bad field
 * is reported at once; the API checks again and has the last word.
 *
 * Form field names are the API's field paths (`recertification.leadDays`, …), so an error or warning
 * from the API lands beside the field it names.
 */
import { MAX_VALIDITY_TEXT, SettingsPatchSchema, type CertificateSettings } from '../../domain/settings.ts';
import type { CertificateDto } from '../schemas.ts';
import { canonicalJson } from '../util.ts';
import type { CertificatePatchBody } from './api-client.ts';
import { CHECKBOXES_FIELD, checkboxMarker, sentField, type SentFormShape } from './requests.ts';

/** The form's field names: the API's field paths (so its errors and warnings land beside their field). */
export const F = {
  expirationEnabled: 'expiration.enabled',
  amount: 'expiration.validFor.amount',
  unit: 'expiration.validFor.unit',
  anchor: 'expiration.anchor',
  fixedMonth: 'expiration.fixedDate.month',
  fixedDay: 'expiration.fixedDate.day',
  fixedMinimum: 'expiration.fixedDate.minimumActiveDays',
  graceDays: 'expiration.graceDays',
  recertificationEnabled: 'recertification.enabled',
  courseId: 'recertification.courseId',
  leadDays: 'recertification.leadDays',
  reminders: 'recertification.reminderDaysBeforeExpiry',
  repeatEvery: 'recertification.repeatReminder.everyDays',
  repeatMax: 'recertification.repeatReminder.maxCount',
  expiringNotice: 'expiringNotice.enabled',
  expiredNotice: 'expiredNotice.enabled',
  associated: 'associatedCourseIds',
  revision: 'revision',
} as const;

/** The Settings form's tick boxes: absent from a post when unticked (the hidden `checkboxes` field says the form had them). */
export const SETTINGS_CHECKBOXES = checkboxMarker([F.expirationEnabled, F.recertificationEnabled, F.expiringNotice, F.expiredNotice, F.associated]);

/**
 * What every post of the Settings form carries, whatever the admin ticked: each field but the tick
 * boxes, which the hidden `checkboxes` marker stands for (the revision has its own check, a 400 of
 * its own). A post that lacks one is refused (formGaps): nothing is guessed for it.
 */
export const SETTINGS_FORM_SHAPE: SentFormShape = {
  ...Object.fromEntries(
    Object.values(F)
      .filter((name) => name !== F.revision && !SETTINGS_CHECKBOXES.value.split(' ').includes(name))
      .map((name) => [name, sentField]),
  ),
  [CHECKBOXES_FIELD]: SETTINGS_CHECKBOXES.schema,
};

/** Field name → the message shown beside it. */
export type FieldErrors = Record<string, string>;

export interface SettingsFormValues {
  /**
   * The certificate's `settingsVersion` the form was rendered from (its ETag without quotes). The save
   * sends it as `If-Match`, so a change someone made meanwhile makes the save a 409, not a lost update.
   */
  revision: string;
  expirationEnabled: boolean;
  amount: string;
  unit: string;
  anchor: string;
  /** The fixed date (issue 14), as typed: month 1–12, day, minimum active days. */
  fixedMonth: string;
  fixedDay: string;
  fixedMinimum: string;
  /** Days of grace after the expiry (issue 14), as typed; 0 or empty = none; null when the form has no such field. */
  graceDays: string | null;
  recertificationEnabled: boolean;
  courseId: string;
  leadDays: string;
  reminders: string;
  /** The repeating reminder (issue 14 §3), as typed: every N days after the enrollment, at most M; both empty: none. */
  repeatEvery: string;
  repeatMax: string;
  expiringNotice: boolean;
  expiredNotice: boolean;
  associatedCourseIds: string[];
}

/** Friendly messages per field; the rule itself lives in domain/settings.ts. */
export const FIELD_MESSAGES: Record<string, string> = {
  [F.amount]: `Enter a whole number from 1; the validity is ${MAX_VALIDITY_TEXT}.`,
  [F.unit]: 'Choose days, weeks, months or years.',
  [F.anchor]: 'Choose when a renewed certificate’s expiry counts from.',
  [F.fixedMonth]: 'Choose a month.',
  [F.fixedDay]: 'Enter a day of the month from 1 to 31.',
  [F.fixedMinimum]: 'Minimum active days must be a whole number from 0 to 365.',
  [F.graceDays]: 'Grace days must be a whole number from 0 (no grace period) to 365.',
  [F.leadDays]: 'Lead days must be a whole number from 1 to 365.',
  [F.reminders]: 'Reminders are whole numbers of days from 1 to 365, separated by commas (at most 10).',
  [F.repeatEvery]: 'Repeat every 1 to 365 days after the enrollment (leave both empty for no repeating reminder).',
  [F.repeatMax]: 'At most 1 to 52 repeating reminders (leave both empty for no repeating reminder).',
  [F.courseId]: 'Choose a live course.',
  [F.associated]: 'Choose courses from the list.',
};

/** Field name → its label on the page, for a message about a field the page hides. */
export const FIELD_LABELS: Record<string, string> = {
  [F.amount]: 'Certificate is valid for',
  [F.unit]: 'Unit of the validity',
  [F.anchor]: 'A renewed certificate’s expiry counts from',
  [F.fixedMonth]: 'Fixed expiry date (month)',
  [F.fixedDay]: 'Fixed expiry date (day)',
  [F.fixedMinimum]: 'Minimum active days',
  [F.graceDays]: 'Grace period after expiry',
  [F.courseId]: 'Recertification Course',
  [F.leadDays]: 'Assign the course … days before the certificate expires',
  [F.reminders]: 'Remind the learner … days before expiry',
  [F.repeatEvery]: 'Also remind the learner every … days',
  [F.repeatMax]: 'At most this many repeating reminders',
};

/** The fields under "Enable certificate expiration" (hidden while it is off). */
const EXPIRATION_FIELDS: readonly string[] = [F.amount, F.unit, F.anchor, F.fixedMonth, F.fixedDay, F.fixedMinimum, F.graceDays];
/** The fields under "Enable recertification" (hidden while it, or expiration, is off). */
const RECERTIFICATION_FIELDS: readonly string[] = [F.courseId, F.leadDays, F.reminders, F.repeatEvery, F.repeatMax];

/**
 * The fields the page hides for these values (their section is turned off), so an error beside them
 * would not be seen: the page says it in its banner instead. Lead days with recertification off are
 * not among them: their error shows beside the validity (views/settings.tsx).
 */
export function hiddenFields(values: SettingsFormValues): string[] {
  if (!values.expirationEnabled) return [...EXPIRATION_FIELDS, ...RECERTIFICATION_FIELDS];
  if (!values.recertificationEnabled) return RECERTIFICATION_FIELDS.filter((f) => f !== F.leadDays);
  return [];
}

/** The form's `revision` for a certificate: its version, which every change raises. */
export function revisionOf(cert: CertificateDto): string {
  return String(cert.settingsVersion);
}

/** The version a submitted form was rendered from, or null when its `revision` is not one. */
export function expectedVersionOf(values: SettingsFormValues): number | null {
  return /^[1-9]\d{0,9}$/.test(values.revision) ? Number(values.revision) : null;
}

/** The form's values for a certificate's saved settings (the form as first shown). */
export function valuesFromCertificate(cert: CertificateDto): SettingsFormValues {
  const s: CertificateSettings = cert.settings;
  return {
    revision: revisionOf(cert),
    expirationEnabled: s.expiration.enabled,
    amount: String(s.expiration.validFor.amount),
    unit: s.expiration.validFor.unit,
    anchor: s.expiration.anchor,
    fixedMonth: String(s.expiration.fixedDate?.month ?? 12),
    fixedDay: String(s.expiration.fixedDate?.day ?? 31),
    fixedMinimum: String(s.expiration.fixedDate?.minimumActiveDays ?? 90),
    graceDays: String(s.expiration.graceDays ?? 0),
    recertificationEnabled: s.recertification.enabled,
    courseId: s.recertification.courseId ?? '',
    leadDays: String(s.recertification.leadDays),
    reminders: s.recertification.reminderDaysBeforeExpiry.join(', '),
    repeatEvery: s.recertification.repeatReminder ? String(s.recertification.repeatReminder.everyDays) : '',
    repeatMax: s.recertification.repeatReminder ? String(s.recertification.repeatReminder.maxCount) : '',
    expiringNotice: s.expiringNotice.enabled,
    expiredNotice: s.expiredNotice.enabled,
    associatedCourseIds: [...cert.associatedCourseIds],
  };
}

/** A parsed form post (`c.req.parseBody({ all: true })`). */
export type FormBody = Record<string, string | File | (string | File)[]>;

const text = (body: FormBody, name: string): string => {
  const v = body[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
};
const list = (body: FormBody, name: string): string[] => {
  const v = body[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === 'string');
};
/** A checkbox is on when the form carries it (browsers send `on` for a ticked box without a value). */
const checked = (body: FormBody, name: string): boolean => list(body, name).includes('on');

/** The values of a submitted form, as typed (numbers trimmed, not parsed; unticked boxes off). */
export function valuesFromForm(body: FormBody): SettingsFormValues {
  return {
    revision: text(body, F.revision),
    expirationEnabled: checked(body, F.expirationEnabled),
    amount: text(body, F.amount).trim(),
    unit: text(body, F.unit),
    anchor: text(body, F.anchor),
    fixedMonth: text(body, F.fixedMonth).trim(),
    fixedDay: text(body, F.fixedDay).trim(),
    fixedMinimum: text(body, F.fixedMinimum).trim(),
    graceDays: F.graceDays in body ? text(body, F.graceDays).trim() : null,
    recertificationEnabled: checked(body, F.recertificationEnabled),
    courseId: text(body, F.courseId),
    leadDays: text(body, F.leadDays).trim(),
    reminders: text(body, F.reminders).trim(),
    repeatEvery: text(body, F.repeatEvery).trim(),
    repeatMax: text(body, F.repeatMax).trim(),
    expiringNotice: checked(body, F.expiringNotice),
    expiredNotice: checked(body, F.expiredNotice),
    associatedCourseIds: list(body, F.associated),
  };
}

/** The form's fields that carry one value (all but the associated-content checkboxes). */
export const SINGLE_FIELDS: readonly string[] = Object.values(F).filter((name) => name !== F.associated);

/** What to show beside a field the form sent more than once: the save is refused, never one of them picked. */
export const REPEATED_FIELD_MESSAGE = 'The form sent this field more than once; nothing was saved. Reload the page and send it once.';

function wholeNumber(raw: string): number | null {
  return /^[+-]?\d{1,9}$/.test(raw) ? Number(raw) : null;
}

/**
 * The reminder days as typed, every one of them, latest first (the order the page shows them): the
 * form drops and fixes nothing, so the API's rules see what the admin wrote (more than 10 days is
 * refused beside the field; a day listed twice is saved with the `duplicate_reminder_days` warning).
 */
function reminderDays(raw: string): number[] | null {
  if (raw === '') return [];
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const nums = parts.map(wholeNumber);
  if (nums.some((n) => n === null)) return null;
  return (nums as number[]).sort((a, b) => b - a);
}

/**
 * The repeating reminder the form asks for: null when both fields are empty (none), the pair when
 * both are whole numbers (their ranges are the schema's to check), else undefined with the errors set.
 */
function repeatReminder(values: SettingsFormValues, errors: FieldErrors): { everyDays: number; maxCount: number } | null | undefined {
  if (values.repeatEvery === '' && values.repeatMax === '') return null;
  const everyDays = wholeNumber(values.repeatEvery);
  const maxCount = wholeNumber(values.repeatMax);
  const problem = (raw: string, field: string): string =>
    raw === '' ? `Enter this too, or leave both empty. ${FIELD_MESSAGES[field]}` : `“${raw}” is not a whole number. ${FIELD_MESSAGES[field]}`;
  if (everyDays === null) errors[F.repeatEvery] = problem(values.repeatEvery, F.repeatEvery);
  if (maxCount === null) errors[F.repeatMax] = problem(values.repeatMax, F.repeatMax);
  return everyDays === null || maxCount === null ? undefined : { everyDays, maxCount };
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => canonicalJson(a) === canonicalJson(b);

/**
 * The PATCH body for the change the form makes to `current`, or the field errors that stop it (then
 * nothing is sent). Every value the form sent is checked — whole numbers, then the domain's schema
 * for their ranges — whichever sections are on, so a bad entry is never ignored (even one in a
 * section the same save turns off); only the sections that are on go into the patch: the
 * recertification fields while expiration and recertification are on, the messages while expiration
 * is on. `liveCourseIds` are the dropdown's choices: an empty choice while the saved course is no
 * longer live keeps the saved one (the API then says whether that is still allowed).
 */
export function buildPatch(
  values: SettingsFormValues,
  current: CertificateDto,
  liveCourseIds: ReadonlySet<string>,
): { patch: CertificatePatchBody; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const cur = current.settings;
  const notWhole = (raw: string, field: string): void => {
    errors[field] = `“${raw}” is not a whole number. ${FIELD_MESSAGES[field]}`;
  };

  // Every value as sent, read whatever its section's toggle says.
  const amount = wholeNumber(values.amount);
  if (amount === null) notWhole(values.amount, F.amount);
  // No such field (a values object built without one) keeps the saved grace days; an emptied one is 0, none.
  const grace = values.graceDays === null ? (cur.expiration.graceDays ?? 0) : values.graceDays === '' ? 0 : wholeNumber(values.graceDays);
  if (grace === null) notWhole(values.graceDays ?? '', F.graceDays);
  const month = wholeNumber(values.fixedMonth);
  const day = wholeNumber(values.fixedDay);
  const minimumActiveDays = wholeNumber(values.fixedMinimum);
  if (month === null) errors[F.fixedMonth] = FIELD_MESSAGES[F.fixedMonth] ?? '';
  if (day === null) notWhole(values.fixedDay, F.fixedDay);
  if (minimumActiveDays === null) notWhole(values.fixedMinimum, F.fixedMinimum);
  const fixedDate = month !== null && day !== null && minimumActiveDays !== null ? { month, day, minimumActiveDays } : null;
  const courseId = values.courseId === '' ? null : values.courseId;
  const lead = wholeNumber(values.leadDays);
  if (lead === null) notWhole(values.leadDays, F.leadDays);
  const reminders = reminderDays(values.reminders);
  if (reminders === null) errors[F.reminders] = `“${values.reminders}” is not a list of whole numbers. ${FIELD_MESSAGES[F.reminders]}`;
  const repeat = repeatReminder(values, errors);

  // The domain's schema over everything sent: every range error at once, in the API's own words,
  // next to its field. The patch below is part of it, so it is checked too.
  const sent = {
    expiration: {
      enabled: values.expirationEnabled,
      ...(amount !== null ? { validFor: { amount, unit: values.unit } } : {}),
      anchor: values.anchor,
      ...(fixedDate ? { fixedDate } : {}),
      ...(grace !== null ? { graceDays: grace } : {}),
    },
    recertification: {
      enabled: values.recertificationEnabled,
      courseId,
      ...(lead !== null ? { leadDays: lead } : {}),
      ...(reminders !== null ? { reminderDaysBeforeExpiry: reminders } : {}),
      ...(repeat !== undefined ? { repeatReminder: repeat } : {}),
    },
    expiringNotice: { enabled: values.expiringNotice },
    expiredNotice: { enabled: values.expiredNotice },
  };
  const checkedSent = SettingsPatchSchema.safeParse(sent);
  if (!checkedSent.success) {
    for (const issue of checkedSent.error.issues) {
      const field = fieldOf(issue.path.map(String).join('.'));
      errors[field] ??= FIELD_MESSAGES[field] ?? issue.message;
    }
  }

  // The change: only the sections that are on, only what differs from the saved settings.
  const expiration: Record<string, unknown> = {};
  const recertification: Record<string, unknown> = {};
  const expiringNotice: Record<string, unknown> = {};
  const expiredNotice: Record<string, unknown> = {};
  if (values.expirationEnabled !== cur.expiration.enabled) expiration.enabled = values.expirationEnabled;
  if (values.expirationEnabled) {
    if (amount !== null && (amount !== cur.expiration.validFor.amount || values.unit !== cur.expiration.validFor.unit)) expiration.validFor = { amount, unit: values.unit };
    if (values.anchor !== cur.expiration.anchor) expiration.anchor = values.anchor;
    if (grace !== null && grace !== (cur.expiration.graceDays ?? 0)) expiration.graceDays = grace;
    if (values.anchor === 'fixed_date' && fixedDate && canonicalJson(fixedDate) !== canonicalJson(cur.expiration.fixedDate ?? null)) expiration.fixedDate = fixedDate;

    if (values.recertificationEnabled !== cur.recertification.enabled) recertification.enabled = values.recertificationEnabled;
    if (values.recertificationEnabled) {
      const keepSaved = courseId === null && cur.recertification.courseId !== null && !liveCourseIds.has(cur.recertification.courseId);
      if (!keepSaved && courseId !== cur.recertification.courseId) recertification.courseId = courseId;
      if (lead !== null && lead !== cur.recertification.leadDays) recertification.leadDays = lead;
      if (reminders !== null && !sameList(reminders, cur.recertification.reminderDaysBeforeExpiry)) recertification.reminderDaysBeforeExpiry = reminders;
      if (repeat !== undefined && canonicalJson(repeat) !== canonicalJson(cur.recertification.repeatReminder ?? null)) recertification.repeatReminder = repeat;
    }
    if (values.expiringNotice !== cur.expiringNotice.enabled) expiringNotice.enabled = values.expiringNotice;
    if (values.expiredNotice !== cur.expiredNotice.enabled) expiredNotice.enabled = values.expiredNotice;
  }

  const settings: Record<string, Record<string, unknown>> = {};
  if (Object.keys(expiration).length) settings.expiration = expiration;
  if (Object.keys(recertification).length) settings.recertification = recertification;
  if (Object.keys(expiringNotice).length) settings.expiringNotice = expiringNotice;
  if (Object.keys(expiredNotice).length) settings.expiredNotice = expiredNotice;

  const patch: CertificatePatchBody = {};
  if (Object.keys(settings).length) patch.settings = settings;
  if (new Set(values.associatedCourseIds).size !== values.associatedCourseIds.length) errors[F.associated] ??= 'A course is chosen more than once; choose each course once.';
  // Associated content keeps its order; unticked courses leave, ticked ones join at the end.
  const chosen = new Set(values.associatedCourseIds);
  const associated = [...current.associatedCourseIds.filter((id) => chosen.has(id)), ...values.associatedCourseIds.filter((id) => !current.associatedCourseIds.includes(id))];
  if (!sameList(associated, current.associatedCourseIds)) patch.associatedCourseIds = associated;
  return { patch, errors };
}

/** The form field an API or schema path names (`settings.recertification.leadDays` → `recertification.leadDays`). */
export function fieldOf(path: string): string {
  const p = path.replace(/^settings\./, '');
  if (p.startsWith(`${F.reminders}.`)) return F.reminders;
  if (p.startsWith(`${F.associated}.`)) return F.associated;
  if (p === 'expiration.validFor') return F.amount;
  if (p === 'expiration.fixedDate') return F.fixedDay;
  if (p === 'recertification.repeatReminder') return F.repeatEvery;
  return p;
}

/** Field errors from an API failure (400 validation details, 422 rule violations); the rest is general. */
export function errorsFromApi(failure: { code: string; message: string; details: unknown }): { fields: FieldErrors; general: string | null } {
  const fields: FieldErrors = {};
  const details = failure.details;
  if (details && typeof details === 'object') {
    const d = details as { issues?: unknown; violations?: unknown; field?: unknown };
    if (Array.isArray(d.issues)) {
      for (const issue of d.issues as { path?: unknown; message?: unknown }[]) {
        if (typeof issue.path !== 'string') continue;
        const field = fieldOf(issue.path);
        fields[field] ??= FIELD_MESSAGES[field] ?? String(issue.message);
      }
    }
    if (Array.isArray(d.violations)) {
      for (const v of d.violations as { field?: unknown; message?: unknown }[]) {
        if (typeof v.field === 'string' && typeof v.message === 'string') fields[fieldOf(v.field)] ??= v.message;
      }
    } else if (typeof d.field === 'string') {
      fields[fieldOf(d.field)] ??= failure.message;
    }
  }
  return { fields, general: Object.keys(fields).length ? null : failure.message };
}
