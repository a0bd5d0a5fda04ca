/**
 * The only SQL whose subject is `imports` and `import_rows`: an import, its rows (written once at
 * intake, then a page at a time by the import workflow's activity), its progress and its errors.
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { ImportRejectReason, ImportRowOutcome, ImportRowState, ImportStatus } from '../../domain/vocabulary.ts';

type Db = Sql | TransactionSql;

export interface ImportRow {
  id: string;
  certificateId: string;
  contentHash: string;
  createLearners: boolean;
  status: ImportStatus;
  totalRows: number;
  workflowId: string;
  workflowStartedAt: Date | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface ImportRowRow {
  importId: string;
  rowNumber: number;
  email: string;
  name: string;
  awardedAtText: string;
  expiresAtText: string | null;
  awardedAt: Date | null;
  expiresAt: Date | null;
  /** The managerEmail cell as given (trimmed); null: none given. */
  managerEmail: string | null;
  /** Applying the row set or changed the learner's manager. */
  managerSet: boolean;
  state: ImportRowState;
  outcome: ImportRowOutcome | null;
  reason: ImportRejectReason | null;
  learnerId: string | null;
  learnerCreated: boolean;
  awardId: string | null;
}

/**
 * Inserts an import; null when the certificate already has an import of the same content hash (the
 * caller reads that one: the same import).
 */
export async function insertImport(
  tx: TransactionSql,
  a: { id: string; certificateId: string; contentHash: string; createLearners: boolean; totalRows: number; workflowId: string },
): Promise<ImportRow | null> {
  const [row] = await tx<ImportRow[]>`
    insert into imports (id, certificate_id, content_hash, create_learners, total_rows, workflow_id)
    values (${a.id}, ${a.certificateId}, ${a.contentHash}, ${a.createLearners}, ${a.totalRows}, ${a.workflowId})
    on conflict (certificate_id, content_hash) do nothing
    returning *`;
  return row ?? null;
}

export async function findImportByContent(sql: Db, certificateId: string, contentHash: string): Promise<ImportRow | null> {
  const [row] = await sql<ImportRow[]>`select * from imports where certificate_id = ${certificateId} and content_hash = ${contentHash}`;
  return row ?? null;
}

export async function getImport(sql: Db, id: string): Promise<ImportRow | null> {
  const [row] = await sql<ImportRow[]>`select * from imports where id = ${id}`;
  return row ?? null;
}

/**
 * A row to store at intake: the stored row's own fields, `reason` null for `pending` (to be applied)
 * or a reason for one rejected at intake.
 */
export type NewImportRow = Pick<
  ImportRowRow,
  'rowNumber' | 'email' | 'name' | 'awardedAtText' | 'expiresAtText' | 'awardedAt' | 'expiresAt' | 'managerEmail' | 'reason' | 'learnerId'
>;

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Inserts an import's rows, 5,000 to a statement. */
export async function insertImportRows(tx: TransactionSql, importId: string, rows: readonly NewImportRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await tx`
      insert into import_rows (import_id, row_number, email, name, awarded_at_text, expires_at_text, awarded_at, expires_at, manager_email, state, outcome, reason, learner_id)
      select ${importId}, u.row_number, u.email, u.name, u.awarded_at_text, u.expires_at_text, u.awarded_at::timestamptz, u.expires_at::timestamptz, u.manager_email,
             case when u.reason is null then 'pending' else 'rejected' end,
             case when u.reason is null then null else 'reject' end,
             u.reason, u.learner_id
      from unnest(${chunk.map((r) => r.rowNumber)}::int[], ${chunk.map((r) => r.email)}::text[], ${chunk.map((r) => r.name)}::text[],
                  ${chunk.map((r) => r.awardedAtText)}::text[], ${chunk.map((r) => r.expiresAtText)}::text[],
                  ${chunk.map((r) => isoOrNull(r.awardedAt))}::text[], ${chunk.map((r) => isoOrNull(r.expiresAt))}::text[],
                  ${chunk.map((r) => r.managerEmail)}::text[], ${chunk.map((r) => r.reason)}::text[], ${chunk.map((r) => r.learnerId)}::uuid[])
           as u(row_number, email, name, awarded_at_text, expires_at_text, awarded_at, expires_at, manager_email, reason, learner_id)`;
  }
}

/** The next `limit` pending rows of an import, in row order, locked for this transaction. */
export async function lockPendingRows(tx: TransactionSql, importId: string, limit: number): Promise<ImportRowRow[]> {
  return await tx<ImportRowRow[]>`
    select * from import_rows where import_id = ${importId} and state = 'pending'
    order by row_number limit ${limit} for update`;
}

/** What became of a pending row. */
export interface RowResult {
  rowNumber: number;
  outcome: ImportRowOutcome;
  reason: ImportRejectReason | null;
  learnerId: string | null;
  learnerCreated: boolean;
  awardId: string | null;
  /** The row set or changed the learner's manager. */
  managerSet: boolean;
}

/** Records what became of pending rows (`done` with its award, or `rejected` with its reason). */
export async function finishRows(tx: TransactionSql, importId: string, results: readonly RowResult[]): Promise<void> {
  if (results.length === 0) return;
  await tx`
    update import_rows r
    set state = case when u.outcome = 'reject' then 'rejected' else 'done' end,
        outcome = u.outcome, reason = u.reason, learner_id = u.learner_id, learner_created = u.learner_created::boolean, award_id = u.award_id,
        manager_set = u.manager_set::boolean
    from unnest(${results.map((r) => r.rowNumber)}::int[], ${results.map((r) => r.outcome)}::text[], ${results.map((r) => r.reason)}::text[],
                ${results.map((r) => r.learnerId)}::uuid[], ${results.map((r) => String(r.learnerCreated))}::text[], ${results.map((r) => r.awardId)}::uuid[],
                ${results.map((r) => String(r.managerSet))}::text[])
         as u(row_number, outcome, reason, learner_id, learner_created, award_id, manager_set)
    where r.import_id = ${importId} and r.row_number = u.row_number and r.state = 'pending'`;
}

/** An import's rows counted by state, outcome and reason, the learners it created and the managers it set. */
export interface ImportCounts {
  byState: Partial<Record<ImportRowState, number>>;
  byOutcome: Partial<Record<ImportRowOutcome, number>>;
  byReason: Partial<Record<ImportRejectReason, number>>;
  learnersCreated: number;
  managersSet: number;
}

export async function importCounts(sql: Db, importId: string): Promise<ImportCounts> {
  const rows = await sql<{ state: ImportRowState; outcome: ImportRowOutcome | null; reason: ImportRejectReason | null; n: number; created: number; managers: number }[]>`
    select state, outcome, reason, count(*)::int as n, count(*) filter (where learner_created)::int as created,
           count(*) filter (where manager_set)::int as managers
    from import_rows where import_id = ${importId} group by state, outcome, reason`;
  const out: ImportCounts = { byState: {}, byOutcome: {}, byReason: {}, learnersCreated: 0, managersSet: 0 };
  for (const r of rows) {
    out.byState[r.state] = (out.byState[r.state] ?? 0) + r.n;
    if (r.outcome) out.byOutcome[r.outcome] = (out.byOutcome[r.outcome] ?? 0) + r.n;
    if (r.reason) out.byReason[r.reason] = (out.byReason[r.reason] ?? 0) + r.n;
    out.learnersCreated += r.created;
    out.managersSet += r.managers;
  }
  return out;
}

/** Rejected rows of an import in row order, after `afterRow`, at most `limit`. */
export async function importErrors(sql: Db, importId: string, args: { afterRow: number; limit: number }): Promise<ImportRowRow[]> {
  return await sql<ImportRowRow[]>`
    select * from import_rows where import_id = ${importId} and state = 'rejected' and row_number > ${args.afterRow}
    order by row_number limit ${args.limit}`;
}

/** Awards made by an import whose workflow Temporal has not confirmed yet, in row order, at most `limit`. */
export async function importAwardsAwaitingStart(sql: Db, importId: string, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select a.id from import_rows r join awards a on a.id = r.award_id
    where r.import_id = ${importId} and r.state = 'done' and a.workflow_id is not null and a.workflow_started_at is null
      -- an erased learner's workflows were deleted from Temporal: none is started again
      and not exists (select 1 from learners l where l.id = a.learner_id and l.erased_at is not null)
    order by r.row_number limit ${limit}`;
  return rows.map((r) => r.id);
}

/** Marks the import completed when no row is pending; returns whether it is completed now. */
export async function completeImport(sql: Db, importId: string): Promise<boolean> {
  const [row] = await sql<{ status: ImportStatus }[]>`
    update imports set status = 'completed', completed_at = coalesce(completed_at, now())
    where id = ${importId} and not exists (select 1 from import_rows where import_id = ${importId} and state = 'pending')
    returning status`;
  return row?.status === 'completed';
}

export async function markImportWorkflowStarted(sql: Db, importId: string): Promise<void> {
  await sql`update imports set workflow_started_at = coalesce(workflow_started_at, now()) where id = ${importId}`;
}

/** Imports whose workflow Temporal has not confirmed, created more than `olderThanSeconds` ago. */
export async function importsAwaitingWorkflow(sql: Db, args: { olderThanSeconds: number; limit: number }): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from imports
    where workflow_started_at is null and created_at < now() - make_interval(secs => ${args.olderThanSeconds})
    order by created_at limit ${args.limit}`;
  return rows.map((r) => r.id);
}

/**
 * Replaces the email and name in every import row of a learner (an erasure) and clears its
 * managerEmail: the rows that name them by `learnerId`, and those that gave their email
 * (case-insensitively) without being linked, e.g. rejected ones. Returns how many rows were rewritten.
 */
export async function redactImportRowsOfLearner(sql: Db, learnerId: string, email: string, placeholders: { name: string; email: string }): Promise<number> {
  const rows = await sql`
    update import_rows set email = ${placeholders.email}, name = ${placeholders.name}, manager_email = null
    where learner_id = ${learnerId} or lower(email) = lower(${email})
    returning row_number`;
  return rows.length;
}

/** Clears `address` (case-insensitively) as the managerEmail of every import row (an erasure of that person). Returns how many. */
export async function clearImportRowManagerAddress(sql: Db, address: string): Promise<number> {
  const rows = await sql`update import_rows set manager_email = null where lower(manager_email) = lower(${address}) returning 1`;
  return rows.length;
}
