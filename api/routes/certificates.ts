/**
 * Certificates and their settings. Mounted at `/api`. A settings change is saved in one transaction with a
 * `settings_propagations` row; after the commit a propagation workflow signals every running workflow
 * of the certificate (so the request never waits for thousands of signals, and the change reaches them
 * all even if this process dies: the reconciler starts a propagation that was not started).
 *
 * Only changes that running workflows act on are propagated (domain/settings.ts
 * `affectsRunningWorkflows`): `recertification`, `expiringNotice`, `expiredNotice`. Expiration's
 * `validFor`/`anchor` apply to later awards only and are not signalled.
 *
 * Optimistic concurrency: `settingsVersion` is the certificate's version and its ETag (`"7"`); every
 * change a PATCH makes (title, settings, associated content) raises it. A PATCH with `If-Match` is
 * compared with the version under the row lock, inside the change's transaction, so of two changes
 * made at the same version exactly one commits and the other is a 409 `version_conflict`. Without
 * `If-Match` a PATCH applies to whatever is current (last writer wins), as before.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TransactionSql } from '../../db/client.ts';
import type { CertificateRow } from '../../db/rows.ts';
import * as certsQ from '../../db/queries/certificates.ts';
import * as awardsQ from '../../db/queries/awards.ts';
import * as coursesQ from '../../db/queries/courses.ts';
import {
  affectsRunningWorkflows,
  defaultSettings,
  evaluateSettings,
  mergeSettings,
  type CertificateSettings,
  type CourseFacts,
  type SettingsPatch,
  type SettingsWarning,
} from '../../domain/settings.ts';
import { countSettingsSignals } from '../../domain/recertification-steps.ts';
import { previewSettingsChange } from '../../domain/settings-preview.ts';
import { settingsPropagationWorkflowId } from '../../workflows/settings-propagation.ts';
import { recordChange } from '../../domain/audit.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorBody, errorResponses, notFound, unprocessable } from '../errors.ts';
import { etagHeader, etagOf, ifMatchAllows, ifMatchHeaders, versionConflictMessage } from '../etag.ts';
import { idempotencyScope, markReplayed, runIdempotent, updateIdempotentAnswer } from '../idempotency.ts';
import { pageOf } from '../paging.ts';
import { deliverAwardChanges, tryStartSettingsPropagation } from '../temporal-gateway.ts';
import { archiveCertificate } from '../../domain/lifecycle.ts';
import {
  CertificateArchivedSchema,
  CertificateChangePreviewSchema,
  CertificateChangedSchema,
  CertificateCreateSchema,
  CertificateListQuery,
  CertificateCreatedSchema,
  CertificateListSchema,
  CertificatePatchQuery,
  CertificatePatchSchema,
  CertificateSchema,
  IdParams,
  IdempotencyHeaders,
  body,
  json,
  toCertificate,
  type CertificateArchived,
  type CertificateChangePreview,
  type CertificateChanged,
  type CertificateCreated,
  type SettingsPropagation,
} from '../schemas.ts';
import { canonicalJson, iso, isoOrNull } from '../util.ts';

const tags = ['Certificates'];

const IfMatchHeaders = ifMatchHeaders({
  what: 'the certificate\'s settingsVersion',
  description:
    'Apply the change only if the certificate is still at this version: its `settingsVersion` in double quotes, as the `ETag` ' +
    'of GET, POST and PATCH gives it. Otherwise nothing changes and the answer is 409 `version_conflict` with the current `ETag`. ' +
    'Without it the change applies to the current version (last writer wins).',
  example: '"7"',
});

const EtagHeader = etagHeader('The certificate\'s version (`settingsVersion`, quoted); send it back as If-Match.', '"7"');

export const archiveCertificateRoute = createRoute({
  method: 'post',
  path: '/certificates/{id}/archive',
  tags,
  ...requires('write'),
  summary: 'Archive a certificate: its running workflows end (revoked, "certificate archived"), it is awarded no more',
  description:
    'In one transaction the certificate is marked archived and each of its active awards is revoked with reason "certificate archived" ' +
    '(kept as history). After the commit the awards\' workflows are signalled and end as `revoked` (up to 500 in the request, 16 at a ' +
    'time); the rest, and any Temporal did not take, are delivered by the reconciler, and a workflow that wakes first reads the revocation ' +
    'from the database. From then on a new award is 409 `certificate_archived` and completing one of its courses does not award it. ' +
    'It leaves the default `GET /api/certificates` list. 409 `certificate_archived` when already archived. There is no unarchive: ' +
    'create a new certificate. No body. With an `Idempotency-Key`, a repeat returns the first answer.',
  request: { params: IdParams, headers: IdempotencyHeaders },
  responses: {
    200: json(CertificateArchivedSchema, 'The archived certificate and the awards revoked.'),
    ...errorResponses(400, 401, 404, 409),
  },
});

/** 422 `unknown_course` unless every id names a course. */
async function assertCoursesExist(tx: TransactionSql, ids: string[]): Promise<void> {
  const found = new Set((await coursesQ.getCourses(tx, ids)).map((c) => c.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw unprocessable('unknown_course', `No course ${missing.join(', ')}.`, { field: 'associatedCourseIds', missing });
  }
}

/**
 * Applies the settings rules (domain/settings.ts `evaluateSettings`; listed in the PATCH route's
 * description) to a patch: the merged settings and their warnings. Throws 422 with the first
 * violation's code and message, and details `{field, …the violation's own facts (e.g. maxLeadDays,
 * shortestValidityDays), violations}`; reads the recertification course in `tx`.
 */
async function evaluate(
  tx: TransactionSql,
  before: CertificateSettings,
  patch: SettingsPatch,
  associatedCourseIds: string[],
): Promise<{ settings: CertificateSettings; warnings: SettingsWarning[] }> {
  const courseId = mergeSettings(before, patch).recertification.courseId;
  const course = courseId ? await coursesQ.getCourse(tx, courseId) : null;
  const facts: CourseFacts | null = course
    ? { id: course.id, title: course.title, status: course.status, hasEnrollmentMessage: course.enrollmentMessage !== null }
    : null;
  const { settings, violations, warnings } = evaluateSettings({ before, patch, associatedCourseIds, recertificationCourse: facts });
  const first = violations[0];
  if (first) {
    const { code, message, ...ruleFacts } = first;
    throw unprocessable(code, message, { ...ruleFacts, violations });
  }
  return { settings, warnings };
}

export const createCertificateRoute = createRoute({
  method: 'post',
  path: '/certificates',
  tags,
  ...requires('write'),
  summary: 'Create a certificate',
  description:
    'Settings start from the defaults (no expiration); `settings` may change any part of them, under the rules of PATCH. ' +
    'With an `Idempotency-Key`, a repeat returns the first answer and creates no second certificate.',
  request: { headers: IdempotencyHeaders, body: body(CertificateCreateSchema) },
  responses: {
    201: { ...json(CertificateCreatedSchema, 'The certificate and the warnings of its settings.'), headers: EtagHeader },
    ...errorResponses(400, 401, 415, 422),
  },
});

export const listCertificatesRoute = createRoute({
  method: 'get',
  path: '/certificates',
  tags,
  ...requires('read'),
  summary: 'List certificates (newest first); archived ones only when asked',
  description:
    'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page). Archived certificates are left out ' +
    'unless `include=archived` (all) or `status=archived` (only them); `status=active` lists those in use.',
  request: { query: CertificateListQuery },
  responses: {
    200: json(CertificateListSchema, 'The certificates.'),
    ...errorResponses(400, 401),
  },
});

export const getCertificateRoute = createRoute({
  method: 'get',
  path: '/certificates/{id}',
  tags,
  ...requires('read'),
  summary: 'Get a certificate',
  request: { params: IdParams },
  responses: {
    200: { ...json(CertificateSchema, 'The certificate.'), headers: EtagHeader },
    ...errorResponses(400, 401, 404),
  },
});

export const patchCertificateRoute = createRoute({
  method: 'patch',
  path: '/certificates/{id}',
  tags,
  ...requires('write'),
  summary: 'Change title, associated content and settings; signals the running workflows',
  description:
    'Rules (422): `expiration_required` (recertification needs expiration), `course_not_live` (the recertification course ' +
    'must exist and be live), `course_required` (recertification needs a course), `unknown_course` (associated content). ' +
    '`lead_days_exceed_validity` (lead days must be shorter than the shortest length of the validity, e.g. at most 27 for one month; ' +
    'details name `maxLeadDays` and `shortestValidityDays`; checked while expiration is on and the lead days time something after the change: ' +
    'the enrollment (recertification on) or the expiring notice (sent at expiry − lead days, with or without recertification; `expiringNotice.enabled`), ' +
    'and only when the change touches expiration.enabled, validFor or leadDays, or turns recertification or the expiring notice on. ' +
    'With both off the lead days constrain nothing; turning either on checks them). ' +
    'leadDays outside 1–365, or a validity over 50 years (600 months, 2600 weeks, 18250 days), is a 400. Turning expiration off turns recertification off, with a warning. ' +
    '`signalled` counts the active awards with a workflow that the change is queued for (0 when nothing they act on changed). ' +
    'Concurrency: send `If-Match: "<settingsVersion>"` (the `ETag`) to change only the version you read; a change made ' +
    'meanwhile makes it a 409 `version_conflict` (details `settingsVersion`, the current one, also in the `ETag`) and nothing ' +
    'is saved. Every change (title, settings, associated content) raises `settingsVersion`. Without If-Match the change applies ' +
    'to the current version. A PATCH that changes nothing does not raise `settingsVersion`. Only changes that running workflows act on ' +
    '(`recertification`, `expiringNotice`, `expiredNotice`) are propagated; `expiration.validFor` and `anchor` apply to awards made ' +
    'afterwards. The change, its new version and the propagation record are saved in one transaction; after the commit, the workflow ' +
    '`settings-propagation-<certificateId>-v<version>` signals every running workflow of the certificate, 500 at a time, and the ' +
    'request does not wait for the signals. If the process dies before starting it, the reconciler does. ' +
    'Preview: `?dryRun=true` checks the change exactly as above (the same 400/404/409/422, If-Match included), saves and signals ' +
    'nothing, and answers what it would do at once to the running workflows, computed from the database with the workflow\'s own rules: ' +
    'how many enroll now (a longer lead puts them inside the window), are released from waiting for settings, start waiting, are ' +
    'rescheduled (and the earliest new due time), the messages sent at once and how many learners get a second email (`ChangeImpact`).',
  request: { params: IdParams, query: CertificatePatchQuery, headers: IfMatchHeaders, body: body(CertificatePatchSchema) },
  responses: {
    200: {
      ...json(
        z.union([CertificateChangedSchema, CertificateChangePreviewSchema]),
        'The certificate as saved, the warnings of its settings, and how many running workflows are being signalled; ' +
          'with `dryRun=true`, a `CertificateChangePreview` instead (nothing saved; the ETag is the current version).',
      ),
      headers: EtagHeader,
    },
    ...errorResponses(400, 401, 404, 409, 415, 422),
  },
});

/** The PATCH body as validated. */
type CertificatePatchInput = z.infer<typeof CertificatePatchSchema>;

/** The 409 `version_conflict` of a PATCH (or its dry run) whose If-Match names an older version; the ETag is the current one. */
function versionConflict(c: Context, current: number, ifMatch: string | undefined) {
  c.header('ETag', etagOf(current));
  return c.json(
    errorBody(
      'version_conflict',
      versionConflictMessage('certificate', 'settingsVersion', ifMatch, current),
      { settingsVersion: current, ifMatch: ifMatch ?? null },
    ),
    409,
  );
}

/** The fields of a certificate its audit entries compare: title, settings (by section and field) and associated content. */
function auditedCertificate(row: CertificateRow): Record<string, unknown> {
  return { title: row.title, settings: row.settings, associatedCourseIds: row.associatedCourseIds };
}

/** The certificates area's sub-app (routes relative to `/api`). */
export function certificatesApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();

  app.openapi(createCertificateRoute, async (c) => {
    const input = c.req.valid('json');
    const scope = idempotencyScope(createCertificateRoute, c.req.valid('header')['idempotency-key'], input);
    const who = c.var.who;
    const outcome = await runIdempotent<CertificateCreated>(sql, scope, async (tx) => {
      await assertCoursesExist(tx, input.associatedCourseIds);
      const { settings, warnings } = await evaluate(tx, defaultSettings(), input.settings ?? {}, input.associatedCourseIds);
      const certificate = await certsQ.insertCertificate(tx, { title: input.title, settings, associatedCourseIds: input.associatedCourseIds });
      await recordChange(tx, who, { action: 'certificate.created', entityType: 'certificate', entityId: certificate.id, before: null, after: auditedCertificate(certificate) });
      return { status: 201, body: { certificate: toCertificate(certificate), warnings } };
    });
    if (outcome.replayed) markReplayed(c);
    const result = outcome.body as CertificateCreated;
    c.header('ETag', etagOf(result.certificate.settingsVersion));
    return c.json(result, 201);
  });

  app.openapi(listCertificatesRoute, async (c) => {
    const { limit, before, include, status } = c.req.valid('query');
    const archived = status === 'archived' ? 'only' : status === 'active' ? 'exclude' : include === 'archived' ? 'include' : 'exclude';
    const { rows, nextBefore } = pageOf(await certsQ.listCertificates(sql, { limit: limit + 1, before, archived }), limit);
    return c.json({ certificates: rows.map(toCertificate), nextBefore }, 200);
  });

  app.openapi(getCertificateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await certsQ.getCertificate(sql, id);
    if (!row) throw notFound('Certificate', id);
    c.header('ETag', etagOf(row.settingsVersion));
    return c.json(toCertificate(row), 200);
  });

  /**
   * The checks and the plan a PATCH shares with its dry run, in `tx`: the certificate (404), If-Match
   * under the row lock (or in the dry run's snapshot), associated content and the settings rules.
   */
  async function planChange(tx: TransactionSql, id: string, input: CertificatePatchInput, ifMatch: string | undefined, lock: boolean) {
    const before: CertificateRow | null = await certsQ.getCertificate(tx, id, { forUpdate: lock });
    if (!before) throw notFound('Certificate', id);
    // Under the row lock: a concurrent change has committed (and raised the version) or waits for this one.
    if (!ifMatchAllows(ifMatch, before.settingsVersion)) return { kind: 'conflict', current: before.settingsVersion } as const;
    const associatedCourseIds = input.associatedCourseIds ?? before.associatedCourseIds;
    if (input.associatedCourseIds) await assertCoursesExist(tx, input.associatedCourseIds);
    const { settings, warnings } = await evaluate(tx, before.settings, input.settings ?? {}, associatedCourseIds);
    const settingsChanged = canonicalJson(settings) !== canonicalJson(before.settings);
    const titleChanged = input.title !== undefined && input.title !== before.title;
    const associatedChanged = canonicalJson(associatedCourseIds) !== canonicalJson(before.associatedCourseIds);
    const affects = settingsChanged && affectsRunningWorkflows(before.settings, settings);
    return { kind: 'plan', before, settings, warnings, associatedCourseIds, settingsChanged, titleChanged, associatedChanged, affects } as const;
  }

  app.openapi(patchCertificateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const ifMatch = c.req.valid('header')['if-match'];
    const input = c.req.valid('json');
    if (c.req.valid('query').dryRun === 'true') {
      // One consistent snapshot, and PostgreSQL itself refuses any write in it.
      const preview = await sql.begin('isolation level repeatable read read only', async (tx) => {
        const plan = await planChange(tx, id, input, ifMatch, false);
        if (plan.kind === 'conflict') return plan;
        const { before, settings } = plan;
        const asOf = Date.now();
        const { signalled, passedOver } = plan.affects
          ? countSettingsSignals(await awardsQ.runningWorkflowWakeFacts(tx, id), before.settings.recertification.leadDays, settings.recertification.leadDays, asOf)
          : { signalled: 0, passedOver: 0 };
        const impact = await previewSettingsChange(tx, { certificateId: id, before: before.settings, after: settings, asOf });
        const certificate: CertificateRow = { ...before, title: plan.titleChanged && input.title !== undefined ? input.title : before.title, settings, associatedCourseIds: plan.associatedCourseIds };
        const body: CertificateChangePreview = {
          dryRun: true,
          certificate: toCertificate(certificate),
          changes: plan.settingsChanged || plan.titleChanged || plan.associatedChanged,
          warnings: plan.warnings,
          signalled,
          passedOver,
          impact: { ...impact, asOf: iso(new Date(asOf)), earliestNewDueAt: isoOrNull(impact.earliestNewDueAt) },
        };
        return { kind: 'preview', body, version: before.settingsVersion } as const;
      });
      if (preview.kind === 'preview') {
        c.header('ETag', etagOf(preview.version));
        return c.json(preview.body, 200);
      }
      return versionConflict(c, preview.current, ifMatch);
    }
    const who = c.var.who;
    const result = await sql.begin(async (tx) => {
      const plan = await planChange(tx, id, input, ifMatch, true);
      if (plan.kind === 'conflict') return plan;
      const { before, settings, warnings, associatedCourseIds, settingsChanged, titleChanged, associatedChanged } = plan;
      const version =
        settingsChanged || titleChanged || associatedChanged
          ? await certsQ.updateCertificate(tx, id, { title: titleChanged ? input.title : undefined, settings: settingsChanged ? settings : undefined })
          : before.settingsVersion;
      if (associatedChanged) await certsQ.setAssociatedCourses(tx, id, associatedCourseIds);
      let propagate = false;
      let signalled = 0;
      let passedOver = 0;
      if (plan.affects) {
        // Awards created after this commit read the settings when their workflow starts, and a
        // workflow asleep before its due time reads them there (domain/recertification-steps.ts
        // settingsSignalNeeded): only workflows that exist now and that the change can wake need the
        // signal, and none means nothing to propagate.
        const leadDaysBefore = before.settings.recertification.leadDays;
        ({ signalled, passedOver } = countSettingsSignals(await awardsQ.runningWorkflowWakeFacts(tx, id), leadDaysBefore, settings.recertification.leadDays, Date.now()));
        propagate = signalled > 0;
        if (propagate) await certsQ.insertPropagation(tx, id, version, before.settings.recertification.leadDays);
      }
      const certificate = await certsQ.getCertificate(tx, id);
      if (!certificate) throw new Error('certificate vanished');
      // In the change's transaction: the entry commits with it or not at all (nothing when nothing changed).
      await recordChange(tx, who, { action: 'certificate.changed', entityType: 'certificate', entityId: id, before: auditedCertificate(before), after: auditedCertificate(certificate) });
      return { kind: 'saved', certificate, warnings, signalled, passedOver, propagate, version } as const;
    });
    if (result.kind === 'conflict') return versionConflict(c, result.current, ifMatch);
    let propagation: SettingsPropagation | null = null;
    if (result.propagate) {
      const started = await tryStartSettingsPropagation(deps, id, result.version);
      propagation = { settingsVersion: result.version, workflowId: settingsPropagationWorkflowId(id, result.version), started };
    }
    c.header('ETag', etagOf(result.certificate.settingsVersion));
    const changed: CertificateChanged = { certificate: toCertificate(result.certificate), warnings: result.warnings, signalled: result.signalled, passedOver: result.passedOver, propagation };
    return c.json(changed, 200);
  });

  app.openapi(archiveCertificateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const scope = idempotencyScope(archiveCertificateRoute, c.req.valid('header')['idempotency-key'], { certificateId: id });
    const who = c.var.who;
    const outcome = await runIdempotent<CertificateArchived, { status: number; body: CertificateArchived; awardIds: string[] }>(sql, scope, async (tx) => {
      const { certificate, revoked } = await archiveCertificate(tx, id, who);
      // Stored as it is until the signals' outcome replaces it: all pending if this process dies first.
      const body = { certificate: toCertificate(certificate), revokedAwards: revoked.length, signalled: 0, pending: revoked.length };
      return { status: 200, body, awardIds: revoked.map((a) => a.id) };
    });
    if (outcome.replayed) {
      markReplayed(c);
      return c.json(outcome.body as CertificateArchived, 200);
    }
    const delivered = await deliverAwardChanges(deps, outcome.awardIds);
    const final: CertificateArchived = { ...outcome.body, signalled: delivered.signalled, pending: delivered.failed + delivered.left };
    await updateIdempotentAnswer(sql, scope, 200, final).catch((err: unknown) => deps.log.warn({ err }, 'could not update the idempotent answer'));
    return c.json(final, 200);
  });

  return app;
}
