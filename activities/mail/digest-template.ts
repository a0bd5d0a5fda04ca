/**
 * The weekly digest's message (issue 14 §4): a subject, an HTML body with one section per state
 * (in grace, enrolled and not finished, lapsing in the next 30 days, expired in the last week), and
 * the plain-text part derived from it (html-to-text.ts). Every name and title is escaped
 * (domain/html.ts); dates are written in the organisation's time zone (domain/instant-format.ts).
 */
import type { DigestToSend, DigestEntry } from '../../domain/digest.ts';
import { DIGEST_EXPIRED_DAYS, DIGEST_LAPSING_DAYS } from '../../domain/digest.ts';
import { escapeHtml } from '../../domain/html.ts';
import { formatInstant } from '../../domain/instant-format.ts';
import { DIGEST_ENTRY_STATES, type DigestEntryState } from '../../domain/vocabulary.ts';
import { htmlToText } from '../../domain/html-to-text.ts';

/**
 * At most this many entries are written out per section: a fixed-date expiry makes a whole academy
 * lapse in the same week, and a message must stay a message. The rest are counted ("… and 1,234 more")
 * and the admin page has them all.
 */
export const MAX_ENTRIES_PER_SECTION = 200;

/** A rendered digest. */
export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
}

const SECTION_TITLES: Record<DigestEntryState, string> = {
  in_grace: 'In the grace period (expired, can still renew)',
  enrolled: 'Enrolled in recertification, not finished',
  lapsing: `Lapsing in the next ${DIGEST_LAPSING_DAYS} days, not enrolled`,
  expired: `Expired in the last ${DIGEST_EXPIRED_DAYS} days`,
};

/** "1 March 2027": the local date of `at` in `timeZone`. */
export function formatLocalDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

function detail(e: DigestEntry, timeZone: string): string {
  const when = (d: Date | null): string => (d ? formatInstant(d, timeZone) : 'no expiry');
  switch (e.state) {
    case 'in_grace':
      return `expired ${when(e.expiresAt)}; grace ends ${when(e.graceEndsAt)}`;
    case 'enrolled':
      return `${e.openAttemptProgress ?? 0}% done; expires ${when(e.expiresAt)}`;
    case 'lapsing':
      return `expires ${when(e.expiresAt)}`;
    case 'expired':
      return `expired ${when(e.expiresAt)}`;
  }
}

/**
 * Renders `digest` for the period starting `startsAt`, dates in `timeZone` (IANA). `adminUrl` (the
 * admin page) is linked at the end. Throws RangeError for an unknown zone.
 */
export function renderDigest(digest: DigestToSend, args: { startsAt: Date; timeZone: string; adminUrl: string }): RenderedDigest {
  const week = formatLocalDate(args.startsAt, args.timeZone);
  const n = digest.entries.length;
  const learners = new Set(digest.entries.map((e) => e.learnerId)).size;
  const who = digest.audience === 'admin' ? 'the academy' : 'your learners';
  const subject = `Recertification digest, week of ${week}: ${n} certificate${n === 1 ? '' : 's'} of ${who} to watch`;
  const sections = DIGEST_ENTRY_STATES.map((state) => {
    const entries = digest.entries.filter((e) => e.state === state);
    if (entries.length === 0) return '';
    const items = entries
      .slice(0, MAX_ENTRIES_PER_SECTION)
      .map((e) => `<li><strong>${escapeHtml(e.learnerName)}</strong> (${escapeHtml(e.learnerEmail)}), ${escapeHtml(e.certificateTitle)}: ${escapeHtml(detail(e, args.timeZone))}</li>`)
      .join('\n');
    const more = entries.length - MAX_ENTRIES_PER_SECTION;
    const rest = more > 0 ? `\n<p>… and ${more.toLocaleString('en-GB')} more (the admin page lists them all).</p>` : '';
    return `<h2>${escapeHtml(SECTION_TITLES[state])} (${entries.length})</h2>\n<ul>\n${items}\n</ul>${rest}`;
  })
    .filter((s) => s !== '')
    .join('\n');
  const intro =
    digest.audience === 'admin'
      ? `<p>The academy's recertifications that need attention this week: ${n} certificate${n === 1 ? '' : 's'} of ${learners} learner${learners === 1 ? '' : 's'}.</p>`
      : `<p>Your learners' recertifications that need attention this week: ${n} certificate${n === 1 ? '' : 's'} of ${learners} learner${learners === 1 ? '' : 's'}.</p>`;
  const html = [
    `<h1>Recertification digest, week of ${escapeHtml(week)}</h1>`,
    intro,
    sections,
    `<p>Dates are in ${escapeHtml(args.timeZone)}. Details in the admin page: <a href="${escapeHtml(args.adminUrl)}">${escapeHtml(args.adminUrl)}</a></p>`,
  ].join('\n');
  return { subject, html, text: htmlToText(html) };
}
