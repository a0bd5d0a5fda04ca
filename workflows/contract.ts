/**
 * The recertification workflow's public contract: its input, signals, query and status shape.
 * The API imports these to start, signal and query; nothing here does I/O.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CertificateSettings } from '../domain/settings.ts';
import { dueAt } from '../domain/dates.ts';
import { AwardId, CertificateExpiresAt, CertificateId, LearnerId, RecertificationDueAt, RecertificationPhase } from './search-attributes.ts';

export const RECERTIFICATION_WORKFLOW = 'recertificationWorkflow';
export const workflowIdForAward = (awardId: string): string => `recertification-${awardId}`;

export type { MessageKind, Phase } from '../domain/vocabulary.ts';
import type { MessageKind, Phase, SendOutcome } from '../domain/vocabulary.ts';

export interface RecertificationInput {
  awardId: string;
  certificateId: string;
  learnerId: string;
  /** ISO instant; the award's expiry when the workflow started. The database stays the truth. */
  expiresAt: string;
  /** State carried over a continue-as-new; absent on the first run. */
  carried?: CarriedState;
  /** History length (events) past which the workflow continues as new; default 5,000. Tests lower it. */
  historyEventsLimit?: number;
}

export interface SettingsChangedSignal {
  settingsVersion: number;
  settings: CertificateSettings;
}
export interface AwardRenewedSignal {
  newAwardId: string;
}
export interface AwardRevokedSignal {
  reason: string;
}
export interface ExpiryChangedSignal {
  expiresAt: string;
}

export const settingsChangedSignal = defineSignal<[SettingsChangedSignal]>('settingsChanged');
export const awardRenewedSignal = defineSignal<[AwardRenewedSignal]>('awardRenewed');
export const awardRevokedSignal = defineSignal<[AwardRevokedSignal]>('awardRevoked');
export const expiryChangedSignal = defineSignal<[ExpiryChangedSignal]>('expiryChanged');
export const statusQuery = defineQuery<RecertificationStatus>('status');

export interface HistoryEntry {
  at: string;
  event: string;
  detail?: string;
}

export interface SentMessage {
  kind: MessageKind;
  messageId: string | null;
  status: SendOutcome;
  at: string;
  error?: string;
}

export interface CreatedAttempt {
  attemptId: string;
  courseId: string;
  supersededAttemptId: string | null;
  at: string;
}

export interface RecertificationStatus {
  awardId: string;
  phase: Phase;
  dueAt: string | null;
  expiresAt: string;
  settingsVersion: number;
  settings: CertificateSettings | null;
  /** Why the workflow is waiting for settings, when it is. */
  waitingReason: string | null;
  attempt: CreatedAttempt | null;
  messages: SentMessage[];
  history: HistoryEntry[];
  renewedByAwardId: string | null;
  revokedReason: string | null;
  /** When the grace period ends (ISO), while the award is `in_grace` (issue 14); absent before it. */
  graceEndsAt?: string | null;
  /**
   * A message waiting for the learner's send window to open (SEND_WINDOWS): its kind, the opening
   * (ISO), the zone, and the words the Temporal UI shows ("message waits for 08:00 Europe/Berlin on
   * Monday 7 December 2026"). Absent or null while none waits.
   */
  messageWaits?: MessageWait | null;
}

export interface MessageWait {
  kind: MessageKind;
  until: string;
  timeZone: string;
  text: string;
}

export interface CarriedState {
  status: RecertificationStatus;
  remindersSent: number[];
  expiringNoticeSent: boolean;
  /**
   * Repeating reminders (REPEATING_REMINDERS): how many are done (sent, or passed over) and the plan
   * they were counted from. Absent when none were ever planned (and in runs before the patch).
   */
  repeatReminders?: { done: number; plan: string | null };
  /**
   * In grace, an enrolled award's due time as it entered grace (ISO; ASSIGNED_DUE_TIME_FIXED), for the
   * expired notice's `{{dueAt}}` at the end of grace. Absent otherwise.
   */
  graceEnrolledDue?: string;
}

/**
 * What every start of an award's workflow carries, whoever starts it (the API, the reconciler, tests):
 * its id, input, and the initial search attributes the UI filters on.
 */
export function recertificationStart(
  award: { id: string; certificateId: string; learnerId: string; expiresAt: Date },
  leadDays: number,
) {
  const input: RecertificationInput = {
    awardId: award.id,
    certificateId: award.certificateId,
    learnerId: award.learnerId,
    expiresAt: award.expiresAt.toISOString(),
  };
  return {
    workflowId: workflowIdForAward(award.id),
    args: [input] as [RecertificationInput],
    typedSearchAttributes: [
      { key: CertificateId, value: award.certificateId },
      { key: LearnerId, value: award.learnerId },
      { key: AwardId, value: award.id },
      { key: RecertificationPhase, value: 'scheduled' },
      { key: RecertificationDueAt, value: dueAt(award.expiresAt, leadDays) },
      { key: CertificateExpiresAt, value: award.expiresAt },
    ],
  };
}
