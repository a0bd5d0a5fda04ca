/**
 * The organisation's time zone (issue 14): `DEFAULT_TIME_ZONE`, an IANA name such as `Europe/Berlin`;
 * UTC when unset or empty. The one reader of that variable: fixed-date expiries (23:59:59 on the day,
 * domain/dates.ts `fixedDateExpiry`) and the weekly digest's day and hour are read in it.
 */

/** True when `name` is a time zone this runtime knows (Intl). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The organisation's time zone from `source` (default `process.env`): `DEFAULT_TIME_ZONE`, or `UTC`.
 * Throws an Error naming the variable when it is set to a name that is not a time zone.
 */
export function organisationTimeZone(source: Record<string, string | undefined> = process.env): string {
  const raw = source.DEFAULT_TIME_ZONE?.trim();
  if (!raw) return 'UTC';
  if (!isTimeZone(raw)) throw new Error(`DEFAULT_TIME_ZONE: unknown time zone ${JSON.stringify(raw)}; expected an IANA name such as "UTC" or "Europe/Berlin"`);
  return raw;
}
