/** The certificate's Awards tab: every learner's award, its expiry and its workflow's phase and due date. */
import type { LearnerRow } from '../../../db/rows.ts';
import type { AwardDto } from '../../schemas.ts';
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
                    {a.workflowId ? (
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
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
