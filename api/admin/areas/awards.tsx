/**
 * A certificate's Awards tab: each award's learner, dates, status, and its workflow's phase and due
 * time (one Temporal visibility query by `CertificateId`, status queries while visibility catches
 * up: workflows.ts), with links to the certificate's workflows in the Temporal UI.
 */
import { Hono } from 'hono';
import { workflowsUiUrl } from '../../../config/temporal.ts';
import { learnersByIds } from '../../../db/queries/learners.ts';
import type { AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { AwardsTable } from '../views/awards.tsx';
import { CertificateTabs } from '../views/certificates.tsx';
import { certificateQuery, thisMonth, workflowPhases } from '../workflows.ts';
import { loadCertificate } from './certificates.tsx';

/** Mounted at /admin/certificates, beside the certificates area. */
export const awards = new Hono<AdminEnv>();

awards.get('/:id/awards', async (c) => {
  const deps = c.var.admin;
  const { api, config, sql } = deps;
  const cert = await loadCertificate(api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const list = await api.listAwards(cert.id);
  const [learners, { phases, visibilityError }] = await Promise.all([
    learnersByIds(sql, list.map((a) => a.learnerId)),
    workflowPhases(deps, api, cert.id, list),
  ]);
  const dueQuery = certificateQuery(cert.id, thisMonth());
  return c.render(
    <CertificateTabs certificate={cert} tab="awards">
      <AwardsTable
        awards={list}
        learners={learners}
        phases={phases}
        visibilityError={visibilityError}
        dueThisMonthQuery={dueQuery}
        dueThisMonthUrl={workflowsUiUrl(config, dueQuery)}
        allWorkflowsUrl={workflowsUiUrl(config, certificateQuery(cert.id))}
      />
    </CertificateTabs>,
    { title: `${cert.title} · Awards`, section: 'certificates' },
  );
});
