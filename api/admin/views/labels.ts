/**
 * The words the admin page shows for the product's vocabularies (domain/vocabulary.ts) and the
 * settings' units and anchors (domain/dates.ts). Each map is typed `Record<Word, string>`, so a word added to a
 * vocabulary and not labelled here is a compile error.
 */
import type { AuditAction, TokenScope } from '../../../domain/vocabulary.ts';
import type { DeliveryStatus, LearnerStatus, SuppressionReason, WebhookDeliveryStatus, WebhookEventType } from '../../../domain/vocabulary.ts';
import type { DurationUnit, ExpiryAnchor } from '../../../domain/dates.ts';
import type { TemplateMessage } from '../../../domain/settings.ts';
import type { Weekday } from '../../../domain/send-window.ts';
import {
  PHASES,
  type AttemptSource,
  type AttemptStatus,
  type AwardStatus,
  type CourseStatus,
  type MessageKind,
  type MessageStatus,
  type Phase,
} from '../../../domain/vocabulary.ts';

export const PHASE_LABELS: Record<Phase, string> = {
  scheduled: 'Scheduled',
  waiting_for_settings: 'Waiting for settings',
  assigned: 'Assigned',
  renewed: 'Renewed',
  expired: 'Expired',
  revoked: 'Revoked',
  in_grace: 'In grace period',
};

export const KIND_LABELS: Record<MessageKind, string> = {
  certificate_expiring: 'Certificate expiring',
  course_enrollment: 'Course enrollment',
  recertification_enrollment: 'Recertification enrollment',
  certificate_expired: 'Certificate expired',
  recertification_reminder: 'Reminder',
};

/** Any status badge's word: an award's, an attempt's, a message's or a course's status. */
export type Status = AwardStatus | AttemptStatus | MessageStatus | CourseStatus;

/** Statuses are shown as the API spells them (what an admin then finds in `/api` and the database). */
export const STATUS_LABELS: Record<Status, string> = {
  active: 'active',
  renewed: 'renewed',
  expired: 'expired',
  revoked: 'revoked',
  in_grace: 'in_grace',
  enrolled: 'enrolled',
  in_progress: 'in_progress',
  completed: 'completed',
  superseded: 'superseded',
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  failed: 'failed',
  suppressed: 'suppressed',
  draft: 'draft',
  live: 'live',
  archived: 'archived',
};

export const SOURCE_LABELS: Record<AttemptSource, string> = { recertification: 'recertification', manual: 'manual' };

/** The validity's units (domain/dates.ts DURATION_UNITS). */
export const UNIT_LABELS: Record<DurationUnit, string> = { days: 'days', weeks: 'weeks', months: 'months', years: 'years' };

/** What a renewed certificate's expiry counts from (domain/dates.ts EXPIRY_ANCHORS), as the Settings dropdown says it. */
export const ANCHOR_LABELS: Record<ExpiryAnchor, string> = {
  completion: 'the completion of the recertification course',
  previous_expiry: 'the previous expiry (renewing early keeps the anniversary)',
  fixed_date: 'a fixed date every year (the date below)',
};

/** True for a word of PHASES (a visibility keyword or an API string that should be one). */
export const isPhase = (value: string): value is Phase => (PHASES as readonly string[]).includes(value);

// Learner lifecycle (issue 9)
/** A learner's status as the Learners page shows it. */
export const LEARNER_STATUS_LABELS: Record<LearnerStatus, string> = {
  active: 'active',
  deactivated: 'deactivated',
  erased: 'erased',
};

// Delivery (issue 10 §1)
/** A message's delivery status and timeline events (domain/vocabulary.ts DELIVERY_STATUSES), as the API spells them. */
export const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  sent: 'sent',
  delivered: 'delivered',
  delivery_delayed: 'delivery_delayed',
  bounced: 'bounced',
  complained: 'complained',
  failed: 'failed',
};
/** Why a learner's address is suppressed. */
export const SUPPRESSION_LABELS: Record<SuppressionReason, string> = { hard_bounce: 'hard bounce', complaint: 'spam complaint' };
// Outbound webhooks (issue 10 §2)
/** What each event type means, as the Webhooks page's checkboxes say it. */
export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  'recertification.enrolled': 'a learner was enrolled in a recertification course',
  'recertification.reminded': 'a recertification reminder was sent',
  'award.created': 'a certificate was awarded',
  'award.renewed': 'an award was renewed by a newer one',
  'award.expired': 'an award expired',
  'award.revoked': 'an award was revoked',
  'message.bounced': 'a message bounced',
};
/** A delivery's status in the delivery log. */
export const WEBHOOK_DELIVERY_STATUS_LABELS: Record<WebhookDeliveryStatus, string> = {
  pending: 'retrying',
  delivered: 'delivered',
  failed: 'failed',
  skipped: 'skipped',
};

// LMS policies (issue 14)
/** Month names for the fixed expiry date (index 0 = January = month 1). */
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

// Access and audit (issue 15)

/** What an audit entry's action is called on the Audit page and in the histories. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  'certificate.created': 'Certificate created',
  'certificate.changed': 'Settings changed',
  'certificate.archived': 'Certificate archived',
  'award.extended': 'Award expiry changed',
  'award.revoked': 'Award revoked',
  'learner.edited': 'Learner edited',
  'learner.deactivated': 'Learner deactivated',
  'learner.erased': 'Learner erased',
  'course.created': 'Course created',
  'course.changed': 'Course changed',
  'import.created': 'Import started',
  'token.created': 'Token created',
  'token.revoked': 'Token revoked',
};

/** What a token's scope lets it do, in a few words. */
export const TOKEN_SCOPE_LABELS: Record<TokenScope, string> = {
  read: 'read: sees everything, changes nothing',
  write: 'write: changes learners, courses, certificates, awards, imports',
  admin: 'admin: also tokens, erasure, webhooks',
};

// Messages learners can read (issue 13)
/** The messages a certificate may word itself, as the Settings tab names them. */
export const TEMPLATE_MESSAGE_LABELS: Record<TemplateMessage, string> = {
  certificateExpiring: 'Certificate Expiring message',
  recertificationReminder: 'Reminder',
  certificateExpired: 'Certificate Expired message',
};
/** Days of a send window. */
export const WEEKDAY_LABELS: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
