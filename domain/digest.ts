/**
 * The weekly digest for admins and managers (issue 14 §4), its pure rules:
 *  - which period a run belongs to (`digestPeriod`): the most recent scheduled slot (DIGEST_DAY at
 *    DIGEST_HOUR:00 in the organisation's time zone) at or before the run's instant, named by its local
 *    date (`2027-03-01`). A schedule that fires twice, or a run that starts late, lands in the same
 *    period, and the ledger (digest_sends) sends each (period, recipient) once;
 *  - which awards a digest lists and why (`digestEntryState`), relative to the slot: in grace; enrolled
 *    in the recertification course and not finished; lapsing within 30 days; expired within the last 7;
 *  - who gets which entries (`digestsFor`): each manager their learners', each admin address all; an
 *    empty digest is not sent.
 * No I/O here: SQL is in db/queries/digest-sends.ts, rendering in activities/mail/digest-template.ts.
 */
import { DAY_MS, zonedInstant } from './dates.ts';
import { DIGEST_DAYS, DIGEST_ENTRY_STATES, type AwardStatus, type DigestAudience, type DigestDay, type DigestEntryState } from './vocabulary.ts';

/** How far ahead a digest looks for lapsing awards, in days. */
export const DIGEST_LAPSING_DAYS = 30;
/** How far back a digest looks for expired awards, in days. */
export const DIGEST_EXPIRED_DAYS = 7;

/** When the digest goes out: a day of the week and an hour (0–23), in `timeZone` (IANA). */
export interface DigestTiming {
  day: DigestDay;
  hour: number;
  timeZone: string;
}

/** A run's period: its name (the slot's local date, YYYY-MM-DD) and the slot's instant. */
export interface DigestPeriod {
  period: string;
  startsAt: Date;
}

/** The local calendar date (year, month index, day) of `at` in `timeZone`. Throws RangeError for an unknown zone. */
function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(at);
  const get = (t: 'year' | 'month' | 'day'): number => Number(parts.find((p) => p.type === t)?.value);
  return { year: get('year'), month: get('month') - 1, day: get('day') };
}

/**
 * The period `asOf` belongs to: the latest slot (`timing.day` at `timing.hour`:00 local time) at or
 * before `asOf`. E.g. Monday 08:00 Europe/London: any instant from 2027-03-01 08:00 (GMT) to just before
 * 2027-03-08 08:00 is period `2027-03-01`. A slot in a skipped hour (clocks set forward) is the first
 * instant after the jump. Throws RangeError for an unknown zone or an hour outside 0–23.
 */
export function digestPeriod(asOf: Date, timing: DigestTiming): DigestPeriod {
  if (!Number.isInteger(timing.hour) || timing.hour < 0 || timing.hour > 23) throw new RangeError(`digest hour must be 0–23 (got ${timing.hour})`);
  const wanted = (DIGEST_DAYS.indexOf(timing.day) + 1) % 7; // JavaScript's getUTCDay: Sunday 0
  const today = localDate(asOf, timing.timeZone);
  for (let back = 0; back <= 7; back++) {
    const date = new Date(Date.UTC(today.year, today.month, today.day - back));
    if (date.getUTCDay() !== wanted) continue;
    const startsAt = zonedInstant(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), timing.timeZone, [timing.hour, 0, 0]);
    if (startsAt.getTime() <= asOf.getTime()) return { period: date.toISOString().slice(0, 10), startsAt };
  }
  throw new RangeError('digest: no slot within a week'); // unreachable: every weekday recurs within 8 days
}

/** An award as the digest reads it from the database (db/queries/digest-sends.ts `digestCandidates`). */
export interface DigestCandidate {
  awardId: string;
  status: AwardStatus;
  expiresAt: Date | null;
  graceEndsAt: Date | null;
  certificateTitle: string;
  learnerId: string;
  learnerName: string;
  learnerEmail: string;
  /** Lower-cased; null: the learner has no manager. */
  managerEmail: string | null;
  /** The award's recertification attempt is open (enrolled or in progress): its progress 0–100; null: none open. */
  openAttemptProgress: number | null;
}

/** A listed award: the candidate and why it is listed. */
export interface DigestEntry extends DigestCandidate {
  state: DigestEntryState;
}

/**
 * Why the award is listed in a digest of the slot `at`, or null when it is not: `in_grace` (held in
 * grace), `enrolled` (held, with an open recertification attempt), `lapsing` (held, expiring in
 * (at, at + 30 days]), `expired` (expired, or held past its expiry, in (at − 7 days, at]). A renewed or
 * revoked award is never listed.
 */
export function digestEntryState(c: Pick<DigestCandidate, 'status' | 'expiresAt' | 'openAttemptProgress'>, at: Date): DigestEntryState | null {
  const t = at.getTime();
  const expires = c.expiresAt?.getTime() ?? null;
  const expiredRecently = expires !== null && expires <= t && expires > t - DIGEST_EXPIRED_DAYS * DAY_MS;
  switch (c.status) {
    case 'in_grace':
      return 'in_grace';
    case 'active':
      if (c.openAttemptProgress !== null) return 'enrolled';
      if (expires !== null && expires > t && expires <= t + DIGEST_LAPSING_DAYS * DAY_MS) return 'lapsing';
      return expiredRecently ? 'expired' : null;
    case 'expired':
      return expiredRecently ? 'expired' : null;
    default:
      return null;
  }
}

/** One digest to send: to whom, as admin or manager, and its entries (never empty). */
export interface DigestToSend {
  recipient: string;
  audience: DigestAudience;
  entries: DigestEntry[];
}

const STATE_ORDER = new Map<DigestEntryState, number>(DIGEST_ENTRY_STATES.map((s, i) => [s, i]));

/** Entries in the order a digest shows them: by state, then expiry (soonest first), then learner name. */
export function sortEntries(entries: DigestEntry[]): DigestEntry[] {
  return [...entries].sort(
    (a, b) =>
      (STATE_ORDER.get(a.state) ?? 0) - (STATE_ORDER.get(b.state) ?? 0) ||
      (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity) ||
      a.learnerName.localeCompare(b.learnerName),
  );
}

/** The admin addresses as digests compare them (lower-cased, each once). */
const adminAddresses = (adminEmails: readonly string[]): Set<string> => new Set(adminEmails.map((e) => e.toLowerCase()));

/**
 * The managers (lower-cased addresses) who get a manager's digest: those that are not also an admin
 * address, who get the admin's (the whole academy) instead, as `digestsFor` sends them.
 */
export function managerDigestRecipients(managers: readonly string[], adminEmails: readonly string[]): string[] {
  const admins = adminAddresses(adminEmails);
  return managers.filter((m) => !admins.has(m.toLowerCase()));
}

/**
 * The digests of slot `at`: one per admin address with every listed entry, one per manager with
 * their learners' listed entries; a recipient with nothing listed gets none. Addresses compare
 * lower-cased; an address that is both an admin's and a manager's gets the admin's (the whole academy).
 */
export function digestsFor(candidates: DigestCandidate[], at: Date, adminEmails: readonly string[]): DigestToSend[] {
  const listed: DigestEntry[] = [];
  for (const c of candidates) {
    const state = digestEntryState(c, at);
    if (state) listed.push({ ...c, state });
  }
  if (listed.length === 0) return [];
  const out: DigestToSend[] = [];
  const admins = adminAddresses(adminEmails);
  for (const recipient of admins) out.push({ recipient, audience: 'admin', entries: sortEntries(listed) });
  const byManager = new Map<string, DigestEntry[]>();
  for (const e of listed) {
    if (!e.managerEmail) continue;
    const key = e.managerEmail.toLowerCase();
    if (admins.has(key)) continue;
    byManager.set(key, [...(byManager.get(key) ?? []), e]);
  }
  for (const [recipient, entries] of [...byManager].sort(([a], [b]) => a.localeCompare(b))) out.push({ recipient, audience: 'manager', entries: sortEntries(entries) });
  return out;
}

/** Resend keeps idempotency keys up to 256 characters. */
const MAX_KEY = 256;

/**
 * The provider idempotency key of a digest: `digest:<period>:<recipient>` (recipient lower-cased); an
 * address too long for the provider's 256 characters is replaced by its SHA-256 (`digest:<period>:sha256:<hex>`),
 * given by `sha256` so this stays free of I/O and Node built-ins.
 */
export function digestIdempotencyKey(period: string, recipient: string, sha256: (s: string) => string): string {
  const key = `digest:${period}:${recipient.toLowerCase()}`;
  return key.length <= MAX_KEY ? key : `digest:${period}:sha256:${sha256(recipient.toLowerCase())}`;
}
