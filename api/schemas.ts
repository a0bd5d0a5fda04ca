/**
 * The API's JSON shapes (camelCase), as zod schemas that validate requests and generate the OpenAPI
 * document, and the serializers from database rows to them. Every answer a route gives has a named
 * schema here (its OpenAPI component) and a type inferred from it (`z.infer`): callers of the API
 * (the admin page, tests, scripts) import those types instead of writing the shapes again.
 */
import { z } from '@hono/zod-openapi';
import type { Config } from '../config/env.ts';
import { workflowUiUrl } from '../config/temporal.ts';
import type { AttemptRow, AwardRow, CertificateRow, DeliveryEventRow, LearnerRow, MessageRow, VersionedCourseRow } from '../db/rows.ts';
import type { AwardPlan } from '../domain/acting-rules.ts';
import { EXPIRY_ANCHORS } from '../domain/dates.ts';
import { SettingsPatchSchema as DomainSettingsPatch, SettingsSchema as DomainSettings, TEMPLATE_MESSAGES, WARNING_CODES } from '../domain/settings.ts';
import {
  ATTEMPT_SOURCES,
  ATTEMPT_STATUSES,
  AWARD_STATUSES,
  CERTIFICATE_STATUSES,
  COURSE_STATUSES,
  LEARNER_STATUSES,
  MAIL_PROVIDERS,
  MESSAGE_KINDS,
  MESSAGE_STATUSES,
  PHASES,
  SEND_OUTCOMES,
  SIGNAL_OUTCOMES,
  DELIVERY_EVENT_TYPES,
  DELIVERY_STATUSES,
  SUPPRESSION_REASONS,
} from '../domain/vocabulary.ts';
import { textProblem } from '../domain/text.ts';
import { canonicalTimeZone } from '../domain/instant-format.ts';
import type { PageBefore } from '../db/queries/paging.ts';
import { decodeCursor } from './paging.ts';
import { iso, isoOrNull } from './util.ts';

// ---------------------------------------------------------------------------------------------
// building blocks

export const Id = z.uuid().openapi({ example: '3f1c9a4e-5b7d-4e2a-9c1f-2b8e6d4a7c10' });
/**
 * The instants the product can mean: from 1900-01-01 to 2999-12-31 (UTC). Earlier years are no
 * certificate's history (and years below 100 are read as 19xx by `Date.UTC` and 20xx by the driver);
 * later ones no expiry anyone plans for.
 */
export const INSTANT_RANGE = { from: '1900-01-01T00:00:00Z', until: '2999-12-31T23:59:59Z' } as const;
export const Instant = z.iso
  .datetime({ offset: true })
  .refine((v) => {
    // UTC offsets in use run from −12:00 to +14:00; z.iso.datetime takes any two digits.
    const offset = /([+-])(\d{2}):?(\d{2})$/.exec(v);
    return !offset || (Number(offset[2]) <= 14 && Number(offset[3]) < 60);
  }, 'must have a UTC offset from -14:00 to +14:00')
  .refine((v) => {
    const ms = Date.parse(v);
    return ms >= Date.parse(INSTANT_RANGE.from) && ms <= Date.parse(INSTANT_RANGE.until);
  }, `must be an instant from ${INSTANT_RANGE.from} to ${INSTANT_RANGE.until}`)
  .openapi({
    description: `An ISO 8601 instant with an offset, from ${INSTANT_RANGE.from} to ${INSTANT_RANGE.until}; anything else is 400 \`validation_failed\`.`,
    example: '2026-03-01T09:00:00.000Z',
  });
/**
 * Text a person writes: trimmed, 1 to `max` characters, and acceptable by domain/text.ts
 * `textProblem`: valid UTF-8-storable Unicode, no NUL or other control characters (a body may keep
 * line breaks), at least one visible character.
 */
export const text = (max: number, lines: 'one' | 'many' = 'one') =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .superRefine((v, ctx) => {
      const problem = textProblem(v, { lines });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .openapi({
      description:
        `Trimmed, 1 to ${max} characters, with at least one visible character. A value with control characters` +
        (lines === 'many' ? ' (line breaks are kept)' : ' (line breaks and the separators U+2028/U+2029 included)') +
        ', noncharacters (U+FFFF…), a bidi override (U+202D, U+202E) or a bidi embedding or isolate left open, or one made only of invisible ' +
        'characters (bidi controls, zero-width characters, soft hyphens, …), is 400 `validation_failed`.',
    });
/** A search term in a query string: one line of valid text, possibly empty, bidi controls as they come (a fragment of a name may open one). */
export const searchText = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((v, ctx) => {
      const problem = textProblem(v, { lines: 'one', visible: false, bidi: false });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
/** An absolute http or https URL (a course's page in the LMS). */
export const HttpUrl = z
  .string()
  .trim()
  .max(2000)
  .superRefine((v, ctx) => {
    const problem = textProblem(v, { lines: 'one', visible: false });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else if (/\s/.test(v)) ctx.addIssue({ code: 'custom', message: 'must not contain spaces (percent-encode them as %20)' });
  })
  .superRefine((v, ctx) => {
    // Written as the database's CHECK and every mail client read it: `http(s)://host…` to the letter.
    // WHATWG URL parsing forgives `https:host`, `https:/\\host` and backslashes; a link must not need that.
    if (!/^https?:\/\/[^/\\?#]/i.test(v) || v.includes('\\')) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http or https URL written as http(s)://host/… (no backslashes)' });
      return;
    }
    if (/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain invisible or bidi characters (percent-encode them)' });
      return;
    }
    try {
      const url = new URL(v);
      if (!((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '')) {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute http or https URL' });
      } else if (url.username !== '' || url.password !== '') {
        ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password (user:pass@)' });
      }
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http or https URL' });
    }
  });
/**
 * A whole number in a query string, strictly: decimal digits only (no sign, no `0x10`, `1e3`, `1.0` or
 * spaces), from `min` to `max`, named in the message.
 */
const queryInteger = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, `${name} must be a whole number written in decimal digits (${min}–${max})`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));
export const Limit = queryInteger('limit', 1, 1000)
  .default(100)
  .openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Page size (1–1000, default 100), in decimal digits.' });
/**
 * Where a page starts: the previous page's `nextBefore` (an opaque cursor, see api/paging.ts), or,
 * as before cursors, an ISO 8601 instant (only rows created strictly before it).
 */
export const Before = (what: string) =>
  z
    .string()
    .transform((v, ctx): PageBefore => {
      if (Instant.safeParse(v).success) return new Date(v);
      const key = decodeCursor(v);
      if (key) return key;
      ctx.addIssue({ code: 'custom', message: `before must be the nextBefore of the previous page (or an ISO 8601 instant from ${INSTANT_RANGE.from} to ${INSTANT_RANGE.until})` });
      return z.NEVER;
    })
    .optional()
    .openapi({
      type: 'string',
      description: `Paging: the previous page's \`nextBefore\` (opaque; pass it as it is) for the ${what} after it. An ISO 8601 instant is also accepted: only ${what} created strictly before it.`,
    });
/** `nextBefore` of a paged list. */
export const NextBefore = z.string().nullable().openapi({ description: 'Pass as `before` for the next page (an opaque cursor); null on the last page.' });

export const IdParams = z.object({
  id: Id.openapi({
    param: { name: 'id', in: 'path' },
    description: 'The resource\'s id, a UUID: anything else is 400 `validation_failed`; an unknown one is 404 `not_found`.',
  }),
});

/**
 * An `Idempotency-Key`: 1–255 visible ASCII characters other than the comma. The comma is refused
 * because a header sent twice reaches us as one value joined with ", " (Node joins repeated headers
 * so): `a1, a2` would otherwise be taken as one key, which neither request meant.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .superRefine((v, ctx) => {
      if (v.includes(',')) {
        ctx.addIssue({
          code: 'custom',
          message: 'Idempotency-Key must be sent once and must not contain a comma (a repeated header arrives joined with ", ")',
        });
      } else if (!IDEMPOTENCY_KEY_PATTERN.test(v)) {
        ctx.addIssue({ code: 'custom', message: 'Idempotency-Key must be 1–255 visible ASCII characters (no spaces, no comma)' });
      }
    })
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'A key is 1–255 visible ASCII characters (`!` to `~`) other than the comma, sent in one header: a header sent twice arrives joined with ", " ' +
        'and is refused (400 `validation_failed`), as is any key with a comma or a space. Honoured by the routes that declare it (every POST ' +
        'that creates or changes something but the token routes) and refused elsewhere (400 `idempotency_key_unsupported`, ' +
        '`details.honouredBy` listing them). The key is claimed in the transaction that does the work, together with the answer. ' +
        'A repeat with the same key and the same request (body and path id) returns the first answer with the header ' +
        '`Idempotent-Replayed: true` and changes nothing. The stored answer includes the outcome of the workflow start or signal that ' +
        'followed the commit. The same key with another request is 422 `idempotency_key_reused`. A request that fails stores nothing, ' +
        'so it may be retried with its key. Keys are per route.',
      example: 'award-2026-03-01-ada',
    }),
});

// The domain's schemas (domain/settings.ts) may be built before @hono/zod-openapi extends zod, so they
// are re-wrapped here (same shape, same strictness) to carry OpenAPI names.
const Anchor = z.enum(EXPIRY_ANCHORS).openapi({
  description:
    'What a renewal\'s expiry counts from: `completion` (the completion: now + validFor) or `previous_expiry` (renewing before the ' +
    'previous award lapsed: its expiry + validFor, so renewing early loses no time), or `fixed_date` (every award and renewal expires on ' +
    '`expiration.fixedDate` month/day at 23:59:59 in the organisation\'s time zone, DEFAULT_TIME_ZONE; an award made less than ' +
    '`minimumActiveDays` before the next one expires at the one after; 29 February falls on 28 February in other years; ' +
    '422 `fixed_date_required` without a date, `invalid_fixed_date` for a day the month lacks).',
});
const Expiration = z.object({ ...DomainSettings.shape.expiration.shape, anchor: Anchor }).strict();
export const SettingsSchema = z.object({ ...DomainSettings.shape, expiration: Expiration }).strict().openapi('CertificateSettings');
export const SettingsPatchSchema = z
  .object({ ...DomainSettingsPatch.shape, expiration: Expiration.partial().optional() })
  .strict()
  .openapi('CertificateSettingsPatch', {
  description: 'Any part of the settings; what is left out stays as it is.',
});

// ---------------------------------------------------------------------------------------------
// learners

export const LearnerStatusSchema = z.enum(LEARNER_STATUSES).openapi({
  description:
    '`active`; `deactivated` (left: their workflows ended as revoked, no new award, enrollment or message); ' +
    '`erased` (deactivated, and name and email replaced with placeholders by an erasure).',
});
export const LearnerSchema = z
  .object({
    id: Id,
    email: z.string(),
    name: z.string(),
    createdAt: Instant,
    // Optional in the type only (toLearner always sets them), so DTOs built before the fields stay valid.
    status: LearnerStatusSchema.optional(),
    deactivatedAt: Instant.nullable().optional(),
    erasedAt: Instant.nullable().optional(),
    emailSuppression: z
      .object({
        since: Instant,
        reason: z.enum(SUPPRESSION_REASONS),
        messageId: Id.nullable().openapi({ description: 'The message that bounced or was marked as spam.' }),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'Set after a hard bounce (`hard_bounce`) or a spam complaint (`complaint`) of a message to the current email: later messages are ' +
          'recorded `suppressed`, not sent. Cleared when the email changes (PATCH).',
      }),
    timeZone: z.string().nullable().optional().openapi({
      description: 'The learner\'s IANA time zone (dates in their messages, their send window); null: the organisation\'s `DEFAULT_TIME_ZONE`.',
      example: 'Europe/Berlin',
    }),
    managerEmail: z.string().nullable().optional().openapi({
      description: 'The learner\'s manager (issue 14 §4): they get the weekly digest of their learners\' recertifications; null: none.',
      example: 'grace@example.com',
    }),
  })
  .openapi('Learner');
/**
 * An IANA time zone the platform's Intl knows, stored in its canonical spelling (`europe/berlin` →
 * `Europe/Berlin`); anything else (`Mars/Olympus`, `+01:00`) is 400 `validation_failed` naming the field.
 */
export const TimeZoneSchema = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const zone = canonicalTimeZone(v.trim());
    if (!zone) {
      ctx.addIssue({ code: 'custom', message: `must be an IANA time zone such as "Europe/Berlin" or "UTC" (got "${v.slice(0, 64)}")` });
      return z.NEVER;
    }
    return zone;
  })
  .openapi({ type: 'string', description: 'An IANA time zone name, e.g. `Europe/Berlin`, `America/New_York`, `UTC`.', example: 'Europe/Berlin' });
export type LearnerDto = z.infer<typeof LearnerSchema>;
const LearnerEmail = z
  .email()
  .max(320)
  .refine((v) => v.lastIndexOf('@') <= 64, 'the part before the @ must be at most 64 characters (RFC 5321)')
  // RFC 2606 reserves .invalid: it never receives mail, and erasure writes its placeholders there.
  .refine((v) => !/\.invalid$/i.test(v), 'an address under .invalid cannot receive mail (RFC 2606); Recertify keeps it for erased learners')
  .openapi({ example: 'ada@example.com' });
/** A learner's manager's address (issue 14 §4): validated as a learner's email is; null removes it. */
const ManagerEmail = LearnerEmail.openapi({
  description: 'The learner\'s manager\'s email: they get the weekly digest of their learners (validated like a learner\'s email); null: none.',
  example: 'grace@example.com',
});
export const LearnerCreateSchema = z
  .object({
    email: LearnerEmail,
    name: text(200).openapi({ example: 'Ada Lovelace' }),
    timeZone: TimeZoneSchema.nullable().optional(),
    managerEmail: ManagerEmail.nullable().optional(),
  })
  .strict()
  .openapi('LearnerCreate');
/** `PATCH /api/learners/{id}`: name, email and/or time zone (null: back to the default), validated as when created. */
export const LearnerPatchSchema = z
  .object({ email: LearnerEmail, name: text(200).openapi({ example: 'Ada King' }), timeZone: TimeZoneSchema.nullable(), managerEmail: ManagerEmail.nullable() })
  .partial()
  .strict()
  .refine(
    (v) => v.email !== undefined || v.name !== undefined || v.timeZone !== undefined || v.managerEmail !== undefined,
    'give email, name, timeZone, managerEmail or some of them',
  )
  .openapi('LearnerPatch');
/** `GET /api/learners`: paging, an exact email, a search, a status. */
export const LearnerListQuery = z.object({
  before: Before('learners'),
  limit: Limit,
  email: searchText(320).optional().openapi({ description: 'Exactly this email, compared without regard to case.' }),
  q: searchText(320)
    .optional()
    .openapi({ description: 'Learners whose email or name contains this text, without regard to case (`%` and `_` are taken literally). Combines with paging.' }),
  status: LearnerStatusSchema.optional(),
});
/** `POST /api/learners/{id}/erase`. */
export const LearnerEraseSchema = z
  .object({
    confirm: z.string().max(320).openapi({
      description: 'The learner\'s current email address, typed again: anything else is 422 `confirmation_mismatch` and nothing is erased.',
      example: 'ada@example.com',
    }),
  })
  .strict()
  .openapi('LearnerErase');
export const EndedSchema = z
  .object({
    revokedAwards: z.number().int().openapi({ description: 'Active awards revoked (their workflows end as `revoked`).' }),
    signalled: z.number().int().openapi({ description: 'Workflows that accepted the revoke signal in this request.' }),
    pending: z.number().int().openapi({
      description: 'Revocations whose signal is left to the reconciler (Temporal did not answer, or more than this request signals); those workflows read the revocation from the database when they wake in any case.',
    }),
  });
/** `POST /api/learners/{id}/deactivate`. */
export const LearnerDeactivatedSchema = EndedSchema.extend({ learner: LearnerSchema }).openapi('LearnerDeactivated');
export type LearnerDeactivated = z.infer<typeof LearnerDeactivatedSchema>;
/** `POST /api/learners/{id}/erase`. */
export const LearnerErasedSchema = EndedSchema.extend({
  learner: LearnerSchema,
  alreadyErased: z.boolean().openapi({ description: 'true: the learner had been erased before; nothing changed in PostgreSQL.' }),
  messagesRedacted: z.number().int(),
  temporal: z
    .object({
      deleted: z.number().int().openapi({ description: 'Workflow executions deleted from Temporal (or found already gone).' }),
      done: z.boolean().openapi({ description: 'false: Temporal did not answer; the reconciler deletes them within `RECONCILE_INTERVAL_SECONDS`.' }),
    })
    .openapi({ description: 'The learner\'s workflow executions, terminated and deleted from Temporal.' }),
}).openapi('LearnerErased');
export type LearnerErasedDto = z.infer<typeof LearnerErasedSchema>;

/** `GET /api/learners`. */
export const LearnerListSchema = z.object({ learners: z.array(LearnerSchema), nextBefore: NextBefore }).openapi('LearnerList');
export type LearnerList = z.infer<typeof LearnerListSchema>;

export const toLearner = (r: LearnerRow): LearnerDto => ({
  id: r.id,
  email: r.email,
  name: r.name,
  createdAt: iso(r.createdAt),
  status: r.erasedAt ? 'erased' : r.deactivatedAt ? 'deactivated' : 'active',
  deactivatedAt: isoOrNull(r.deactivatedAt),
  erasedAt: isoOrNull(r.erasedAt),
  emailSuppression:
    r.emailSuppressedAt && r.emailSuppressedReason
      ? { since: iso(r.emailSuppressedAt), reason: r.emailSuppressedReason, messageId: r.emailSuppressedMessageId }
      : null,
  timeZone: r.timeZone ?? null,
  managerEmail: r.managerEmail ?? null,
});

// ---------------------------------------------------------------------------------------------
// courses

export const CourseStatusSchema = z.enum(COURSE_STATUSES);
export const EnrollmentMessageSchema = z
  .object({
    subject: text(300).openapi({ example: 'You are enrolled in {{course.title}}' }),
    body: text(20_000, 'many').openapi({ example: 'Hi {{learner.name}}, start here: {{course.url}}' }),
  })
  .strict()
  .openapi('EnrollmentMessage', {
    description:
      'Subject and body may use `{{learner.name}}`, `{{learner.email}}`, `{{certificate.title}}`, `{{course.title}}`, `{{course.url}}`, ' +
      '`{{expiresAt}}` and `{{daysLeft}}`. Anything else in double braces (a typo, an empty `{{}}`, invisible characters inside, an unclosed ' +
      '`{{` or a stray `}}`) is 422 `unknown_placeholder`, with `details: {unknown, allowed}`. A body with markup is HTML, sanitised each ' +
      'time a message is rendered: paragraphs, line breaks, headings, lists, emphasis and links stay; a link keeps only an absolute `http`, ' +
      '`https` or `mailto` href and gets `rel="noopener"`; `script`, `style`, `iframe` (with their content), other elements (their text ' +
      'stays), `on*` handlers and every other attribute are removed. A body without markup is text: it is escaped, and blank lines make paragraphs.',
  });
export const CourseSchema = z
  .object({
    id: Id,
    title: z.string(),
    status: CourseStatusSchema,
    enrollmentMessage: EnrollmentMessageSchema.nullable(),
    // url and version: optional in the type only (toCourse always sets them), so DTOs built before the fields stay valid.
    url: z.string().nullable().optional().openapi({ description: 'Where the learner takes the course; null: the configured COURSE_URL_TEMPLATE.' }),
    version: z.number().int().optional().openapi({ description: 'The course\'s version: 1 when created, raised by every change; its `ETag`, quoted, to send back as `If-Match`.' }),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('Course');
export type CourseDto = z.infer<typeof CourseSchema>;
export const CourseCreateSchema = z
  .object({
    title: text(200).openapi({ example: 'Forklift Safety Refresher' }),
    status: CourseStatusSchema.default('draft'),
    enrollmentMessage: EnrollmentMessageSchema.nullable().default(null),
    url: HttpUrl.nullable()
      .default(null)
      .openapi({
        description:
          'Where the learner takes the course: its LMS page, an absolute http or https URL (anything else is 400 `validation_failed`). ' +
        'It is `{{course.url}}`, the "Start the course" link, in the expiring notice, the reminder, the expired notice, the recertification ' +
        'enrollment and any enrollment message of the course. Null: `COURSE_URL_TEMPLATE` with `{courseId}` filled in (unset: `<APP_BASE_URL>/courses/{courseId}`).',
        example: 'https://lms.example.com/courses/forklift-refresher',
      }),
  })
  .strict()
  .openapi('CourseCreate');
export const CoursePatchSchema = z
  .object({
    title: text(200),
    status: CourseStatusSchema,
    enrollmentMessage: EnrollmentMessageSchema.nullable(),
    url: HttpUrl.nullable().openapi({
      description:
        'Where the learner takes the course: its LMS page, an absolute http or https URL (anything else is 400 `validation_failed`). ' +
        'It is `{{course.url}}`, the "Start the course" link, in the course\'s messages. Null removes it: `COURSE_URL_TEMPLATE` is used.',
    }),
  })
  .partial()
  .strict()
  .openapi('CoursePatch');
export const CourseListQuery = z.object({ status: CourseStatusSchema.optional(), limit: Limit });
/** `GET /api/courses`. */
export const CourseListSchema = z.object({ courses: z.array(CourseSchema) }).openapi('CourseList');
export type CourseList = z.infer<typeof CourseListSchema>;

export const toCourse = (r: VersionedCourseRow): CourseDto => ({
  id: r.id,
  title: r.title,
  status: r.status,
  enrollmentMessage: r.enrollmentMessage ? { subject: r.enrollmentMessage.subject, body: r.enrollmentMessage.body } : null,
  url: r.url,
  version: r.version,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

// ---------------------------------------------------------------------------------------------
// certificates

const CourseIds = z
  .array(Id)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'associatedCourseIds must not repeat a course');

export const CertificateSchema = z
  .object({
    id: Id,
    title: z.string(),
    associatedCourseIds: z.array(Id).openapi({ description: 'Completing any of these courses awards the certificate.' }),
    settings: SettingsSchema,
    settingsVersion: z.number().int(),
    // Optional in the type only (toCertificate always sets them), so DTOs built before the fields stay valid.
    status: z.enum(CERTIFICATE_STATUSES).optional().openapi({ description: '`archived`: retired, its workflows ended, awarded no more.' }),
    archivedAt: Instant.nullable().optional(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('Certificate');
export type CertificateDto = z.infer<typeof CertificateSchema>;
export const CertificateCreateSchema = z
  .object({
    title: text(200).openapi({ example: 'Forklift Operator' }),
    associatedCourseIds: CourseIds.default([]),
    settings: SettingsPatchSchema.optional(),
  })
  .strict()
  .openapi('CertificateCreate');
export const CertificatePatchSchema = z
  .object({
    title: text(200),
    associatedCourseIds: CourseIds.openapi({
      description: 'Replaces the list; completing any of these courses awards the certificate. An unknown course is 422 `unknown_course`.',
    }),
    settings: SettingsPatchSchema,
  })
  .partial()
  .strict()
  .openapi('CertificatePatch');
/** A warning of a settings save, with every code the domain has (domain/settings.ts WARNING_CODES). */
export const WarningSchema = z
  .object({
    code: z.enum(WARNING_CODES).openapi({
      description:
        'The settings are saved all the same; each warning names settings that are allowed but cannot work as meant. ' +
        '`course_not_in_associated_content`: completing the recertification course will not award a new certificate. ' +
        '`duplicate_messages`: the expiring notice is on and the course also has an enrollment message, so learners get two emails. ' +
        '`no_message`: neither is on, so learners are enrolled without being told. ' +
        '`recertification_disabled_with_expiration`: turning expiration off turned recertification off. ' +
        'For `recertification.reminderDaysBeforeExpiry` (the workflow reminds only enrolled learners and never sends a reminder whose ' +
        'time passed before the enrollment): `reminder_before_enrollment` is a day ≥ the lead days (on or before the enrollment); ' +
        '`reminder_exceeds_validity` is a day ≥ the shortest length of the validity (on or before the award; such a day gets this warning ' +
        'instead); `duplicate_reminder_days` is a day listed twice (one reminder per day). Each reminder warning names the days. ' +
        '`repeat_reminder_never_sent` (field `recertification.repeatReminder.everyDays`): every N days ≥ the lead days, so the first ' +
        'repeating reminder would fall on or after the expiry and none is sent.',
    }),
    field: z.string().openapi({ description: 'The settings field it concerns, e.g. `recertification.reminderDaysBeforeExpiry`.' }),
    message: z.string(),
  })
  .openapi('SettingsWarning');
export type SettingsWarningDto = z.infer<typeof WarningSchema>;
/** A plain list's query: page size and where the page starts. */
export const ListQuery = (what: string) => z.object({ before: Before(what), limit: Limit });

/** `GET /api/certificates`: paging, and whether archived certificates are listed. */
export const CertificateListQuery = z.object({
  before: Before('certificates'),
  limit: Limit,
  include: z.enum(['archived']).optional().openapi({ description: '`archived`: list archived certificates too (left out by default).' }),
  status: z.enum(CERTIFICATE_STATUSES).optional().openapi({ description: 'Only certificates in this status (`archived` lists the archived ones).' }),
});
/** `GET /api/certificates`. */
export const CertificateListSchema = z.object({ certificates: z.array(CertificateSchema), nextBefore: NextBefore }).openapi('CertificateList');
export type CertificateList = z.infer<typeof CertificateListSchema>;
/** `POST /api/certificates` (stored as it is for an `Idempotency-Key` repeat). */
export const CertificateCreatedSchema = z
  .object({ certificate: CertificateSchema, warnings: z.array(WarningSchema) })
  .openapi('CertificateCreated');
export type CertificateCreated = z.infer<typeof CertificateCreatedSchema>;
const SettingsPropagationSchema = z.object({ settingsVersion: z.number().int(), workflowId: z.string(), started: z.boolean() }).openapi({
  description:
    'The propagation workflow this change started (`settingsVersion`, `workflowId`, and `started`: whether Temporal took the start; ' +
    'if not, the reconciler starts it). Null when no running workflow needs the change.',
});
/** The propagation workflow a settings change started: the version it carries, its id, and whether Temporal took the start. */
export type SettingsPropagation = z.infer<typeof SettingsPropagationSchema>;
/** `PATCH /api/certificates/{id}`. */
export const CertificateChangedSchema = z
  .object({
    certificate: CertificateSchema,
    warnings: z.array(WarningSchema),
    signalled: z.number().int().openapi({
      description:
        'Running workflows the change is signalled to (its propagation workflow sends the signals): those it can wake. See `passedOver`.',
    }),
    passedOver: z.number().int().openapi({
      description:
        'Running workflows asleep before their due time that the change cannot wake (it keeps the lead days): not signalled, they read the settings ' +
        'again at their due time (their status shows the settings they last had until then).',
    }),
    propagation: SettingsPropagationSchema.nullable(),
  })
  .openapi('CertificateChanged');
export type CertificateChanged = z.infer<typeof CertificateChangedSchema>;
/** `POST /api/certificates/{id}/archive`. */
export const CertificateArchivedSchema = EndedSchema.extend({ certificate: CertificateSchema }).openapi('CertificateArchived');
export type CertificateArchived = z.infer<typeof CertificateArchivedSchema>;

/** `PATCH /api/certificates/{id}`'s query: `dryRun=true` previews the change and saves nothing. */
export const CertificatePatchQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      description:
        '`true`: validate the change exactly as a save would (same 400/404/409/422), save nothing, signal nothing, and answer ' +
        'a `CertificateChangePreview`: the certificate as it would be saved and what the change would do at once to its running workflows.',
    }),
});
/** What a settings change would do at once to the certificate's running workflows (domain/change-impact.ts). */
export const ChangeImpactSchema = z
  .object({
    asOf: Instant.openapi({ description: 'The instant the impact is computed at (the preview\'s time).' }),
    running: z.number().int().openapi({
      description: 'Active awards with a workflow and an expiry that the change reaches (0 when nothing running workflows act on changed).',
    }),
    enrollNow: z.number().int().openapi({
      description: 'Scheduled workflows the change puts inside the enrollment window (e.g. a longer lead) that enroll their learner at once.',
    }),
    released: z.number().int().openapi({ description: 'Workflows waiting for settings (recertification off, no live course) that the change lets enroll at once.' }),
    waitingNow: z.number().int().openapi({
      description: 'Scheduled workflows the change puts inside the window that cannot enroll under the new settings: they wait for settings from now on.',
    }),
    rescheduled: z.number().int().openapi({
      description: 'Workflows not yet due after the change whose due time (expiry − lead days) moves, or that were waiting for settings and sleep again.',
    }),
    earliestNewDueAt: Instant.nullable().openapi({ description: 'The earliest new due time among the rescheduled; null when none is.' }),
    secondEmail: z.number().int().openapi({
      description:
        'Learners for whom a message sent at once is at least their second about this recertification: their expiring notice went out ' +
        'already (e.g. while waiting for settings) or two messages go at once (expiring notice and the course\'s enrollment message).',
    }),
    messagesNow: z
      .object({ certificate_expiring: z.number().int(), recertification_enrollment: z.number().int(), course_enrollment: z.number().int() })
      .openapi({ description: 'Messages sent at once, by kind (an expiring notice the acting rules would skip is not counted).' }),
  })
  .openapi('ChangeImpact');
export type ChangeImpactDto = z.infer<typeof ChangeImpactSchema>;
/** `PATCH /api/certificates/{id}?dryRun=true`. */
export const CertificateChangePreviewSchema = z
  .object({
    dryRun: z.literal(true),
    certificate: CertificateSchema.openapi({
      description: 'The certificate as the change would save it; `settingsVersion` is the current one (nothing is saved): send it as If-Match to save.',
    }),
    changes: z.boolean().openapi({ description: 'Whether saving would change anything (a no-op save raises no version).' }),
    warnings: z.array(WarningSchema),
    signalled: z.number().int().openapi({ description: 'How many running workflows the save would signal (as `signalled` of the save).' }),
    passedOver: z.number().int().openapi({ description: 'How many running workflows the save would pass over (as `passedOver` of the save).' }),
    impact: ChangeImpactSchema,
  })
  .openapi('CertificateChangePreview');
export type CertificateChangePreview = z.infer<typeof CertificateChangePreviewSchema>;

export const toCertificate = (r: CertificateRow): CertificateDto => ({
  id: r.id,
  title: r.title,
  associatedCourseIds: r.associatedCourseIds,
  settings: r.settings,
  settingsVersion: r.settingsVersion,
  status: r.archivedAt ? 'archived' : 'active',
  archivedAt: isoOrNull(r.archivedAt),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

// ---------------------------------------------------------------------------------------------
// awards

export const AwardStatusSchema = z.enum(AWARD_STATUSES);
export const AwardSchema = z
  .object({
    id: Id,
    certificateId: Id,
    learnerId: Id,
    awardedAt: Instant,
    expiresAt: Instant.nullable(),
    status: AwardStatusSchema,
    previousAwardId: Id.nullable(),
    renewedByAwardId: Id.nullable(),
    sourceAttemptId: Id.nullable().openapi({ description: 'The completed course attempt that earned it, if any.' }),
    workflowId: z.string().nullable().openapi({ description: 'The recertification workflow (expiring awards only).' }),
    workflowStartedAt: Instant.nullable().openapi({ description: 'When Temporal confirmed the workflow; null until then.' }),
    workflowUrl: z
      .string()
      .nullable()
      .openapi({ description: 'The workflow in the Temporal Web UI; null without a workflow, or when the learner was erased (the erasure deleted it from Temporal).' }),
    revokedReason: z.string().nullable(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .openapi('Award');
export type AwardDto = z.infer<typeof AwardSchema>;
export const AwardCreateSchema = z
  .object({
    learnerId: Id,
    awardedAt: Instant.optional().openapi({ description: 'When it was earned (default now); the expiry counts from it. Not in the future.' }),
  })
  .strict()
  .openapi('AwardCreate');
export const AwardPatchSchema = z
  .object({
    expiresAt: Instant.openapi({
      description:
        'The new expiry; after awardedAt and in the future. Also on an award that had none (its certificate\'s expiration off): it then expires at this instant ' +
        'and gets its recertification workflow, acting on the certificate\'s settings as for any expiring award.',
    }),
  })
  .strict()
  .openapi('AwardPatch');
export const RevokeSchema = z
  .object({ reason: text(500).openapi({ example: 'Issued in error' }) })
  .strict()
  .openapi('AwardRevoke');
export const AwardListQuery = z.object({
  include: z
    .enum(['recertification'])
    .optional()
    .openapi({ description: '`recertification`: add each workflow\'s phase and due time (from Temporal visibility, one query per page).' }),
  certificateId: Id.optional(),
  learnerId: Id.optional(),
  status: AwardStatusSchema.optional(),
  before: Before('awards'),
  limit: Limit,
});

/** An award as the API answers it; `opts.learnerErased`: its learner was erased, so its workflow was deleted (no `workflowUrl`). */
export function toAward(config: Config, r: AwardRow, opts: { learnerErased?: boolean } = {}): AwardDto {
  return {
    id: r.id,
    certificateId: r.certificateId,
    learnerId: r.learnerId,
    awardedAt: iso(r.awardedAt),
    expiresAt: isoOrNull(r.expiresAt),
    status: r.status,
    previousAwardId: r.previousAwardId,
    renewedByAwardId: r.renewedByAwardId,
    sourceAttemptId: r.sourceAttemptId,
    workflowId: r.workflowId,
    workflowStartedAt: isoOrNull(r.workflowStartedAt),
    // An erasure deletes the learner's workflows from Temporal: no link to what is gone.
    workflowUrl: r.workflowId && !opts.learnerErased ? workflowUiUrl(config, r.workflowId) : null,
    revokedReason: r.revokedReason,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

/** A workflow's due time as the API shows it (the status query and the `RecertificationDueAt` search attribute). */
const RecertificationDueAtSchema = z
  .string()
  .nullable()
  .openapi({
    description:
      'When recertification falls due: expiry − lead days until the learner is enrolled; once enrolled (`assigned`), the time the enrollment fell due, which a later change of the lead days or the expiry does not move. Null once nothing falls due any more.',
  });
export const WorkflowSummarySchema = z
  .object({
    workflowStatus: z.string().openapi({ example: 'RUNNING' }),
    phase: z.string().nullable().openapi({ example: 'scheduled' }),
    dueAt: RecertificationDueAtSchema,
  })
  .openapi('WorkflowSummary');
export const AwardListItemSchema = AwardSchema.extend({
  recertification: WorkflowSummarySchema.nullable()
    .optional()
    .openapi({ description: 'With `include=recertification`: the workflow\'s phase and due time, or null when it has none (yet).' }),
}).openapi('AwardListItem');
export type WorkflowSummary = z.infer<typeof WorkflowSummarySchema>;
export type AwardListItem = z.infer<typeof AwardListItemSchema>;
/** `GET /api/awards`. */
export const AwardListSchema = z
  .object({
    awards: z.array(AwardListItemSchema),
    recertificationUnavailable: z.string().nullable().optional().openapi({ description: 'Why the summaries are missing, with include=recertification.' }),
    nextBefore: NextBefore,
  })
  .openapi('AwardList');
export type AwardList = z.infer<typeof AwardListSchema>;

const PhaseSchema = z.enum(PHASES);
const MessageKindSchema = z.enum(MESSAGE_KINDS);
export const RecertificationStatusSchema = z
  .object({
    awardId: z.string(),
    phase: PhaseSchema,
    dueAt: RecertificationDueAtSchema,
    expiresAt: z.string(),
    settingsVersion: z.number(),
    settings: SettingsSchema.nullable(),
    waitingReason: z.string().nullable(),
    attempt: z
      .object({ attemptId: z.string(), courseId: z.string(), supersededAttemptId: z.string().nullable(), at: z.string() })
      .nullable(),
    messages: z.array(
      z.object({
        kind: MessageKindSchema,
        messageId: z.string().nullable(),
        status: z.enum(SEND_OUTCOMES),
        at: z.string(),
        error: z.string().optional(),
      }),
    ),
    history: z.array(z.object({ at: z.string(), event: z.string(), detail: z.string().optional() })),
    renewedByAwardId: z.string().nullable(),
    revokedReason: z.string().nullable(),
    messageWaits: z
      .object({ kind: MessageKindSchema, until: z.string(), timeZone: z.string(), text: z.string() })
      .nullable()
      .optional()
      .openapi({ description: 'A message waiting for its send window to open (issue 13), e.g. "message waits for 08:00 Europe/Berlin on Monday 7 December 2026".' }),
  })
  .openapi('RecertificationStatus', {
    description:
      "The workflow's `status` query: its phase, due time, expiry, the settings in force, why it waits, " +
      'the attempt it created, the messages it sent and a short history.',
  });

export type RecertificationStatusDto = z.infer<typeof RecertificationStatusSchema>;

export const SignalOutcomeSchema = z
  .enum(SIGNAL_OUTCOMES)
  .openapi({
    description:
      'What reached the workflow: `signalled`; `workflow_closed` (it had ended); `no_workflow` (the award has none); or `failed` ' +
      '(Temporal unreachable). After `failed` the change still applies: the database holds it, every acting step of the workflow ' +
      'checks it, and the reconciler delivers the signal once Temporal answers.',
  });

/** `GET /api/awards/{id}`. */
export const AwardViewSchema = z
  .object({
    award: AwardSchema,
    workflowStatus: z.string().nullable().openapi({ description: 'Temporal\'s execution status (RUNNING, COMPLETED, …), when known.' }),
    recertification: RecertificationStatusSchema.nullable(),
    recertificationUnavailable: z.string().nullable().openapi({ description: 'Why `recertification` is null.' }),
  })
  .openapi('AwardView');
export type AwardView = z.infer<typeof AwardViewSchema>;

/** What the automation does with a new award (domain/acting-rules.ts `AwardPlan`). */
const AWARD_PLANS = ['schedule', 'enroll_now', 'record_expired', 'no_expiry'] as const satisfies readonly AwardPlan[];
// A plan the domain adds is a compile error here until AWARD_PLANS lists it.
const everyAwardPlanListed: Exclude<AwardPlan, (typeof AWARD_PLANS)[number]> extends never ? true : never = true;
void everyAwardPlanListed;
/** `POST /api/certificates/{id}/awards` (stored as it is for an `Idempotency-Key` repeat). */
export const AwardCreatedSchema = z
  .object({
    award: AwardSchema,
    workflowId: z.string().nullable(),
    plan: z.enum(AWARD_PLANS).openapi({
      description:
        'What the automation does with the award: `schedule` (sleeps until the due time), `enroll_now` (awarded inside the window: the workflow acts at once. ' +
        'It enrolls the learner if recertification is on and the course live; otherwise it waits for the settings, as at any due time), ' +
        '`record_expired` (its expiry is already past: recorded `expired`, no workflow, no message), `no_expiry` (the certificate does not expire).',
    }),
  })
  .openapi('AwardCreated');
export type AwardCreated = z.infer<typeof AwardCreatedSchema>;
/** `PATCH /api/awards/{id}` and `POST /api/awards/{id}/revoke`. */
export const AwardChangedSchema = z.object({ award: AwardSchema, signal: SignalOutcomeSchema }).openapi('AwardChanged');
export type AwardChanged = z.infer<typeof AwardChangedSchema>;

// ---------------------------------------------------------------------------------------------
// attempts

export const AttemptSchema = z
  .object({
    id: Id,
    courseId: Id,
    learnerId: Id,
    status: z.enum(ATTEMPT_STATUSES),
    progress: z.number().int(),
    source: z.enum(ATTEMPT_SOURCES),
    awardId: Id.nullable(),
    createdAt: Instant,
    completedAt: Instant.nullable(),
    supersededAt: Instant.nullable(),
  })
  .openapi('Attempt');
export type AttemptDto = z.infer<typeof AttemptSchema>;
export const EnrollmentCreateSchema = z.object({ learnerId: Id }).strict().openapi('EnrollmentCreate');
export const AttemptPatchSchema = z
  .object({ progress: z.number().int().min(0).max(100).openapi({ example: 40 }) })
  .strict()
  .openapi('AttemptPatch');
export const AttemptListQuery = z.object({ learnerId: Id.optional(), courseId: Id.optional(), before: Before('attempts'), limit: Limit });
/** `GET /api/attempts`. */
export const AttemptListSchema = z.object({ attempts: z.array(AttemptSchema), nextBefore: NextBefore }).openapi('AttemptList');
export type AttemptList = z.infer<typeof AttemptListSchema>;
/** `POST /api/courses/{id}/enrollments` (stored as it is for an `Idempotency-Key` repeat). */
export const EnrollmentCreatedSchema = z
  .object({
    attempt: AttemptSchema,
    supersededAttemptId: z.string().nullable().openapi({ description: 'The attempt this one replaced (kept as history).' }),
    enrollmentMessageWorkflowId: z
      .string()
      .nullable()
      .openapi({ description: 'The workflow sending the course\'s enrollment message; null when the course has none.' }),
  })
  .openapi('EnrollmentCreated');
export type EnrollmentCreated = z.infer<typeof EnrollmentCreatedSchema>;
/** `POST /api/attempts/{id}/complete`. */
export const CompletionSchema = z
  .object({
    attempt: AttemptSchema,
    awards: z.array(AwardSchema).openapi({ description: 'The awards this completion made, one per certificate whose associated content holds the course.' }),
    renewed: z.array(z.object({ previousAwardId: z.string(), newAwardId: z.string() })).openapi({
      description:
        'The learner\'s active awards this completion renewed: `previousAwardId` (now `renewed`) → `newAwardId`. ' +
        'Empty when the learner held no active award of the certificates.',
    }),
    alreadyCompleted: z.boolean().openapi({ description: 'true when the attempt had been completed before: this is the first completion\'s result.' }),
  })
  .openapi('Completion');
export type Completion = z.infer<typeof CompletionSchema>;

export const toAttempt = (r: AttemptRow): AttemptDto => ({
  id: r.id,
  courseId: r.courseId,
  learnerId: r.learnerId,
  status: r.status,
  progress: r.progress,
  source: r.source,
  awardId: r.awardId,
  createdAt: iso(r.createdAt),
  completedAt: isoOrNull(r.completedAt),
  supersededAt: isoOrNull(r.supersededAt),
});

// ---------------------------------------------------------------------------------------------
// messages

export const DeliveryEventSchema = z
  .object({
    type: z.enum(DELIVERY_EVENT_TYPES),
    at: Instant.openapi({ description: 'When the provider says it happened.' }),
    detail: z.string().nullable().openapi({ description: "A bounce's type, subtype and message (`Permanent/General: …` is a hard bounce); a failure's reason." }),
  })
  .openapi('DeliveryEvent');
export type DeliveryEventDto = z.infer<typeof DeliveryEventSchema>;

export const MessageSchema = z
  .object({
    id: Id,
    kind: MessageKindSchema.openapi({
      description:
        '`certificate_expiring`: at the due time; the certificate, its expiry as date, time and zone, and the course with its link ' +
        '(or "contact your administrator" when recertification is off or the course not live). `course_enrollment`: the course\'s own ' +
        'message, for every enrollment into it. `recertification_enrollment`: names the course when the learner is enrolled after the ' +
        'expiring notice (e.g. once an admin turned recertification on) and the course has no message of its own. ' +
        '`recertification_reminder`: on the configured days before expiry while not renewed. `certificate_expired`: when the award lapses. ' +
        'Before each message is sent, the database is checked: a message that is no longer due or wanted (award revoked, renewed or ' +
        'moved, notice turned off) is skipped, not sent.',
    }),
    learnerId: Id,
    awardId: Id.nullable(),
    attemptId: Id.nullable(),
    to: z.string(),
    from: z.string(),
    subject: z.string(),
    body: z.string().openapi({ description: 'The rendered HTML body.' }),
    text: z.string().nullable().optional().openapi({ description: 'The plain-text part sent with it (issue 13); null for messages recorded before it.' }),
    provider: z.enum(MAIL_PROVIDERS),
    providerMessageId: z.string().nullable(),
    status: z.enum(MESSAGE_STATUSES),
    error: z.string().nullable(),
    sendAttempts: z.number().int(),
    createdAt: Instant,
    sentAt: Instant.nullable(),
    deliveryStatus: z.enum(DELIVERY_STATUSES).nullable().openapi({
      description:
        "What the provider reported after accepting it (Resend's webhooks, POST /webhooks/resend; the log provider reports `delivered` " +
        'at once): `sent`, `delivery_delayed`, `delivered`, `bounced`, `failed`, `complained`; the most decisive event so far, whatever ' +
        'order they arrived in. Null until the first event. A message not sent because the address is suppressed has `status` `suppressed`.',
    }),
    deliveryUpdatedAt: Instant.nullable().openapi({ description: 'When the event that set `deliveryStatus` happened.' }),
    deliveryEvents: z.array(DeliveryEventSchema).openapi({ description: 'The delivery timeline, oldest first.' }),
  })
  .openapi('Message');
export type MessageDto = z.infer<typeof MessageSchema>;
export const MessageListQuery = z.object({
  learnerId: Id.optional(),
  awardId: Id.optional(),
  before: Before('messages'),
  limit: Limit,
});
/** `GET /api/messages`. */
export const MessagePageSchema = z
  .object({ messages: z.array(MessageSchema), nextBefore: NextBefore })
  .openapi('MessagePage');
export type MessagePage = z.infer<typeof MessagePageSchema>;

/** A message as the API answers it, with its delivery timeline (`events`, oldest first: db/queries/message-delivery-events.ts). */
export const toMessage = (r: MessageRow, events: readonly DeliveryEventRow[]): MessageDto => ({
  id: r.id,
  kind: r.kind,
  learnerId: r.learnerId,
  awardId: r.awardId,
  attemptId: r.attemptId,
  to: r.toAddress,
  from: r.fromAddress,
  subject: r.subject,
  body: r.body,
  text: r.textBody ?? null,
  provider: r.provider,
  providerMessageId: r.providerMessageId,
  status: r.status,
  error: r.error,
  sendAttempts: r.sendAttempts,
  createdAt: iso(r.createdAt),
  sentAt: isoOrNull(r.sentAt),
  deliveryStatus: r.deliveryStatus,
  deliveryUpdatedAt: isoOrNull(r.deliveryUpdatedAt),
  deliveryEvents: events.map((e) => ({ type: e.type, at: iso(e.occurredAt), detail: e.detail })),
});

/** A JSON response for createRoute's `responses`. */
export function json<T extends z.ZodType>(schema: T, description: string): { description: string; content: { 'application/json': { schema: T } } } {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body for createRoute's `request.body`. */
export function body<T extends z.ZodType>(schema: T): { required: true; content: { 'application/json': { schema: T } } } {
  return { required: true, content: { 'application/json': { schema } } };
}

// ---------------------------------------------------------------------------------------------
// message previews (issue 13)

/** `POST /api/certificates/{id}/message-preview`: which message, and the template to try (unsaved). */
export const MessagePreviewRequestSchema = z
  .object({
    message: z.enum(TEMPLATE_MESSAGES).openapi({ description: 'Which of the certificate\'s messages to render.' }),
    template: z
      .object({ subject: text(300), body: text(20_000, 'many') })
      .strict()
      .nullable()
      .optional()
      .openapi({ description: 'The template to render (not saved). Absent: the certificate\'s saved one; null: the built-in text.' }),
    learnerId: Id.optional().openapi({ description: 'Render for this learner (name, email, time zone). Absent: a sample learner.' }),
    timeZone: TimeZoneSchema.optional().openapi({ description: 'Write dates in this zone instead of the learner\'s (or the default).' }),
  })
  .strict()
  .openapi('MessagePreviewRequest');
export type MessagePreviewRequest = z.input<typeof MessagePreviewRequestSchema>;
/** What a learner would receive: subject (plain text), HTML body, text part, and the sample it used. */
export const MessagePreviewSchema = z
  .object({
    subject: z.string(),
    html: z.string().openapi({ description: 'A whole HTML document; show it sandboxed (an iframe without scripts).' }),
    text: z.string().openapi({ description: 'The plain-text part, derived from the HTML.' }),
    timeZone: z.string(),
    sample: z.object({
      learnerName: z.string(),
      learnerEmail: z.string(),
      expiresAt: Instant,
      dueAt: Instant,
      daysLeft: z.number().int().nullable().openapi({ description: 'The reminder\'s days left; null for the other messages, whose `{{daysLeft}}` is empty as in a real one.' }),
    }),
  })
  .openapi('MessagePreview');
export type MessagePreviewDto = z.infer<typeof MessagePreviewSchema>;
