/**
 * A certificate's overview (the admin page's Overview tab): how many of its awards are in each phase,
 * and the coming load, week by week for the next 12 months: recertification due dates (expiry − lead
 * days, domain/dates.ts) of learners not yet enrolled, and expiries. Counted from the database with the
 * workflow's own step rule (domain/recertification-steps.ts); the pure part is here, the reading in
 * `certificateOverview`. Weeks start on Monday 00:00 UTC.
 */
import type { Sql, TransactionSql } from '../db/client.ts';
import * as awardsQ from '../db/queries/awards.ts';
import type { RunningAward } from './change-impact.ts';
import { DAY_MS, dueAt } from './dates.ts';
import { nextStep } from './recertification-steps.ts';
import type { CertificateSettings } from './settings.ts';
import type { AwardStatus, OpenPhase, Phase } from './vocabulary.ts';

/** Weeks the chart covers: 53 weeks from the current one reach 12 months ahead. */
export const OVERVIEW_WEEKS = 53;

/** One week of the chart: its first instant, and how many due dates and expiries fall in it. */
export interface OverviewWeek {
  weekStart: Date;
  due: number;
  expiring: number;
}

/** The overview: awards per phase (`not_expiring`: active awards without expiry, no workflow) and the weeks. */
export interface CertificateOverview {
  asOf: Date;
  phases: Record<Phase | 'not_expiring', number>;
  weeks: OverviewWeek[];
}

/** Monday 00:00 UTC of the week of `at` (ms since the epoch). */
export function weekStartOf(at: number): number {
  const d = new Date(at);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS;
}

/**
 * The phase the workflow of an active, expiring award is in, by what the database says at `asOf`:
 * `assigned` once its recertification attempt exists; otherwise `scheduled` before the due time and
 * `waiting_for_settings` after it (a workflow acting at this instant is counted in the phase it leaves).
 */
export function phaseOfRunningAward(award: RunningAward, settings: CertificateSettings, asOf: number): OpenPhase {
  if (award.enrolled) return 'assigned';
  const step = nextStep({ assigned: false, asOf, dueMs: dueAt(award.expiresAt, settings.recertification.leadDays).getTime(), expiresMs: award.expiresAt.getTime() });
  return step === 'wait_until_due' ? 'scheduled' : 'waiting_for_settings';
}

/** Empty weeks from the week of `asOf`. */
export function emptyWeeks(asOf: number): OverviewWeek[] {
  const first = weekStartOf(asOf);
  return Array.from({ length: OVERVIEW_WEEKS }, (_, i) => ({ weekStart: new Date(first + i * 7 * DAY_MS), due: 0, expiring: 0 }));
}

/**
 * Adds an active, expiring award to the weeks (in place): its expiry when it falls in them and after
 * `asOf`, and its due time when the learner is not enrolled and the due time is still ahead.
 */
export function addToWeeks(weeks: OverviewWeek[], award: RunningAward, settings: CertificateSettings, asOf: number): void {
  const first = weeks[0]?.weekStart.getTime();
  if (first === undefined) return;
  const bucket = (ms: number): OverviewWeek | undefined => (ms < asOf ? undefined : weeks[Math.floor((ms - first) / (7 * DAY_MS))]);
  const expiry = bucket(award.expiresAt.getTime());
  if (expiry) expiry.expiring++;
  if (!award.enrolled) {
    const due = bucket(dueAt(award.expiresAt, settings.recertification.leadDays).getTime());
    if (due) due.due++;
  }
}

/** Awards read per round trip. */
const BATCH = 5_000;

/**
 * Reads the overview of a certificate at `asOf` (ms since the epoch) with its current `settings`:
 * closed awards by status, active ones without expiry, and every running award (in batches) by
 * phase and into the weeks.
 */
export async function certificateOverview(
  sql: Sql | TransactionSql,
  args: { certificateId: string; settings: CertificateSettings; asOf: number },
): Promise<CertificateOverview> {
  const phases: CertificateOverview['phases'] = { scheduled: 0, waiting_for_settings: 0, assigned: 0, renewed: 0, expired: 0, revoked: 0, in_grace: 0, not_expiring: 0 };
  const counts = await awardsQ.awardStatusCounts(sql, args.certificateId);
  // Counted by status: the closed ones, and the awards in their grace period (issue 14).
  const closed: Exclude<AwardStatus, 'active'>[] = ['renewed', 'expired', 'revoked', 'in_grace'];
  for (const s of closed) phases[s] = counts.byStatus[s] ?? 0;
  phases.not_expiring = counts.activeWithoutExpiry;
  const weeks = emptyWeeks(args.asOf);
  await awardsQ.eachRunningAwardBatch(sql, { certificateId: args.certificateId, batchSize: BATCH }, (awards) => {
    for (const award of awards) {
      phases[phaseOfRunningAward(award, args.settings, args.asOf)]++;
      addToWeeks(weeks, award, args.settings, args.asOf);
    }
  });
  return { asOf: new Date(args.asOf), phases, weeks };
}
