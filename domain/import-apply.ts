/**
 * Applying an import (the domain service behind `POST /api/certificates/{id}/imports` and the import
 * workflow's activity): the intake that stores the rows, and the page step that awards them.
 *
 * Exactly once: a page's awards, its new learners and its rows' states are written in one
 * transaction, and only `pending` rows (locked) are taken; a retried or resumed page finds its rows
 * done and awards nothing again. `awards_one_active` is the last word: a manual award that wins a race
 * with a page rolls the page back (`already_awarded`), and the retry re-plans it from the database.
 *
 * A row's managerEmail (issue 14 §4) is set on its learner in the same transaction: at creation, or on
 * an existing learner (re-read under a lock) whose saved manager differs, recorded as a `learner.edited`
 * audit entry of the import's actor (who posted it); a row without one leaves the saved manager.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { TransactionSql } from '../db/client.ts';
import * as auditQ from '../db/queries/audit-log.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as certsQ from '../db/queries/certificates.ts';
import * as importsQ from '../db/queries/imports.ts';
import * as learnersQ from '../db/queries/learners.ts';
import type { CertificateRow } from '../db/rows.ts';
import { recordChange, type AuditContext } from './audit.ts';
import { awardCertificates } from './awarding.ts';
import { emailKey, importContentHash, planImportRows, type ImportFacts, type ImportRowInput, type ImportRowPlan } from './importing.ts';
import { certificateArchived, learnerStatus } from './lifecycle.ts';
import { notFound } from './refusal.ts';
import type { ImportRejectReason } from './vocabulary.ts';

/** The Temporal workflow id of an import. */
export const importWorkflowId = (importId: string): string => `import-${importId}`;

/** Reasons that hold whatever the database says: a row rejected for one is rejected at intake, for good. */
const INTRINSIC: ReadonlySet<ImportRejectReason> = new Set([
  'wrong_field_count',
  'cell_too_long',
  'bad_email',
  'bad_manager_email',
  'unparsable_date',
  'awarded_at_in_future',
  'expires_before_awarded',
  'duplicate_row',
]);

/** The database's facts for planning `rows` of `certificate` now. */
export async function importFacts(
  tx: TransactionSql,
  certificate: CertificateRow,
  rows: readonly Pick<ImportRowInput, 'email'>[],
  createLearners: boolean,
  now: number,
): Promise<ImportFacts> {
  const learners = await learnersQ.learnersByEmails(tx, rows.map((r) => r.email));
  const learnerIdsByEmail = new Map([...learners].map(([key, l]) => [key, l.id]));
  const managersByLearner = new Map([...learners.values()].map((l) => [l.id, l.managerEmail]));
  const activeHolders = await awardsQ.activeHolders(tx, certificate.id, [...learnerIdsByEmail.values()]);
  const inactiveLearners = new Map<string, 'learner_deactivated' | 'learner_erased'>();
  for (const l of learners.values()) {
    const status = learnerStatus(l);
    if (status !== 'active') inactiveLearners.set(l.id, status === 'erased' ? 'learner_erased' : 'learner_deactivated');
  }
  const awardInstants = await awardsQ.awardInstants(tx, certificate.id, [...learnerIdsByEmail.values()]);
  return { settings: certificate.settings, createLearners, learnerIdsByEmail, managersByLearner, activeHolders, inactiveLearners, awardInstants, now };
}

/** The certificate, held still (share lock) for the caller's transaction; throws `not_found`. */
async function lockedCertificate(tx: TransactionSql, certificateId: string): Promise<CertificateRow> {
  const certificate = (await certsQ.lockCertificateShared(tx, certificateId)) ? await certsQ.getCertificate(tx, certificateId) : null;
  if (!certificate) throw notFound('Certificate', certificateId);
  return certificate;
}

/** Throws 409 `certificate_archived` (domain/lifecycle.ts) for an archived certificate: it takes no import. */
function refuseArchived(certificate: CertificateRow): void {
  if (certificate.archivedAt) throw certificateArchived(certificate.id);
}

/**
 * A dry run: the plan of every row against the database now, changing nothing (no lock either: the
 * caller may run it in a read-only transaction). Throws `not_found` for an unknown certificate.
 */
export async function planImport(
  tx: TransactionSql,
  args: { certificateId: string; rows: readonly ImportRowInput[]; createLearners: boolean },
  now: number = Date.now(),
): Promise<ImportRowPlan[]> {
  const certificate = await certsQ.getCertificate(tx, args.certificateId);
  if (!certificate) throw notFound('Certificate', args.certificateId);
  refuseArchived(certificate);
  return planImportRows(args.rows, await importFacts(tx, certificate, args.rows, args.createLearners, now));
}

/** An import as the intake left it. */
export interface ImportIntake {
  import: importsQ.ImportRow;
  /** false: the certificate already had an import of the same rows and flag (this is it; nothing was written). */
  created: boolean;
}

/**
 * Stores an import to apply: the import (status `running`, its workflow not yet started) and its rows,
 * those with a reason that no later state can lift (a wrong field count, a cell too long, bad email, bad manager email, unparsable date,
 * future awardedAt, expiry before award, duplicate) already `rejected`, the others `pending` for the workflow, which
 * re-plans them against the database when it reaches them. The same rows and flag posted again for the
 * same certificate find the first import (`created: false`). Throws `not_found` for an unknown certificate.
 */
export async function intakeImport(
  tx: TransactionSql,
  args: { certificateId: string; rows: readonly ImportRowInput[]; createLearners: boolean },
  now: number = Date.now(),
): Promise<ImportIntake> {
  const certificate = await lockedCertificate(tx, args.certificateId);
  refuseArchived(certificate);
  let contentHash = importContentHash(args.rows, args.createLearners);
  const existing = await importsQ.findImportByContent(tx, certificate.id, contentHash);
  if (existing) {
    // The same file again is the first import, unless it names managers the academy has changed
    // since (an earlier file posted again to put them back): then it is an import of its own, keyed by
    // its content and the managers it finds, whose awards stay idempotent (`already_awarded`).
    const stale = await managersTheRowsWouldChange(tx, args.rows);
    if (stale.length === 0) return { import: existing, created: false };
    contentHash = createHash('sha256').update(`${contentHash}\n${JSON.stringify(stale)}`).digest('hex');
    const again = await importsQ.findImportByContent(tx, certificate.id, contentHash);
    if (again) return { import: again, created: false };
  }
  const id = randomUUID();
  const made = await importsQ.insertImport(tx, {
    id,
    certificateId: certificate.id,
    contentHash,
    createLearners: args.createLearners,
    totalRows: args.rows.length,
    workflowId: importWorkflowId(id),
  });
  // A concurrent post of the same rows committed first: that one is the import.
  if (!made) {
    const first = await importsQ.findImportByContent(tx, certificate.id, contentHash);
    if (!first) throw new Error('import of the same content vanished');
    return { import: first, created: false };
  }
  const plans = planImportRows(args.rows, await importFacts(tx, certificate, args.rows, args.createLearners, now));
  await importsQ.insertImportRows(
    tx,
    id,
    args.rows.map((r, i) => {
      const reason = plans[i]?.reason ?? null;
      return {
        rowNumber: r.rowNumber,
        email: r.email,
        // A name that is no learner's name is kept empty: the page then rejects the row `bad_name` if it must create the learner.
        name: r.nameValid ? r.name : '',
        awardedAtText: r.awardedAtText,
        expiresAtText: r.expiresAtText,
        awardedAt: r.awardedAt,
        expiresAt: r.expiresAt ?? null,
        managerEmail: r.managerEmail,
        reason: reason && INTRINSIC.has(reason) ? reason : null,
        learnerId: null,
      };
    }),
  );
  return { import: made, created: true };
}

/** What one page did. */
export interface ImportPageResult {
  /** Rows taken from `pending` in this page. */
  rows: number;
  awarded: number;
  rejected: number;
  learnersCreated: number;
  /** Rows that set or changed their learner's manager. */
  managersSet: number;
  /** Whether pending rows remain after this page. */
  more: boolean;
}

/**
 * Applies the next `limit` pending rows of an import in the caller's transaction: re-plans them against
 * the database now, creates the learners to create (creation on), awards the rows that pass through
 * domain/awarding.ts `awardCertificates` (its workflows start after the commit: see the import
 * activity), and records each row `done` (its award and plan) or `rejected` (its reason). Throws
 * `not_found` (no such import or certificate) and the awarding routine's `already_awarded` when a
 * concurrent award won a race: roll back and run the page again.
 */
export async function applyImportPage(tx: TransactionSql, importId: string, limit: number, now: number = Date.now()): Promise<ImportPageResult> {
  const imp = await importsQ.getImport(tx, importId);
  if (!imp) throw notFound('Import', importId);
  const certificate = await lockedCertificate(tx, imp.certificateId);
  const rows = await importsQ.lockPendingRows(tx, importId, limit + 1);
  const page = rows.slice(0, limit);
  if (page.length === 0) return { rows: 0, awarded: 0, rejected: 0, learnersCreated: 0, managersSet: 0, more: false };
  if (certificate.archivedAt) {
    // Archived while the import ran: the rows not yet applied are awarded no more.
    await importsQ.finishRows(tx, importId, page.map((r) => ({
      rowNumber: r.rowNumber, outcome: 'reject', reason: 'certificate_archived', learnerId: null, learnerCreated: false, awardId: null, managerSet: false,
    })));
    return { rows: page.length, awarded: 0, rejected: page.length, learnersCreated: 0, managersSet: 0, more: rows.length > limit };
  }
  const inputs: ImportRowInput[] = page.map((r) => ({
    rowNumber: r.rowNumber,
    tooLong: false, // rejected at intake
    email: r.email,
    name: r.name,
    awardedAtText: r.awardedAtText,
    expiresAtText: r.expiresAtText,
    emailValid: true,
    nameValid: r.name.length > 0,
    awardedAt: r.awardedAt,
    expiresAt: r.expiresAt ?? undefined,
    managerEmail: r.managerEmail,
    managerEmailValid: true, // rejected at intake
  }));
  const facts = await importFacts(tx, certificate, inputs, imp.createLearners, now);
  const plans = planImportRows(inputs, facts);
  // New learners first (an email taken meanwhile is read back: that learner is the one).
  const toCreate = plans.flatMap((p, i) => (p.createLearner ? [{ email: inputs[i]!.email, name: inputs[i]!.name, managerEmail: inputs[i]!.managerEmail }] : []));
  const created = new Set((await learnersQ.insertLearners(tx, toCreate)).map((l) => emailKey(l.email)));
  const learnerIds = new Map(facts.learnerIdsByEmail);
  if (toCreate.length > 0) {
    for (const [key, l] of await learnersQ.learnersByEmails(tx, toCreate.map((c) => c.email))) learnerIds.set(key, l.id);
  }
  const accepted = plans.flatMap((p, i) => (p.outcome === 'reject' ? [] : [{ plan: p, input: inputs[i]! }]));
  const made = await awardCertificates(
    tx,
    accepted.map(({ input }) => ({
      certificateId: certificate.id,
      learnerId: learnerIds.get(emailKey(input.email))!,
      awardedAt: input.awardedAt!,
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
    })),
    now,
  );
  const madeByRow = new Map(accepted.map(({ input }, i) => [input.rowNumber, made[i]!]));
  // Managers of existing learners (a learner created here got theirs at creation).
  const managerRows = plans.flatMap((p, i) => (p.setsManager && !created.has(emailKey(inputs[i]!.email)) ? [inputs[i]!] : []));
  const managersSetFor = await setImportedManagers(tx, imp, managerRows.map((r) => ({ learnerId: learnerIds.get(emailKey(r.email))!, managerEmail: r.managerEmail! })));
  const results = plans.map((p, i): importsQ.RowResult => {
    const award = madeByRow.get(p.rowNumber);
    const key = emailKey(inputs[i]!.email);
    const learnerCreated = !!award && created.has(key);
    const learnerId = award ? award.award.learnerId : p.learnerId;
    return {
      rowNumber: p.rowNumber,
      outcome: award ? award.plan : 'reject',
      reason: award ? null : p.reason,
      learnerId,
      learnerCreated,
      awardId: award?.award.id ?? null,
      managerSet: p.setsManager && (learnerCreated || (learnerId !== null && managersSetFor.has(learnerId))),
    };
  });
  await importsQ.finishRows(tx, importId, results);
  const awarded = made.length;
  return {
    rows: page.length,
    awarded,
    rejected: page.length - awarded,
    learnersCreated: results.filter((r) => r.learnerCreated).length,
    managersSet: results.filter((r) => r.managerSet).length,
    more: rows.length > limit,
  };
}

/**
 * Who an import's changes to learners are recorded as: the actor and route of its `import.created`
 * audit entry (written with the import, in the intake's transaction); an import without one (made
 * outside the API) as the actor `import`.
 */
async function importAuditContext(tx: TransactionSql, imp: importsQ.ImportRow): Promise<AuditContext> {
  const entry = await auditQ.firstEntry(tx, { entityType: 'import', entityId: imp.id, action: 'import.created' });
  if (!entry) return { actor: { name: 'import', tokenId: null, scope: 'write' }, route: `import ${imp.id}` };
  return { actor: { name: entry.actorName, tokenId: entry.actorTokenId, scope: 'write' }, route: entry.route };
}

/**
 * The rows' valid managers that differ (case-insensitively) from their active learner's saved one,
 * as sorted `[learner email, saved manager or '']` pairs (lower-cased): what applying the rows again
 * would change. Rows of unknown learners, without a manager or with a bad one change nothing here.
 */
async function managersTheRowsWouldChange(tx: TransactionSql, rows: readonly ImportRowInput[]): Promise<[string, string][]> {
  const naming = rows.filter((r) => r.managerEmail !== null && r.managerEmailValid);
  if (naming.length === 0) return [];
  const learners = await learnersQ.learnersByEmails(tx, naming.map((r) => r.email));
  const changes = new Map<string, string>();
  for (const r of naming) {
    const l = learners.get(emailKey(r.email));
    if (!l || learnerStatus(l) !== 'active') continue;
    const saved = l.managerEmail === null ? '' : emailKey(l.managerEmail);
    if (saved !== emailKey(r.managerEmail!)) changes.set(emailKey(r.email), saved);
  }
  return [...changes].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Sets the managers an import page gives existing learners, each re-read under a lock: an active
 * learner whose saved manager differs (case-insensitively) from the row's gets it, with a
 * `learner.edited` audit entry (before/after `managerEmail`, as an edit through the API writes);
 * a learner deactivated or erased meanwhile, or whose manager is already that one, is left as is.
 * Returns the ids of the learners whose manager was set.
 */
async function setImportedManagers(tx: TransactionSql, imp: importsQ.ImportRow, wanted: readonly { learnerId: string; managerEmail: string }[]): Promise<Set<string>> {
  if (wanted.length === 0) return new Set();
  const now = new Map((await learnersQ.lockLearnersForEdit(tx, wanted.map((w) => w.learnerId))).map((l) => [l.id, l]));
  const changes = wanted.filter((w) => {
    const l = now.get(w.learnerId);
    return !!l && learnerStatus(l) === 'active' && (l.managerEmail === null || emailKey(l.managerEmail) !== emailKey(w.managerEmail));
  });
  if (changes.length === 0) return new Set();
  const who = await importAuditContext(tx, imp);
  for (const l of await learnersQ.setManagers(tx, changes)) {
    const before = now.get(l.id)!;
    await recordChange(tx, who, { action: 'learner.edited', entityType: 'learner', entityId: l.id, before: { managerEmail: before.managerEmail }, after: { managerEmail: l.managerEmail } });
  }
  return new Set(changes.map((c) => c.learnerId));
}
