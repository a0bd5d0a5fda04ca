/**
 * How messages write an instant: the date, the time and the zone, never a bare date. An expiry is an instant, and a bare date is off by a day
 * for a reader on the other side of UTC (2027-03-01T02:00Z is still 28 February in New York).
 *
 * The one place that formats instants for people; learner time zones (a later issue) pass their
 * zone here. Pure: no I/O, no clock, independent of the server's locale and time zone.
 */

/** The zone an instant is written in when the reader has none of their own. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * Month names and zone abbreviations come from the platform's CLDR data for this locale. With
 * 'en-US' a US zone gets its abbreviation (EST, EDT, PDT), another zone its offset (GMT+2,
 * GMT+5:30) and UTC "UTC"; the order of the parts is ours (see formatInstant), not the locale's.
 */
const NAMES_LOCALE = 'en-US';

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The formatter of `timeZone`, built once per zone name as given. Throws a RangeError naming the
 * zone when the platform does not know it.
 */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat(NAMES_LOCALE, {
      timeZone,
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23', // 00:00–23:59; never "24:00", never AM/PM
      timeZoneName: 'short',
    });
  } catch (err) {
    if (err instanceof RangeError) {
      throw new RangeError(`Unknown time zone ${JSON.stringify(timeZone)}: expected an IANA time zone name such as "UTC" or "Europe/Berlin"`, {
        cause: err,
      });
    }
    throw err;
  }
  formatters.set(timeZone, formatter);
  return formatter;
}

/**
 * An instant as a reader sees it in `timeZone` (an IANA name, default UTC):
 * `<day> <Month> <year>, <HH>:<mm> (<zone>)`, e.g. "1 March 2027, 02:00 (UTC)"; the same instant in
 * 'America/New_York' is "28 February 2027, 21:00 (EST)". Built on Intl.DateTimeFormat#formatToParts,
 * so month names, offsets and daylight saving time are the platform's (its IANA and CLDR data).
 * Throws a RangeError for an invalid Date or a time zone the platform does not know.
 */
export function formatInstant(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): string {
  const formatter = formatterFor(timeZone);
  if (Number.isNaN(instant.getTime())) throw new RangeError('formatInstant: the instant is an invalid Date');
  const parts = formatter.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string => {
    const found = parts.find((p) => p.type === type);
    if (!found) throw new Error(`formatInstant: Intl.DateTimeFormat gave no ${type} for ${instant.toISOString()} in ${timeZone}`);
    return found.value;
  };
  return `${part('day')} ${part('month')} ${part('year')}, ${part('hour')}:${part('minute')} (${part('timeZoneName')})`;
}

/**
 * An instant to the minute in UTC for operators (logs, workflow history details, the admin tables):
 * `2026-03-01 09:00 UTC`. Throws a RangeError for an invalid Date.
 */
export function formatUtcMinute(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new RangeError('formatUtcMinute: the instant is an invalid Date');
  return `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The canonical IANA name of `name` as the platform's Intl knows it (`europe/berlin` → `Europe/Berlin`,
 * `UTC` → `UTC`), or null when Intl does not know it or it is not a zone name (a bare UTC offset such
 * as `+01:00`, which has no daylight saving rules, is refused). Pure; never throws.
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.trim() === '' || name.length > 64) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat(NAMES_LOCALE, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  if (/^[+-]/.test(resolved)) return null;
  return resolved;
}

/** Whether `name` is a time zone the platform's Intl knows (see canonicalTimeZone). */
export const isTimeZone = (name: string): boolean => canonicalTimeZone(name) !== null;
