/**
 * What a settings change does at once to a certificate's running workflows, counted from the database
 * (each award, whether its learner is enrolled, whether its expiring notice went out) with the
 * workflow's own decisions (domain/recertification-steps.ts) and the acting rules the activities
 * re-check (domain/acting-rules.ts). Pure: the caller reads the awards (db/queries/awards.ts
 * `eachRunningAwardBatch`) and feeds them one by one, so a certificate of 100,000 awards is counted in
 * pages. Instants are ms since the epoch unless typed `Date`.
 *
 * For each running award, the step the workflow would take before and after the change:
 *  - enrolled (`assigned`), or at its expiry: nothing at once (a reminder whose time has passed is
 *    not sent late; a course change after enrollment does not re-enroll; an enrolled award's due time
 *    is the time its enrollment fell due, which a change of the lead days does not move, so it is
 *    never `rescheduled`);
 *  - due and enrollable under the current settings: it acts now with or without the change; not counted;
 *  - after the change before its due time: `rescheduled` when the due time moved or it was waiting
 *    for settings (it goes back to sleep until the new due time);
 *  - after the change due, and the due step would enroll: `enrollNow` (it was scheduled; a longer lead
 *    put it inside the window) or `released` (it was waiting for settings);
 *  - after the change due, and the due step would wait: `waitingNow` (it was scheduled and enters
 *    the wait for settings now).
 * The messages the due step then sends are counted per kind in `messagesNow` (an expiring notice the
 * send activity would skip, e.g. for lead days reaching back before the award, is not counted), and
 * `secondEmail` counts the learners for whom one of them is at least their second email about this
 * award's recertification (the expiring notice already went out, or two messages go at once).
 */
import { expiringNoticeRefusal, type AwardTruth } from './acting-rules.ts';
import { dueAt } from './dates.ts';
import { dueStepDecision, enrollmentMessageKinds, nextStep, waitingMessageKinds } from './recertification-steps.ts';
import type { CertificateSettings, CourseFacts } from './settings.ts';
import type { MessageKind } from './vocabulary.ts';

/** An active award with a workflow, as the database says it is now. */
export interface RunningAward {
  awardedAt: Date;
  expiresAt: Date;
  /** The completed attempt that earned it (a completion), or null (a manual award). */
  sourceAttemptId: string | null;
  /** Its recertification attempt exists: the workflow has enrolled the learner (`assigned`). */
  enrolled: boolean;
  /** A Certificate Expiring message is recorded for it (the workflow sends it once). */
  expiringNoticeSent: boolean;
}

/** One side of the change: the settings and their recertification course (null: none chosen, or it does not exist). */
export interface SettingsSide {
  settings: CertificateSettings;
  course: CourseFacts | null;
}

/** The messages a settings change can send at once, by kind. */
export type ImmediateMessageKind = Extract<MessageKind, 'certificate_expiring' | 'recertification_enrollment' | 'course_enrollment'>;
export const IMMEDIATE_MESSAGE_KINDS = ['certificate_expiring', 'recertification_enrollment', 'course_enrollment'] as const satisfies readonly ImmediateMessageKind[];

const isImmediate = (kind: MessageKind): kind is ImmediateMessageKind => (IMMEDIATE_MESSAGE_KINDS as readonly MessageKind[]).includes(kind);

/** What a change does at once to the running workflows (see the module comment for each count). */
export interface ChangeImpact {
  /** Active awards with a workflow that were considered. */
  running: number;
  enrollNow: number;
  released: number;
  waitingNow: number;
  rescheduled: number;
  /** The earliest due time among the rescheduled, or null when none is. */
  earliestNewDueAt: Date | null;
  secondEmail: number;
  messagesNow: Record<ImmediateMessageKind, number>;
}

/** An impact that counts nothing yet. */
export function emptyImpact(): ChangeImpact {
  return {
    running: 0,
    enrollNow: 0,
    released: 0,
    waitingNow: 0,
    rescheduled: 0,
    earliestNewDueAt: null,
    secondEmail: 0,
    messagesNow: { certificate_expiring: 0, recertification_enrollment: 0, course_enrollment: 0 },
  };
}

const truthOf = (a: RunningAward, side: SettingsSide): AwardTruth & { course: CourseFacts | null } => ({
  status: 'active',
  awardedAt: a.awardedAt,
  sourceAttemptId: a.sourceAttemptId,
  expiresAt: a.expiresAt,
  settings: side.settings,
  course: side.course,
});

/**
 * Adds one running award's share of the change from `before` to `after` at `asOf` to `impact` (in
 * place). The workflow's ACT_ON_DATABASE_TRUTH rules are the ones counted (every workflow started
 * since that patch runs them).
 */
export function addAwardImpact(impact: ChangeImpact, award: RunningAward, before: SettingsSide, after: SettingsSide, asOf: number): void {
  impact.running++;
  const expiresMs = award.expiresAt.getTime();
  const dueBefore = dueAt(award.expiresAt, before.settings.recertification.leadDays).getTime();
  const dueAfter = dueAt(award.expiresAt, after.settings.recertification.leadDays).getTime();
  const stepBefore = nextStep({ assigned: award.enrolled, asOf, dueMs: dueBefore, expiresMs });
  if (stepBefore === 'expiry' || stepBefore === 'assigned_wait') return;
  const waitingBefore = stepBefore === 'due_step' && dueStepDecision(truthOf(award, before), asOf, true).action === 'wait';
  if (stepBefore === 'due_step' && !waitingBefore) return; // falls due now under the current settings: acts anyway

  const stepAfter = nextStep({ assigned: false, asOf, dueMs: dueAfter, expiresMs });
  if (stepAfter === 'wait_until_due') {
    if (waitingBefore || dueAfter !== dueBefore) {
      impact.rescheduled++;
      if (impact.earliestNewDueAt === null || dueAfter < impact.earliestNewDueAt.getTime()) impact.earliestNewDueAt = new Date(dueAfter);
    }
    return;
  }
  if (stepAfter !== 'due_step') return;

  const truth = truthOf(award, after);
  const decision = dueStepDecision(truth, asOf, true);
  const expiringNoticeOn = after.settings.expiringNotice.enabled;
  let kinds: MessageKind[];
  if (decision.action === 'enroll') {
    if (waitingBefore) impact.released++;
    else impact.enrollNow++;
    kinds = enrollmentMessageKinds({
      expiringNoticeOn,
      expiringNoticeSent: award.expiringNoticeSent,
      courseHasEnrollmentMessage: decision.course.hasEnrollmentMessage,
      actOnDatabaseTruth: true,
    });
  } else {
    if (!waitingBefore) impact.waitingNow++;
    kinds = waitingMessageKinds({ expiringNoticeOn, expiringNoticeSent: award.expiringNoticeSent });
  }
  // The send activity re-checks the expiring notice at the same instant and skips it when refused.
  const sent = kinds.filter((k) => k !== 'certificate_expiring' || expiringNoticeRefusal(truth, asOf) === null);
  for (const kind of sent) if (isImmediate(kind)) impact.messagesNow[kind]++;
  if (sent.length > 0 && sent.length + (award.expiringNoticeSent ? 1 : 0) >= 2) impact.secondEmail++;
}

/** The impact of a change on every award of `awards` (a convenience over `addAwardImpact` for a list at hand). */
export function changeImpact(awards: Iterable<RunningAward>, before: SettingsSide, after: SettingsSide, asOf: number): ChangeImpact {
  const impact = emptyImpact();
  for (const award of awards) addAwardImpact(impact, award, before, after, asOf);
  return impact;
}
