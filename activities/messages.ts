/**
 * The send-message activity: loads what the message is about, renders it,
 * and hands it to the mailer, which records and sends it exactly once per idempotency key:
 *   course_enrollment         attempt:<attemptId>:course_enrollment
 *   recertification_enrollment attempt:<attemptId>:recertification_enrollment
 *   certificate_expiring      award:<awardId>:certificate_expiring
 *   certificate_expired       award:<awardId>:certificate_expired
 *   recertification_reminder  award:<awardId>:recertification_reminder:<days>
 *                             award:<awardId>:recertification_reminder:repeat:<n>   (a repeating reminder, issue 14 §3)
 * A permanent failure is returned as `failed` (the workflow goes on); a retryable one is thrown so
 * Temporal retries with backoff (honouring the provider's retry-after).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from '../db/client.ts';
import type { AttemptRow, AwardRow, CertificateRow, CourseRow, LearnerRow, MessageRow } from '../db/rows.ts';
import * as attemptsQ from '../db/queries/attempts.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as certsQ from '../db/queries/certificates.ts';
import * as coursesQ from '../db/queries/courses.ts';
import * as learnersQ from '../db/queries/learners.ts';
import * as messagesQ from '../db/queries/messages.ts';
import type { Logger } from '../config/logger.ts';
import type { MessageActivities, SendMessageInput, SendMessageResult } from './types.ts';
import type { Mailer, MessageDraft } from './mail/mailer.ts';
import { RetryableSendError } from './mail/providers.ts';
import { renderMessage, type TemplateContext } from '../domain/message-templates.ts';
import { expiredNoticeRefusal, expiringNoticeRefusal, reminderRefusal, repeatReminderRefusal } from '../domain/acting-rules.ts';
import { awardTruth } from './recertification.ts';
import { recordMessage } from '../config/metrics.ts';
import { DAY_MS, dueAt } from '../domain/dates.ts';
import { DEFAULT_TIME_ZONE } from '../domain/instant-format.ts';

export interface MessageActivityDeps {
  sql: Sql;
  mailer: Mailer;
  appBaseUrl: string;
  /**
   * The link to a course without a `url` (Config.courseUrlTemplate, `{courseId}` filled in). Unset:
   * `<appBaseUrl>/courses/{courseId}`.
   */
  courseUrlTemplate?: string;
  /** The From header, e.g. `Recertify <recertify@example.com>`. */
  from: string;
  log: Logger;
  /** Config.defaultTimeZone: the zone of learners without one (IANA). Unset: UTC. */
  defaultTimeZone?: string;
}

const invalid = (message: string): ApplicationFailure => ApplicationFailure.nonRetryable(message, 'InvalidMessageInput');

/** An ISO instant of the input (`field` names it); throws the non-retryable InvalidMessageInput when it is not one. */
function instantOf(iso: string, field: string): Date {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw invalid(`${field} is not an instant: ${iso}`);
  return new Date(ms);
}

/** The idempotency key of the message `input` asks for: one message per award/attempt and kind. */
export function messageIdempotencyKey(input: SendMessageInput): string {
  switch (input.kind) {
    case 'course_enrollment':
      if (!input.attemptId) throw invalid('course_enrollment needs an attemptId');
      return `attempt:${input.attemptId}:course_enrollment`;
    case 'recertification_enrollment':
      if (!input.attemptId) throw invalid('recertification_enrollment needs an attemptId');
      return `attempt:${input.attemptId}:recertification_enrollment`;
    case 'certificate_expiring':
    case 'certificate_expired':
      if (!input.awardId) throw invalid(`${input.kind} needs an awardId`);
      return `award:${input.awardId}:${input.kind}`;
    case 'recertification_reminder':
      if (!input.awardId) throw invalid('recertification_reminder needs an awardId');
      // A repeating reminder: one per award and n. An award has one recertification attempt (a renewal
      // is a new award with a workflow of its own), so a new cycle never meets an earlier cycle's keys.
      if (input.repeatReminder !== undefined) {
        if (!Number.isInteger(input.repeatReminder.n) || input.repeatReminder.n < 1) throw invalid('repeatReminder.n must be a whole number from 1');
        if (Number.isNaN(Date.parse(input.repeatReminder.enrolledAt))) throw invalid(`repeatReminder.enrolledAt is not an instant: ${input.repeatReminder.enrolledAt}`);
        return `award:${input.awardId}:recertification_reminder:repeat:${input.repeatReminder.n}`;
      }
      if (input.reminderDaysBeforeExpiry === undefined) throw invalid('recertification_reminder needs reminderDaysBeforeExpiry');
      return `award:${input.awardId}:recertification_reminder:${input.reminderDaysBeforeExpiry}`;
  }
}

/**
 * The days left until `expiresAt` at a repeating reminder's instant (its `asOf`, else now), a part
 * of a day counted whole (sent a few seconds after 09:00, 23 days before a 09:00 expiry: 23), at
 * least 1, for `{{daysLeft}}`; null for any other message or an award without expiry.
 */
function repeatDaysLeft(input: SendMessageInput, expiresAt: Date | null): number | null {
  if (!input.repeatReminder || !expiresAt) return null;
  const at = input.asOf !== undefined && !Number.isNaN(Date.parse(input.asOf)) ? Date.parse(input.asOf) : Date.now();
  return Math.max(1, Math.ceil((expiresAt.getTime() - at) / DAY_MS));
}

function draftFromRow(row: MessageRow): MessageDraft {
  return {
    kind: row.kind,
    learnerId: row.learnerId,
    awardId: row.awardId,
    attemptId: row.attemptId,
    to: row.toAddress,
    from: row.fromAddress,
    subject: row.subject,
    html: row.body,
    text: row.textBody,
    idempotencyKey: row.idempotencyKey,
  };
}

/** Heartbeats while `work` waits (in the mailer's queue, behind the rate limit), when in an activity. */
async function heartbeating<T>(work: Promise<T>, intervalMs = 10_000): Promise<T> {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return await work; // called outside an activity (tests, scripts)
  }
  if (ctx.info.isLocal) return await work; // a local activity cannot heartbeat; the worker keeps its workflow task alive
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), intervalMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

type Plan = { draft: MessageDraft } | { skipped: string };

/** What a message is about; null where it has no such subject or it does not exist. */
interface MessageSubjects {
  award: AwardRow | null;
  certificate: CertificateRow | null;
  attempt: AttemptRow | null;
  course: CourseRow | null;
  learner: LearnerRow | null;
}

/**
 * Loads what a message is about: the award (and its certificate), the attempt (and its course), and
 * the learner (the award's, else the attempt's). Without `attemptId`, the award's recertification
 * attempt is used when one exists.
 */
async function loadMessageSubjects(sql: Sql, args: { awardId: string | null; attemptId: string | null }): Promise<MessageSubjects> {
  const award = args.awardId ? await awardsQ.getAward(sql, args.awardId) : null;
  const certificate = award ? await certsQ.getCertificate(sql, award.certificateId) : null;
  const attempt = args.attemptId
    ? await attemptsQ.getAttempt(sql, args.attemptId)
    : award
      ? await attemptsQ.findRecertificationAttempt(sql, award.id)
      : null;
  const course = attempt ? await coursesQ.getCourse(sql, attempt.courseId) : null;
  const learnerId = award?.learnerId ?? attempt?.learnerId;
  const learner = learnerId ? await learnersQ.getLearner(sql, learnerId) : null;
  return { award, certificate, attempt, course, learner };
}

export function createMessageActivities({ sql, mailer, appBaseUrl, courseUrlTemplate, from, log, defaultTimeZone }: MessageActivityDeps): MessageActivities {
  /** Decides whether there is something to send and renders it. */
  async function plan(input: SendMessageInput, idempotencyKey: string): Promise<Plan> {
    const { award, certificate, attempt, course, learner } = await loadMessageSubjects(sql, {
      awardId: input.awardId,
      attemptId: input.attemptId ?? null,
    });
    if (input.awardId && (!award || !certificate)) throw ApplicationFailure.nonRetryable(`award ${input.awardId} not found`, 'AwardNotFound');
    if (input.attemptId && !attempt) throw ApplicationFailure.nonRetryable(`attempt ${input.attemptId} not found`, 'AttemptNotFound');
    if (!learner) throw ApplicationFailure.nonRetryable('learner not found', 'LearnerNotFound');
    // A deactivated (or erased) learner is sent nothing more, whatever the step that asks (domain/lifecycle.ts).
    if (learner.deactivatedAt) return { skipped: learner.erasedAt ? 'the learner was erased' : 'the learner is deactivated' };

    const ctx: TemplateContext = {
      appBaseUrl,
      ...(courseUrlTemplate ? { courseUrlTemplate } : {}), // unset: templates.ts's default pattern
      learner: { name: learner.name, email: learner.email },
      certificate: certificate ? { title: certificate.title } : null,
      course: course ? { id: course.id, title: course.title, url: course.url } : null,
      expiresAt: award?.expiresAt ?? null,
      // The time the enrollment fell due, when the workflow says it (an enrolled award whose lead days
      // or expiry changed since); otherwise the expiry − the current lead days.
      dueAt: input.dueAt !== undefined ? instantOf(input.dueAt, 'dueAt') : award?.expiresAt && certificate ? dueAt(award.expiresAt, certificate.settings.recertification.leadDays) : null,
      daysLeft: input.reminderDaysBeforeExpiry ?? repeatDaysLeft(input, award?.expiresAt ?? null),
      timeZone: learner.timeZone ?? defaultTimeZone ?? DEFAULT_TIME_ZONE,
    };

    // A workflow passes the instant it acts at: the message must still be due and wanted by what the
    // database says now (a change whose signal never arrived still wins).
    if (input.asOf !== undefined && award && certificate) {
      const asOf = Date.parse(input.asOf);
      if (Number.isNaN(asOf)) throw invalid(`asOf is not an instant: ${input.asOf}`);
      const truth = awardTruth({ award, certificate, recertificationCourse: null });
      const refusal =
        input.kind === 'certificate_expiring' ? expiringNoticeRefusal(truth, asOf)
        : input.kind === 'recertification_reminder' && input.repeatReminder ? repeatReminderRefusal(truth, asOf, input.repeatReminder.n, Date.parse(input.repeatReminder.enrolledAt))
        : input.kind === 'recertification_reminder' ? reminderRefusal(truth, asOf, input.reminderDaysBeforeExpiry ?? -1)
        : input.kind === 'certificate_expired' ? expiredNoticeRefusal(truth)
        : award.status !== 'active' ? `the award is ${award.status}`
        : null;
      if (refusal) return { skipped: refusal };
    }

    switch (input.kind) {
      case 'course_enrollment':
        if (!course?.enrollmentMessage) return { skipped: 'the course has no enrollment message' };
        if (attempt?.status === 'superseded') return { skipped: 'the attempt was superseded' };
        break;
      case 'recertification_enrollment':
        if (award?.status !== 'active') return { skipped: `the award is ${award?.status ?? 'missing'}` };
        if (!attempt || attempt.status === 'superseded') return { skipped: 'the attempt was superseded' };
        break;
      case 'certificate_expiring':
        if (award?.status !== 'active') return { skipped: `the award is ${award?.status ?? 'missing'}` };
        if (!award.expiresAt) return { skipped: 'the award does not expire' };
        break;
      case 'recertification_reminder': {
        if (award?.status !== 'active') return { skipped: `the award is ${award?.status ?? 'missing'}` };
        // The learner may have re-enrolled since: what counts is their current attempt on the course.
        const current = attempt?.status === 'superseded' ? await attemptsQ.findCurrentAttempt(sql, attempt.learnerId, attempt.courseId) : attempt;
        if (current?.status === 'completed') return { skipped: 'the learner has completed the course' };
        break;
      }
      case 'certificate_expired':
        if (award?.status !== 'expired') return { skipped: `the award is ${award?.status ?? 'missing'}` };
        break;
    }

    const rendered = renderMessage(input.kind, ctx, course?.enrollmentMessage ?? null, certificate?.settings.messageTemplates ?? null);
    if (!rendered) return { skipped: 'nothing to render' };
    return {
      draft: {
        kind: input.kind,
        learnerId: learner.id,
        awardId: award?.id ?? null,
        attemptId: attempt?.id ?? null,
        to: learner.email,
        from,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        idempotencyKey,
      },
    };
  }

  return {
    async sendMessage(input: SendMessageInput): Promise<SendMessageResult> {
      const idempotencyKey = messageIdempotencyKey(input);
      // A message recorded by an earlier try is delivered as it was recorded, whatever changed
      // since: it may already be on its way (exactly once beats re-deciding).
      const existing = await messagesQ.getMessageByKey(sql, idempotencyKey);
      let draft: MessageDraft;
      if (existing) {
        draft = draftFromRow(existing);
      } else {
        const planned = await plan(input, idempotencyKey);
        if ('skipped' in planned) {
          log.info({ kind: input.kind, awardId: input.awardId, attemptId: input.attemptId, reason: planned.skipped }, 'message skipped');
          recordMessage(input.kind, 'skipped');
          return { status: 'skipped', messageId: null, reason: planned.skipped };
        }
        draft = planned.draft;
      }
      try {
        const result = await heartbeating(mailer.deliver(draft));
        const { message } = result;
        log.info({ kind: input.kind, messageId: message.id, status: result.status, provider: message.provider, idempotencyKey }, 'message delivered');
        // A suppressed address (a hard bounce or complaint, read from the database as the message left)
        // is not sent: the workflow hears `skipped` with the reason; the row says `suppressed`.
        if (result.status === 'suppressed') {
          if (!existing) recordMessage(input.kind, 'suppressed'); // a retry finds it recorded: counted once
          return { status: 'skipped', messageId: message.id, reason: message.error ?? 'the address is suppressed' };
        }
        return result.status === 'sent'
          ? { status: 'sent', messageId: message.id }
          : { status: 'failed', messageId: message.id, error: message.error ?? 'failed' };
      } catch (err) {
        if (err instanceof RetryableSendError) {
          // Retried by Temporal's policy; a provider's retry-after sets the next delay.
          throw ApplicationFailure.create({
            message: err.message,
            type: 'RetryableSendError',
            nonRetryable: false,
            ...(err.retryAfterMs !== null ? { nextRetryDelay: Math.max(1000, err.retryAfterMs) } : {}),
          });
        }
        throw err;
      }
    },
  };
}
