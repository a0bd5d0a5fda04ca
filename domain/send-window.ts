/**
 * Send windows (issue 13 §3): the hours of the learner's own day in which messages are delivered,
 * e.g. 08:00–18:00 on weekdays in Europe/Berlin. Off unless an administrator turns it on (org-wide
 * with SEND_WINDOW, per certificate in its settings' `sendWindow`).
 *
 * Pure and deterministic: no I/O, no clock, no Node APIs. Time zones come from the platform's `Intl`
 * (its IANA data), never from tables written here, so the recertification workflow imports it (Intl
 * is available in Temporal's workflow sandbox) and plans its timer to the window's opening.
 */

/** Days of the week, Monday first (ISO 8601), as written in settings and SEND_WINDOW. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A send window: local wall-clock hours `start` (inclusive) to `end` (exclusive), `HH:MM`, on `days`. */
export interface SendWindow {
  enabled: boolean;
  /** `HH:MM`, 00:00–23:59, before `end`. */
  start: string;
  /** `HH:MM`, 00:01–24:00, after `start`. */
  end: string;
  /** At least one day. */
  days: Weekday[];
}

/** The window as it is when turned on without other hours: 08:00–18:00, Monday to Friday. Off. */
export const DEFAULT_SEND_WINDOW: Readonly<SendWindow> = Object.freeze({
  enabled: false,
  start: '08:00',
  end: '18:00',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Weekday[],
});

/** `HH:MM` → minutes after midnight; null when malformed. `24:00` is allowed (an end of day). */
export function minutesOf(hhmm: string): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > 24 * 60 ? null : minutes;
}

/** Why `window` cannot be used, as a phrase ("start must be before end"), or null when it is fine. */
export function sendWindowProblem(window: SendWindow): string | null {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === null || start >= 24 * 60) return `start must be a time HH:MM from 00:00 to 23:59 (got "${window.start}")`;
  if (end === null) return `end must be a time HH:MM from 00:01 to 24:00 (got "${window.end}")`;
  if (start >= end) return `start (${window.start}) must be before end (${window.end}); a window does not run past midnight`;
  if (window.days.length === 0) return 'days must name at least one day';
  const unknown = window.days.filter((d) => !(WEEKDAYS as readonly string[]).includes(d));
  if (unknown.length) return `days must be among ${WEEKDAYS.join(', ')} (got ${unknown.join(', ')})`;
  return null;
}

/**
 * SEND_WINDOW's text → a window. `off` (or empty): off; `on`: DEFAULT_SEND_WINDOW turned on;
 * `HH:MM-HH:MM` with an optional day list: `08:00-18:00 mon-fri`, `09:00-17:00 mon,wed,fri`,
 * `10:00-16:00 mon-fri,sun` (weekdays when absent). Returns the problem as a string when malformed.
 */
export function parseSendWindow(text: string): SendWindow | string {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'off') return { ...DEFAULT_SEND_WINDOW, days: [...DEFAULT_SEND_WINDOW.days] };
  if (t === 'on') return { ...DEFAULT_SEND_WINDOW, days: [...DEFAULT_SEND_WINDOW.days], enabled: true };
  const m = /^(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})(?:\s+([a-z,\s-]+))?$/.exec(t);
  if (!m) return `expected off, on, or hours with days such as "08:00-18:00 mon-fri" (got "${text}")`;
  const days: Weekday[] = [];
  for (const part of (m[3] ?? 'mon-fri').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to] = part.split('-').map((p) => p.trim()) as [string, string | undefined];
    const a = WEEKDAYS.indexOf(from as Weekday);
    const b = to === undefined ? a : WEEKDAYS.indexOf(to as Weekday);
    if (a < 0 || b < 0 || b < a) return `unknown day or range "${part}": use ${WEEKDAYS.join(', ')} or a range such as mon-fri`;
    for (let i = a; i <= b; i++) if (!days.includes(WEEKDAYS[i]!)) days.push(WEEKDAYS[i]!);
  }
  const window: SendWindow = { enabled: true, start: m[1]!, end: m[2]!, days };
  return sendWindowProblem(window) ?? window;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of `ms` in `timeZone`, as the epoch ms of the same wall time read as UTC (whole seconds). */
function wallMs(ms: number, timeZone: string): number {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/**
 * The instant (ms) at which `timeZone`'s clocks show the wall time `wall` (epoch ms of that wall time
 * read as UTC). When the wall time occurs twice (clocks set back) the earlier; when it does not occur
 * (clocks set forward over it) the first instant after the gap, where the clocks jump past it.
 */
export function instantOfWallTime(wall: number, timeZone: string): number {
  const DAY = 86_400_000;
  // The zone's offsets a day either side bound the answer (offset = wall time − instant).
  const offset = (ms: number): number => wallMs(ms, timeZone) - (ms - (((ms % 1000) + 1000) % 1000));
  const before = wall - offset(wall - DAY);
  const after = wall - offset(wall + DAY);
  const exact = [before, after].filter((t) => wallMs(t, timeZone) === wall).sort((a, b) => a - b);
  if (exact.length) return exact[0]!;
  // A gap: the first whole minute whose wall time is at or past `wall`.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (wallMs(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return wallMs(lo, timeZone) >= wall ? lo : hi;
}

/**
 * When a message due at `atMs` (ms since the epoch) may be delivered under `window` in `timeZone`
 * (an IANA name): `atMs` itself when the window is off or `atMs` is inside it, otherwise the window's
 * next opening (ms). Local days and hours are the zone's own, daylight saving time included: an
 * opening in a skipped hour is the first instant after the jump. Throws a RangeError for a time zone
 * Intl does not know or a window that sendWindowProblem refuses.
 */
export function nextWindowOpening(atMs: number, timeZone: string, window: SendWindow): number {
  if (!window.enabled) return atMs;
  const problem = sendWindowProblem(window);
  if (problem) throw new RangeError(`send window: ${problem}`);
  const start = minutesOf(window.start)!;
  const end = minutesOf(window.end)!;
  const today = wallMs(atMs, timeZone);
  const dayStart = today - (((today % 86_400_000) + 86_400_000) % 86_400_000);
  for (let i = 0; i <= 7; i++) {
    const day = dayStart + i * 86_400_000;
    // A calendar date's weekday does not depend on the zone: Date.UTC arithmetic gives it.
    const weekday = WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7]!;
    if (!window.days.includes(weekday)) continue;
    const opens = instantOfWallTime(day + start * 60_000, timeZone);
    const closes = instantOfWallTime(day + end * 60_000, timeZone);
    if (atMs >= closes) continue;
    return Math.max(opens, atMs);
  }
  throw new RangeError('send window: no opening within a week'); // unreachable: days is not empty
}

/**
 * How a wait for the window is shown (status query, Temporal UI): "08:00 Europe/Berlin on Monday
 * 29 March 2027". The local time and date of `openingMs` in `timeZone`.
 */
export function describeOpening(openingMs: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const wall = wallMs(openingMs, timeZone);
  const hhmm = new Date(wall).toISOString().slice(11, 16);
  return `${hhmm} ${timeZone} on ${f.format(new Date(openingMs)).replace(',', '')}`;
}
