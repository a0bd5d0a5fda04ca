/**
 * A certificate's Awards tab: each award's learner, dates, status, and its workflow's phase and due
 * time (one Temporal visibility query by `CertificateId`, status queries while visibility catches
 * up: workflows.ts), with links to the certificate's workflows in the Temporal UI. From it an admin
 * awards the certificate to a learner (by email), and extends or revokes an award, each through a
 * confirmation page; every write goes through the JSON API (api-client.ts).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { workflowsUiUrl } from '../../../config/temporal.ts';
import { learnersByIds } from '../../../db/queries/learners.ts';
import { isId } from '../../../domain/ids.ts';
import type { AwardDto, CertificateDto } from '../../schemas.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { formText, readForm, refuseRepeated } from '../requests.ts';
import { AwardActionPage, AwardForm, AwardsTable, type AwardAction } from '../views/awards.tsx';
import type { Banner } from '../views/layout.tsx';
import { CertificateTabs } from '../views/certificates.tsx';
import { certificateQuery, thisMonth, workflowPhases } from '../workflows.ts';
import { loadCertificate } from './certificates.tsx';

/** Mounted at /admin/certificates, beside the certificates area. */
export const awards = new Hono<AdminEnv>();

/** The Awards tab, with the award form (its values and error after a refused award) and a banner. */
async function awardsPage(
  c: AdminContext,
  cert: CertificateDto,
  opts: { banner?: Banner | null; status?: ContentfulStatusCode; email?: string; awardedOn?: string; error?: string | null; fromPost?: boolean } = {},
): Promise<Response> {
  const deps = c.var.admin;
  const { api, config, sql } = deps;
  const list = await api.listAwards(cert.id);
  const [learners, { phases, visibilityError }] = await Promise.all([
    learnersByIds(sql, list.map((a) => a.learnerId)),
    workflowPhases(deps, api, cert.id, list),
  ]);
  const dueQuery = certificateQuery(cert.id, thisMonth());
  c.status(opts.status ?? 200);
  return await c.render(
    <CertificateTabs certificate={cert} tab="awards">
      <AwardForm certificateId={cert.id} email={opts.email ?? ''} awardedOn={opts.awardedOn ?? ''} error={opts.error ?? null} idempotencyKey={randomUUID()} />
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
    { title: `${cert.title} · Awards`, section: 'certificates', banner: opts.banner, replaceUrl: opts.fromPost ? `/admin/certificates/${cert.id}/awards` : undefined },
  );
}

awards.get('/:id/awards', async (c) => {
  const cert = await loadCertificate(c.var.admin.api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  return await awardsPage(c, cert);
});

/** `YYYY-MM-DD` → that day at `hhmmss` of `timeOf` (UTC; default 00:00), or null when it is not a real date. */
export function dayToInstant(value: string, timeOf?: string | null): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const t = timeOf ? new Date(timeOf) : null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), t?.getUTCHours() ?? 0, t?.getUTCMinutes() ?? 0, t?.getUTCSeconds() ?? 0);
  const d = new Date(ms);
  return d.toISOString().slice(0, 10) === value.trim() ? d.toISOString() : null;
}

// Award the certificate to a learner found by email; optional "awarded on" day (back-dated holders).
awards.post('/:id/awards', async (c) => {
  const { api } = c.var.admin;
  const cert = await loadCertificate(api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c);
  refuseRepeated(form, ['email', 'awardedOn', 'idempotencyKey']);
  const email = formText(form, 'email').trim();
  const awardedOn = formText(form, 'awardedOn').trim();
  const key = formText(form, 'idempotencyKey');
  const refuse = (error: string, status: ContentfulStatusCode = 400) =>
    awardsPage(c, cert, { status, email, awardedOn, error, banner: { kind: 'error', text: `Nothing was awarded: ${error}` } });
  if (!email) return await refuse('Enter the learner’s email.');
  const awardedAt = awardedOn === '' ? undefined : dayToInstant(awardedOn);
  if (awardedAt === null) return await refuse(`“${awardedOn}” is not a date (YYYY-MM-DD).`);
  const learner = await api.findLearnerByEmail(email);
  if (!learner) return await refuse(`No learner has the email ${email}.`, 422);
  const answer = await api.createAward(cert.id, { learnerId: learner.id, ...(awardedAt ? { awardedAt } : {}) }, isId(key) ? key : randomUUID());
  if (!answer.ok) return await refuse(answer.error.message, ([400, 409, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode);
  const { award } = answer.body;
  const expires = award.expiresAt ? `; it expires ${award.expiresAt.slice(0, 10)}` : '; it does not expire';
  return await awardsPage(c, cert, { fromPost: true, banner: { kind: 'ok', text: `Awarded “${cert.title}” to ${learner.name} <${learner.email}>${expires}.` } });
});

/** The award of the URL, if it belongs to the certificate of the URL. */
async function awardOf(c: AdminContext, cert: CertificateDto): Promise<AwardDto | null> {
  const id = c.req.param('awardId') ?? '';
  if (!isId(id)) return null;
  const view = await c.var.admin.api.getAward(id);
  return view && view.award.certificateId === cert.id ? view.award : null;
}

/** The confirmation page of an action on an award. */
async function actionPage(c: AdminContext, cert: CertificateDto, award: AwardDto, action: AwardAction, opts: { error?: string | null; value?: string; status?: ContentfulStatusCode } = {}) {
  const learner = await c.var.admin.api.getLearner(award.learnerId);
  c.status(opts.status ?? 200);
  return await c.render(
    <CertificateTabs certificate={cert} tab="awards">
      <AwardActionPage certificateId={cert.id} award={award} learner={learner} action={action} error={opts.error ?? null} value={opts.value ?? ''} />
    </CertificateTabs>,
    { title: `${cert.title} · ${action === 'extend' ? 'Extend' : 'Revoke'} an award`, section: 'certificates' },
  );
}

for (const action of ['extend', 'revoke'] as const) {
  awards.get(`/:id/awards/:awardId/${action}`, async (c) => {
    const cert = await loadCertificate(c.var.admin.api, c.req.param('id'));
    const award = cert ? await awardOf(c, cert) : null;
    if (!cert || !award) return renderNotFound(c, 'That award');
    return await actionPage(c, cert, award, action);
  });

  awards.post(`/:id/awards/:awardId/${action}`, async (c) => {
    const { api } = c.var.admin;
    const cert = await loadCertificate(api, c.req.param('id'));
    const award = cert ? await awardOf(c, cert) : null;
    if (!cert || !award) return renderNotFound(c, 'That award');
    const form = await readForm(c);
    refuseRepeated(form, ['value']);
    const value = formText(form, 'value').trim();
    const learner = await api.getLearner(award.learnerId);
    const who = learner ? `${learner.name} <${learner.email}>` : award.learnerId;
    if (action === 'extend') {
      const expiresAt = dayToInstant(value, award.expiresAt);
      if (!expiresAt) return await actionPage(c, cert, award, action, { status: 400, value, error: `“${value}” is not a date (YYYY-MM-DD).` });
      const answer = await api.patchAward(award.id, { expiresAt });
      if (!answer.ok) {
        // The API refuses an expiry in the past (expiry_in_past); said here in the form's own words.
        const error = answer.error.code === 'expiry_in_past' ? `${value} (at ${expiresAt.slice(11, 16)} UTC) is in the past: the new expiry must be in the future. To end the award now, revoke it.` : answer.error.message;
        return await actionPage(c, cert, award, action, { status: ([400, 409, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode, value, error });
      }
      return await awardsPage(c, cert, { fromPost: true, banner: { kind: 'ok', text: `The award of ${who} now expires ${expiresAt.slice(0, 10)}.` } });
    }
    if (!value) return await actionPage(c, cert, award, action, { status: 400, value, error: 'Give a reason: the learner’s history keeps it.' });
    const answer = await api.revokeAward(award.id, value);
    if (!answer.ok) return await actionPage(c, cert, award, action, { status: ([400, 409, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode, value, error: answer.error.message });
    return await awardsPage(c, cert, { fromPost: true, banner: { kind: 'ok', text: `The award of ${who} is revoked; its workflow ends.` } });
  });
}
