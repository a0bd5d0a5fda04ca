/**
 * Pure date rules of recertification. No I/O and no clock of their own: safe to import from workflow
 * code (deterministic) and from the API alike. Every date is read and built in UTC.
 */
/** The units a validity is counted in; months and years are calendar months and years (clamped). */
export const DURATION_UNITS = ['days', 'weeks', 'months', 'years'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export interface ValidFor {
  amount: number;
  unit: DurationUnit;
}
/**
 * What a renewal's expiry counts from: `completion` (the day the learner completed the course) or
 * `previous_expiry` (the expiring award's expiry, so renewing early loses no time).
 */
export const EXPIRY_ANCHORS = ['completion', 'previous_expiry'] as const;
export type ExpiryAnchor = (typeof EXPIRY_ANCHORS)[number];

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Days before expiry the learner is enrolled when a certificate's settings say nothing else (the seed's 30). */
export const DEFAULT_LEAD_DAYS = 30;

/** The instant recertification falls due: exactly `leadDays` × 24 h before expiry. */
export function dueAt(expiresAt: Date, leadDays: number): Date {
  return new Date(expiresAt.getTime() - leadDays * DAY_MS);
}

/** The instant a reminder `daysBeforeExpiry` days before expiry is due. */
export function reminderAt(expiresAt: Date, daysBeforeExpiry: number): Date {
  return new Date(expiresAt.getTime() - daysBeforeExpiry * DAY_MS);
}

/** Days in a UTC month (`monthIndex` 0–11; any integer, normalised across years): 28–31. */
function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * The anchor day (1–31) in force at `at`: `anchorDay` when `at` falls on that day of its month, or on
 * its month's last day when the month is too short for it (31 → 28 Feb, 30 Apr); otherwise `at`'s own
 * UTC day of the month. So a chain anchored on the 31st that sits on 28 Feb still counts from the 31st,
 * while a date that is not the anchor (an expiry an admin moved to the 15th, an expiry counted in days
 * or weeks) starts counting from its own day. Without `anchorDay`, `at`'s own day.
 */
export function anchorDayAt(at: Date, anchorDay?: number | null): number {
  const own = at.getUTCDate();
  if (anchorDay == null) return own;
  const clamped = Math.min(anchorDay, daysInMonth(at.getUTCFullYear(), at.getUTCMonth()));
  return clamped === own ? anchorDay : own;
}

/**
 * Adds a calendar duration in UTC, keeping the time of day. `days`/`weeks`: exact multiples of 24 h.
 * `months`/`years` (12 months): the same day of the target month, clamped to its last day when that
 * month is shorter (31 Jan + 1 month = 28/29 Feb), as people read "valid for one month".
 *
 * `anchorDay` (1–31, optional) is a renewal chain's day of the month (see `anchorDayAt`): the target day
 * is clamped from it rather than from `from`'s own day, so 28 Feb of a chain anchored on the 31st + 1
 * month is 31 Mar, not 28 Mar (renewing early keeps the anniversary). `amount` may be negative
 * (scripts/seed-demo.ts counts back from an expiry).
 */
export function addDuration(from: Date, validFor: ValidFor, anchorDay?: number | null): Date {
  const { amount, unit } = validFor;
  if (unit === 'days') return new Date(from.getTime() + amount * DAY_MS);
  if (unit === 'weeks') return new Date(from.getTime() + amount * 7 * DAY_MS);
  const months = unit === 'years' ? amount * 12 : amount;
  const m = from.getUTCMonth() + months;
  const targetYear = from.getUTCFullYear() + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const day = Math.min(anchorDayAt(from, anchorDay), daysInMonth(targetYear, targetMonth));
  return new Date(
    Date.UTC(targetYear, targetMonth, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

/** What `expiryFor` needs of the award being renewed (db/rows.ts AwardRow has these fields). */
export interface PreviousAward {
  awardedAt: Date;
  expiresAt: Date | null;
  /** The chain's anchor day; null on awards made before the `anchor_day` column (migration 1764000000001). */
  anchorDay: number | null;
}

/** A new award's expiry and the anchor day (1–31) to store with it (`awards.anchor_day`). */
export interface AwardExpiry {
  expiresAt: Date;
  anchorDay: number;
}

/**
 * The anchor day of a legacy award (no stored `anchorDay`): its awarded day when its expiry was counted
 * from its awardedAt, i.e. `addDuration(awardedAt, validFor)` gives exactly its expiresAt (a chain's
 * first award, or a renewal after lapse, under today's validity); otherwise unknown (null), and the
 * previous expiry's own day is used, as before anchor days existed. The awarded day alone is wrong for
 * an early renewal: it was awarded at its completion, days before the anniversary it counts from.
 */
function legacyAnchorDay(previous: PreviousAward & { expiresAt: Date }, validFor: ValidFor): number | null {
  return addDuration(previous.awardedAt, validFor).getTime() === previous.expiresAt.getTime() ? previous.awardedAt.getUTCDate() : null;
}

/**
 * Expiry and anchor day of a new award (the certificate's `anchor` setting), made at `awardedAt` (a completion's
 * completedAt, or the awardedAt an admin gives a manual award) for a certificate valid `validFor`.
 *
 * - `previous_expiry` and the learner's `previous` award has not lapsed at `awardedAt` (a renewal
 *   before expiry): the anniversary is kept. The new expiry is previous expiry + validFor, clamped from
 *   the chain's anchor day, and the new award inherits that anchor day (`anchorDayAt(previous expiry,
 *   previous anchor day)`; for a legacy previous award see `legacyAnchorDay`). So monthly renewals of a
 *   chain started 31 Jan expire 28 Feb, 31 Mar, 30 Apr, 31 May — not 28 Mar, 28 Apr, … for good.
 * - Otherwise (`completion`, no previous award, one without expiry, or one that lapsed): a new chain
 *   counted from `awardedAt`; its anchor day is `awardedAt`'s UTC day of the month.
 *
 * An admin's explicit expiry (`PATCH /api/awards/:id`) does not store an anchor day: a renewal counts
 * from the new date's own day unless it is the chain's anchor day or that day clamped (see `anchorDayAt`).
 */
export function expiryFor(args: {
  awardedAt: Date;
  validFor: ValidFor;
  anchor: ExpiryAnchor;
  previous?: PreviousAward | null;
}): AwardExpiry {
  const { awardedAt, validFor, anchor, previous } = args;
  if (anchor === 'previous_expiry' && previous?.expiresAt && previous.expiresAt.getTime() > awardedAt.getTime()) {
    const renewed = { ...previous, expiresAt: previous.expiresAt };
    const anchorDay = anchorDayAt(renewed.expiresAt, renewed.anchorDay ?? legacyAnchorDay(renewed, validFor));
    return { expiresAt: addDuration(renewed.expiresAt, validFor, anchorDay), anchorDay };
  }
  return { expiresAt: addDuration(awardedAt, validFor), anchorDay: awardedAt.getUTCDate() };
}

const shortestCache = new Map<string, number>();

/**
 * The fewest whole days `validFor` can last, over every start date: `amount` for days, 7 × `amount` for
 * weeks; for months and years the minimum of `addDuration(start, validFor)` − start (with its month-end
 * clamping) over starts on the 1st, 29th, 30th and 31st of every month of a whole 400-year Gregorian
 * cycle (2000–2399, so spans over the non-leap 2100, 2200 and 2300 are included). Any other start day
 * lasts as long as the 1st of its month (no clamping). One month → 28, 12 months → 365, 48 months →
 * 1460. Memoised per validity. Used by the rule `lead_days_exceed_validity` (lead days must
 * be shorter than the shortest length the validity can have). `amount` ≥ 1.
 */
export function shortestValidityDays(validFor: ValidFor): number {
  const { amount, unit } = validFor;
  if (unit === 'days') return amount;
  if (unit === 'weeks') return amount * 7;
  const key = `${amount} ${unit}`;
  const known = shortestCache.get(key);
  if (known !== undefined) return known;
  let shortest = Infinity;
  for (let year = 2000; year < 2400; year++) {
    for (let month = 0; month < 12; month++) {
      const last = daysInMonth(year, month);
      for (const day of [1, 29, 30, 31]) {
        if (day > last) continue;
        const start = Date.UTC(year, month, day);
        const days = (addDuration(new Date(start), validFor).getTime() - start) / DAY_MS;
        if (days < shortest) shortest = days;
      }
    }
  }
  shortestCache.set(key, shortest);
  return shortest;
}
