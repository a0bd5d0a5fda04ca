/**
 * A certificate's Import tab (issue 9 §5): upload a CSV, see the API's dry run (totals and each row's
 * plan), confirm, then follow the import's progress at `/admin/imports/:id` and download its errors.
 * Everything goes through the JSON API in-process (POST /api/certificates/:id/imports as `text/csv`,
 * GET /api/imports/:id and its errors.csv): the rules and the plan are the API's.
 *
 * Nothing is stored between the dry run and the confirm: the plan page carries the CSV's text back in
 * a hidden field with its SHA-256 (a confirm whose text does not match is refused), so the form limit
 * is MAX_IMPORT_FORM_BYTES (8 MB, middleware.ts), not the API's 32 MB. Line endings are normalized
 * to CRLF before both (a browser submits a textarea's newlines as CRLF). A confirm sent twice is the
 * same import: the API treats the same rows and flag for the certificate as one import.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isId } from '../../../domain/ids.ts';
import type { CertificateDto } from '../../schemas.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { MAX_IMPORT_FORM_BYTES } from '../middleware.ts';
import { renderNotFound } from '../renderer.tsx';
import { formText, readForm, refuseRepeated } from '../requests.ts';
import { CertificateTabs } from '../views/certificates.tsx';
import { ImportPage, ImportPlanView, ImportUploadForm } from '../views/imports.tsx';
import { loadCertificate } from './certificates.tsx';

export const imports = new Hono<AdminEnv>();

const MAX_MB = MAX_IMPORT_FORM_BYTES / 1024 / 1024;

/** The CSV's text as the confirm carries it: every line ending CRLF. */
const normalized = (text: string): string => text.replace(/\r\n|\r|\n/g, '\r\n');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The Import tab with the upload form, and `error` (the API's or the page's refusal; nothing imported). */
function uploadPage(c: AdminContext, cert: CertificateDto, error: string | null = null, status: ContentfulStatusCode = 200, fromPost = false) {
  c.status(status);
  return c.render(
    <CertificateTabs certificate={cert} tab="import">
      <ImportUploadForm certificateId={cert.id} maxMb={MAX_MB} error={error} />
    </CertificateTabs>,
    { title: `${cert.title} · Import`, section: 'certificates', replaceUrl: fromPost ? `/admin/certificates/${cert.id}/import` : undefined },
  );
}

/** A refusal's status as the page answers it: the API's 4xx, anything else a 500. */
const refusalStatus = (status: number): ContentfulStatusCode => ([400, 404, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode;

imports.get('/certificates/:id/import', async (c) => {
  const cert = await loadCertificate(c.var.admin.api, c.req.param('id'));
  return cert ? uploadPage(c, cert) : renderNotFound(c, 'That certificate');
});

imports.post('/certificates/:id/import', async (c) => {
  const { api } = c.var.admin;
  const cert = await loadCertificate(api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c);
  refuseRepeated(form, ['file', 'csv', 'sha256', 'confirm', 'createLearners']);
  const createLearners = formText(form, 'createLearners') === 'on';

  if (formText(form, 'confirm') === 'yes') {
    const csv = formText(form, 'csv');
    if (csv === '' || sha256(normalized(csv)) !== formText(form, 'sha256')) {
      return uploadPage(c, cert, 'Nothing was imported: the confirmation did not carry the file that was checked. Upload it again.', 400, true);
    }
    const answer = await api.applyImport(cert.id, normalized(csv), { createLearners });
    if (!answer.ok) return uploadPage(c, cert, `Nothing was imported: ${answer.error.message}`, refusalStatus(answer.status), true);
    return c.redirect(`/admin/imports/${answer.body.import.id}`, 303);
  }

  const file = form.file;
  if (!(file instanceof File) || file.size === 0) return uploadPage(c, cert, 'Nothing was checked: choose a CSV file.', 400, true);
  // The bytes as uploaded (the API says whether they are UTF-8), normalized only once the API read them.
  const plan = await api.planImport(cert.id, await file.arrayBuffer(), { createLearners });
  if (!plan.ok) return uploadPage(c, cert, `Nothing was imported: ${plan.error.message}`, refusalStatus(plan.status), true);
  const csv = normalized(new TextDecoder('utf-8').decode(await file.arrayBuffer()));
  return c.render(
    <CertificateTabs certificate={cert} tab="import">
      <ImportPlanView certificateId={cert.id} plan={plan.body} csv={csv} sha256={sha256(csv)} createLearners={createLearners} fileName={file.name} />
    </CertificateTabs>,
    { title: `${cert.title} · Import (dry run)`, section: 'certificates', replaceUrl: `/admin/certificates/${cert.id}/import` },
  );
});

imports.get('/imports/:id', async (c) => {
  const { api } = c.var.admin;
  const id = c.req.param('id');
  const imp = isId(id) ? await api.getImport(id) : null;
  if (!imp) return renderNotFound(c, 'That import');
  const cert = await api.getCertificate(imp.certificateId);
  return c.render(<ImportPage imp={imp} certificateTitle={cert?.title ?? 'Certificate'} />, { title: 'Import', section: 'certificates' });
});

imports.get('/imports/:id/errors.csv', async (c) => {
  const id = c.req.param('id');
  const csv = isId(id) ? await c.var.admin.api.importErrorsCsv(id) : null;
  if (csv === null) return renderNotFound(c, 'That import');
  return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="import-${id}-errors.csv"` });
});
