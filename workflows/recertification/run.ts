/**
 * The one state object of a recertification run, and the small rules that read or change it: its
 * due time and expiry, its short history, its phase and what the Temporal UI shows of it. Nothing here
 * waits or calls an activity (effects.ts does); `publish` upserts the search attributes.
 *
 * Instants are ISO strings in the status (what the `status` query answers) and ms since the epoch in
 * arithmetic; `now()` is the workflow's clock (Date.now() is deterministic in workflow code).
 */
import { log, patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { AwardContext, MessageWindow } from '../../activities/types.ts';
import type { CertificateSettings } from '../../domain/settings.ts';
import { DEFAULT_LEAD_DAYS, dueAt, reminderAt } from '../../domain/dates.ts';
import { formatUtcMinute } from '../../domain/instant-format.ts';
import type { Phase, RecertificationInput, RecertificationStatus } from '../contract.ts';
import { CertificateExpiresAt, RecertificationDueAt, RecertificationPhase } from '../search-attributes.ts';
import { ASSIGNED_DUE_TIME_FIXED } from './patches.ts';

/** Entries kept in the status's short history; the oldest are dropped. */
const MAX_HISTORY = 50;
/** Messages kept in the status's message list; the oldest are dropped. */
export const MAX_MESSAGES = 30;
/** How a run ends early: the learner renewed, or an admin revoked the award. */
export type Ending = 'renewed' | 'revoked';

/** Everything one run of the workflow knows. The signal handlers and every step share this one object. */
export interface RecertificationRun {
  readonly input: RecertificationInput;
  /** What the `status` query answers; carried over a continue-as-new. */
  readonly status: RecertificationStatus;
  /** Reminders (days before expiry) sent, or passed over because their time had gone; carried. */
  readonly remindersSent: Set<number>;
  /** Whether the Certificate Expiring message has gone out; carried. */
  expiringNoticeSent: boolean;
  /**
   * The expiry and reminder days the reminders were last planned from, as `reminderPlanKey` gives
   * them (ACT_ON_DATABASE_TRUTH); null until the first assigned wait of this run (not carried).
   */
  reminderPlan: string | null;
  /** A signal asked to re-plan: the current wait ends. Cleared at the top of each pass of the loop. */
  wake: boolean;
  /** A renewal or revocation, learnt from a signal or the database: the run ends with it. */
  ending: Ending | null;
  /** The send window in force and its zone, from the last context read (SEND_WINDOWS); null: none is on. */
  messageWindow: MessageWindow | null;
  /**
   * Repeating reminders (REPEATING_REMINDERS, recertification/repeat.ts): 1..`repeatsDone` are sent or
   * passed over; `repeatPlan` is what they were last planned from (null until the first assigned pass).
   * Both carried when a repeat was ever planned.
   */
  repeatsDone: number;
  repeatPlan: string | null;
  /** The expiry the search attributes were last upserted with by this run (`publish`); null until then (not carried). */
  publishedExpiresAt: string | null;
  /**
   * In grace: the due time the enrolled run had as it entered grace (the status's is cleared then), for
   * the expired notice's `{{dueAt}}` (ASSIGNED_DUE_TIME_FIXED); null otherwise. Carried when set.
   */
  graceEnrolledDue: string | null;
}

/** A run's state: carried over from the previous run, or fresh (scheduled, settings not read yet). */
export function newRun(input: RecertificationInput): RecertificationRun {
  return {
    input,
    status: input.carried?.status ?? {
      awardId: input.awardId,
      phase: 'scheduled',
      dueAt: null,
      expiresAt: input.expiresAt,
      settingsVersion: 0,
      settings: null,
      waitingReason: null,
      attempt: null,
      messages: [],
      history: [],
      renewedByAwardId: null,
      revokedReason: null,
    },
    remindersSent: new Set<number>(input.carried?.remindersSent ?? []),
    expiringNoticeSent: input.carried?.expiringNoticeSent ?? false,
    reminderPlan: null,
    wake: false,
    ending: null,
    messageWindow: null,
    repeatsDone: input.carried?.repeatReminders?.done ?? 0,
    repeatPlan: input.carried?.repeatReminders?.plan ?? null,
    publishedExpiresAt: null,
    graceEnrolledDue: input.carried?.graceEnrolledDue ?? null,
  };
}

/** The workflow's clock, in ms since the epoch. */
export const now = (): number => Date.now();

/**
 * Adds an entry to the status's short history (`event`, e.g. `phase_assigned`, with an optional
 * human-readable detail) and logs it through the workflow logger, which stays silent on replay.
 */
export function record(run: RecertificationRun, event: string, detail?: string): void {
  const { history } = run.status;
  history.push({ at: new Date(now()).toISOString(), event, ...(detail ? { detail } : {}) });
  if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
  log.info(detail ? `${event}: ${detail}` : event, { event, phase: run.status.phase });
}

/** The certificate's settings in force, once read or signalled. */
export const settingsOf = (run: RecertificationRun): CertificateSettings | null => run.status.settings;
/** Days before expiry the learner is enrolled (the settings' lead days). */
export const leadDays = (run: RecertificationRun): number => settingsOf(run)?.recertification.leadDays ?? DEFAULT_LEAD_DAYS;
/** The award's expiry, ms since the epoch. */
export const expiresMs = (run: RecertificationRun): number => Date.parse(run.status.expiresAt);
/** The due time, ms since the epoch: expiry − lead days (domain/dates.ts). */
export const dueMs = (run: RecertificationRun): number => dueAt(new Date(run.status.expiresAt), leadDays(run)).getTime();

/** What the reminders are planned from: the expiry and the reminder days (days before expiry), as one comparable string. */
export const reminderPlanKey = (expiresAt: string, reminderDays: readonly number[] | undefined): string =>
  JSON.stringify([expiresAt, reminderDays]);

/** Marks as sent the reminders (days before expiry) whose time has already passed: none is sent late. */
export function skipPassedReminders(run: RecertificationRun, reminderDays: readonly number[]): void {
  for (const d of reminderDays) if (reminderAt(new Date(run.status.expiresAt), d).getTime() <= now()) run.remindersSent.add(d);
}

/**
 * Takes in what the database says about the award (`loadAwardContext`, `enrollWhenDue`'s context, or
 * a refused enrollment's context): newer settings, the current expiry, and a renewal or revocation whose signal may never
 * have arrived. Signals are the fast path; the database is the truth.
 */
export function applyContext(run: RecertificationRun, ctx: AwardContext): void {
  const { status } = run;
  run.messageWindow = ctx.messageWindow ?? null;
  if (ctx.settingsVersion >= status.settingsVersion) {
    status.settings = ctx.settings;
    status.settingsVersion = ctx.settingsVersion;
  }
  if (ctx.expiresAt && ctx.expiresAt !== status.expiresAt) status.expiresAt = ctx.expiresAt;
  if (!run.ending && ctx.status === 'renewed') {
    run.ending = 'renewed';
    status.renewedByAwardId = ctx.renewedByAwardId;
  }
  if (!run.ending && ctx.status === 'revoked') {
    run.ending = 'revoked';
    status.revokedReason = ctx.revokedReason;
  }
}

/** Upserts the phase, due time and expiry search attributes, and shows the current details. */
export function publish(run: RecertificationRun): void {
  const { status } = run;
  upsertSearchAttributes([
    { key: RecertificationPhase, value: status.phase },
    { key: RecertificationDueAt, value: status.dueAt ? new Date(status.dueAt) : null },
    { key: CertificateExpiresAt, value: new Date(status.expiresAt) },
  ]);
  run.publishedExpiresAt = status.expiresAt;
  setCurrentDetails(describe(status));
}

/**
 * The due time an enrolled run keeps (ASSIGNED_DUE_TIME_FIXED): `enrolledDue` (ISO), the due time the
 * run entered `assigned` with, when the current expiry − lead days (`dueMs`) says otherwise and the
 * patch is in force; null when the two agree (nothing to keep), when the run is not enrolled, or on
 * the old path (histories recorded before the patch: the due time follows the expiry and lead days).
 * The patch is evaluated only when they differ, so its marker is recorded only by runs it changes.
 */
export function keptEnrollmentDue(run: RecertificationRun, enrolledDue: string | null): string | null {
  if (!run.status.attempt || enrolledDue === null) return null;
  if (Date.parse(enrolledDue) === dueMs(run)) return null;
  return patched(ASSIGNED_DUE_TIME_FIXED) ? enrolledDue : null;
}

/**
 * Enters a phase. While the run is scheduled or waiting its due time follows the current expiry and
 * lead days; it enters `assigned` with the due time of that moment, and since ASSIGNED_DUE_TIME_FIXED
 * keeps it while assigned (the time the enrollment fell due; before the patch it went on following
 * them). Only a change (phase, due time or waiting reason; with a kept due time, the expiry) is
 * recorded and published, so re-entering the same phase emits no search-attribute upsert.
 */
export function setPhase(run: RecertificationRun, phase: Phase, extra?: { reason?: string }): void {
  const { status } = run;
  const follows = phase === 'scheduled' || phase === 'waiting_for_settings' || phase === 'assigned';
  const kept = phase === 'assigned' && status.phase === 'assigned' ? keptEnrollmentDue(run, status.dueAt) : null;
  const dueIso = kept ?? (follows ? new Date(dueMs(run)).toISOString() : status.dueAt);
  // With the due time kept, a moved expiry still reaches the search attributes (before the patch the
  // due time moved with it, and that change published both).
  const expiryMoved = kept !== null && run.publishedExpiresAt !== status.expiresAt;
  const changed = status.phase !== phase || status.dueAt !== dueIso || status.waitingReason !== (extra?.reason ?? null) || expiryMoved;
  status.phase = phase;
  status.dueAt = dueIso;
  status.waitingReason = extra?.reason ?? null;
  if (changed) {
    record(run, `phase_${phase}`, extra?.reason ?? (phase === 'scheduled' ? `due ${dueIso}` : undefined));
    publish(run);
  }
}

/** The "current details" shown in the Temporal UI (Markdown): what the workflow waits for next. */
export function describe(s: RecertificationStatus): string {
  const base = describePhase(s);
  return s.messageWaits ? `${base} The ${s.messageWaits.kind.replace(/_/g, ' ')} ${s.messageWaits.text}.` : base;
}

function describePhase(s: RecertificationStatus): string {
  const day = (iso: string | null) => (iso ? formatUtcMinute(new Date(iso)) : '—');
  switch (s.phase) {
    case 'scheduled':
      return `**Scheduled.** Enrolls in the recertification course at ${day(s.dueAt)}; the certificate expires ${day(s.expiresAt)}.`;
    case 'waiting_for_settings':
      return `**Waiting for settings:** ${s.waitingReason ?? ''}. Acts when an admin fixes the settings, or expires at ${day(s.expiresAt)}.`;
    case 'assigned':
      return `**Assigned.** Learner enrolled${s.attempt ? ` (attempt ${s.attempt.attemptId})` : ''}; waiting for renewal until ${day(s.expiresAt)}.`;
    case 'renewed':
      return `**Renewed** by award ${s.renewedByAwardId ?? ''}. Done.`;
    case 'expired':
      return `**Expired** at ${day(s.expiresAt)} without renewal. Done.`;
    case 'revoked':
      return `**Revoked:** ${s.revokedReason ?? ''}. Done.`;
    case 'in_grace':
      return `**In grace period** since ${day(s.expiresAt)}: the learner can still renew by completing the course; expires for good at ${day(s.graceEndsAt ?? null)}.`;
  }
}
