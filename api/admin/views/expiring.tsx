/** Active awards expiring in the next 30, 60 or 90 days, with a CSV export. */
import type { ExpiringAwardRow } from '../../../db/queries/awards.ts';
import type { CertificateDto } from '../../schemas.ts';
import { day, daysLeft, when } from './format.ts';
import { learnerHref } from './links.ts';

export const WINDOWS = [30, 60, 90] as const;
export type Window = (typeof WINDOWS)[number];
/**
 * The window the page opens on: the widest, so it lists what the Awards tab calls "expires in 30
 * days" (the demo's first award expires 30 days and a few minutes from now, its second in 62 days;
 * a 30-day default opened empty beside them).
 */
export const DEFAULT_WINDOW: Window = 90;

/** The window's active awards, soonest first, with the window and certificate filters and the CSV link. */
export function ExpiringPage(props: {
  days: Window;
  certificateId: string | undefined;
  certificates: CertificateDto[];
  rows: ExpiringAwardRow[];
  csvUrl: string;
  workflowUrl: (workflowId: string) => string;
  truncated: boolean;
}) {
  const now = Date.now();
  const link = (d: number) => `/admin/expiring?days=${d}${props.certificateId ? `&certificateId=${props.certificateId}` : ''}`;
  return (
    <>
      <h1>Expiring soon</h1>
      <div class="toolbar">
        <nav class="tabs small" aria-label="Window">
          {WINDOWS.map((d) => (
            <a href={link(d)} class={props.days === d ? 'current' : undefined} aria-current={props.days === d ? 'page' : undefined}>
              Next {d} days
            </a>
          ))}
        </nav>
        <form method="get" action="/admin/expiring" class="inline-form">
          <input type="hidden" name="days" value={String(props.days)} />
          <label for="certificate-filter">Certificate</label>
          <select name="certificateId" id="certificate-filter" data-autosubmit="">
            <option value="">All certificates</option>
            {props.certificates.map((c) => (
              <option value={c.id} selected={props.certificateId === c.id}>
                {c.title}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit">Filter</button>
          </noscript>
        </form>
        <a href={props.csvUrl} class="button" id="csv-export" download="">
          Download CSV
        </a>
      </div>
      <p class="muted">
        {props.rows.length} active award{props.rows.length === 1 ? '' : 's'} expiring in the next {props.days} days
        {props.truncated ? ' (the first ones; narrow the window or the certificate to see all)' : ''}.
      </p>
      {props.rows.length === 0 ? (
        <p class="empty">Nothing expires in this window.</p>
      ) : (
        <table class="list" id="expiring">
          <thead>
            <tr>
              <th>Expires</th>
              <th class="num">Days left</th>
              <th>Learner</th>
              <th>Certificate</th>
              <th>Awarded</th>
              <th>Workflow</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr data-award-id={r.awardId}>
                <td class="nowrap">{when(r.expiresAt)}</td>
                <td class="num">{daysLeft(r.expiresAt, now)}</td>
                <td>
                  <a href={learnerHref(r.learnerId)} class="strong learner-link">
                    {r.learnerName}
                  </a>
                  <div class="muted small">{r.learnerEmail}</div>
                </td>
                <td>
                  <a href={`/admin/certificates/${r.certificateId}/awards`}>{r.certificateTitle}</a>
                </td>
                <td>{day(r.awardedAt)}</td>
                <td>
                  {r.workflowId ? (
                    <a href={props.workflowUrl(r.workflowId)} target="_blank" rel="noopener">
                      Temporal UI ↗
                    </a>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
