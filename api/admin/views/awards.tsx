/**
 * The certificate's Awards tab: every learner's award, its expiry and its workflow's phase and due
 * date; the form that awards the certificate; the confirmation pages that extend or revoke an award.
 */
import type { LearnerRow } from '../../../db/rows.ts';
import type { AwardDto, LearnerDto } from '../../schemas.ts';
import type { WorkflowPhase } from '../workflows.ts';
import { InstantWithRelative, PhaseBadge, StatusBadge } from './badges.tsx';
import { day } from './format.ts';
import { learnerHref } from './links.ts';

/** The Awards tab's table; learner names link to their admin page. */
export function AwardsTable(props: {
  awards: AwardDto[];
  learners: Map<string, LearnerRow>;
  phases: Map<string, WorkflowPhase>;
  visibilityError: string | null;
  dueThisMonthUrl: string;
  allWorkflowsUrl: string;
  dueThisMonthQuery: string;
}) {
  const now = Date.now();
  return (
    <>
      <div class="toolbar">
        <p class="muted">
          Phase and due date come from Temporal visibility (the workflows’ search attributes), or from the workflow’s status query while visibility catches up.
        </p>
        <p class="links">
          In the Temporal UI: <a href={props.allWorkflowsUrl} target="_blank" rel="noopener" id="all-workflows-link">all of this certificate’s workflows ↗</a> ·{' '}
          <a href={props.dueThisMonthUrl} target="_blank" rel="noopener" id="due-this-month-link" title={props.dueThisMonthQuery}>
            due this month ↗
          </a>
        </p>
      </div>
      {props.visibilityError && <p class="banner warn">Temporal visibility did not answer ({props.visibilityError}); phases come from status queries.</p>}
      {props.awards.length === 0 ? (
        <p class="empty">No awards of this certificate yet.</p>
      ) : (
        <table class="list" id="awards">
          <thead>
            <tr>
              <th>Learner</th>
              <th>Awarded</th>
              <th>Expires</th>
              <th>Status</th>
              <th>Workflow phase</th>
              <th>Due</th>
              <th>Workflow</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.awards.map((a) => {
              const learner = props.learners.get(a.learnerId);
              const p = props.phases.get(a.id);
              return (
                <tr data-award-id={a.id} id={`award-${a.id}`}>
                  <td>
                    <a href={learnerHref(a.learnerId)} class="strong learner-link">
                      {learner?.name ?? a.learnerId}
                    </a>
                    {learner && <div class="muted small">{learner.email}</div>}
                  </td>
                  <td class="nowrap">{day(a.awardedAt)}</td>
                  <td data-col="expires" class="nowrap">
                    <InstantWithRelative iso={a.expiresAt} now={now} none={<span class="muted">never</span>} />
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td data-col="phase" data-phase={p?.phase ?? ''} title={p ? `from ${p.source}${p.workflowStatus ? `; ${p.workflowStatus}` : ''}` : undefined}>
                    {a.workflowId && learner?.erasedAt ? (
                      <span class="muted small workflow-deleted">deleted with the learner’s data</span>
                    ) : a.workflowId ? (
                      p?.phase ? (
                        <PhaseBadge phase={p.phase} />
                      ) : (
                        <span class="muted small">{p?.note ?? 'not known yet'}</span>
                      )
                    ) : (
                      <span class="muted">no workflow</span>
                    )}
                  </td>
                  <td data-col="due" data-due={p?.dueAt ?? ''} class="nowrap">
                    <InstantWithRelative iso={p?.dueAt ?? null} now={now} none={<span class="muted">—</span>} />
                  </td>
                  <td class="nowrap">
                    {a.workflowUrl ? (
                      <a href={a.workflowUrl} target="_blank" rel="noopener" class="workflow-link">
                        Temporal UI ↗
                      </a>
                    ) : (
                      <span class="muted">—</span>
                    )}
                    {a.workflowId && (
                      <div class="small">
                        <a href={`/admin/mailbox?awardId=${a.id}`}>messages</a>
                      </div>
                    )}
                  </td>
                  <td class="nowrap" data-col="actions">
                    {a.status === 'active' && (
                      <span class="write-only">
                        <a href={`/admin/certificates/${a.certificateId}/awards/${a.id}/extend`} class="extend-link">
                          Extend…
                        </a>{' '}
                        ·{' '}
                        <a href={`/admin/certificates/${a.certificateId}/awards/${a.id}/revoke`} class="revoke-link">
                          Revoke…
                        </a>{' '}
                        ·{' '}
                      </span>
                    )}
                    <a href={`/admin/certificates/${a.certificateId}/awards/${a.id}/history`} class="history-link">
                      History
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The form that awards the certificate to a learner found by email, optionally back-dated. */
export function AwardForm(props: { certificateId: string; email: string; awardedOn: string; error: string | null; idempotencyKey: string }) {
  return (
    <form method="post" action={`/admin/certificates/${props.certificateId}/awards`} id="award-form" class="card">
      <h2>Award this certificate</h2>
      <input type="hidden" name="idempotencyKey" value={props.idempotencyKey} />
      <div class="row">
        <label for="award-email">Learner’s email</label>
        <input type="email" name="email" id="award-email" value={props.email} required class="medium" aria-invalid={props.error ? 'true' : undefined} aria-describedby={props.error ? 'award-error' : undefined} />
        <label for="award-awarded-on">Awarded on (optional)</label>
        <input type="date" name="awardedOn" id="award-awarded-on" value={props.awardedOn} />
        <button type="submit" class="primary" id="award-submit">
          Award
        </button>
      </div>
      {props.error && (
        <p class="field-error" id="award-error" role="alert">
          {props.error}
        </p>
      )}
      <p class="hint">The expiry counts from the award day; an award already inside the enrollment window is enrolled at once, one already past its expiry is recorded expired.</p>
    </form>
  );
}

/** An action on one award. */
export type AwardAction = 'extend' | 'revoke';

/** The confirmation page of extending (a new expiry day) or revoking (a reason) an award. */
export function AwardActionPage(props: { certificateId: string; award: AwardDto; learner: LearnerDto | null; action: AwardAction; error: string | null; value: string }) {
  const { award: a, learner, action } = props;
  const who = learner ? `${learner.name} <${learner.email}>` : a.learnerId;
  const back = `/admin/certificates/${props.certificateId}/awards`;
  return (
    <form method="post" action={`${back}/${a.id}/${action}`} id={`${action}-form`} class="card narrow-form">
      <h2>{action === 'extend' ? 'Extend this award' : 'Revoke this award'}</h2>
      <dl class="meta">
        <dt>Learner</dt>
        <dd id="action-learner">{who}</dd>
        <dt>Awarded</dt>
        <dd>{day(a.awardedAt)}</dd>
        <dt>Expires</dt>
        <dd id="action-expires">{a.expiresAt ? day(a.expiresAt) : 'never'}</dd>
      </dl>
      {action === 'extend' ? (
        <>
          <label for="action-value">New expiry day</label>
          <input type="date" name="value" id="action-value" value={props.value} required />
          <p class="hint">
            The workflow re-plans at once: its due date follows the new expiry (same time of day) until the learner is enrolled; once enrolled,
            the due date stays the day the enrollment fell due. The new expiry must be in the future; to end an award now, revoke it.
          </p>
        </>
      ) : (
        <>
          <label for="action-value">Reason</label>
          <input type="text" name="value" id="action-value" value={props.value} required class="medium" maxlength={500} />
          <p class="hint">Revoking ends the recertification workflow; the award keeps its history. This cannot be undone.</p>
        </>
      )}
      {props.error && (
        <p class="field-error" id="action-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class={action === 'revoke' ? 'danger' : 'primary'} id="action-confirm">
          {action === 'extend' ? 'Extend the award' : 'Revoke the award'}
        </button>
        <a href={back}>Cancel</a>
      </div>
    </form>
  );
}
