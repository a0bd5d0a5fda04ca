/**
 * A certificate's Overview tab: its awards by phase and the coming load per week for the next 12
 * months (domain/certificate-overview.ts, read from the database), as a server-rendered SVG chart.
 */
import { Hono } from 'hono';
import { certificateOverview } from '../../../domain/certificate-overview.ts';
import type { AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { CertificateTabs } from '../views/certificates.tsx';
import { OverviewPanel } from '../views/overview.tsx';
import { loadCertificate } from './certificates.tsx';

/** Mounted at /admin/certificates, beside the certificates area. */
export const overview = new Hono<AdminEnv>();

overview.get('/:id/overview', async (c) => {
  const { api, sql } = c.var.admin;
  const cert = await loadCertificate(api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const data = await certificateOverview(sql, { certificateId: cert.id, settings: cert.settings, asOf: Date.now() });
  return c.render(
    <CertificateTabs certificate={cert} tab="overview">
      <OverviewPanel overview={data} />
    </CertificateTabs>,
    { title: `${cert.title} · Overview`, section: 'certificates' },
  );
});
