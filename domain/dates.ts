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
 * What a renewal's expiry counts from: `completion` (the day the learner completed the course),
 * `previous_expiry` (the expiring award's expiry, so renewing early loses no time), or `fixed_date`
 * (issue 14: every award expires on the same day of the year, 23:59:59 in the organisation's time
 * zone; see `fixedDateExpiry`).
 */
export const EXPIRY_ANCHORS = ['completion', 'previous_expiry', 'fixed_date'] as const;
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

/**
 * The instant repeating reminder `n` (1, 2, …) falls (issue 14 §3): `n` × `everyDays` × 24 h after the
 * enrollment instant `enrolledAtMs` (ms since the epoch). Returns ms since the epoch.
 */
export function repeatReminderAt(enrolledAtMs: number, everyDays: number, n: number): number {
  return enrolledAtMs + n * everyDays * DAY_MS;
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

// ---------------------------------------------------------------------------------------------
// Fixed-date expiry (issue 14 §1)

/**
 * A fixed expiry date: `month` (1–12) and `day` (1–31, a day that month has in a leap year) at
 * 23:59:59 in the organisation's time zone, and `minimumActiveDays` (0–365): an award made less than
 * that many days before the next such date expires at the one after.
 */
export interface FixedDate {
  month: number;
  day: number;
  minimumActiveDays: number;
}

/** Days `month` (1–12) has in a leap year (29 for February): the largest `FixedDate.day` allowed for it. */
export function maxDayOfMonth(month: number): number {
  return daysInMonth(2024, month - 1);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** ms to add to a UTC instant (whole seconds) to read it as the wall clock of `timeZone`. Throws RangeError for an unknown zone. */
function zoneOffsetMs(instantMs: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** The calendar year of `at` on the wall clock of `timeZone`. */
function yearIn(at: Date, timeZone: string): number {
  return new Date(at.getTime() + zoneOffsetMs(at.getTime(), timeZone)).getUTCFullYear();
}

/**
 * The instant of a wall-clock time in `timeZone` (an IANA name): `year`, `monthIndex` 0–11, `day`,
 * 23:59:59 by default. Throws RangeError for an unknown zone.
 */
export function zonedInstant(year: number, monthIndex: number, day: number, timeZone: string, hms: [number, number, number] = [23, 59, 59]): Date {
  const wall = Date.UTC(year, monthIndex, day, hms[0], hms[1], hms[2]);
  const first = wall - zoneOffsetMs(wall, timeZone);
  return new Date(wall - zoneOffsetMs(first, timeZone));
}

/**
 * The fixed date of `year`: `fixed.month`/`fixed.day` at 23:59:59 in `timeZone`. 29 February falls
 * on 28 February in a year that has none (the month's last day, as `addDuration` clamps).
 */
export function fixedDateIn(year: number, fixed: Pick<FixedDate, 'month' | 'day'>, timeZone: string): Date {
  const day = Math.min(fixed.day, daysInMonth(year, fixed.month - 1));
  return zonedInstant(year, fixed.month - 1, day, timeZone);
}

/**
 * The expiry of an award made at `awardedAt` under a fixed date: the first fixed date after
 * `awardedAt` that is at least `minimumActiveDays` × 24 h after it. Example (31 December, minimum 90,
 * UTC): awarded 2026-11-01 → 2027-12-31T23:59:59Z; awarded 2026-09-01 → 2026-12-31T23:59:59Z.
 * Throws RangeError for an unknown zone.
 */
export function fixedDateExpiry(awardedAt: Date, fixed: FixedDate, timeZone: string): Date {
  const minimumMs = fixed.minimumActiveDays * DAY_MS;
  let year = yearIn(awardedAt, timeZone);
  let at = fixedDateIn(year, fixed, timeZone);
  while (at.getTime() <= awardedAt.getTime() || at.getTime() - awardedAt.getTime() < minimumMs) {
    year += 1;
    at = fixedDateIn(year, fixed, timeZone);
  }
  return at;
}

/** What `expiryFor` needs of the award being renewed (db/rows.ts AwardRow has these fields). */
export interface PreviousAward {
  awardedAt: Date;
  expiresAt: Date | null;
  /** The chain's anchor day; null on awards made before the `anchor_day` column (migration 1764000000001). */
  anchorDay: number | null;
  /** It is in its grace period (issue 14): lapsed, yet a `previous_expiry` renewal still counts from its expiry. */
  inGrace?: boolean;
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
  /** With anchor `fixed_date`: the date (`fixedDateExpiry`); the anchor day stored is its day. Absent: counted as `completion`. */
  fixedDate?: FixedDate | null;
  /** The organisation's time zone (IANA) the fixed date is read in; default UTC. */
  timeZone?: string;
}): AwardExpiry {
  const { awardedAt, validFor, anchor, previous } = args;
  if (anchor === 'fixed_date' && args.fixedDate) {
    // Renewals follow the same rule: counted from the renewal's own awardedAt.
    return { expiresAt: fixedDateExpiry(awardedAt, args.fixedDate, args.timeZone ?? 'UTC'), anchorDay: args.fixedDate.day };
  }
  if (anchor === 'previous_expiry' && previous?.expiresAt && (previous.expiresAt.getTime() > awardedAt.getTime() || previous.inGrace)) {
    const renewed = { ...previous, expiresAt: previous.expiresAt };
    const anchorDay = anchorDayAt(renewed.expiresAt, renewed.anchorDay ?? legacyAnchorDay(renewed, validFor));
    const expiresAt = addDuration(renewed.expiresAt, validFor, anchorDay);
    // A renewal in grace counts from the old expiry, unless that is already past too (a grace longer than the validity).
    if (expiresAt.getTime() > awardedAt.getTime()) return { expiresAt, anchorDay };
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
