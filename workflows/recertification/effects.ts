/**
 * What the steps do to the world: the activities they call and the one timer they wait in. Every
 * activity and timer command of the recertification workflow starts here, so changing one of these
 * functions changes the recorded histories: guard it with a patch (patches.ts).
 */
import { CancelledFailure, TemporalFailure, condition, log, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { EnrollWhenDueResult, MessageActivities, RecertificationActivities, SendMessageInput, SendMessageResult } from '../../activities/types.ts';
import { DAY_MS } from '../../domain/dates.ts';
import { EMAIL_ACTIVITY_OPTIONS, emailTaskQueue } from '../activity-options.ts';
import type { MessageKind } from '../contract.ts';
import { ACT_ON_DATABASE_TRUTH, DUE_STEP_LOCAL_ACTIVITIES } from './patches.ts';
import { MAX_MESSAGES, applyContext, describe, expiresMs, keptEnrollmentDue, now, record, type RecertificationRun } from './run.ts';
import { describeOpening, nextWindowOpening } from '../../domain/send-window.ts';

/** The longest single timer the workflow sets: a year. A longer wait is slept in pieces. */
export const MAX_TIMER_MS = 365 * DAY_MS;

/** Database activities as regular activities: the expiry, and the due step before DUE_STEP_LOCAL_ACTIVITIES. */
export const db = proxyActivities<RecertificationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The short database steps (load the award's context, create the attempt; since ENROLL_WHEN_DUE the
 * due step's `enrollWhenDue`) as local activities, run inside the workflow task the timer's firing
 * starts (DUE_STEP_LOCAL_ACTIVITIES says why).
 */
const localDb = proxyLocalActivities<RecertificationActivities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Which proxy runs the due step's database steps: local activities since the patch, else regular ones. */
export const dbSteps = (): RecertificationActivities => (patched(DUE_STEP_LOCAL_ACTIVITIES) ? localDb : db);

/** The due step's read and enrollment, one local activity (ENROLL_WHEN_DUE), as of `asOfMs` (ms since the epoch). */
export const enrollWhenDue = (run: RecertificationRun, asOfMs: number): Promise<EnrollWhenDueResult> =>
  localDb.enrollWhenDue({ awardId: run.input.awardId, asOf: new Date(asOfMs).toISOString() });

/** Re-reads the award and its settings before an acting step (ACT_ON_DATABASE_TRUTH). */
export async function refresh(run: RecertificationRun): Promise<void> {
  applyContext(run, await localDb.loadAwardContext({ awardId: run.input.awardId }));
}

/** The send-message activity, on this workflow's email task queue (`<task queue>-email`). */
const mail = (): MessageActivities =>
  proxyActivities<MessageActivities>({ ...EMAIL_ACTIVITY_OPTIONS, taskQueue: emailTaskQueue(workflowInfo().taskQueue) });

/**
 * How long a local send may take (SEND_IN_DUE_STEP): one attempt, ms. Its workflow task holds a
 * workflow-task slot while it runs, so a send held up by the provider (its rate limit, a 429 pause,
 * an outage) is handed over to the email task queue instead of waiting in the slot.
 */
const LOCAL_SEND_TIMEOUT = '20 seconds';

/**
 * The send-message activity as a local activity, in the workflow task that asks for it
 * (SEND_IN_DUE_STEP): one attempt of at most LOCAL_SEND_TIMEOUT; no heartbeat (local activities do
 * not heartbeat; the worker keeps the workflow task alive while one runs).
 */
const localMail = proxyLocalActivities<MessageActivities>({
  startToCloseTimeout: LOCAL_SEND_TIMEOUT,
  retry: { maximumAttempts: 1 },
});

/**
 * Where a message is sent from: a regular activity on the email task queue, or first a local activity
 * in the current workflow task, handed over to the email task queue when that attempt fails or times out.
 */
export type SendVia = 'email_queue' | 'local_first';

/**
 * One attempt as a local activity, then (on any failure: a retryable provider error, a timeout) the
 * regular activity on the email task queue with its retries and heartbeats. Safe to repeat: both carry
 * the same idempotency key, and the mailer re-sends a claimed batch as it was (activities/mail/mailer.ts).
 */
async function sendLocalFirst(run: RecertificationRun, input: SendMessageInput): Promise<SendMessageResult> {
  try {
    return await localMail.sendMessage(input);
  } catch (err) {
    // A local activity's failure arrives as the activity's own failure (an ApplicationFailure, a
    // TimeoutFailure), or wrapped in an ActivityFailure; a cancellation is passed on.
    if (!(err instanceof TemporalFailure) || err instanceof CancelledFailure) throw err;
    record(run, 'message_handed_over', `${input.kind}: ${err.cause?.message ?? err.message}`);
    return await mail().sendMessage(input);
  }
}

/**
 * Sends one message about the award and keeps its outcome in the status (sent, failed or skipped,
 * with why). Since ACT_ON_DATABASE_TRUTH the activity checks at the workflow's instant (`asOf`) that
 * the message is still due and wanted. While enrolled, the due time the run keeps
 * (ASSIGNED_DUE_TIME_FIXED) goes with it as `dueAt` when it differs from expiry − lead days.
 */
export async function send(run: RecertificationRun, kind: MessageKind, extra: Omit<SendMessageInput, 'kind' | 'awardId'> = {}, via: SendVia = 'email_queue'): Promise<void> {
  const asOf = patched(ACT_ON_DATABASE_TRUTH) ? { asOf: new Date(now()).toISOString() } : {};
  const kept = extra.dueAt === undefined && run.status.phase === 'assigned' ? keptEnrollmentDue(run, run.status.dueAt) : null;
  const input: SendMessageInput = { kind, awardId: run.input.awardId, ...extra, ...asOf, ...(kept ? { dueAt: kept } : {}) };
  const result = via === 'local_first' ? await sendLocalFirst(run, input) : await mail().sendMessage(input);
  const { messages } = run.status;
  messages.push({
    kind,
    messageId: result.messageId,
    status: result.status,
    at: new Date(now()).toISOString(),
    ...(result.error ? { error: result.error } : {}),
  });
  if (messages.length > MAX_MESSAGES) messages.splice(0, messages.length - MAX_MESSAGES);
  record(run, `message_${result.status}`, result.error ? `${kind}: ${result.error}` : result.reason ? `${kind}: ${result.reason}` : kind);
}

/**
 * The run's one timer, kept a small named unit as Temporal's timer samples keep theirs: sleeps until
 * `untilMs` (ms since the epoch), or until a signal asks to re-plan (`run.wake`) or ends the run.
 * The caller re-plans after it either way. Since ACT_ON_DATABASE_TRUTH one timer is at most
 * MAX_TIMER_MS, and the loop sleeps a longer wait in pieces.
 */
export async function sleepUntil(run: RecertificationRun, untilMs: number): Promise<void> {
  const ms = Math.min(untilMs - now(), patched(ACT_ON_DATABASE_TRUTH) ? MAX_TIMER_MS : Infinity);
  if (ms > 0 && !run.wake && !run.ending) {
    log.debug('waiting', { phase: run.status.phase, untilMs, timerMs: ms });
    await condition(() => run.wake || run.ending !== null, ms);
  }
}

/**
 * How a wait for the send window ended: `send` the message now; `replan` first (the run ended, or a
 * signal woke it and the caller asked to re-plan on a wake); `too_late` the window opens only at or
 * after the expiry, so the message is not sent (the expiry is never delayed).
 */
export type WindowWait = 'send' | 'replan' | 'too_late';

/**
 * SEND_WINDOWS: waits in a durable timer until the learner's send window is open for a message of
 * `kind` (run.messageWindow, from the last context read; none: at once). The status and the Temporal
 * UI say what it waits for ("message waits for 08:00 Europe/Berlin on Monday 7 December 2026") while it
 * waits. A signal wakes it: with `onWake: 'replan'` it returns `replan`; with `'keep'` it re-reads the
 * award (the window or the zone may have changed) and waits on, and the wake is passed on to the
 * loop when it returns. Renewal or revocation: `replan`. Timers are at most MAX_TIMER_MS.
 */
export async function waitForSendWindow(run: RecertificationRun, kind: MessageKind, onWake: 'keep' | 'replan'): Promise<WindowWait> {
  let woken = false;
  try {
    for (;;) {
      if (run.ending) return 'replan';
      const mw = run.messageWindow;
      const opening = mw ? nextWindowOpening(now(), mw.timeZone, mw.window) : now();
      if (opening <= now()) return 'send';
      if (opening >= expiresMs(run)) {
        record(run, 'message_not_sent', `${kind}: the send window opens after the expiry`);
        return 'too_late';
      }
      const text = `message waits for ${describeOpening(opening, mw!.timeZone)}`;
      const until = new Date(opening).toISOString();
      if (run.status.messageWaits?.until !== until || run.status.messageWaits.kind !== kind) {
        run.status.messageWaits = { kind, until, timeZone: mw!.timeZone, text };
        record(run, 'message_waits', `${kind}: ${text}`);
      }
      setCurrentDetails(describe(run.status));
      const signalled = await condition(() => run.wake || run.ending !== null, Math.min(opening - now(), MAX_TIMER_MS));
      if (!signalled) continue;
      if (run.ending || onWake === 'replan') return 'replan';
      woken = true;
      run.wake = false;
      await refresh(run);
    }
  } finally {
    if (run.status.messageWaits) {
      run.status.messageWaits = null;
      setCurrentDetails(describe(run.status));
    }
    if (woken) run.wake = true;
  }
}
