/**
 * Imports of existing holders. Mounted at `/api`. A dry run plans every row against the database now
 * and changes nothing; an apply stores the import and its rows in one transaction (domain/import-apply.ts
 * `intakeImport`), then starts its workflow (workflows/import.ts), which awards the rows a page at a
 * time through the awarding routine. The same rows posted again for the certificate are the same
 * import; progress and errors are read from the database.
 */
import { createRoute, z } from '@hono/zod-openapi';
import * as importsQ from '../../db/queries/imports.ts';
import { intakeImport, planImport } from '../../domain/import-apply.ts';
import { importContentHash, importTotals, MAX_IMPORT_ROWS } from '../../domain/importing.ts';
import { toCsv } from '../admin/csv.ts';
import { csvImportBody, csvWrongFieldCount } from '../import-csv.ts';
import { recordChange } from '../../domain/audit.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses, notFound } from '../errors.ts';
import { idempotencyScope, markReplayed, runIdempotent } from '../idempotency.ts';
import {
  ImportCreatedSchema,
  ImportPlanSchema,
  ImportQuery,
  ImportRequestSchema,
  ImportSchema,
  MAX_LISTED_ERRORS,
  readImportRows,
  toImport,
  toImportError,
  toImportPlanRow,
  type ImportCreated,
  type ImportDto,
  type ImportPlan,
} from '../import-schemas.ts';
import { IdParams, IdempotencyHeaders, body, json } from '../schemas.ts';
import { tryStartImportWorkflow } from '../temporal-gateway.ts';
import type { Sql } from '../../db/client.ts';

const tags = ['Imports'];

/** The largest body the import route reads (the other routes: 1 MB): 100,000 rows of JSON fit. */
export const MAX_IMPORT_BODY_BYTES = 32 * 1024 * 1024;
/** The import route's path as Hono matches it, for its body limit (api/app.ts). */
export const IMPORT_PATH = /^\/api\/certificates\/[^/]+\/imports$/;

export const createImportRoute = createRoute({
  method: 'post',
  path: '/certificates/{id}/imports',
  tags,
  ...requires('write'),
  summary: 'Import existing holders of the certificate (dry run, or apply by a durable workflow)',
  description:
    `Rows: \`{"rows": [{"email", "name", "awardedAt", "expiresAt"?, "managerEmail"?}]}\`, or a \`text/csv\` file with those columns, 1 to ${MAX_IMPORT_ROWS} (body up to 32 MB). Dates are YYYY-MM-DD ` +
    '(midnight UTC) or ISO 8601 instants with an offset. The flags are query parameters: `dryRun=true` answers the plan (200) and ' +
    'changes nothing; `createLearners=true` creates a learner for an email no learner has. ' +
    'A row\'s `managerEmail` (validated as the learner API\'s) becomes its learner\'s manager when it differs from the saved one, also when ' +
    'the award is already there (`setsManager`; audited as a learner edit); an empty or absent one keeps the saved manager. ' +
    'Each row\'s outcome is the awarding routine\'s plan for it — `schedule` (with its `dueAt`), `enroll_now` (inside the lead window), ' +
    '`record_expired` (expiry already past: recorded expired, no workflow, no message), `no_expiry` — or `reject` with a reason: ' +
    '`bad_email`, `bad_name` (a learner to create needs a name), `unparsable_date`, `awarded_at_in_future`, `expires_before_awarded`, ' +
    '`duplicate_row` (an earlier row has the email), `unknown_learner` (creation off), `already_awarded` (an active award exists), ' +
    '`already_recorded` (an award of it given at the same awardedAt exists, e.g. the same expired record imported before), `learner_deactivated`, ' +
    '`learner_erased`, `cell_too_long` (email, name or managerEmail over 1000 characters, a date over 100: the row, not the file), ' +
    '`bad_manager_email` (managerEmail is not an address the learner API takes: nothing of the row is written), ' +
    '`wrong_field_count` (a CSV row with more or fewer fields than the header: the row, not the file). ' +
    'A rejected row never stops the others. Without `dryRun`: 202 with the import, applied by its Temporal workflow a page of 500 rows ' +
    'at a time (each page one transaction; its recertification workflows started 16 at a time before the next page); follow it with ' +
    '`GET /api/imports/{id}`. Rows are re-planned against the database when their page is applied, so the apply acts on what the ' +
    'database says then. The same rows and `createLearners` posted again for the certificate are the same import (200, `created: false`): ' +
    'nothing is awarded twice; with an `Idempotency-Key`, a repeat returns the first answer. 404 for an unknown certificate.',
  request: {
    params: IdParams,
    query: ImportQuery,
    headers: IdempotencyHeaders,
    body: {
      required: true,
      content: {
        ...body(ImportRequestSchema).content,
        'text/csv': {
          schema: z.string().openapi({
            description: 'RFC 4180, UTF-8 with or without a BOM; a header row naming email, name, awardedAt and optionally expiresAt and managerEmail ' +
              '(any order, any case); an empty expiresAt or managerEmail cell is none. Row numbers count the rows under the header: blank lines and ' +
              'rows of only empty cells are skipped; a row with more or fewer fields than the header is rejected `wrong_field_count`. A CSV that ' +
              'cannot be read so (not UTF-8, an unclosed or stray quote, no header, a header without a required column or with an unknown or repeated ' +
              `one, a header without rows under it, more than ${MAX_IMPORT_ROWS} rows) is 400 \`malformed_csv\` saying so, with the line or column.`,
            example: 'email,name,awardedAt,expiresAt\r\nada@example.com,"Lovelace, Ada",2025-06-01,\r\n',
          }),
        },
      },
    },
  },
  responses: {
    200: json(z.union([ImportPlanSchema, ImportCreatedSchema]), 'The plan (dryRun), or the import the same rows made before.'),
    202: json(ImportCreatedSchema, 'The import, stored; its workflow applies it.'),
    ...errorResponses(400, 401, 404, 413, 415, 422),
  },
});

export const getImportRoute = createRoute({
  method: 'get',
  path: '/imports/{id}',
  tags,
  ...requires('read'),
  summary: 'An import\'s status and progress: rows by state, outcome and reason, the first errors',
  request: { params: IdParams },
  responses: {
    200: json(ImportSchema, 'The import.'),
    ...errorResponses(400, 401, 404),
  },
});

export const importErrorsCsvRoute = createRoute({
  method: 'get',
  path: '/imports/{id}/errors.csv',
  tags,
  ...requires('read'),
  summary: 'An import\'s rejected rows as CSV (row, email, name, awardedAt, expiresAt, managerEmail, reason)',
  request: { params: IdParams },
  responses: {
    200: { description: 'The rejected rows, RFC 4180, UTF-8.', content: { 'text/csv': { schema: z.string() } } },
    ...errorResponses(400, 401, 404),
  },
});

/** The import as the API answers it (404 when unknown). */
export async function importView(sql: Sql, id: string): Promise<ImportDto> {
  const imp = await importsQ.getImport(sql, id);
  if (!imp) throw notFound('Import', id);
  const [counts, errors] = await Promise.all([importsQ.importCounts(sql, id), importsQ.importErrors(sql, id, { afterRow: 0, limit: MAX_LISTED_ERRORS })]);
  return toImport(imp, counts, errors);
}

/** The imports area's sub-app (routes relative to `/api`). */
export function importsApp(deps: ApiDeps): App {
  const { sql } = deps;
  const app = createRouter();
  app.use('/certificates/:id/imports', csvImportBody);

  app.openapi(createImportRoute, async (c) => {
    const { id: certificateId } = c.req.valid('param');
    const { dryRun, createLearners } = c.req.valid('query');
    // A CSV body reaches here as JSON already (csvImportBody); the declared text/csv is for the docs.
    const given = c.req.valid('json');
    if (typeof given === 'string') throw new Error('a text/csv import body was not read by csvImportBody');
    const rows = readImportRows(given.rows, csvWrongFieldCount(c.req.raw));
    if (dryRun) {
      // A read-only transaction on one snapshot: the plan can change nothing, and reads one state.
      const plans = await sql.begin('isolation level repeatable read read only', (tx) => planImport(tx, { certificateId, rows, createLearners }));
      const plan: ImportPlan = {
        dryRun: true,
        certificateId,
        totals: importTotals(plans),
        rows: plans.map((p, i) => toImportPlanRow(p, rows[i]!)),
      };
      return c.json(plan, 200);
    }
    // The rows are the payload; their content hash stands for them (one pass over 100,000 rows, not a canonical JSON of them).
    const scope = idempotencyScope(createImportRoute, c.req.valid('header')['idempotency-key'], {
      certificateId,
      contentHash: importContentHash(rows, createLearners),
    });
    const who = c.var.who;
    const outcome = await runIdempotent<ImportCreated, { status: number; body: ImportCreated; row: importsQ.ImportRow }>(sql, scope, async (tx) => {
      const intake = await intakeImport(tx, { certificateId, rows, createLearners });
      if (intake.created) {
        // Counts only: the rows (names, emails) stay in the import's own tables, which an erasure redacts.
        await recordChange(tx, who, {
          action: 'import.created',
          entityType: 'import',
          entityId: intake.import.id,
          before: null,
          after: { certificateId, rows: rows.length, createLearners },
        });
      }
      const counts = await importsQ.importCounts(tx, intake.import.id);
      const errors = await importsQ.importErrors(tx, intake.import.id, { afterRow: 0, limit: MAX_LISTED_ERRORS });
      return { status: intake.created ? 202 : 200, body: { import: toImport(intake.import, counts, errors), created: intake.created }, row: intake.import };
    });
    if (outcome.replayed) {
      // The first answer's import as it is now: its progress has moved on since the first answer.
      markReplayed(c);
      const first = outcome.body as ImportCreated;
      const replayed: ImportCreated = { import: await importView(sql, first.import.id), created: first.created };
      return c.json(replayed, outcome.status === 202 ? 202 : 200);
    }
    // After the commit: start its workflow (a failure leaves it to the reconciler; a repeat finds it running).
    if (!outcome.row.workflowStartedAt) await tryStartImportWorkflow(deps, outcome.row);
    const answer: ImportCreated = { import: await importView(sql, outcome.row.id), created: outcome.body.created };
    return c.json(answer, outcome.status === 202 ? 202 : 200);
  });

  app.openapi(getImportRoute, async (c) => {
    return c.json(await importView(sql, c.req.valid('param').id), 200);
  });

  app.openapi(importErrorsCsvRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await importsQ.getImport(sql, id))) throw notFound('Import', id);
    const lines: (string | number | null)[][] = [];
    for (let after = 0; ; ) {
      const page = await importsQ.importErrors(sql, id, { afterRow: after, limit: 5000 });
      for (const r of page) {
        const e = toImportError(r);
        lines.push([e.row, e.email, e.name, e.awardedAt, e.expiresAt, r.managerEmail, e.reason]);
      }
      if (page.length < 5000) break;
      after = page[page.length - 1]!.rowNumber;
    }
    const csv = toCsv(['row', 'email', 'name', 'awardedAt', 'expiresAt', 'managerEmail', 'reason'], lines);
    return c.body(csv, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="import-${id}-errors.csv"` });
  });

  return app;
}
