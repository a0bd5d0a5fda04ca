/**
 * One durable workflow per expiring award (SPEC §4). It sleeps until the due time (expiry − lead
 * days) in a wait that signals can wake and re-plan, enrolls the learner in the recertification
 * course as a fresh attempt, sends the chosen messages, then waits for renewal until expiry.
 *
 * Deterministic and replay-safe: no I/O, no Node APIs, activities by type only. Change the logic of a
 * deployed version with `patched()` and add a recorded history under test/histories.
 */
import {
  condition,
  continueAsNew,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MessageActivities, RecertificationActivities, AwardContext, SendMessageInput } from '../activities/types.ts';
import type { CertificateSettings } from '../domain/settings.ts';
import { DAY_MS, dueAt as computeDueAt, reminderAt } from '../domain/dates.ts';
import { enrollmentRefusal, type AwardTruth } from '../domain/acting-rules.ts';
import { EMAIL_ACTIVITY_OPTIONS, emailTaskQueue } from './activity-options.ts';
import {
  awardRenewedSignal,
  awardRevokedSignal,
  expiryChangedSignal,
  settingsChangedSignal,
  statusQuery,
  type CarriedState,
  type MessageKind,
  type Phase,
  type RecertificationInput,
  type RecertificationStatus,
} from './contract.ts';
import { AwardId, CertificateExpiresAt, CertificateId, LearnerId, RecertificationDueAt, RecertificationPhase } from './search-attributes.ts';

const MAX_HISTORY = 50;
const MAX_MESSAGES = 30;
/** Continue-as-new well before a history grows heavy (many settings changes over years). */
const HISTORY_EVENTS_LIMIT = 5_000;

const db = proxyActivities<RecertificationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The short database steps (load the award's context, create the attempt) as local activities: they
 * run inside the workflow task that the timer's firing starts, so falling due costs one workflow task
 * and one (email) activity instead of three tasks and three activities. Under a due burst that halves
 * the server's work per award. Introduced with patch DUE_STEP_LOCAL_ACTIVITIES; histories recorded
 * before it replay through the old path.
 */
const localDb = proxyLocalActivities<RecertificationActivities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
export const DUE_STEP_LOCAL_ACTIVITIES = 'due-step-local-activities';

/**
 * Every acting step acts on the database's truth (SPEC §4; issue "right on real data" §1, §5, §6):
 *  - before expiring, reminding or enrolling, the workflow re-reads the award and settings, and the
 *    activity that acts re-checks them in its own transaction (`asOf`), so an expiry moved, a revoke
 *    or a renewal whose signal never arrived is obeyed;
 *  - a refused enrollment re-plans from the context the activity returns;
 *  - sleeps are cut into pieces of at most MAX_TIMER_MS (Temporal keeps no timer past ~99 years);
 *  - a continued run carries its search attributes and publishes its details at once, and the run it
 *    continues clears its phase, due time and expiry so visibility queries find the award once.
 * Histories recorded before it replay through the old path.
 */
export const ACT_ON_DATABASE_TRUTH = 'act-on-database-truth';
/** The longest single timer the workflow sets: a year. A longer wait is slept in pieces. */
export const MAX_TIMER_MS = 365 * DAY_MS;
/** After a refused enrollment the workflow re-plans; it waits this long if the refusal did not change its plan. */
const REFUSED_RETRY_MS = 60 * 60 * 1000;

export async function recertificationWorkflow(input: RecertificationInput): Promise<RecertificationStatus> {
  const mail = proxyActivities<MessageActivities>({ ...EMAIL_ACTIVITY_OPTIONS, taskQueue: emailTaskQueue(workflowInfo().taskQueue) });

  const status: RecertificationStatus = input.carried?.status ?? {
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
  };
  const remindersSent = new Set<number>(input.carried?.remindersSent ?? []);
  let expiringNoticeSent = input.carried?.expiringNoticeSent ?? false;
  /** The expiry and reminder days the reminders were last planned from (ACT_ON_DATABASE_TRUTH). */
  let reminderPlan: string | null = null;
  let wake = false;
  let ending: 'renewed' | 'revoked' | null = null;

  const now = (): number => Date.now();
  const record = (event: string, detail?: string): void => {
    status.history.push({ at: new Date(now()).toISOString(), event, ...(detail ? { detail } : {}) });
    if (status.history.length > MAX_HISTORY) status.history.splice(0, status.history.length - MAX_HISTORY);
  };

  setHandler(statusQuery, () => status);
  setHandler(settingsChangedSignal, ({ settingsVersion, settings }) => {
    if (settingsVersion <= status.settingsVersion) return; // an older change arriving late
    status.settings = settings;
    status.settingsVersion = settingsVersion;
    record('settings_changed', `version ${settingsVersion}`);
    wake = true;
  });
  setHandler(expiryChangedSignal, ({ expiresAt }) => {
    if (Number.isNaN(Date.parse(expiresAt)) || expiresAt === status.expiresAt) return;
    record('expiry_changed', `${status.expiresAt} → ${expiresAt}`);
    status.expiresAt = new Date(expiresAt).toISOString();
    wake = true;
  });
  setHandler(awardRenewedSignal, ({ newAwardId }) => {
    if (ending) return;
    ending = 'renewed';
    status.renewedByAwardId = newAwardId;
    record('renewed', `by award ${newAwardId}`);
    wake = true;
  });
  setHandler(awardRevokedSignal, ({ reason }) => {
    if (ending) return;
    ending = 'revoked';
    status.revokedReason = reason;
    record('revoked', reason);
    wake = true;
  });

  const settings = (): CertificateSettings | null => status.settings;
  const leadDays = (): number => settings()?.recertification.leadDays ?? 30;
  const expiresMs = (): number => Date.parse(status.expiresAt);
  const dueMs = (): number => computeDueAt(new Date(status.expiresAt), leadDays()).getTime();

  const publish = (): void => {
    upsertSearchAttributes([
      { key: RecertificationPhase, value: status.phase },
      { key: RecertificationDueAt, value: status.dueAt ? new Date(status.dueAt) : null },
      { key: CertificateExpiresAt, value: new Date(status.expiresAt) },
    ]);
    setCurrentDetails(describe(status));
  };
  const setPhase = (phase: Phase, extra?: { reason?: string }): void => {
    const dueIso = phase === 'scheduled' || phase === 'waiting_for_settings' || phase === 'assigned' ? new Date(dueMs()).toISOString() : status.dueAt;
    const changed = status.phase !== phase || status.dueAt !== dueIso || status.waitingReason !== (extra?.reason ?? null);
    status.phase = phase;
    status.dueAt = dueIso;
    status.waitingReason = extra?.reason ?? null;
    if (changed) {
      record(`phase_${phase}`, extra?.reason ?? (phase === 'scheduled' ? `due ${dueIso}` : undefined));
      publish();
    }
  };
  const applyContext = (ctx: AwardContext): void => {
    if (ctx.settingsVersion >= status.settingsVersion) {
      status.settings = ctx.settings;
      status.settingsVersion = ctx.settingsVersion;
    }
    if (ctx.expiresAt && ctx.expiresAt !== status.expiresAt) status.expiresAt = ctx.expiresAt;
    if (!ending && ctx.status === 'renewed') {
      ending = 'renewed';
      status.renewedByAwardId = ctx.renewedByAwardId;
    }
    if (!ending && ctx.status === 'revoked') {
      ending = 'revoked';
      status.revokedReason = ctx.revokedReason;
    }
  };
  const send = async (kind: MessageKind, extra: Omit<SendMessageInput, 'kind' | 'awardId'> = {}): Promise<void> => {
    const asOf = patched(ACT_ON_DATABASE_TRUTH) ? { asOf: new Date(now()).toISOString() } : {};
    const result = await mail.sendMessage({ kind, awardId: input.awardId, ...extra, ...asOf });
    status.messages.push({
      kind,
      messageId: result.messageId,
      status: result.status,
      at: new Date(now()).toISOString(),
      ...(result.error ? { error: result.error } : {}),
    });
    if (status.messages.length > MAX_MESSAGES) status.messages.splice(0, status.messages.length - MAX_MESSAGES);
    record(`message_${result.status}`, result.error ? `${kind}: ${result.error}` : result.reason ? `${kind}: ${result.reason}` : kind);
  };
  /** Sleeps until `untilMs`, or until a signal asks to re-plan. */
  const sleepUntil = async (untilMs: number): Promise<void> => {
    const ms = Math.min(untilMs - now(), patched(ACT_ON_DATABASE_TRUTH) ? MAX_TIMER_MS : Infinity);
    if (ms > 0 && !wake && !ending) await condition(() => wake || ending !== null, ms);
  };

  /** Which proxy runs the database steps: local activities since the patch, else regular ones. */
  const dbSteps = (): RecertificationActivities => (patched(DUE_STEP_LOCAL_ACTIVITIES) ? localDb : db);
  /** Re-reads the award and its settings before an acting step (ACT_ON_DATABASE_TRUTH). */
  const refresh = async (): Promise<void> => {
    applyContext(await localDb.loadAwardContext({ awardId: input.awardId }));
  };
  const truthOf = (ctx: AwardContext): AwardTruth => ({
    status: ctx.status,
    awardedAt: new Date(ctx.awardedAt ?? 0),
    sourceAttemptId: ctx.sourceAttemptId ?? null,
    expiresAt: ctx.expiresAt ? new Date(ctx.expiresAt) : null,
    settings: ctx.settings,
    course: ctx.recertificationCourse,
  });

  if (!input.carried) {
    const ctx = await dbSteps().loadAwardContext({ awardId: input.awardId });
    applyContext(ctx);
    if (!ctx.expiresAt && !ending) {
      record('not_expiring', 'the award has no expiry; nothing to automate');
      status.dueAt = null;
      return status;
    }
    if (ctx.status === 'expired') {
      status.phase = 'expired';
      record('already_expired');
      publish();
      return status;
    }
    record('started', `expires ${status.expiresAt}, lead ${leadDays()} days`);
  } else if (patched(ACT_ON_DATABASE_TRUTH)) {
    // A continued run: its search attributes came with it; show what it waits for at once.
    record('continued', `history of the previous run passed its limit`);
    publish();
  }

  for (;;) {
    wake = false;
    if (ending) break;
    if (workflowInfo().historyLength > (input.historyEventsLimit ?? HISTORY_EVENTS_LIMIT) || workflowInfo().continueAsNewSuggested) {
      const carried: CarriedState = { status, remindersSent: [...remindersSent], expiringNoticeSent };
      if (patched(ACT_ON_DATABASE_TRUTH)) {
        // The closed run keeps its ids but no phase, due time or expiry: a visibility query on those
        // finds the award once, in the running run, which starts with all of them.
        const dueIso = status.dueAt ? new Date(status.dueAt) : null;
        upsertSearchAttributes([
          { key: RecertificationPhase, value: null },
          { key: RecertificationDueAt, value: null },
          { key: CertificateExpiresAt, value: null },
        ]);
        await makeContinueAsNewFunc<typeof recertificationWorkflow>({
          typedSearchAttributes: [
            { key: CertificateId, value: input.certificateId },
            { key: LearnerId, value: input.learnerId },
            { key: AwardId, value: input.awardId },
            { key: RecertificationPhase, value: status.phase },
            ...(dueIso ? [{ key: RecertificationDueAt, value: dueIso }] : []),
            { key: CertificateExpiresAt, value: new Date(status.expiresAt) },
          ],
        })({ ...input, expiresAt: status.expiresAt, carried });
      }
      await continueAsNew<typeof recertificationWorkflow>({ ...input, expiresAt: status.expiresAt, carried });
    }

    if (now() >= expiresMs()) {
      const truthFirst = patched(ACT_ON_DATABASE_TRUTH);
      if (truthFirst) {
        await refresh();
        if (ending || now() < expiresMs()) continue; // renewed, revoked or extended meanwhile
      }
      const result = await db.expireAward({ awardId: input.awardId, ...(truthFirst ? { asOf: new Date(now()).toISOString() } : {}) });
      if (result.status === 'renewed' || result.status === 'revoked') {
        ending = result.status;
        continue;
      }
      if (truthFirst && !result.expired && result.status === 'active') {
        // Still active: its expiry moved later between the read and the update. Re-plan from it.
        if (result.expiresAt) status.expiresAt = result.expiresAt;
        continue;
      }
      status.phase = 'expired';
      record('expired');
      if (truthFirst) status.dueAt = null; // nothing falls due any more
      publish();
      if (result.expired && settings()?.expiredNotice.enabled) await send('certificate_expired');
      return status;
    }

    if (status.phase !== 'assigned') {
      if (now() < dueMs()) {
        setPhase('scheduled');
        await sleepUntil(dueMs());
        continue;
      }
      // Due. Signals are the fast path; the database is the truth: re-read before acting.
      const steps = dbSteps();
      const ctx = await steps.loadAwardContext({ awardId: input.awardId });
      applyContext(ctx);
      if (ending) continue;
      if (now() < dueMs() || now() >= expiresMs()) continue; // the expiry or lead days moved: re-plan
      const rc = ctx.settings.recertification;
      const course = ctx.recertificationCourse;
      const truthFirst = patched(ACT_ON_DATABASE_TRUTH);
      const refusal = truthFirst ? enrollmentRefusal(truthOf(ctx), now()) : null;
      if (!refusal && ctx.settings.expiration.enabled && rc.enabled && course && course.status === 'live') {
        const made = await steps.createRecertificationAttempt({
          awardId: input.awardId,
          courseId: course.id,
          ...(truthFirst ? { asOf: new Date(now()).toISOString() } : {}),
        });
        if ('refused' in made) {
          // The database changed between the read and the transaction: re-plan from what it says now.
          record('enrollment_refused', made.refused);
          const before = JSON.stringify([status.expiresAt, status.settingsVersion, ending]);
          applyContext(made.context);
          if (before === JSON.stringify([status.expiresAt, status.settingsVersion, ending])) await sleepUntil(now() + REFUSED_RETRY_MS);
          continue;
        }
        const attempt = made;
        status.attempt = {
          attemptId: attempt.attemptId,
          courseId: attempt.courseId,
          supersededAttemptId: attempt.supersededAttemptId,
          at: new Date(now()).toISOString(),
        };
        // Reminders whose time has already passed are not sent late.
        for (const d of rc.reminderDaysBeforeExpiry) if (reminderAt(new Date(status.expiresAt), d).getTime() <= now()) remindersSent.add(d);
        setPhase('assigned');
        record('enrolled', `course ${course.title}${attempt.supersededAttemptId ? ', previous attempt superseded' : ''}`);
        if (ctx.settings.expiringNotice.enabled && !expiringNoticeSent) {
          expiringNoticeSent = true;
          await send('certificate_expiring', { attemptId: attempt.attemptId });
        } else if (truthFirst && expiringNoticeSent && !course.hasEnrollmentMessage) {
          // The expiring notice went out while waiting, without a course: tell the learner where to go.
          await send('recertification_enrollment', { attemptId: attempt.attemptId });
        }
        if (course.hasEnrollmentMessage) await send('course_enrollment', { attemptId: attempt.attemptId });
        continue;
      }
      const reason = refusal
        ? refusal
        : !ctx.settings.expiration.enabled || !rc.enabled
        ? 'recertification is off for this certificate'
        : !rc.courseId || !course
          ? 'no recertification course is chosen'
          : `the recertification course "${course.title}" is ${course.status}, not live`;
      setPhase('waiting_for_settings', { reason });
      if (ctx.settings.expiringNotice.enabled && !expiringNoticeSent) {
        expiringNoticeSent = true;
        await send('certificate_expiring');
      }
      await sleepUntil(expiresMs());
      continue;
    }

    // Assigned: wait for renewal until expiry, reminding on the configured days.
    const reminderDays = settings()?.recertification.reminderDaysBeforeExpiry ?? [];
    if (patched(ACT_ON_DATABASE_TRUTH)) {
      // Keep the search attributes on the current expiry, and when the expiry or the reminder days
      // changed, do not send late the reminders whose time has already passed (as at enrollment).
      setPhase('assigned');
      const plan = JSON.stringify([status.expiresAt, reminderDays]);
      if (reminderPlan !== null && plan !== reminderPlan) {
        for (const d of reminderDays) if (reminderAt(new Date(status.expiresAt), d).getTime() <= now()) remindersSent.add(d);
      }
      reminderPlan = plan;
    }
    let next: { day: number; at: number } | null = null;
    for (const day of reminderDays) {
      if (remindersSent.has(day)) continue;
      const at = reminderAt(new Date(status.expiresAt), day).getTime();
      if (!next || at < next.at) next = { day, at };
    }
    if (next && next.at <= now()) {
      if (patched(ACT_ON_DATABASE_TRUTH)) {
        // Plan again from the database's expiry and reminder days before reminding.
        const planned = JSON.stringify([status.expiresAt, status.settings?.recertification.reminderDaysBeforeExpiry]);
        await refresh();
        if (ending || planned !== JSON.stringify([status.expiresAt, status.settings?.recertification.reminderDaysBeforeExpiry])) continue;
      }
      remindersSent.add(next.day);
      await send('recertification_reminder', { attemptId: status.attempt?.attemptId ?? null, reminderDaysBeforeExpiry: next.day });
      continue;
    }
    setCurrentDetails(describe(status));
    await sleepUntil(Math.min(next ? next.at : Infinity, expiresMs()));
  }

  status.phase = ending;
  record(`phase_${ending}`);
  if (patched(ACT_ON_DATABASE_TRUTH)) status.dueAt = null; // nothing falls due any more
  publish();
  return status;
}

/** The "current details" shown in the Temporal UI: what the workflow waits for next. */
function describe(s: RecertificationStatus): string {
  const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '—');
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
  }
}
