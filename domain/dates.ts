/**
 * Pure date rules of recertification. No I/O and no clock of their own: safe to import from workflow
 * code (deterministic) and from the API alike.
 */
export type DurationUnit = 'days' | 'weeks' | 'months' | 'years';
export interface ValidFor {
  amount: number;
  unit: DurationUnit;
}
export type ExpiryAnchor = 'completion' | 'previous_expiry';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant recertification falls due: exactly `leadDays` × 24 h before expiry. */
export function dueAt(expiresAt: Date, leadDays: number): Date {
  return new Date(expiresAt.getTime() - leadDays * DAY_MS);
}

/** The instant a reminder `daysBeforeExpiry` days before expiry is due. */
export function reminderAt(expiresAt: Date, daysBeforeExpiry: number): Date {
  return new Date(expiresAt.getTime() - daysBeforeExpiry * DAY_MS);
}

/**
 * Adds a calendar duration in UTC. Months and years clamp to the last day of a shorter month
 * (31 Jan + 1 month = 28/29 Feb), as people read "valid for one month".
 */
export function addDuration(from: Date, validFor: ValidFor): Date {
  const { amount, unit } = validFor;
  if (unit === 'days') return new Date(from.getTime() + amount * DAY_MS);
  if (unit === 'weeks') return new Date(from.getTime() + amount * 7 * DAY_MS);
  const months = unit === 'years' ? amount * 12 : amount;
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(from.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(targetYear, targetMonth, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

/**
 * Expiry of a new award. `completion`: completion time + validFor. `previous_expiry`: renewing
 * before the previous award lapses keeps its anniversary (previous expiry + validFor); after it
 * lapsed (or with no previous award) the completion time is the anchor.
 */
export function expiryFor(args: {
  completedAt: Date;
  validFor: ValidFor;
  anchor: ExpiryAnchor;
  previousExpiresAt?: Date | null;
}): Date {
  const { completedAt, validFor, anchor, previousExpiresAt } = args;
  if (anchor === 'previous_expiry' && previousExpiresAt && previousExpiresAt.getTime() > completedAt.getTime()) {
    return addDuration(previousExpiresAt, validFor);
  }
  return addDuration(completedAt, validFor);
}
