/**
 * Importing existing holders of a certificate (`POST /api/certificates/{id}/imports`): the plan of
 * each row, the same for a dry run (which only shows it) and for the apply (whose workflow re-plans
 * each page against the database as it is then, and awards the rows that still pass through the one
 * awarding routine, domain/awarding.ts `awardCertificates`).
 *
 * A row's outcome is the awarding routine's plan for its terms (`awardTerms`: `schedule` with its due
 * date, `enroll_now`, `record_expired`, `no_expiry`) or `reject` with a reason
 * (domain/vocabulary.ts `IMPORT_REJECT_REASONS`); `createLearner` says beside it that the learner is
 * created first, `setsManager` that the row's managerEmail becomes the learner's manager. Pure: no
 * I/O, no clock of its own.
 */
import { createHash } from 'node:crypto';
import type { CertificateSettings } from './settings.ts';
import { awardTerms, FUTURE_TOLERANCE_MS } from './awarding.ts';
import type { ImportRejectReason, ImportRowOutcome } from './vocabulary.ts';

/** The most rows one import takes. */
export const MAX_IMPORT_ROWS = 100_000;

/**
 * The longest cell (characters, after trimming) an import row may give: a longer one rejects the row
 * `cell_too_long` (its text kept cut to this length), never the whole file. `email` bounds the
 * managerEmail cell too.
 */
export const MAX_IMPORT_CELL = { email: 1000, name: 1000, date: 100 } as const;

/** A row as read at intake: the texts as given (trimmed) and what of them could be read. */
export interface ImportRowInput {
  /** 1 for the first row after the header (the first element of a JSON `rows`). */
  rowNumber: number;
  /** A cell was longer than its `MAX_IMPORT_CELL` (its text here is cut, ending in an ellipsis). */
  tooLong: boolean;
  /**
   * The row came from a CSV line with more or fewer fields than the header (its cells may not be in
   * their columns: a missing cell is empty, an extra one dropped). Absent: false (a JSON row).
   */
  wrongFieldCount?: boolean;
  email: string;
  name: string;
  awardedAtText: string;
  /** null: the row gives no expiry. */
  expiresAtText: string | null;
  /** Whether `email` is an email address (the learners' rule). */
  emailValid: boolean;
  /** Whether `name` is a learner's name (the learners' rule), needed only to create the learner. */
  nameValid: boolean;
  /** null: unparsable. */
  awardedAt: Date | null;
  /** undefined: none given; null: unparsable. */
  expiresAt: Date | null | undefined;
  /** The managerEmail cell as given (trimmed); null: none given or empty (the learner's saved manager stays). */
  managerEmail: string | null;
  /** Whether `managerEmail` is an address the learner API takes for a manager (true when none is given). */
  managerEmailValid: boolean;
}

/** What the database says that a row's plan depends on. */
export interface ImportFacts {
  settings: CertificateSettings;
  /** Create the learners no one has the email of (else: `unknown_learner`). */
  createLearners: boolean;
  /** Existing learners' ids by lower-cased email. */
  learnerIdsByEmail: ReadonlyMap<string, string>;
  /** Existing learners' saved managers (null: none) by learner id. */
  managersByLearner: ReadonlyMap<string, string | null>;
  /** Learners who hold an active award of the certificate. */
  activeHolders: ReadonlySet<string>;
  /** Learners deactivated or erased (domain/lifecycle.ts), with the reason their rows are rejected: nothing new is made for them. */
  inactiveLearners: ReadonlyMap<string, 'learner_deactivated' | 'learner_erased'>;
  /** The instants (ms since the epoch) at which existing learners were given an award of the certificate, any status. */
  awardInstants: ReadonlyMap<string, ReadonlySet<number>>;
  /** ms since the epoch. */
  now: number;
}

/** The plan of one row. */
export interface ImportRowPlan {
  rowNumber: number;
  outcome: ImportRowOutcome;
  /** Why the row is rejected; null unless `outcome` is `reject`. */
  reason: ImportRejectReason | null;
  /** The learner does not exist and will be created (creation on). */
  createLearner: boolean;
  /** The existing learner's id; null when rejected before it was looked up, or to be created. */
  learnerId: string | null;
  /**
   * The row's managerEmail becomes the learner's manager: one is given, and the learner is to be
   * created or has another manager saved (compared case-insensitively) or none. Also on a row
   * rejected `already_awarded` or `already_recorded` (the award is there; the manager is the
   * learner's); never on another rejected row.
   */
  setsManager: boolean;
  awardedAt: Date | null;
  expiresAt: Date | null;
  /** When recertification falls due (for `schedule` and `enroll_now`); null otherwise. */
  dueAt: Date | null;
}

/** Totals of a plan: rows by outcome, rejections by reason, learners to create. */
export interface ImportTotals {
  rows: number;
  byOutcome: Record<ImportRowOutcome, number>;
  byReason: Partial<Record<ImportRejectReason, number>>;
  createLearner: number;
  /** Rows that set or change a learner's manager. */
  setsManager: number;
}

/** The lower-cased email rows and learners are matched by. */
export const emailKey = (email: string): string => email.toLowerCase();

/** Whether `row` gives a manager other than `saved` (the learner's, null: none), compared case-insensitively. */
const newManager = (row: ImportRowInput, saved: string | null): boolean =>
  row.managerEmail !== null && (saved === null || emailKey(saved) !== emailKey(row.managerEmail));

const rejected = (row: ImportRowInput, reason: ImportRejectReason, learnerId: string | null = null, setsManager = false): ImportRowPlan => ({
  rowNumber: row.rowNumber,
  outcome: 'reject',
  reason,
  createLearner: false,
  learnerId,
  setsManager,
  awardedAt: row.awardedAt,
  expiresAt: row.expiresAt ?? null,
  dueAt: null,
});

/**
 * Plans `rows` in order against `facts`. A row is rejected, the first reason that holds, for: a CSV
 * row with more or fewer fields than the header (`wrong_field_count`), a cell over its
 * `MAX_IMPORT_CELL` (`cell_too_long`; neither such row counts for duplicates), a bad email,
 * a managerEmail the learner API would refuse (`bad_manager_email`), an unparsable date, awardedAt more than FUTURE_TOLERANCE_MS ahead of `now`, an expiresAt not
 * after awardedAt, an email an earlier row of `rows` gave (`duplicate_row`, case-insensitively), no
 * learner with the email while creation is off (`unknown_learner`) or a bad name while it is on
 * (`bad_name`), a learner deactivated (`learner_deactivated`) or erased (`learner_erased`), a learner
 * who already holds an active award (`already_awarded`), or one who already has an award of it given
 * at the row's awardedAt, whatever its status (`already_recorded`: the awarding routine's rule, so a
 * re-import never records an expired record twice). Otherwise its
 * outcome is the awarding routine's plan (`awardTerms`). Returns one plan per row, in order.
 */
export function planImportRows(rows: readonly ImportRowInput[], facts: ImportFacts): ImportRowPlan[] {
  const seen = new Set<string>();
  return rows.map((row) => {
    if (row.wrongFieldCount) return rejected(row, 'wrong_field_count');
    if (row.tooLong) return rejected(row, 'cell_too_long');
    if (!row.emailValid) return rejected(row, 'bad_email');
    const key = emailKey(row.email);
    const duplicate = seen.has(key);
    seen.add(key);
    if (!row.managerEmailValid) return rejected(row, 'bad_manager_email');
    if (!row.awardedAt || row.expiresAt === null) return rejected(row, 'unparsable_date');
    if (row.awardedAt.getTime() > facts.now + FUTURE_TOLERANCE_MS) return rejected(row, 'awarded_at_in_future');
    if (row.expiresAt && row.expiresAt.getTime() <= row.awardedAt.getTime()) return rejected(row, 'expires_before_awarded');
    if (duplicate) return rejected(row, 'duplicate_row');
    const learnerId = facts.learnerIdsByEmail.get(key) ?? null;
    if (!learnerId && !facts.createLearners) return rejected(row, 'unknown_learner');
    if (!learnerId && !row.nameValid) return rejected(row, 'bad_name');
    const inactive = learnerId ? facts.inactiveLearners.get(learnerId) : undefined;
    if (learnerId && inactive) return rejected(row, inactive, learnerId);
    const setsManager = newManager(row, learnerId ? (facts.managersByLearner.get(learnerId) ?? null) : null);
    if (learnerId && facts.activeHolders.has(learnerId)) return rejected(row, 'already_awarded', learnerId, setsManager);
    if (learnerId && facts.awardInstants.get(learnerId)?.has(row.awardedAt.getTime())) return rejected(row, 'already_recorded', learnerId, setsManager);
    const terms = awardTerms(facts.settings, { awardedAt: row.awardedAt, explicitExpiresAt: row.expiresAt ?? null }, facts.now);
    return {
      rowNumber: row.rowNumber,
      outcome: terms.plan,
      reason: null,
      createLearner: !learnerId,
      learnerId,
      setsManager,
      awardedAt: row.awardedAt,
      expiresAt: terms.expiresAt,
      dueAt: terms.plan === 'schedule' || terms.plan === 'enroll_now' ? terms.dueAt : null,
    };
  });
}

/** The totals of `plans`. */
export function importTotals(plans: readonly ImportRowPlan[]): ImportTotals {
  const totals: ImportTotals = {
    rows: plans.length,
    byOutcome: { schedule: 0, enroll_now: 0, record_expired: 0, no_expiry: 0, reject: 0 },
    byReason: {},
    createLearner: 0,
    setsManager: 0,
  };
  for (const p of plans) {
    totals.byOutcome[p.outcome]++;
    if (p.reason) totals.byReason[p.reason] = (totals.byReason[p.reason] ?? 0) + 1;
    if (p.createLearner) totals.createLearner++;
    if (p.setsManager) totals.setsManager++;
  }
  return totals;
}

/**
 * The content hash that makes posting the same rows again the same import: sha256 (hex) over the
 * rows' texts as given, in order, and the `createLearners` flag. A CSV and the JSON of the same rows
 * hash alike. A row's managerEmail counts only when given, so a row without one (no column, an empty
 * cell: both keep the saved manager) hashes as it did before the column existed, and a file whose
 * managers changed is a new import. A row with the wrong field count is marked so (only then): the
 * same texts in a row of the right length are another row.
 */
export function importContentHash(rows: readonly ImportRowInput[], createLearners: boolean): string {
  const hash = createHash('sha256');
  hash.update(createLearners ? 'create\n' : 'nocreate\n');
  for (const r of rows) {
    const texts = [
      r.email,
      r.name,
      r.awardedAtText,
      r.expiresAtText,
      ...(r.managerEmail === null ? [] : [r.managerEmail]),
      ...(r.wrongFieldCount ? [{ wrongFieldCount: true }] : []),
    ];
    hash.update(`${JSON.stringify(texts)}\n`);
  }
  return hash.digest('hex');
}
