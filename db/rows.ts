/** Row shapes as postgres.js returns them (camelCase, timestamps as Date). */
import type { CertificateSettings } from '../domain/settings.ts';

export interface LearnerRow {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
  /** The learner left: their automation ended and nothing new is made for them; null while active. */
  deactivatedAt: Date | null;
  /** A data-protection erasure replaced name and email with placeholders; null otherwise. */
  erasedAt: Date | null;
  /** The erasure's Temporal part (their workflow executions terminated and deleted) is done; null while pending or not erased. */
  erasureTemporalDoneAt: Date | null;
  /** Messages to the address are recorded `suppressed`, not sent (a hard bounce or a complaint); null otherwise. Cleared when the email changes. */
  emailSuppressedAt: Date | null;
  emailSuppressedReason: SuppressionReason | null;
  /** The message whose bounce or complaint suppressed the address. */
  emailSuppressedMessageId: string | null;
  /** The learner's IANA time zone (issue 13); null: the organisation's DEFAULT_TIME_ZONE. */
  timeZone: string | null;
  /** The learner's manager's email (issue 14 §4): they get the weekly digest of their learners; null: none. */
  managerEmail: string | null;
}

export interface EnrollmentMessage {
  subject: string;
  body: string;
}

export type CourseStatus = 'draft' | 'live' | 'archived';
export interface CourseRow {
  id: string;
  title: string;
  status: CourseStatus;
  enrollmentMessage: EnrollmentMessage | null;
  /** Where the learner takes the course (http/https); null: the configured COURSE_URL_TEMPLATE. */
  url: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A course row with its `version` (1 when created, raised by every change): the optimistic
 * concurrency token of PATCH /api/courses/{id} (its ETag, checked against If-Match under the row lock).
 * What reads courses for other ends (a workflow's recertification course) needs no version.
 */
export interface VersionedCourseRow extends CourseRow {
  version: number;
}

export interface CertificateRow {
  id: string;
  title: string;
  settings: CertificateSettings;
  settingsVersion: number;
  associatedCourseIds: string[];
  /** Retired: its automation ended and no new award is made; null while in use. */
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AwardStatus = 'active' | 'renewed' | 'expired' | 'revoked' | 'in_grace';
export interface AwardRow {
  id: string;
  certificateId: string;
  learnerId: string;
  awardedAt: Date;
  expiresAt: Date | null;
  status: AwardStatus;
  previousAwardId: string | null;
  renewedByAwardId: string | null;
  sourceAttemptId: string | null;
  workflowId: string | null;
  workflowStartedAt: Date | null;
  revokedReason: string | null;
  /** Day of the month (1–31) the renewal chain keeps; null for awards older than the column. */
  anchorDay: number | null;
  /** Set while a change the workflow must hear of awaits Temporal's acceptance of its signal. */
  workflowSignalPendingAt: Date | null;
  /** When the grace period of an award `in_grace` ends (issue 14); null otherwise. Optional: rows built before the column. */
  graceEndsAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AttemptStatus = 'enrolled' | 'in_progress' | 'completed' | 'superseded';
export interface AttemptRow {
  id: string;
  courseId: string;
  learnerId: string;
  status: AttemptStatus;
  progress: number;
  source: 'recertification' | 'manual';
  awardId: string | null;
  createdAt: Date;
  completedAt: Date | null;
  supersededAt: Date | null;
}

export type { MessageKind } from '../domain/vocabulary.ts';
import type { DeliveryEventType, DeliveryStatus, MessageKind, MessageStatus, SuppressionReason } from '../domain/vocabulary.ts';
export type { MessageStatus } from '../domain/vocabulary.ts';
export interface MessageRow {
  id: string;
  kind: MessageKind;
  learnerId: string;
  awardId: string | null;
  attemptId: string | null;
  toAddress: string;
  fromAddress: string;
  subject: string;
  body: string;
  /** The plain-text part (issue 13), derived from `body`; null for messages recorded before it. */
  textBody: string | null;
  provider: 'resend' | 'log';
  providerMessageId: string | null;
  status: MessageStatus;
  error: string | null;
  idempotencyKey: string;
  batchId: string | null;
  sendAttempts: number;
  createdAt: Date;
  sentAt: Date | null;
  /** What the provider last reported that counts most (domain/delivery.ts); null until the first event. */
  deliveryStatus: DeliveryStatus | null;
  deliveryUpdatedAt: Date | null;
}

/** One event of a message's delivery timeline (message_delivery_events). */
export interface DeliveryEventRow {
  id: string;
  messageId: string;
  type: DeliveryEventType;
  /** The provider's event id (Resend: svix-id); null for the log provider's events. */
  providerEventId: string | null;
  /** When the provider says it happened. */
  occurredAt: Date;
  receivedAt: Date;
  /** A bounce's type, subtype and message, or a failure's reason. */
  detail: string | null;
}
