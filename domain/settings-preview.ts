/**
 * The change-impact preview of a settings change (`PATCH /api/certificates/:id?dryRun=true`): reads
 * the certificate's running awards from the database in batches and counts them with the pure rules
 * of domain/change-impact.ts (the workflow's own decisions). Reads only.
 */
import type { Sql, TransactionSql } from '../db/client.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as coursesQ from '../db/queries/courses.ts';
import { addAwardImpact, emptyImpact, type ChangeImpact, type SettingsSide } from './change-impact.ts';
import { affectsRunningWorkflows, type CertificateSettings, type CourseFacts } from './settings.ts';

/** Awards read per round trip. */
const BATCH = 5_000;

/** The settings' recertification course as the rules see it, or null (none chosen, or it does not exist). */
async function courseFacts(sql: Sql | TransactionSql, settings: CertificateSettings): Promise<CourseFacts | null> {
  const id = settings.recertification.courseId;
  const row = id ? await coursesQ.getCourse(sql, id) : null;
  return row ? { id: row.id, title: row.title, status: row.status, hasEnrollmentMessage: row.enrollmentMessage !== null } : null;
}

/**
 * What changing the certificate's settings from `before` to `after` would do at `asOf` (ms since the
 * epoch) to its running workflows (domain/change-impact.ts says what each count means). A change the
 * running workflows do not act on (`affectsRunningWorkflows` false: it is not propagated) does nothing
 * at once: every count is 0. Run it in a read-only, repeatable-read transaction for one consistent view.
 */
export async function previewSettingsChange(
  sql: Sql | TransactionSql,
  args: { certificateId: string; before: CertificateSettings; after: CertificateSettings; asOf: number },
): Promise<ChangeImpact> {
  const impact = emptyImpact();
  if (!affectsRunningWorkflows(args.before, args.after)) return impact;
  const before: SettingsSide = { settings: args.before, course: await courseFacts(sql, args.before) };
  const after: SettingsSide = { settings: args.after, course: await courseFacts(sql, args.after) };
  await awardsQ.eachRunningAwardBatch(sql, { certificateId: args.certificateId, batchSize: BATCH }, (awards) => {
    for (const award of awards) addAwardImpact(impact, award, before, after, args.asOf);
  });
  return impact;
}
