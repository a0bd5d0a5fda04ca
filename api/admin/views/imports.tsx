/**
 * The Import tab of a certificate (issue 9 §5): the upload form, the dry run's plan with its
 * confirmation, and an applied import's progress page. Outcomes and reasons are shown as the API
 * spells them (what an admin then finds in `/api/docs` and errors.csv).
 */
import type { ImportDto, ImportPlan } from '../../import-schemas.ts';
import { IMPORT_ROW_OUTCOMES } from '../../../domain/vocabulary.ts';
import { day, when } from './format.ts';

/** The dry-run table shows this many rows; the totals count them all. */
export const PLAN_ROWS_SHOWN = 200;

/** The upload form: a CSV file and the "create learners" box; posts to the dry run. */
export function ImportUploadForm(props: { certificateId: string; maxMb: number; error?: string | null }) {
  return (
    <>
      {props.error && (
        <p class="error" id="import-error" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action={`/admin/certificates/${props.certificateId}/import`} enctype="multipart/form-data" id="import-form">
        <p class="small">
          A CSV file (UTF-8) with a header row naming <code>email</code>, <code>name</code>, <code>awardedAt</code> and optionally <code>expiresAt</code> and{' '}
          <code>managerEmail</code> (the learner’s manager, who gets the weekly digest; an empty cell keeps the manager saved); dates as YYYY-MM-DD. Up to {props.maxMb} MB here; larger files go to <code>POST /api/certificates/{'{id}'}/imports</code>. You see what each row would do before
          anything is imported.
        </p>
        <label>
          CSV file <input type="file" name="file" id="import-file" accept=".csv,text/csv" required />
        </label>
        <label>
          <input type="checkbox" name="createLearners" id="import-create-learners" /> Create a learner for an email no learner has
        </label>
        <button type="submit" id="import-dry-run">
          Check the file (dry run)
        </button>
      </form>
    </>
  );
}

/** Totals by outcome (and rejected by reason) of a plan or an import. */
function Totals(props: { byOutcome: Partial<Record<string, number>>; byReason: Partial<Record<string, number>>; id: string }) {
  const reasons = Object.entries(props.byReason).filter(([, n]) => (n ?? 0) > 0);
  return (
    <table class="list" id={props.id}>
      <tbody>
        {IMPORT_ROW_OUTCOMES.map((o) => (
          <tr data-outcome={o}>
            <th>{o}</th>
            <td class="num">{props.byOutcome[o] ?? 0}</td>
          </tr>
        ))}
        {reasons.map(([r, n]) => (
          <tr data-reason={r}>
            <th class="muted">reject: {r}</th>
            <td class="num">{n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The dry run's answer: totals, the first PLAN_ROWS_SHOWN rows' plan, and the confirm form, which
 * carries the same CSV text (`csv`), its SHA-256 (`sha256`, checked on confirm) and the flag.
 */
export function ImportPlanView(props: { certificateId: string; plan: ImportPlan; csv: string; sha256: string; createLearners: boolean; fileName: string }) {
  const { plan } = props;
  const shown = plan.rows.slice(0, PLAN_ROWS_SHOWN);
  return (
    <section id="import-plan">
      <h2>Dry run of {props.fileName || 'the file'}: nothing imported yet</h2>
      <p id="import-plan-summary">
        {plan.totals.rows} row{plan.totals.rows === 1 ? '' : 's'}; {plan.totals.byOutcome.reject} would be rejected; {plan.totals.createLearner} learner
        {plan.totals.createLearner === 1 ? '' : 's'} would be created; {plan.totals.setsManager} would set a learner’s manager.
      </p>
      <Totals byOutcome={plan.totals.byOutcome} byReason={plan.totals.byReason} id="import-plan-totals" />
      {plan.rows.length > shown.length && (
        <p class="small" id="import-plan-truncated">
          The first {shown.length} of {plan.rows.length} rows; the totals count them all.
        </p>
      )}
      <table class="list" id="import-plan-rows">
        <thead>
          <tr>
            <th class="num">Row</th>
            <th>Email</th>
            <th>Outcome</th>
            <th>Reason</th>
            <th>New learner</th>
            <th>Due</th>
            <th>Expires</th>
            <th>Manager</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr data-row={r.row} data-outcome={r.outcome}>
              <td class="num">{r.row}</td>
              <td>{r.email}</td>
              <td>{r.outcome}</td>
              <td>{r.reason ?? ''}</td>
              <td>{r.createLearner ? 'yes' : ''}</td>
              <td>{day(r.dueAt)}</td>
              <td>{day(r.expiresAt)}</td>
              <td class="import-manager" data-sets-manager={r.setsManager ? 'yes' : 'no'}>
                {r.managerEmail ?? ''}
                {r.setsManager ? ' (set)' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={`/admin/certificates/${props.certificateId}/import`} id="import-confirm-form">
        <textarea name="csv" hidden>
          {props.csv}
        </textarea>
        <input type="hidden" name="sha256" value={props.sha256} />
        <input type="hidden" name="confirm" value="yes" />
        {props.createLearners && <input type="hidden" name="createLearners" value="on" />}
        <button type="submit" id="import-confirm">
          Import {plan.totals.rows - plan.totals.byOutcome.reject} row{plan.totals.rows - plan.totals.byOutcome.reject === 1 ? '' : 's'}
        </button>{' '}
        <a href={`/admin/certificates/${props.certificateId}/import`}>Cancel</a>
      </form>
    </section>
  );
}

/** An applied import: its progress bar, totals by outcome, the first errors and the errors CSV link. */
export function ImportPage(props: { imp: ImportDto; certificateTitle: string }) {
  const { imp } = props;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/certificates">Certificates</a> / <a href={`/admin/certificates/${imp.certificateId}/import`}>{props.certificateTitle}</a> /
      </p>
      <h1>Import</h1>
      {imp.status === 'running' && <meta http-equiv="refresh" content="2" />}
      <p>
        Status: <strong id="import-status">{imp.status}</strong> · started {when(imp.createdAt)}
        {imp.completedAt && <> · completed {when(imp.completedAt)}</>}
      </p>
      <p>
        <progress id="import-progress" max={imp.totalRows} value={imp.progress.processed}></progress>{' '}
        <span id="import-processed">
          {imp.progress.processed} of {imp.totalRows}
        </span>{' '}
        rows processed ({imp.progress.done} imported, {imp.progress.rejected} rejected, {imp.learnersCreated} learners created,{' '}
        <span id="import-managers-set">{imp.managersSet}</span> managers set)
      </p>
      <Totals byOutcome={imp.byOutcome} byReason={imp.byReason} id="import-totals" />
      <h2>Errors ({imp.errorCount})</h2>
      {imp.errorCount === 0 ? (
        <p class="empty">No row was rejected.</p>
      ) : (
        <>
          <p>
            <a href={`/admin/imports/${imp.id}/errors.csv`} id="import-errors-csv" download>
              Download all {imp.errorCount} errors as CSV
            </a>
            {imp.errorCount > imp.errors.length && <span class="small"> (the first {imp.errors.length} are listed below)</span>}
          </p>
          <table class="list" id="import-errors">
            <thead>
              <tr>
                <th class="num">Row</th>
                <th>Email</th>
                <th>Name</th>
                <th>Awarded</th>
                <th>Expires</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {imp.errors.map((e) => (
                <tr data-row={e.row}>
                  <td class="num">{e.row}</td>
                  <td>{e.email}</td>
                  <td>{e.name}</td>
                  <td>{e.awardedAt}</td>
                  <td>{e.expiresAt ?? ''}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
