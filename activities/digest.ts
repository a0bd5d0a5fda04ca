/**
 * The weekly digest's activity (issue 14 §4): reads the awards as the database has them now, works
 * out each recipient's digest (domain/digest.ts), and sends each one once per period.
 *
 * Exactly once, as the mailer does for learners' messages: the ledger row (period, recipient) is
 * written with the rendered payload and the idempotency key `digest:<period>:<recipient>` before the
 * provider request. A later run of the same period (the schedule firing twice, a retried activity)
 * finds the row: `sent` or `failed` is not sent again; `sending` (the answer was lost) is re-sent with
 * the stored payload and key, so the provider answers with the first result instead of emailing twice.
 * Sends go through the worker's mailer (`sendOne`), under its rate limit.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../config/logger.ts';
import type { DigestConfig } from '../config/env.ts';
import * as digestQ from '../db/queries/digest-sends.ts';
import { DAY_MS } from '../domain/dates.ts';
import { DIGEST_EXPIRED_DAYS, DIGEST_LAPSING_DAYS, digestIdempotencyKey, digestPeriod, digestsFor } from '../domain/digest.ts';
import type { Mailer } from './mail/mailer.ts';
import { RetryableSendError } from './mail/providers.ts';
import { renderDigest } from './mail/digest-template.ts';
import type { DigestActivities, DigestRunInput, DigestRunResult } from './types.ts';

export interface DigestActivityDeps {
  sql: Sql;
  mailer: Mailer;
  /** The From header. */
  from: string;
  appBaseUrl: string;
  digest: DigestConfig;
  log: Logger;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Heartbeats when running as an activity (a direct call, e.g. a test's, has no context). */
function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity
  }
}

/**
 * Runs the digest of the period `asOf` falls in (see DigestActivities). Throws RangeError for an
 * invalid `asOf`; a RetryableSendError when some digest could not be sent now (the others are sent
 * and recorded; a retry sends only what is left).
 */
export async function runWeeklyDigest(deps: DigestActivityDeps, input: DigestRunInput): Promise<DigestRunResult> {
  const asOf = new Date(input.asOf);
  if (Number.isNaN(asOf.getTime())) throw new RangeError(`digest: asOf is not an instant: ${JSON.stringify(input.asOf)}`);
  const { period, startsAt } = digestPeriod(asOf, deps.digest);
  const candidates = await digestQ.digestCandidates(deps.sql, {
    expiredSince: new Date(startsAt.getTime() - DIGEST_EXPIRED_DAYS * DAY_MS),
    lapsingUntil: new Date(startsAt.getTime() + DIGEST_LAPSING_DAYS * DAY_MS),
  });
  const digests = digestsFor(candidates, startsAt, deps.digest.adminEmails);
  const result: DigestRunResult = { period, digests: digests.length, sent: 0, alreadyDone: 0, failed: 0 };
  let retryable: RetryableSendError | null = null;
  for (const digest of digests) {
    heartbeat({ period, done: result.sent + result.alreadyDone + result.failed });
    const rendered = renderDigest(digest, { startsAt, timeZone: deps.digest.timeZone, adminUrl: `${deps.appBaseUrl}/admin` });
    const key = { period, recipient: digest.recipient };
    const { row } = await digestQ.claimDigestSend(deps.sql, {
      ...key,
      audience: digest.audience,
      idempotencyKey: digestIdempotencyKey(period, digest.recipient, sha256),
      provider: deps.mailer.provider.name,
      fromAddress: deps.from,
      subject: rendered.subject,
      htmlBody: rendered.html,
      textBody: rendered.text,
      entryCount: digest.entries.length,
    });
    if (row.status !== 'sending') {
      result.alreadyDone++;
      continue;
    }
    // The stored payload, not this run's rendering: a re-send must be the same request.
    const email = { from: row.fromAddress, to: row.recipient, subject: row.subject ?? rendered.subject, html: row.htmlBody ?? rendered.html, ...(row.textBody ? { text: row.textBody } : {}) };
    try {
      const outcome = await deps.mailer.sendOne(email, { idempotencyKey: row.idempotencyKey });
      await digestQ.completeDigestSend(deps.sql, key, outcome.ok ? { ok: true, providerMessageId: outcome.id } : { ok: false, error: outcome.error });
      if (outcome.ok) result.sent++;
      else result.failed++;
    } catch (err) {
      if (!(err instanceof RetryableSendError)) throw err;
      await digestQ.noteDigestRetry(deps.sql, key, err.message);
      deps.log.warn({ period, audience: digest.audience, err: err.message }, 'digest send failed, will be retried');
      retryable ??= err;
    }
  }
  deps.log.info(result, 'weekly digest run');
  if (retryable) throw retryable;
  return result;
}

export function createDigestActivities(deps: DigestActivityDeps): DigestActivities {
  return { sendWeeklyDigest: (input) => runWeeklyDigest(deps, input) };
}
