/**
 * Every vocabulary of the product, declared once as a const list. The TypeScript unions, the API's
 * zod enums (api/schemas.ts), the admin page's labels (typed `Record<…, string>`, so a missing label is
 * a compile error) and the database's CHECK constraints derive from these lists; the CHECKs live in
 * SQL migrations, and test/vocabulary.test.ts fails when a list and its CHECK disagree.
 * Safe to import from workflow code (no I/O, no Node APIs).
 *
 * To add a word: add it here, then follow the compiler (every `switch`/label map that must handle it
 * stops compiling) and add a migration that widens the CHECK.
 */

/**
 * The messages Recertify sends:
 *  - `certificate_expiring`: at the due time, names the certificate, its expiry and the course;
 *  - `course_enrollment`: the course's own enrollment message, for every enrollment into it;
 *  - `recertification_enrollment`: names the course the learner was just enrolled in when the
 *    expiring notice already went out without one (recertification was off or the course not live
 *    at the due time) and the course has no enrollment message of its own;
 *  - `recertification_reminder`: N days before expiry while not renewed;
 *  - `certificate_expired`: when an award lapses.
 * CHECK: messages.kind.
 */
export const MESSAGE_KINDS = [
  'certificate_expiring',
  'course_enrollment',
  'recertification_enrollment',
  'certificate_expired',
  'recertification_reminder',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/**
 * Where a recertification workflow is (its `status` query and the `RecertificationPhase` search
 * attribute):
 *  - `scheduled`: sleeping until the due time (expiry − lead days);
 *  - `waiting_for_settings`: due, but recertification is off or its course is not live; waits for a
 *    settings change (or expiry);
 *  - `assigned`: the learner is enrolled in the recertification course; reminders run until renewal
 *    or expiry;
 *  - `renewed`, `expired`, `revoked`: closed; the award's outcome;
 *  - `in_grace` (issue 14): past the expiry within the grace period; the learner can still renew.
 */
export const PHASES = ['scheduled', 'waiting_for_settings', 'assigned', 'renewed', 'expired', 'revoked', 'in_grace'] as const;
export type Phase = (typeof PHASES)[number];
/** The phases in which a workflow still waits for a due time (its search attributes carry one). */
export const OPEN_PHASES = ['scheduled', 'waiting_for_settings', 'assigned'] as const satisfies readonly Phase[];
export type OpenPhase = (typeof OPEN_PHASES)[number];
/** True for a phase that still waits for something (not closed). */
export const isOpenPhase = (phase: Phase): phase is OpenPhase => (OPEN_PHASES as readonly Phase[]).includes(phase);

/**
 * An award's status (CHECK: awards.status): `active` until it is `renewed` (a newer award replaced
 * it), `expired` (its expiry passed) or `revoked` (an admin withdrew it); `in_grace` (issue 14): its
 * expiry passed within the certificate's grace period, still renewable by completing the course.
 */
export const AWARD_STATUSES = ['active', 'renewed', 'expired', 'revoked', 'in_grace'] as const;
export type AwardStatus = (typeof AWARD_STATUSES)[number];

/**
 * An attempt's status (CHECK: attempts.status): `enrolled`, `in_progress` (progress > 0),
 * `completed`, or `superseded` by a fresh attempt of the same learner in the same course.
 */
export const ATTEMPT_STATUSES = ['enrolled', 'in_progress', 'completed', 'superseded'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Who made an attempt (CHECK: attempts.source): the recertification workflow, or a manual enrollment. */
export const ATTEMPT_SOURCES = ['recertification', 'manual'] as const;
export type AttemptSource = (typeof ATTEMPT_SOURCES)[number];

/** A course's status (CHECK: courses.status): only a `live` course can be a recertification course. */
export const COURSE_STATUSES = ['draft', 'live', 'archived'] as const;
export type CourseStatus = (typeof COURSE_STATUSES)[number];

/**
 * A stored message's send status (CHECK: messages.status): `queued` (row written), `sending`
 * (handed to the provider, answer not yet recorded), `sent`, `failed` (the provider refused it),
 * `suppressed` (not sent: the learner's address hard-bounced or complained; issue 10, see
 * DELIVERY_STATUSES below for what became of a sent message).
 */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed', 'suppressed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** The email providers (CHECK: messages.provider): Resend, or the dev stack's log. */
export const MAIL_PROVIDERS = ['resend', 'log'] as const;
export type MailProvider = (typeof MAIL_PROVIDERS)[number];

/**
 * What became of a message a workflow asked for (its `status` query): `skipped` when the acting
 * rules said not to send (the award changed, the message was switched off).
 */
export const SEND_OUTCOMES = ['sent', 'failed', 'skipped'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** What reached a workflow told of an award change; `failed` still applies at its next step. */
export const SIGNAL_OUTCOMES = ['signalled', 'workflow_closed', 'failed', 'no_workflow'] as const;
export type SignalOutcome = (typeof SIGNAL_OUTCOMES)[number];

// ---------------------------------------------------------------------------------------------
// Learner and certificate lifecycle (issue 9: learners change and leave, certificates retire)

/**
 * Where a learner is (derived from `learners.deactivated_at` / `erased_at`, not stored, so no CHECK):
 *  - `active`: awards, enrollments and messages as usual;
 *  - `deactivated`: left; every running workflow of theirs ended (`revoked`, "learner deactivated"),
 *    no new award, enrollment or message; their history stays;
 *  - `erased`: deactivated and their personal data replaced (a data-protection request).
 */
export const LEARNER_STATUSES = ['active', 'deactivated', 'erased'] as const;
export type LearnerStatus = (typeof LEARNER_STATUSES)[number];

/** A certificate's status (derived from `certificates.archived_at`): `archived` ended its automation and takes no new award. */
export const CERTIFICATE_STATUSES = ['active', 'archived'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** The revoke reasons the lifecycle writes on the awards it ends (awards.revoked_reason, and the workflow's `revoked` phase). */
export const LIFECYCLE_REVOKE_REASONS = {
  learnerDeactivated: 'learner deactivated',
  learnerErased: 'learner erased',
  certificateArchived: 'certificate archived',
} as const;

// imports (bulk import of existing holders: POST /api/certificates/{id}/imports)

/** An import's status (CHECK: imports.status): `running` until every row is done or rejected, then `completed`. */
export const IMPORT_STATUSES = ['running', 'completed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** A row of an applied import (CHECK: import_rows.state): `pending` until its page is applied, then `done` (awarded) or `rejected`. */
export const IMPORT_ROW_STATES = ['pending', 'done', 'rejected'] as const;
export type ImportRowState = (typeof IMPORT_ROW_STATES)[number];

/**
 * What an import does with a row (CHECK: import_rows.outcome): the awarding routine's plan
 * (domain/acting-rules.ts `AwardPlan`: `schedule`, `enroll_now`, `record_expired`, `no_expiry`), or
 * `reject` with a reason. Creating the learner is said beside it (`createLearner`), not instead of it.
 */
export const IMPORT_ROW_OUTCOMES = ['schedule', 'enroll_now', 'record_expired', 'no_expiry', 'reject'] as const;
export type ImportRowOutcome = (typeof IMPORT_ROW_OUTCOMES)[number];

/**
 * Why an import rejects a row (CHECK: import_rows.reason):
 *  - `bad_email`: not an email address; `bad_name`: the learner would be created and the name is not
 *    1–200 characters of one-line text;
 *  - `unparsable_date`: awardedAt or expiresAt is not an ISO 8601 date (YYYY-MM-DD, read as midnight
 *    UTC) or instant with an offset, from 1900 to 2999;
 *  - `awarded_at_in_future`; `expires_before_awarded` (expiresAt not after awardedAt);
 *  - `duplicate_row`: an earlier row of the file names the same email (case-insensitively);
 *  - `unknown_learner`: no learner has the email and creating learners is off;
 *  - `already_awarded`: the learner holds an active award of the certificate;
 *  - `learner_deactivated`: the learner was deactivated (domain/lifecycle.ts);
 *  - `certificate_archived`: the certificate was archived while the import ran (rows not yet applied);
 *  - `learner_erased`: the learner was erased (domain/lifecycle.ts);
 *  - `already_recorded`: the learner already has an award of the certificate given at the row's
 *    awardedAt, whatever its status (an expired record imported before): never recorded twice;
 *  - `cell_too_long`: a cell is longer than the import takes (domain/importing.ts `MAX_IMPORT_CELL`);
 *  - `bad_manager_email`: the managerEmail cell is not an address the learner API takes for a manager;
 *  - `wrong_field_count`: a CSV row has more or fewer fields than the header (its cells cannot be told apart).
 */
export const IMPORT_REJECT_REASONS = [
  'bad_email',
  'bad_name',
  'unparsable_date',
  'awarded_at_in_future',
  'expires_before_awarded',
  'duplicate_row',
  'unknown_learner',
  'already_awarded',
  'learner_deactivated',
  'certificate_archived',
  // review mends (issue 9)
  'learner_erased',
  'already_recorded',
  'cell_too_long',
  // the managerEmail column (issue 14 §4, import)
  'bad_manager_email',
  // a CSV row of the wrong length rejects the row, not the file
  'wrong_field_count',
] as const;
export type ImportRejectReason = (typeof IMPORT_REJECT_REASONS)[number];

// ---------------------------------------------------------------------------------------------
// Metrics (issue 10 §3; labels only, nothing stored, so no CHECK)

/**
 * What one outbound webhook delivery attempt came to (the `outcome` label of
 * `recertify_webhook_deliveries_total`, config/metrics.ts): `delivered` (the receiver answered 2xx),
 * `failed` (any other answer, or none; it will be retried), `gave_up` (the last retry failed, or the
 * endpoint was disabled).
 */
export const WEBHOOK_DELIVERY_OUTCOMES = ['delivered', 'failed', 'gave_up'] as const;
export type WebhookDeliveryOutcome = (typeof WEBHOOK_DELIVERY_OUTCOMES)[number];

// ---------------------------------------------------------------------------------------------
// Delivery (issue 10 §1): what the provider reports after it accepted a message

/**
 * What the provider reports of a sent message (CHECK: message_delivery_events.type), one word per
 * Resend webhook event (`email.<word>`):
 *  - `sent`: the provider accepted it and will try to deliver it;
 *  - `delivered`: the recipient's mail server took it;
 *  - `delivery_delayed`: a temporary problem (full inbox, server busy); the provider keeps trying;
 *  - `bounced`: the recipient's server rejected it (a `Permanent` bounce is a hard bounce);
 *  - `complained`: delivered, and the recipient marked it as spam;
 *  - `failed`: the provider could not send it (e.g. an invalid sender domain).
 * The log provider of the dev stack records `sent` and `delivered` at once.
 */
export const DELIVERY_EVENT_TYPES = ['sent', 'delivered', 'delivery_delayed', 'bounced', 'complained', 'failed'] as const;
export type DeliveryEventType = (typeof DELIVERY_EVENT_TYPES)[number];

/**
 * A message's delivery status (CHECK: messages.delivery_status; null until the first event): the
 * most decisive event so far, whatever order the events arrive in: `sent` < `delivery_delayed` <
 * `delivered` < `bounced` = `failed` < `complained` (domain/delivery.ts `deliveryStatusAfter`).
 */
export const DELIVERY_STATUSES = DELIVERY_EVENT_TYPES;
export type DeliveryStatus = DeliveryEventType;

/**
 * Why a learner's address is suppressed (CHECK: learners.email_suppressed_reason): a `hard_bounce`
 * (a bounce of type `Permanent`) or a spam `complaint`. Messages to the address are then recorded
 * `suppressed` instead of sent, until the learner's email changes.
 */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/**
 * What became of a received Resend webhook event (CHECK: resend_webhook_events.outcome; one row per
 * event id, so a replay changes nothing):
 *  - `applied`: recorded on its message (delivery status and timeline);
 *  - `unmatched`: no message has its email id (yet): applied if a send with that id is recorded
 *    later, else kept as a receipt only;
 *  - `ignored`: a Resend event type Recertify does not track (opened, clicked, …).
 */
export const WEBHOOK_RECEIPT_OUTCOMES = ['applied', 'unmatched', 'ignored'] as const;
export type WebhookReceiptOutcome = (typeof WEBHOOK_RECEIPT_OUTCOMES)[number];

// ---------------------------------------------------------------------------------------------
// Outbound webhooks (issue 10 §2)

/**
 * The events an outbound webhook subscription can ask for (CHECK: webhook_events.type, and
 * webhook_subscriptions.event_types holds only these). Each is written in the transaction of the
 * change it reports (an outbox, db/queries/webhooks.ts), with ids only, no personal data:
 *  - `recertification.enrolled`: the recertification workflow enrolled the learner in the course;
 *  - `recertification.reminded`: a recertification reminder was accepted by the email provider;
 *  - `award.created`: an award was made (manual, import, or the completion that renews another);
 *  - `award.renewed`: an award was replaced by the newer one a completion made;
 *  - `award.expired`: an award lapsed; `award.revoked`: an admin (or a lifecycle change) withdrew it;
 *  - `message.bounced`: a message bounced (the email provider's delivery status).
 */
export const WEBHOOK_EVENT_TYPES = [
  'recertification.enrolled',
  'recertification.reminded',
  'award.created',
  'award.renewed',
  'award.expired',
  'award.revoked',
  'message.bounced',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * An event's delivery to one subscription (CHECK: webhook_deliveries.status): `pending` while its
 * workflow tries (retries reuse the event's id), then `delivered` (a 2xx answer), `failed` (the retry
 * horizon passed without one) or `skipped` (the subscription was disabled or deleted first).
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// LMS policies (issue 14): `in_grace` is appended to PHASES and AWARD_STATUSES above (migration
// 1764000000013 adds it to awards.status's CHECK).

/** The award statuses a learner still holds (the unique index `awards_one_active`): renewable by completing a course. */
export const HELD_AWARD_STATUSES = ['active', 'in_grace'] as const satisfies readonly AwardStatus[];

// Access and audit (issue 15)

/**
 * An API token's scope (CHECK: api_tokens.scope). Nested: `admin` may do all that `write` may, and
 * `write` all that `read` may.
 *  - `read`: every GET (and the settings preview, which changes nothing);
 *  - `write`: changes to learners, courses, certificates, awards, attempts and imports;
 *  - `admin`: token management, erasing a learner, outbound webhooks.
 */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What an audit entry records (CHECK: audit_log.action), `<entity type>.<what happened>`. */
export const AUDIT_ACTIONS = [
  'certificate.created',
  'certificate.changed',
  'certificate.archived',
  'award.extended',
  'award.revoked',
  'learner.edited',
  'learner.deactivated',
  'learner.erased',
  'course.created',
  'course.changed',
  'import.created',
  'token.created',
  'token.revoked',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The kinds of thing an audit entry is about (CHECK: audit_log.entity_type). */
export const AUDIT_ENTITY_TYPES = ['certificate', 'award', 'learner', 'course', 'import', 'token'] as const;
export type AuditEntityType = (typeof AUDIT_ENTITY_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Digest for admins and managers (issue 14 §4)

/** Who a weekly digest is for (CHECK: digest_sends.audience): the `admin` address(es) get the whole academy, a `manager` their learners. */
export const DIGEST_AUDIENCES = ['admin', 'manager'] as const;
export type DigestAudience = (typeof DIGEST_AUDIENCES)[number];

/**
 * A digest's send (CHECK: digest_sends.status; one row per period and recipient): `sending` (the
 * ledger row and its payload are written; the provider request is made, or is to be re-made with the
 * same idempotency key), then `sent` or `failed` (the provider refused it for good).
 */
export const DIGEST_SEND_STATUSES = ['sending', 'sent', 'failed'] as const;
export type DigestSendStatus = (typeof DIGEST_SEND_STATUSES)[number];

/**
 * Why an award is listed in a digest (labels only, not stored): `in_grace` (past its expiry, still
 * renewable), `enrolled` (in the recertification course, not finished), `lapsing` (expires in the next
 * 30 days, not enrolled), `expired` (lapsed in the last week). Each award is listed once, in the first
 * of these that holds.
 */
export const DIGEST_ENTRY_STATES = ['in_grace', 'enrolled', 'lapsing', 'expired'] as const;
export type DigestEntryState = (typeof DIGEST_ENTRY_STATES)[number];

/** The day of the week a digest goes out (DIGEST_DAY), Monday first. */
export const DIGEST_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type DigestDay = (typeof DIGEST_DAYS)[number];
