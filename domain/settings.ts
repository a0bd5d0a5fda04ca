/**
 * Certificate settings (SPEC §3): their schema, defaults, and the rules and warnings of saving them.
 * Types here are imported by workflow code with `import type` only.
 */
import { z } from 'zod';

export const ValidForSchema = z
  .object({
    amount: z.number().int().min(1).max(1200),
    unit: z.enum(['days', 'weeks', 'months', 'years']),
  })
  .strict();

const ExpirationSchema = z
  .object({
    enabled: z.boolean(),
    validFor: ValidForSchema,
    anchor: z.enum(['completion', 'previous_expiry']),
  })
  .strict();
const RecertificationSchema = z
  .object({
    enabled: z.boolean(),
    courseId: z.string().uuid().nullable(),
    leadDays: z.number().int().min(1, 'leadDays must be at least 1').max(365, 'leadDays must be at most 365'),
    reminderDaysBeforeExpiry: z.array(z.number().int().min(1).max(365)).max(10),
  })
  .strict();
const NoticeSchema = z.object({ enabled: z.boolean() }).strict();

export const SettingsSchema = z
  .object({
    expiration: ExpirationSchema,
    recertification: RecertificationSchema,
    expiringNotice: NoticeSchema,
    expiredNotice: NoticeSchema,
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
  })
  .strict()
  .partial();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const DEFAULT_LEAD_DAYS = 30;

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
  };
}

export type WarningCode =
  | 'course_not_in_associated_content'
  | 'duplicate_messages'
  | 'no_message'
  | 'recertification_disabled_with_expiration';

export interface SettingsWarning {
  code: WarningCode;
  field: string;
  message: string;
}

export type RuleViolation =
  | { code: 'expiration_required'; message: string; field: string }
  | { code: 'course_not_live'; message: string; field: string }
  | { code: 'course_required'; message: string; field: string };

export interface CourseFacts {
  id: string;
  title: string;
  status: 'draft' | 'live' | 'archived';
  hasEnrollmentMessage: boolean;
}

/**
 * Applies the business rules of SPEC §3 to a settings change. Returns the settings to save (with
 * recertification switched off when expiration is), the rule violations (422), and the warnings.
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

  return { settings, violations, warnings };
}
