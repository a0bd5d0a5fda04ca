/** The only SQL for `certificates`, their associated content, and `settings_propagations`. */
import type postgres from 'postgres';
import type { Sql, TransactionSql } from '../client.ts';
import type { CertificateRow } from '../rows.ts';
import type { CertificateSettings } from '../../domain/settings.ts';
import { beforeCondition, pageKeyColumn, type Keyed, type PageBefore } from './paging.ts';

type Db = Sql | TransactionSql;
type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * `CertificateRow.associatedCourseIds` as a select-list expression: the course ids of the certificate
 * aliased `c`, in their order (position, then id); `{}` when it has none.
 */
export function associatedCourseIdsOfC(sql: Db): Fragment {
  return sql`coalesce((select array_agg(cc.course_id order by cc.position, cc.course_id)
                       from certificate_courses cc where cc.certificate_id = c.id), '{}')`;
}

async function selectCertificates(sql: Db, tail: Fragment): Promise<CertificateRow[]> {
  return await sql<CertificateRow[]>`
    select c.*, ${associatedCourseIdsOfC(sql)} as associated_course_ids
    from certificates c
    ${tail}`;
}

export async function getCertificate(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<CertificateRow | null> {
  if (opts.forUpdate) await sql`select id from certificates where id = ${id} for update`;
  const [row] = await selectCertificates(sql, sql`where c.id = ${id}`);
  return row ?? null;
}

/**
 * Holds the certificate's settings still for the caller's transaction (a share lock): awarding takes
 * it, a settings change takes the row's update lock, so an award is either counted by the change or
 * created after it (its workflow then reads the new settings).
 */
export async function lockCertificateShared(tx: TransactionSql, id: string): Promise<boolean> {
  const rows = await tx`select id from certificates where id = ${id} for share`;
  return rows.length === 1;
}

/**
 * Certificates newest first (created_at, then id, descending), each with its page key (db/queries/paging.ts).
 * `archived`: `exclude` (default) lists those in use, `include` all, `only` the archived ones.
 */
export async function listCertificates(
  sql: Db,
  filter: { limit: number; before?: PageBefore; archived?: 'exclude' | 'include' | 'only' },
): Promise<Keyed<CertificateRow>[]> {
  const archived = filter.archived ?? 'exclude';
  return await sql<Keyed<CertificateRow>[]>`
    select c.*, ${associatedCourseIdsOfC(sql)} as associated_course_ids, ${pageKeyColumn(sql, 'c.')}
    from certificates c
    where true ${beforeCondition(sql, filter.before, 'c.')}
      ${archived === 'exclude' ? sql`and c.archived_at is null` : archived === 'only' ? sql`and c.archived_at is not null` : sql``}
    order by c.created_at desc, c.id desc
    limit ${filter.limit}`;
}

/** Marks the certificate archived (once: an earlier archive's instant stays). The caller holds the row lock. */
export async function markArchived(tx: TransactionSql, id: string): Promise<void> {
  await tx`update certificates set archived_at = coalesce(archived_at, now()), updated_at = now() where id = ${id}`;
}

/** Whether the certificate is archived (false for an unknown one). */
export async function isArchived(sql: Db, id: string): Promise<boolean> {
  const [row] = await sql<{ archived: boolean }[]>`select archived_at is not null as archived from certificates where id = ${id}`;
  return row?.archived ?? false;
}

/** Certificates whose associated content holds the course (completing it awards them). */
export async function certificatesForCourse(sql: Db, courseId: string): Promise<CertificateRow[]> {
  return await selectCertificates(
    sql,
    sql`where exists (select 1 from certificate_courses x where x.certificate_id = c.id and x.course_id = ${courseId}) order by c.id`,
  );
}

export async function insertCertificate(
  tx: TransactionSql,
  args: { title: string; settings: CertificateSettings; associatedCourseIds: string[] },
): Promise<CertificateRow> {
  const [row] = await tx<{ id: string }[]>`
    insert into certificates (title, settings) values (${args.title}, ${tx.json(toJson(args.settings))}) returning id`;
  if (!row) throw new Error('insert into certificates returned no row');
  await setAssociatedCourses(tx, row.id, args.associatedCourseIds);
  const cert = await getCertificate(tx, row.id);
  if (!cert) throw new Error('certificate vanished');
  return cert;
}

export async function setAssociatedCourses(tx: TransactionSql, certificateId: string, courseIds: string[]): Promise<void> {
  await tx`delete from certificate_courses where certificate_id = ${certificateId}`;
  if (courseIds.length === 0) return;
  const positions = courseIds.map((_, i) => i);
  await tx`
    insert into certificate_courses (certificate_id, course_id, position)
    select ${certificateId}, u.course_id, u.position
    from unnest(${courseIds}::uuid[], ${positions}::int[]) as u(course_id, position)`;
}

/**
 * Records a change to a certificate: the new title and/or settings, and `settings_version` + 1, the
 * certificate's version (its ETag): it grows with every change a PATCH makes — title, settings or
 * associated content (the caller sets those) — so an `If-Match` on an older version is refused.
 * Returns the new version. The caller holds the row lock (getCertificate forUpdate) and calls this
 * only when something changed.
 */
export async function updateCertificate(
  tx: TransactionSql,
  id: string,
  patch: { title?: string; settings?: CertificateSettings },
): Promise<number> {
  const [row] = await tx<{ settingsVersion: number }[]>`
    update certificates set
      title = coalesce(${patch.title ?? null}, title),
      settings = ${patch.settings ? tx`${tx.json(toJson(patch.settings))}` : tx`settings`},
      settings_version = settings_version + 1,
      updated_at = now()
    where id = ${id}
    returning settings_version`;
  if (!row) throw new Error(`certificate ${id} vanished`);
  return row.settingsVersion;
}

/**
 * Bumps `settings_version` (settings unchanged) of every certificate that recertifies with the
 * course, so their running workflows get a newer version to act on when the course is published or
 * withdrawn (a workflow waiting because its course was not live re-checks). Returns the new versions.
 */
export async function bumpVersionsForRecertificationCourse(
  tx: TransactionSql,
  courseId: string,
): Promise<{ id: string; settingsVersion: number; leadDays: number }[]> {
  return await tx<{ id: string; settingsVersion: number; leadDays: number }[]>`
    update certificates set settings_version = settings_version + 1, updated_at = now()
    where settings -> 'recertification' ->> 'courseId' = ${courseId}
      and (settings -> 'recertification' ->> 'enabled')::boolean
    returning id, settings_version, (settings -> 'recertification' ->> 'leadDays')::int as lead_days`;
}

function toJson(settings: CertificateSettings): Parameters<Sql['json']>[0] {
  return JSON.parse(JSON.stringify(settings)) as Parameters<Sql['json']>[0];
}

// ---------------------------------------------------------------------------------------------
// settings_propagations

/**
 * Records that `settingsVersion` of the certificate must reach its running workflows. `leadDaysBefore`:
 * the lead days in force before the change (days; null when not known: every workflow is then signalled).
 */
export async function insertPropagation(tx: TransactionSql, certificateId: string, settingsVersion: number, leadDaysBefore: number | null): Promise<void> {
  await tx`
    insert into settings_propagations (certificate_id, settings_version, lead_days_before)
    values (${certificateId}, ${settingsVersion}, ${leadDaysBefore})
    on conflict do nothing`;
}

/** The lead days (days) in force before the change of `settingsVersion`, or null when not known or no such propagation. */
export async function propagationLeadDaysBefore(sql: Db, certificateId: string, settingsVersion: number): Promise<number | null> {
  const [row] = await sql<{ leadDaysBefore: number | null }[]>`
    select lead_days_before from settings_propagations
    where certificate_id = ${certificateId} and settings_version = ${settingsVersion}`;
  return row?.leadDaysBefore ?? null;
}

export async function markPropagationStarted(sql: Db, certificateId: string, settingsVersion: number): Promise<void> {
  await sql`
    update settings_propagations set started_at = coalesce(started_at, now())
    where certificate_id = ${certificateId} and settings_version = ${settingsVersion}`;
}

/**
 * Records that a propagation signalled `signalled` workflows, passed over `unaffected` ones (whose
 * wake-up the change cannot move) and is done (started too, if it was not marked).
 */
export async function completePropagation(
  sql: Db,
  args: { certificateId: string; settingsVersion: number; signalled: number; unaffected?: number },
): Promise<void> {
  await sql`
    update settings_propagations
    set completed_at = now(), signalled = ${args.signalled}, unaffected = ${args.unaffected ?? 0}, started_at = coalesce(started_at, now())
    where certificate_id = ${args.certificateId} and settings_version = ${args.settingsVersion}`;
}

export interface PendingPropagation {
  certificateId: string;
  settingsVersion: number;
  createdAt: Date;
}

/** Propagations whose workflow was not (confirmed) started, older than `olderThanSeconds`. */
export async function pendingPropagations(sql: Db, args: { olderThanSeconds: number; limit: number }): Promise<PendingPropagation[]> {
  return await sql<PendingPropagation[]>`
    select certificate_id, settings_version, created_at from settings_propagations
    where started_at is null and created_at < now() - make_interval(secs => ${args.olderThanSeconds})
    order by created_at limit ${args.limit}`;
}
