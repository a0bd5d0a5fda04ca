/**
 * The organisation's time zone: `DEFAULT_TIME_ZONE`, an IANA name such as `Europe/Berlin`; UTC when
 * unset or empty. config/env.ts refuses a bad name at start-up; this reader is for the domain rules
 * that need the zone without a Config at hand: fixed-date expiries (23:59:59 on the day, issue 14,
 * domain/dates.ts `fixedDateExpiry`). Names are checked and spelt canonically by the one Intl rule,
 * domain/instant-format.ts `canonicalTimeZone`, which messages use too (issue 13).
 */
import { canonicalTimeZone, DEFAULT_TIME_ZONE } from '../domain/instant-format.ts';

/**
 * The organisation's time zone from `source` (default `process.env`): `DEFAULT_TIME_ZONE` in its
 * canonical spelling, or `UTC`. Throws an Error naming the variable when it is set to a name that is
 * not a time zone.
 */
export function organisationTimeZone(source: Record<string, string | undefined> = process.env): string {
  const raw = source.DEFAULT_TIME_ZONE?.trim();
  if (!raw) return DEFAULT_TIME_ZONE;
  const zone = canonicalTimeZone(raw);
  if (!zone) throw new Error(`DEFAULT_TIME_ZONE: unknown time zone ${JSON.stringify(raw)}; expected an IANA name such as "UTC" or "Europe/Berlin"`);
  return zone;
}
