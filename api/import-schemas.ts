/**
 * The JSON shapes of imports (`POST /api/certificates/{id}/imports`, `GET /api/imports/{id}`), kept
 * beside api/schemas.ts (whose building blocks they use) and read the same way: zod schemas that
 * validate and document, answer types by `z.infer`. Also the intake's reading of a row's texts.
 */
import { z } from '@hono/zod-openapi';
import type { ImportRow, ImportRowRow, ImportCounts } from '../db/queries/imports.ts';
import { MAX_IMPORT_CELL, MAX_IMPORT_ROWS, type ImportRowInput, type ImportRowPlan, type ImportTotals } from '../domain/importing.ts';
import { IMPORT_REJECT_REASONS, IMPORT_ROW_OUTCOMES, IMPORT_STATUSES } from '../domain/vocabulary.ts';
import { Id, Instant, LearnerCreateSchema } from './schemas.ts';
import { iso, isoOrNull } from './util.ts';

const Flag = (what: string) =>
  z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ type: 'string', enum: ['true', 'false'], default: 'false', description: what });

/** The query of `POST /api/certificates/{id}/imports`: the flags are query parameters whatever the body's type. */
export const ImportQuery = z.object({
  dryRun: Flag('`true`: answer the plan and change nothing (200). Otherwise the import is applied (202).'),
  createLearners: Flag('`true`: a row whose email no learner has creates the learner (its `name`); otherwise the row is rejected `unknown_learner`.'),
});

/**
 * One row as given: texts, read by the intake (a row it cannot read is rejected with a reason, not a
 * 400). A cell longer than its limit (domain/importing.ts `MAX_IMPORT_CELL`) rejects its row
 * `cell_too_long`, not the file; the body limit bounds the whole.
 */
export const ImportRowSchema = z
  .object({
    email: z.string().openapi({ description: `Up to ${MAX_IMPORT_CELL.email} characters (longer: the row is rejected \`cell_too_long\`).` }),
    name: z.string().default('').openapi({ description: `Up to ${MAX_IMPORT_CELL.name} characters (longer: the row is rejected \`cell_too_long\`).` }),
    awardedAt: z.string().openapi({ description: 'YYYY-MM-DD (midnight UTC) or an ISO 8601 instant with an offset.', example: '2025-06-01' }),
    expiresAt: z.string().nullable().optional().openapi({ description: 'The record\'s own expiry (same forms); empty or absent: counted from the certificate\'s settings.' }),
    managerEmail: z.string().nullable().optional().openapi({
      description:
        'The learner\'s manager (the weekly digest\'s recipient), validated as `managerEmail` of `POST /api/learners` (else the row is rejected ' +
        '`bad_manager_email`); set on the learner, also when their award is already there. Empty or absent: the learner\'s saved manager stays.',
      example: 'grace@example.com',
    }),
  })
  .strict()
  .openapi('ImportRowIn');
export const ImportRequestSchema = z
  .object({
    rows: z
      .array(ImportRowSchema)
      .min(1, { error: 'the import has no rows: rows needs at least one row.' })
      .max(MAX_IMPORT_ROWS, { error: `an import takes at most ${MAX_IMPORT_ROWS.toLocaleString('en-US')} rows: split the rows into several imports.` }),
  })
  .strict()
  .openapi('ImportRequest');
export type ImportRequest = z.infer<typeof ImportRequestSchema>;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** A date of a row: YYYY-MM-DD (midnight UTC) or an instant the API takes (api/schemas.ts `Instant`); null: unparsable. */
export function readImportDate(text: string): Date | null {
  const candidate = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text;
  if (!Instant.safeParse(candidate).success) return null;
  const d = new Date(candidate);
  // 2025-02-30 parses as 2 March: not the date that was written.
  if (DATE_ONLY.test(text) && d.toISOString().slice(0, 10) !== text) return null;
  return d;
}

/**
 * The intake's reading of rows (1-based row numbers): emails, names and manager emails by the learners'
 * own rules (api/schemas.ts `LearnerCreateSchema`: the managerEmail rule is the API's, not a second
 * one), dates by `readImportDate`, each cell's length by `MAX_IMPORT_CELL`. An empty managerEmail is none.
 * `wrongFieldCount`: the indexes (0-based) of rows read from a CSV line with more or fewer fields than
 * its header (api/import-csv.ts), marked so to be rejected `wrong_field_count`. Throws nothing.
 */
export function readImportRows(rows: readonly z.infer<typeof ImportRowSchema>[], wrongFieldCount: ReadonlySet<number> = new Set()): ImportRowInput[] {
  // PostgreSQL text cannot hold NUL: it is kept as U+FFFD, which no email, date or name rule takes,
  // so the row is rejected with its reason (and its text can still be stored and shown).
  // A cell over its limit is kept cut (its first characters and an ellipsis: enough to find the row) and the row rejected.
  return rows.map((r, i) => {
    let tooLong = false;
    const storable = (s: string, max: number): string => {
      const text = s.split('\u0000').join('\uFFFD').trim();
      if (text.length <= max) return text;
      tooLong = true;
      return `${text.slice(0, max)}…`;
    };
    const email = storable(r.email, MAX_IMPORT_CELL.email);
    const name = storable(r.name, MAX_IMPORT_CELL.name);
    const awardedAtText = storable(r.awardedAt, MAX_IMPORT_CELL.date);
    const expiresAtText = (r.expiresAt && storable(r.expiresAt, MAX_IMPORT_CELL.date)) || null;
    const managerEmail = (r.managerEmail && storable(r.managerEmail, MAX_IMPORT_CELL.email)) || null;
    return {
      rowNumber: i + 1,
      tooLong,
      wrongFieldCount: wrongFieldCount.has(i),
      email,
      name,
      awardedAtText,
      expiresAtText,
      emailValid: LearnerCreateSchema.shape.email.safeParse(email).success,
      nameValid: LearnerCreateSchema.shape.name.safeParse(name).success,
      awardedAt: readImportDate(awardedAtText),
      expiresAt: expiresAtText === null ? undefined : readImportDate(expiresAtText),
      managerEmail,
      managerEmailValid: managerEmail === null || LearnerCreateSchema.shape.managerEmail.safeParse(managerEmail).success,
    };
  });
}

const Outcome = z.enum(IMPORT_ROW_OUTCOMES);
const Reason = z.enum(IMPORT_REJECT_REASONS);
const Counts = <T extends readonly [string, ...string[]]>(words: T) =>
  z.object(Object.fromEntries(words.map((w) => [w, z.number().int().optional()])) as Record<T[number], z.ZodOptional<z.ZodNumber>>);

export const ImportPlanRowSchema = z
  .object({
    row: z.number().int().openapi({ description: '1 for the first row after the header.' }),
    email: z.string(),
    outcome: Outcome,
    reason: Reason.nullable(),
    createLearner: z.boolean(),
    learnerId: Id.nullable(),
    managerEmail: z.string().nullable().openapi({ description: 'The row\'s managerEmail as given (null: none: the saved manager stays).' }),
    setsManager: z.boolean().openapi({ description: 'The row sets or changes the learner\'s manager (also when rejected already_awarded or already_recorded).' }),
    awardedAt: Instant.nullable(),
    expiresAt: Instant.nullable(),
    dueAt: Instant.nullable().openapi({ description: 'When recertification falls due (schedule, enroll_now).' }),
  })
  .openapi('ImportPlanRow');

export const ImportTotalsSchema = z
  .object({
    rows: z.number().int(),
    byOutcome: z.object(Object.fromEntries(IMPORT_ROW_OUTCOMES.map((w) => [w, z.number().int()])) as Record<(typeof IMPORT_ROW_OUTCOMES)[number], z.ZodNumber>),
    byReason: Counts(IMPORT_REJECT_REASONS),
    createLearner: z.number().int(),
    setsManager: z.number().int().openapi({ description: 'Rows that set or change a learner\'s manager.' }),
  })
  .openapi('ImportTotals');

export const ImportPlanSchema = z
  .object({ dryRun: z.literal(true), certificateId: Id, totals: ImportTotalsSchema, rows: z.array(ImportPlanRowSchema) })
  .openapi('ImportPlan');
export type ImportPlan = z.infer<typeof ImportPlanSchema>;

export const ImportErrorSchema = z
  .object({ row: z.number().int(), email: z.string(), name: z.string(), awardedAt: z.string(), expiresAt: z.string().nullable(), reason: Reason })
  .openapi('ImportError');

/** At most this many errors are listed in an import's answer; all of them are in its errors.csv. */
export const MAX_LISTED_ERRORS = 100;

export const ImportSchema = z
  .object({
    id: Id,
    certificateId: Id,
    status: z.enum(IMPORT_STATUSES),
    createLearners: z.boolean(),
    workflowId: z.string(),
    workflowStartedAt: Instant.nullable(),
    createdAt: Instant,
    completedAt: Instant.nullable(),
    totalRows: z.number().int(),
    progress: z
      .object({ pending: z.number().int(), done: z.number().int(), rejected: z.number().int(), processed: z.number().int() })
      .openapi({ description: 'Rows by state: processed = done + rejected (a row rejected at intake counts at once).' }),
    byOutcome: Counts(IMPORT_ROW_OUTCOMES),
    byReason: Counts(IMPORT_REJECT_REASONS),
    learnersCreated: z.number().int(),
    managersSet: z.number().int().openapi({ description: 'Rows whose managerEmail set or changed their learner\'s manager.' }),
    errors: z.array(ImportErrorSchema).openapi({ description: `The first ${MAX_LISTED_ERRORS} rejected rows, in row order; errorsCsv has them all.` }),
    errorCount: z.number().int(),
    errorsCsv: z.string().openapi({ description: 'Path of the rejected rows as CSV.' }),
  })
  .openapi('Import');
export type ImportDto = z.infer<typeof ImportSchema>;

export const ImportCreatedSchema = z
  .object({ import: ImportSchema, created: z.boolean().openapi({ description: 'false: the same rows were posted before; this is that import.' }) })
  .openapi('ImportCreated');
export type ImportCreated = z.infer<typeof ImportCreatedSchema>;

export const toImportPlanRow = (p: ImportRowPlan, r: ImportRowInput): z.infer<typeof ImportPlanRowSchema> => ({
  row: p.rowNumber,
  email: r.email,
  outcome: p.outcome,
  reason: p.reason,
  createLearner: p.createLearner,
  learnerId: p.learnerId,
  managerEmail: r.managerEmail,
  setsManager: p.setsManager,
  awardedAt: isoOrNull(p.awardedAt),
  expiresAt: isoOrNull(p.expiresAt),
  dueAt: isoOrNull(p.dueAt),
});

export const toTotals = (t: ImportTotals): z.infer<typeof ImportTotalsSchema> => t;

export const toImportError = (r: ImportRowRow): z.infer<typeof ImportErrorSchema> => ({
  row: r.rowNumber,
  email: r.email,
  name: r.name,
  awardedAt: r.awardedAtText,
  expiresAt: r.expiresAtText,
  reason: r.reason ?? 'bad_email',
});

export function toImport(i: ImportRow, counts: ImportCounts, errors: ImportRowRow[]): ImportDto {
  const pending = counts.byState.pending ?? 0;
  const done = counts.byState.done ?? 0;
  const rejected = counts.byState.rejected ?? 0;
  return {
    id: i.id,
    certificateId: i.certificateId,
    status: i.status,
    createLearners: i.createLearners,
    workflowId: i.workflowId,
    workflowStartedAt: isoOrNull(i.workflowStartedAt),
    createdAt: iso(i.createdAt),
    completedAt: isoOrNull(i.completedAt),
    totalRows: i.totalRows,
    progress: { pending, done, rejected, processed: done + rejected },
    byOutcome: counts.byOutcome,
    byReason: counts.byReason,
    learnersCreated: counts.learnersCreated,
    managersSet: counts.managersSet,
    errors: errors.map(toImportError),
    errorCount: rejected,
    errorsCsv: `/api/imports/${i.id}/errors.csv`,
  };
}
