/** The activities' contract, imported by workflow code with `import type` only. */
import type { CertificateSettings } from '../domain/settings.ts';
import type { MessageKind } from '../workflows/contract.ts';
import type { WebhookDeliveryStatus } from '../domain/vocabulary.ts';
import type { SendWindow } from '../domain/send-window.ts';

export type AwardStatus = 'active' | 'renewed' | 'expired' | 'revoked' | 'in_grace';

export interface CourseSummary {
  id: string;
  title: string;
  status: 'draft' | 'live' | 'archived';
  hasEnrollmentMessage: boolean;
}

export interface AwardContext {
  awardId: string;
  status: AwardStatus;
  certificateId: string;
  certificateTitle: string;
  learnerId: string;
  /**
   * Only in histories recorded before personal data was kept out of Temporal (issue 9): an activity
   * result lands in the workflow's history, which an erasure cannot reach. The workflow never read it.
   */
  learnerName?: string;
  /** ISO instant the award was given. Absent in histories recorded before it was added. */
  awardedAt?: string;
  /** The completed attempt that earned the award (a completion), or null (a manual award). */
  sourceAttemptId?: string | null;
  /** ISO instant, or null for an award that does not expire. */
  expiresAt: string | null;
  settings: CertificateSettings;
  settingsVersion: number;
  /** The recertification course in the current settings, if one is chosen and exists. */
  recertificationCourse: CourseSummary | null;
  renewedByAwardId: string | null;
  revokedReason: string | null;
  /**
   * The send window the award's messages wait for (issue 13), in the learner's zone; absent when no
   * window is on (and in histories recorded before send windows).
   */
  messageWindow?: MessageWindow;
}

/** A send window in force and the IANA zone it is read in (domain/send-window.ts). */
export interface MessageWindow {
  timeZone: string;
  window: SendWindow;
}

export interface CreateAttemptInput {
  awardId: string;
  courseId: string;
  /**
   * ISO instant the workflow acts at. When given, the activity re-checks in its transaction, against
   * the database, that the enrollment is still due (domain/acting-rules.ts) and refuses otherwise.
   */
  asOf?: string;
}
export interface CreateAttemptResult {
  attemptId: string;
  courseId: string;
  supersededAttemptId: string | null;
  /** false when a retry found the attempt an earlier try created. */
  created: boolean;
}
/** The enrollment was not made: why, and the award's context as the database holds it now. */
export interface CreateAttemptRefused {
  refused: string;
  context: AwardContext;
}

export interface EnrollWhenDueInput {
  awardId: string;
  /** ISO instant the workflow acts at: the enrollment is made only if it is due then (domain/acting-rules.ts). */
  asOf: string;
}
/**
 * What `enrollWhenDue` read and did in its one transaction: the award's context as the database held
 * it (the award row locked), and the attempt it made (or the one an earlier try of the same step
 * made) with its course, or why it made none.
 */
export type EnrollWhenDueResult =
  | { context: AwardContext; enrolled: CreateAttemptResult & { course: CourseSummary } }
  | { context: AwardContext; refused: string };

export interface SendMessageInput {
  kind: MessageKind;
  awardId: string | null;
  attemptId?: string | null;
  /** For reminders: which reminder (days before expiry) this is. */
  reminderDaysBeforeExpiry?: number;
  /**
   * For a repeating reminder (issue 14 §3) instead of `reminderDaysBeforeExpiry`: which one (`n`, from
   * 1) and the enrollment instant it counts from (ISO). Its idempotency key ends `:repeat:<n>`.
   */
  repeatReminder?: { n: number; enrolledAt: string };
  /**
   * ISO instant the workflow acts at. When given, the activity checks against the database that the
   * message is still due and wanted (domain/acting-rules.ts) before recording it; otherwise `skipped`.
   */
  asOf?: string;
  /**
   * The time the learner's enrollment fell due (ISO), when the workflow's due time for the enrolled
   * award differs from the award's expiry − the certificate's current lead days (an admin changed the
   * lead days or the expiry after the enrollment; ASSIGNED_DUE_TIME_FIXED). The message's `{{dueAt}}`
   * then says it; absent, `{{dueAt}}` is the expiry − the current lead days.
   */
  dueAt?: string;
}
export interface SendMessageResult {
  status: 'sent' | 'failed' | 'skipped';
  messageId: string | null;
  error?: string;
  /** Why nothing was sent, for `skipped`. */
  reason?: string;
}

export interface ExpireAwardResult {
  expired: boolean;
  status: AwardStatus;
  /** The award's expiry as the database holds it (ISO), when the activity reported it. */
  expiresAt?: string | null;
}

/** What `enterGrace` found and did: `entered` when this call put the award in grace. */
export interface EnterGraceResult {
  entered: boolean;
  status: AwardStatus;
  expiresAt: string | null;
  /** When its grace period ends (ISO), once in grace. */
  graceEndsAt: string | null;
}

/** Activities on the main task queue: they know Postgres. */
export interface RecertificationActivities {
  loadAwardContext(input: { awardId: string }): Promise<AwardContext>;
  createRecertificationAttempt(input: CreateAttemptInput): Promise<CreateAttemptResult | CreateAttemptRefused>;
  /**
   * The due step's read and enrollment in one transaction (ENROLL_WHEN_DUE): reads the award's context
   * with its row locked and, when the acting rules allow the enrollment at `asOf`, creates the
   * attempt. Idempotent per award. Throws a non-retryable `AwardNotFound` or `InvalidInput` (asOf).
   */
  enrollWhenDue(input: EnrollWhenDueInput): Promise<EnrollWhenDueResult>;
  /** `asOf` (ISO): expire only if the database's expiry is at or before it (an award in grace: its grace end). */
  expireAward(input: { awardId: string; asOf?: string }): Promise<ExpireAwardResult>;
  /**
   * Issue 14: puts the award in its grace period (`in_grace`, ending `graceEndsAt`, ISO) if its expiry
   * is at or before `asOf` (ISO) and it is still active; reports what the database holds afterwards.
   */
  enterGrace(input: { awardId: string; asOf: string; graceEndsAt: string }): Promise<EnterGraceResult>;
}

/** Activities on the email task queue: they know Postgres and the email provider. */
export interface MessageActivities {
  sendMessage(input: SendMessageInput): Promise<SendMessageResult>;
}

export interface SignalPageInput {
  certificateId: string;
  settingsVersion: number;
  /** Award id to continue after (keyset paging), or null to start. */
  afterAwardId: string | null;
  limit: number;
}
export interface SignalPageResult {
  signalled: number;
  /** Workflows that had already closed. */
  skipped: number;
  /** Scheduled workflows passed over: the change cannot move their wake-up (domain/recertification-steps.ts `settingsSignalNeeded`). Absent in results recorded before. */
  unaffected?: number;
  nextAfterAwardId: string | null;
}

/** Activities that fan a settings change out to the running workflows of a certificate. */
export interface PropagationActivities {
  signalCertificateWorkflows(input: SignalPageInput): Promise<SignalPageResult>;
  completeSettingsPropagation(input: { certificateId: string; settingsVersion: number; signalled: number; unaffected?: number }): Promise<void>;
}

/** The import workflow's page: at most `limit` pending rows of the import. */
export interface ImportPageInput {
  importId: string;
  limit: number;
}
export interface ImportPageOutput {
  /** Rows taken from `pending` (0: none left). */
  rows: number;
  awarded: number;
  rejected: number;
  learnersCreated: number;
  /** Rows that set or changed their learner's manager (absent in results recorded before the managerEmail column). */
  managersSet?: number;
  /** Whether pending rows remain. */
  more: boolean;
}
export interface ImportStartsOutput {
  /** Workflows started (or found running) in this call. */
  started: number;
  /** Whether awards of the import still await their workflow's start. */
  more: boolean;
}

/** The activities of the import workflow (activities/imports.ts). */
export interface ImportActivities {
  /** Awards the next page of the import's pending rows in one transaction (domain/import-apply.ts). */
  applyImportPage(input: ImportPageInput): Promise<ImportPageOutput>;
  /** Starts the recertification workflows of up to `limit` of the import's awards not started yet, a bounded number at a time. */
  startImportAwardWorkflows(input: ImportPageInput): Promise<ImportStartsOutput>;
  /** Marks the import completed (no row pending); returns whether it is. */
  completeImport(input: { importId: string }): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Outbound webhooks (issue 10 §2)

/** One event's delivery to one subscription (the key of `webhook_deliveries`). */
export interface WebhookDeliveryKey {
  subscriptionId: string;
  eventId: string;
}

/** What a delivery came to: `delivered`, `failed` or `skipped` (with why), or `pending` (never returned by a finished workflow). */
export interface WebhookDeliveryResult {
  status: WebhookDeliveryStatus;
  reason?: string;
  /** `failWebhookDelivery`: whether this failure disabled the subscription. */
  disabled?: boolean;
}

/** The delivery workflow's activities (activities/webhooks.ts), on the main task queue. */
export interface WebhookActivities {
  /**
   * One attempt: reads the delivery, event and subscription as the database holds them now; a
   * delivery no longer pending is answered as it is, a disabled subscription skips it; otherwise
   * POSTs the signed event (Standard Webhooks, `webhook-id` = the event's id) within
   * `attemptTimeoutMs` and records the attempt. Throws a retryable failure for any answer but a 2xx.
   */
  deliverWebhook(input: WebhookDeliveryKey & { attemptTimeoutMs: number }): Promise<WebhookDeliveryResult>;
  /**
   * The retry horizon passed: marks the delivery failed and counts it against the subscription,
   * disabling it at `disableAfter` failed deliveries in a row (the reason names `horizonText` and the
   * last error).
   */
  failWebhookDelivery(input: WebhookDeliveryKey & { lastError: string; disableAfter: number; horizonText: string }): Promise<WebhookDeliveryResult>;
}

// ---------------------------------------------------------------------------------------------
// The weekly digest for admins and managers (issue 14 §4)

export interface DigestRunInput {
  /** ISO instant the run stands for (the schedule's firing): its period is the latest slot at or before it. */
  asOf: string;
}

/** What a digest run did; counts only (no address or name reaches the workflow's history). */
export interface DigestRunResult {
  /** The period's name: the slot's local date, YYYY-MM-DD. */
  period: string;
  /** Digests the period has (recipients with something listed). */
  digests: number;
  /** Sent by this run. */
  sent: number;
  /** Found in the ledger, sent (or refused for good) by an earlier run of the period: not sent again. */
  alreadyDone: number;
  /** Refused for good by the provider in this run. */
  failed: number;
}

export interface DigestActivities {
  /**
   * Reads the database now, and sends each digest of the period once (ledger digest_sends, provider
   * idempotency key `digest:<period>:<recipient>`). Throws (to be retried) when a send failed
   * retryably; what was sent stays sent.
   */
  sendWeeklyDigest(input: DigestRunInput): Promise<DigestRunResult>;
}
