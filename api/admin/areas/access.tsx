/**
 * Access and audit pages (issue 15): the Audit page (`/admin/audit`, filters and paging over
 * `GET /api/audit`), a certificate's settings history (its History tab) and an award's history, and
 * the API tokens (`/admin/tokens`: list, create with the secret shown once, revoke; `admin` scope,
 * which the API checks: another token sees the API's refusal). Everything goes through the JSON API
 * in-process as the signed-in token.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isId } from '../../../domain/ids.ts';
import { TOKEN_SCOPES, type TokenScope } from '../../../domain/vocabulary.ts';
import type { AuditList, TokenCreated, TokenDto, TokenList } from '../../access-schemas.ts';
import { AdminApiError } from '../api-client.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { renderNotFound, renderRefusal } from '../renderer.tsx';
import { formText, queryParam, readForm, refuseRepeated } from '../requests.ts';
import { AuditPage, HistoryPage, TokensPage, type TokenFormValues } from '../views/access.tsx';
import { CertificateTabs } from '../views/certificates.tsx';
import { loadCertificate } from './certificates.tsx';

export const access = new Hono<AdminEnv>();

/** A page of `GET /api/audit` with `filters` (and the request's `before`), and the URL of the next one on `base`. */
async function auditPage(c: AdminContext, filters: Record<string, string>, base: string): Promise<{ list: AuditList; nextUrl: string | null }> {
  const before = queryParam(c, 'before');
  const q = new URLSearchParams({ limit: '50', ...filters, ...(before ? { before } : {}) });
  const answer = await c.var.admin.api.get<AuditList>(`/api/audit?${q.toString()}`);
  if (!answer.ok) throw new AdminApiError(answer.status, answer.error); // a bad filter: the page's 400 naming it
  const next = new URLSearchParams({ ...filters, ...(answer.body.nextBefore ? { before: answer.body.nextBefore } : {}) });
  return { list: answer.body, nextUrl: answer.body.nextBefore ? `${base}?${next.toString()}` : null };
}

access.get('/audit', async (c) => {
  const filters: Record<string, string> = {};
  for (const name of ['entityType', 'action', 'actor'] as const) {
    const v = queryParam(c, name);
    if (v) filters[name] = v;
  }
  const { list, nextUrl } = await auditPage(c, filters, '/admin/audit');
  return c.render(<AuditPage entries={list.entries} filters={filters} nextUrl={nextUrl} />, { title: 'Audit', section: 'audit' });
});

access.get('/certificates/:id/history', async (c) => {
  const cert = await loadCertificate(c.var.admin.api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const base = `/admin/certificates/${cert.id}/history`;
  const { list, nextUrl } = await auditPage(c, { entityType: 'certificate', entityId: cert.id }, base);
  return c.render(
    <CertificateTabs certificate={cert} tab="history">
      <HistoryPage heading="Settings history" entries={list.entries} nextUrl={nextUrl} back={{ href: `/admin/certificates/${cert.id}/settings`, label: '← Settings' }} />
    </CertificateTabs>,
    { title: `${cert.title} · History`, section: 'certificates' },
  );
});

access.get('/certificates/:id/awards/:awardId/history', async (c) => {
  const { api } = c.var.admin;
  const cert = await loadCertificate(api, c.req.param('id'));
  const awardId = c.req.param('awardId');
  const view = cert && isId(awardId) ? await api.getAward(awardId) : null;
  if (!cert || !view || view.award.certificateId !== cert.id) return renderNotFound(c, 'That award');
  const learner = await api.getLearner(view.award.learnerId);
  const base = `/admin/certificates/${cert.id}/awards/${awardId}/history`;
  const { list, nextUrl } = await auditPage(c, { entityType: 'award', entityId: awardId }, base);
  return c.render(
    <CertificateTabs certificate={cert} tab="awards">
      <HistoryPage
        heading={`History of the award of ${learner ? learner.name : view.award.learnerId}`}
        entries={list.entries}
        nextUrl={nextUrl}
        back={{ href: `/admin/certificates/${cert.id}/awards`, label: '← Awards' }}
      />
    </CertificateTabs>,
    { title: `${cert.title} · Award history`, section: 'certificates' },
  );
});

const NEW_TOKEN: TokenFormValues = { name: '', scope: 'read', expiresOn: '' };
const isScope = (v: string): v is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(v);

async function tokensPage(
  c: AdminContext,
  r: { values?: TokenFormValues; error?: string | null; created?: { name: string; secret: string } | null; status?: ContentfulStatusCode; banner?: string; fromPost?: boolean } = {},
): Promise<Response> {
  const answer = await c.var.admin.api.get<TokenList>('/api/tokens');
  if (!answer.ok) {
    if (answer.status === 403) return renderRefusal(c, 403, 'Admin only', `Token management needs the admin scope. ${answer.error.message}`);
    throw new AdminApiError(answer.status, answer.error);
  }
  c.status(r.status ?? 200);
  return await c.render(<TokensPage tokens={answer.body.tokens} values={r.values ?? NEW_TOKEN} error={r.error ?? null} created={r.created ?? null} />, {
    title: 'API tokens',
    section: 'tokens',
    banner: r.error ? { kind: 'error', text: 'Nothing was saved: correct the form below.' } : r.banner ? { kind: 'ok', text: r.banner } : null,
    replaceUrl: r.fromPost ? '/admin/tokens' : undefined,
  });
}

access.get('/tokens', (c) => tokensPage(c));

access.post('/tokens', async (c) => {
  const form = await readForm(c);
  refuseRepeated(form, ['name', 'scope', 'expiresOn']);
  const scope = formText(form, 'scope');
  const values: TokenFormValues = { name: formText(form, 'name'), scope: isScope(scope) ? scope : 'read', expiresOn: formText(form, 'expiresOn').trim() };
  let expiresAt: string | undefined;
  if (values.expiresOn) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.expiresOn) || Number.isNaN(Date.parse(`${values.expiresOn}T00:00:00Z`))) {
      return await tokensPage(c, { values, status: 400, error: `“${values.expiresOn}” is not a date (YYYY-MM-DD).` });
    }
    expiresAt = `${values.expiresOn}T00:00:00Z`;
  }
  const answer = await c.var.admin.api.post<TokenCreated>('/api/tokens', { name: values.name, scope, ...(expiresAt ? { expiresAt } : {}) });
  if (!answer.ok) {
    const issues = (answer.error.details as { issues?: { path?: string; message?: string }[] } | null)?.issues;
    const detail = issues?.[0]?.message ? ` ${issues[0].path ? `${issues[0].path}: ` : ''}${issues[0].message}` : '';
    return await tokensPage(c, { values, status: ([400, 403, 409, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode, error: `${answer.error.message}${detail}` });
  }
  return await tokensPage(c, { created: { name: answer.body.token.name, secret: answer.body.secret }, status: 201, fromPost: true });
});

access.post('/tokens/:id/revoke', async (c) => {
  await readForm(c);
  const id = c.req.param('id');
  if (!isId(id)) return renderNotFound(c, 'That token');
  const answer = await c.var.admin.api.post<TokenDto>(`/api/tokens/${id}/revoke`);
  if (!answer.ok && answer.status === 404) return renderNotFound(c, 'That token');
  if (!answer.ok) return await tokensPage(c, { status: answer.status === 409 ? 409 : 500, fromPost: true, banner: answer.error.message });
  return await tokensPage(c, { fromPost: true, banner: `The token ${answer.body.name} is revoked: it opens nothing from now on, and its sign-ins have ended.` });
});
