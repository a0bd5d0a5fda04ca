/**
 * Expiring soon: active awards expiring in the next 30, 60 or 90 days (optionally of one
 * certificate), and the same rows as a CSV file (RFC 4180, formula-like cells kept as text: csv.ts).
 * The API has no route for this window, so it reads db/queries/awards.ts directly.
 */
import { Hono } from 'hono';
import { workflowUiUrl } from '../../../config/temporal.ts';
import { expiringAwards } from '../../../db/queries/awards.ts';
import { DAY_MS } from '../../../domain/dates.ts';
import { isId } from '../../../domain/ids.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { toCsv } from '../csv.ts';
import { badParameter, PageRefusal, queryParam } from '../requests.ts';
import { DEFAULT_WINDOW, ExpiringPage, WINDOWS, type Window } from '../views/expiring.tsx';
import { daysLeft } from '../views/format.ts';

/** At most this many rows on the page (the CSV has up to CSV_LIMIT). */
const PAGE_LIMIT = 1000;
const CSV_LIMIT = 50_000;
const UTF8_BOM = '\uFEFF';

/**
 * The window asked for (`days`: 30, 60 or 90; absent: DEFAULT_WINDOW), the certificate filter
 * (absent: every certificate), and the instants it spans. Any other `days` or a malformed
 * `certificateId` is a 400 page naming it; an unknown certificate is a 404 page, never an unfiltered list.
 */
async function expiringArgs(c: AdminContext): Promise<{ days: Window; certificateId: string | undefined; from: Date; until: Date }> {
  const daysRaw = queryParam(c, 'days');
  const days = daysRaw === undefined ? DEFAULT_WINDOW : WINDOWS.find((w) => String(w) === daysRaw);
  if (days === undefined) throw badParameter('days', `it is the window in days: ${WINDOWS.join(', ')}`);
  const certificateId = queryParam(c, 'certificateId');
  if (certificateId !== undefined) {
    if (!isId(certificateId)) throw badParameter('certificateId', 'it is not a certificate id');
    if (!(await c.var.admin.api.getCertificate(certificateId))) throw new PageRefusal(404, 'Not found', 'That certificate does not exist.');
  }
  const now = new Date();
  return { days, certificateId, from: now, until: new Date(now.getTime() + days * DAY_MS) };
}

export const expiring = new Hono<AdminEnv>();

expiring.get('/expiring', async (c) => {
  const { api, config, sql } = c.var.admin;
  const a = await expiringArgs(c);
  const [rows, certificates] = await Promise.all([
    expiringAwards(sql, { from: a.from, until: a.until, certificateId: a.certificateId, limit: PAGE_LIMIT + 1 }),
    api.listCertificates(),
  ]);
  const csvUrl = `/admin/expiring.csv?days=${a.days}${a.certificateId ? `&certificateId=${a.certificateId}` : ''}`;
  return c.render(
    <ExpiringPage
      days={a.days}
      certificateId={a.certificateId}
      certificates={certificates}
      rows={rows.slice(0, PAGE_LIMIT)}
      truncated={rows.length > PAGE_LIMIT}
      csvUrl={csvUrl}
      workflowUrl={(id) => workflowUiUrl(config, id)}
    />,
    { title: 'Expiring soon', section: 'expiring' },
  );
});

expiring.get('/expiring.csv', async (c) => {
  const { config, sql } = c.var.admin;
  const a = await expiringArgs(c);
  const rows = await expiringAwards(sql, { from: a.from, until: a.until, certificateId: a.certificateId, limit: CSV_LIMIT });
  const csv = toCsv(
    ['award_id', 'certificate_id', 'certificate', 'learner_id', 'learner', 'email', 'awarded_at', 'expires_at', 'days_left', 'workflow_url'],
    rows.map((r) => [
      r.awardId,
      r.certificateId,
      r.certificateTitle,
      r.learnerId,
      r.learnerName,
      r.learnerEmail,
      r.awardedAt,
      r.expiresAt,
      daysLeft(r.expiresAt, a.from.getTime()),
      r.workflowId ? workflowUiUrl(config, r.workflowId) : null,
    ]),
  );
  const filename = `expiring-next-${a.days}-days-${a.from.toISOString().slice(0, 10)}.csv`;
  // The byte-order mark makes Excel read the file as UTF-8 (without it, "Zoë" opens as "ZoÃ«").
  return c.body(`${UTF8_BOM}${csv}`, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
  });
});
