/**
 * Applies an import of existing holders (POST /api/certificates/{id}/imports), a page of rows at a
 * time: each page is one transaction that awards its rows through the awarding routine and records
 * every row's outcome (activities/imports.ts, domain/import-apply.ts); then the page's recertification
 * workflows are started, a bounded number at a time, before the next page is taken, so 100,000 rows
 * never flood Temporal or the database. The rows' states in PostgreSQL are the progress: a crashed
 * worker or API resumes from the first pending row, and a retried page awards nothing twice. The
 * history stays bounded: continue-as-new every PAGES_PER_RUN pages. Deterministic: no I/O here.
 */
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { ImportActivities } from '../activities/types.ts';

/** The workflow's registered name. */
export const IMPORT_WORKFLOW = 'importWorkflow';

export interface ImportWorkflowInput {
  importId: string;
}

/** Rows per page (one transaction). */
export const IMPORT_PAGE_SIZE = 500;
/** Pages per run before continue-as-new (each page: about four events per activity). */
export const PAGES_PER_RUN = 25;

// Both activities heartbeat every 5 s: a page on a worker that died is retried within 20 s.
const acts = proxyActivities<ImportActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function importWorkflow(input: ImportWorkflowInput): Promise<{ completed: boolean }> {
  const page = { importId: input.importId, limit: IMPORT_PAGE_SIZE };
  for (let n = 0; n < PAGES_PER_RUN; n++) {
    const applied = await acts.applyImportPage(page);
    // This page's workflows (and any a crash left unstarted) before the next page.
    while ((await acts.startImportAwardWorkflows(page)).more);
    if (!applied.more) return { completed: await acts.completeImport({ importId: input.importId }) };
  }
  return await continueAsNew<typeof importWorkflow>(input);
}
