/** Formatting for the admin views: instants in UTC, days left, labels. */
import type { MessageKind } from '../../../domain/vocabulary.ts';
import { DAY_MS } from '../../../domain/dates.ts';

/** `2026-03-01 09:00 UTC`, or an em dash. */
export function when(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `2026-03-01`, or an em dash. */
export function day(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().slice(0, 10);
}

/** Whole days from now until the instant (an expiry later today is 0 days away). */
export function daysLeft(iso: string | Date, now: number = Date.now()): number {
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  return Math.floor((t - now) / DAY_MS);
}

/** "in 3 days", "in 5 hours", "2 minutes ago", "just now". */
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

export const PHASE_LABELS: Record<string, string> = {
  scheduled: 'Scheduled',
  waiting_for_settings: 'Waiting for settings',
  assigned: 'Assigned',
  renewed: 'Renewed',
  expired: 'Expired',
  revoked: 'Revoked',
};

export const KIND_LABELS: Record<MessageKind, string> = {
  certificate_expiring: 'Certificate expiring',
  course_enrollment: 'Course enrollment',
  recertification_enrollment: 'Recertification enrollment',
  certificate_expired: 'Certificate expired',
  recertification_reminder: 'Reminder',
};

export const UNIT_LABELS: Record<string, string> = { days: 'days', weeks: 'weeks', months: 'months', years: 'years' };
