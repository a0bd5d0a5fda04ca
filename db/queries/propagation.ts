/** Queries for fanning settings changes out to running workflows. */
import type { Sql } from '../client.ts';
import type { CertificateSettings } from '../../domain/settings.ts';

export async function certificateSettings(sql: Sql, certificateId: string): Promise<{ settings: CertificateSettings; settingsVersion: number } | null> {
  const [row] = await sql<{ settings: CertificateSettings; settingsVersion: number }[]>`
    select settings, settings_version from certificates where id = ${certificateId}`;
  return row ?? null;
}

/** A page of the certificate's active awards that have a workflow, in id order (keyset paging). */
export async function activeWorkflowPage(
  sql: Sql,
  args: { certificateId: string; afterAwardId: string | null; limit: number },
): Promise<{ id: string; workflowId: string }[]> {
  return await sql<{ id: string; workflowId: string }[]>`
    select id, workflow_id from awards
    where certificate_id = ${args.certificateId} and status = 'active' and workflow_id is not null
      ${args.afterAwardId ? sql`and id > ${args.afterAwardId}` : sql``}
    order by id limit ${args.limit}`;
}

export async function completePropagation(sql: Sql, args: { certificateId: string; settingsVersion: number; signalled: number }): Promise<void> {
  await sql`
    update settings_propagations set completed_at = now(), signalled = ${args.signalled}, started_at = coalesce(started_at, now())
    where certificate_id = ${args.certificateId} and settings_version = ${args.settingsVersion}`;
}
