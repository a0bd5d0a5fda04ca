/** Formatting for the admin views: instants (domain/instant-format.ts), days, days left, "in 3 days". */
import { DAY_MS } from '../../../domain/dates.ts';
import { formatUtcMinute } from '../../../domain/instant-format.ts';

const toDate = (iso: string | Date | null | undefined): Date | null => {
  if (!iso) return null;
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isNaN(d.getTime()) ? null : d;
};

/** `2026-03-01 09:00 UTC` (formatUtcMinute), or an em dash for no instant or an unreadable one. */
export function when(iso: string | Date | null | undefined): string {
  const d = toDate(iso);
  return d ? formatUtcMinute(d) : '—';
}

/** `2026-03-01`, or an em dash for no instant or an unreadable one. */
export function day(iso: string | Date | null | undefined): string {
  const d = toDate(iso);
  return d ? d.toISOString().slice(0, 10) : '—';
}

/** Whole days from `now` (ms since the epoch) until the instant; an expiry later today is 0 days away. */
export function daysLeft(iso: string | Date, now: number = Date.now()): number {
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  return Math.floor((t - now) / DAY_MS);
}

/** "in 3 days", "in 5 hours", "2 minutes ago", "just now"; empty for no instant. */
export function relative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  if (abs < 60_000) return 'just now';
  const [n, unit] =
    abs >= 2 * DAY_MS ? [Math.round(abs / DAY_MS), 'days'] : abs >= 2 * 3_600_000 ? [Math.round(abs / 3_600_000), 'hours'] : [Math.max(1, Math.round(abs / 60_000)), 'minutes'];
  const span = `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}
