/**
 * Certificates and their settings (SPEC §3). A settings change is saved in one transaction with a
 * `settings_propagations` row; after the commit a propagation workflow signals every running workflow
 * of the certificate (so the request never waits for thousands of signals, and the change reaches them
 * all even if this process dies: the reconciler starts a propagation that was not started).
 *
 * Only changes that running workflows act on are propagated: `recertification`, `expiringNotice`,
 * `expiredNotice` (turning expiration off turns recertification off, so it counts). Expiration's
 * `validFor`/`anchor` apply to later awards only and are not signalled.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { TransactionSql } from '../../db/client.ts';
import type { CertificateRow } from '../../db/rows.ts';
import * as certsQ from '../../db/queries/certificates.ts';
import * as coursesQ from '../../db/queries/courses.ts';
import {
  defaultSettings,
  evaluateSettings,
  mergeSettings,
  type CertificateSettings,
  type CourseFacts,
  type SettingsPatch,
  type SettingsWarning,
} from '../../domain/settings.ts';
import { settingsPropagationWorkflowId } from '../../workflows/settings-propagation.ts';
import { bearer, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound, unprocessable } from '../errors.ts';
import { markReplayed, runIdempotent, type IdempotencyScope } from '../idempotency.ts';
import { tryStartSettingsPropagation } from '../recertification.ts';
import {
  CertificateCreateSchema,
  CertificatePatchSchema,
  CertificateSchema,
  IdParams,
  IdempotencyHeaders,
  ListQuery,
  WarningSchema,
  body,
  json,
  toCertificate,
  type CertificateDto,
} from '../schemas.ts';
import { canonicalJson } from '../util.ts';

const tags = ['Certificates'];

/** The answer to a create (stored as it is for an `Idempotency-Key` repeat). */
interface CertificateCreated {
  certificate: CertificateDto;
  warnings: SettingsWarning[];
}

/** 422 `unknown_course` unless every id names a course. */
async function assertCoursesExist(tx: TransactionSql, ids: string[]): Promise<void> {
  const found = new Set((await coursesQ.getCourses(tx, ids)).map((c) => c.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw unprocessable('unknown_course', `No course ${missing.join(', ')}.`, { field: 'associatedCourseIds', missing });
  }
}

/**
 * Applies the rules of SPEC §3 to a settings patch; 422 with the first violation's code and message,
 * and details `{field, …the violation's own facts (e.g. maxLeadDays, shortestValidityDays), violations}`.
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

/** Whether running workflows act on the difference (see the module comment). */
export function affectsRunningWorkflows(before: CertificateSettings, after: CertificateSettings): boolean {
  return (
    canonicalJson(before.recertification) !== canonicalJson(after.recertification) ||
    canonicalJson(before.expiringNotice) !== canonicalJson(after.expiringNotice) ||
    canonicalJson(before.expiredNotice) !== canonicalJson(after.expiredNotice)
  );
}

export function registerCertificateRoutes(app: App, deps: ApiDeps): void {
  const { sql } = deps;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/certificates',
      tags,
      security: bearer,
      summary: 'Create a certificate',
      description:
        'Settings start from the defaults (no expiration); `settings` may change any part of them, under the rules of PATCH. ' +
        'With an `Idempotency-Key`, a repeat returns the first answer and creates no second certificate.',
      request: { headers: IdempotencyHeaders, body: body(CertificateCreateSchema) },
      responses: {
        201: json(z.object({ certificate: CertificateSchema, warnings: z.array(WarningSchema) }), 'The certificate and the warnings of its settings.'),
        ...errorResponses(400, 401, 415, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const scope: IdempotencyScope = { route: 'POST /api/certificates', key: c.req.valid('header')['idempotency-key'], payload: input };
      const outcome = await runIdempotent<CertificateCreated>(sql, scope, async (tx) => {
        await assertCoursesExist(tx, input.associatedCourseIds);
        const { settings, warnings } = await evaluate(tx, defaultSettings(), input.settings ?? {}, input.associatedCourseIds);
        const certificate = await certsQ.insertCertificate(tx, { title: input.title, settings, associatedCourseIds: input.associatedCourseIds });
        return { status: 201, body: { certificate: toCertificate(certificate), warnings } };
      });
      if (outcome.replayed) markReplayed(c);
      const result = outcome.body as CertificateCreated;
      return c.json(result, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/certificates',
      tags,
      security: bearer,
      summary: 'List certificates (newest first)',
      request: { query: ListQuery },
      responses: {
        200: json(z.object({ certificates: z.array(CertificateSchema) }), 'The certificates.'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const rows = await certsQ.listCertificates(sql, { limit });
      return c.json({ certificates: rows.map(toCertificate) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/certificates/{id}',
      tags,
      security: bearer,
      summary: 'Get a certificate',
      request: { params: IdParams },
      responses: {
        200: json(CertificateSchema, 'The certificate.'),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await certsQ.getCertificate(sql, id);
      if (!row) throw notFound('Certificate', id);
      return c.json(toCertificate(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/api/certificates/{id}',
      tags,
      security: bearer,
      summary: 'Change title, associated content and settings; signals the running workflows',
      description:
        'Rules (422): `expiration_required` (recertification needs expiration), `course_not_live` (the recertification course ' +
        'must exist and be live), `course_required` (recertification needs a course), `unknown_course` (associated content). ' +
        '`lead_days_exceed_validity` (lead days must be shorter than the shortest length of the validity, e.g. at most 27 for one month; ' +
        'details name `maxLeadDays` and `shortestValidityDays`; checked when the change touches expiration.enabled, validFor or leadDays). ' +
        'leadDays outside 1–365, or a validity over 50 years (600 months, 2600 weeks, 18250 days), is a 400. Turning expiration off turns recertification off, with a warning. ' +
        '`signalled` counts the active awards with a workflow that the change is queued for (0 when nothing they act on changed).',
      request: { params: IdParams, body: body(CertificatePatchSchema) },
      responses: {
        200: json(
          z.object({
            certificate: CertificateSchema,
            warnings: z.array(WarningSchema),
            signalled: z.number().int(),
            propagation: z.object({ settingsVersion: z.number().int(), workflowId: z.string(), started: z.boolean() }).nullable(),
          }),
          'The certificate as saved, the warnings of its settings, and how many running workflows are being signalled.',
        ),
        ...errorResponses(400, 401, 404, 415, 422),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      const result = await sql.begin(async (tx) => {
        const before: CertificateRow | null = await certsQ.getCertificate(tx, id, { forUpdate: true });
        if (!before) throw notFound('Certificate', id);
        const associatedCourseIds = input.associatedCourseIds ?? before.associatedCourseIds;
        if (input.associatedCourseIds) await assertCoursesExist(tx, input.associatedCourseIds);
        const { settings, warnings } = await evaluate(tx, before.settings, input.settings ?? {}, associatedCourseIds);
        const settingsChanged = canonicalJson(settings) !== canonicalJson(before.settings);
        const version = await certsQ.updateCertificate(tx, id, { title: input.title, settings: settingsChanged ? settings : undefined });
        if (input.associatedCourseIds) await certsQ.setAssociatedCourses(tx, id, input.associatedCourseIds);
        let propagate = false;
        let signalled = 0;
        if (settingsChanged && affectsRunningWorkflows(before.settings, settings)) {
          // Awards created after this commit read the settings when their workflow starts: only
          // workflows that exist now need the signal, and none means nothing to propagate.
          signalled = await certsQ.countActiveWorkflows(tx, id);
          propagate = signalled > 0;
          if (propagate) await certsQ.insertPropagation(tx, id, version);
        }
        const certificate = await certsQ.getCertificate(tx, id);
        if (!certificate) throw new Error('certificate vanished');
        return { certificate, warnings, signalled, propagate, version };
      });
      let propagation: { settingsVersion: number; workflowId: string; started: boolean } | null = null;
      if (result.propagate) {
        const started = await tryStartSettingsPropagation(deps, id, result.version);
        propagation = { settingsVersion: result.version, workflowId: settingsPropagationWorkflowId(id, result.version), started };
      }
      return c.json(
        { certificate: toCertificate(result.certificate), warnings: result.warnings, signalled: result.signalled, propagation },
        200,
      );
    },
  );
}
