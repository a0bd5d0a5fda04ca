/**
 * One learner: name and email, their awards (certificate, status, expiry, workflow phase), their
 * course attempts and the messages sent to them, each linking to the admin page that shows it.
 */
import type { AttemptDto, AwardListItem, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../../schemas.ts';
import { InstantWithRelative, KindBadge, PhaseBadge, StatusBadge } from './badges.tsx';
import { day, when } from './format.ts';
import { SOURCE_LABELS, SUPPRESSION_LABELS, isPhase } from './labels.ts';
import { awardRowHref, messageHref } from './links.ts';

/** The learner's page; `awards` as `GET /api/awards?include=recertification` lists them (with their workflow's phase). */
export function LearnerPage(props: {
  learner: LearnerDto;
  awards: AwardListItem[];
  recertificationUnavailable: string | null;
  attempts: AttemptDto[];
  messages: MessageDto[];
  moreMessages: boolean;
  certificates: Map<string, CertificateDto>;
  courses: Map<string, CourseDto>;
}) {
  const { learner: l } = props;
  const now = Date.now();
  const certTitle = (id: string) => props.certificates.get(id)?.title ?? id;
  const courseTitle = (id: string) => props.courses.get(id)?.title ?? id;
  const awardById = new Map(props.awards.map((a) => [a.id, a]));
  return (
    <>
      <p class="crumbs">Learner</p>
      <h1 id="learner-name">{l.name}</h1>
      <dl class="meta">
        <dt>Email</dt>
        <dd id="learner-email">
          {l.email}
          {l.emailSuppression && (
            <div class="field-error small" id="learner-email-suppressed">
              suppressed since {when(l.emailSuppression.since)} ({SUPPRESSION_LABELS[l.emailSuppression.reason]}): messages are recorded, not sent, until the email changes
            </div>
          )}
        </dd>
        <dt>Manager</dt>
        <dd id="learner-manager">{l.managerEmail ?? <span class="muted">none</span>}</dd>
        <dt>Learner id</dt>
        <dd class="mono">{l.id}</dd>
        <dt>Since</dt>
        <dd>{when(l.createdAt)}</dd>
      </dl>

      <h2 class="section-title">Awards</h2>
      {props.recertificationUnavailable && <p class="banner warn">Temporal did not answer ({props.recertificationUnavailable}); workflow phases are not shown.</p>}
      {props.awards.length === 0 ? (
        <p class="empty">No awards.</p>
      ) : (
        <table class="list" id="learner-awards">
          <thead>
            <tr>
              <th>Certificate</th>
              <th>Awarded</th>
              <th>Expires</th>
              <th>Status</th>
              <th>Workflow phase</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.awards.map((a) => {
              const reported = a.recertification?.phase ?? null;
              const phase = reported !== null && isPhase(reported) ? reported : null;
              return (
                <tr data-award-id={a.id}>
                  <td>
                    <a href={awardRowHref(a.certificateId, a.id)} class="strong award-link">
                      {certTitle(a.certificateId)}
                    </a>
                  </td>
                  <td class="nowrap">{day(a.awardedAt)}</td>
                  <td data-col="expires" class="nowrap">
                    <InstantWithRelative iso={a.expiresAt} now={now} none={<span class="muted">never</span>} />
                  </td>
                  <td data-col="status">
                    <StatusBadge status={a.status} />
                  </td>
                  <td data-col="phase" data-phase={phase ?? ''}>
                    {a.workflowId && !a.workflowUrl ? (
                      <span class="muted small workflow-deleted">deleted with the learner’s data</span>
                    ) : a.workflowId ? (
                      phase ? <PhaseBadge phase={phase} /> : <span class="muted small">not known yet</span>
                    ) : (
                      <span class="muted">no workflow</span>
                    )}
                  </td>
                  <td class="nowrap small">
                    <a href={`/admin/mailbox?awardId=${a.id}`}>messages</a>
                    {a.workflowUrl && (
                      <>
                        {' · '}
                        <a href={a.workflowUrl} target="_blank" rel="noopener" class="workflow-link">
                          Temporal UI ↗
                        </a>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <h2 class="section-title">Course attempts</h2>
      {props.attempts.length === 0 ? (
        <p class="empty">No course attempts.</p>
      ) : (
        <table class="list" id="learner-attempts">
          <thead>
            <tr>
              <th>Course</th>
              <th>Status</th>
              <th class="num">Progress</th>
              <th>Source</th>
              <th>Started</th>
              <th>Completed</th>
            </tr>
          </thead>
          <tbody>
            {props.attempts.map((t) => {
              const award = t.awardId ? awardById.get(t.awardId) : undefined;
              return (
                <tr data-attempt-id={t.id}>
                  <td>
                    <a href={`/admin/courses/${t.courseId}`} class="course-link">
                      {courseTitle(t.courseId)}
                    </a>
                  </td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td class="num">{t.progress}%</td>
                  <td>
                    {SOURCE_LABELS[t.source]}
                    {award && (
                      <div class="small">
                        for <a href={awardRowHref(award.certificateId, award.id)}>{certTitle(award.certificateId)}</a>
                      </div>
                    )}
                  </td>
                  <td class="nowrap">{when(t.createdAt)}</td>
                  <td class="nowrap">{when(t.completedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <h2 class="section-title">Messages</h2>
      {props.messages.length === 0 ? (
        <p class="empty">No messages.</p>
      ) : (
        <table class="list" id="learner-messages">
          <thead>
            <tr>
              <th>Created</th>
              <th>Kind</th>
              <th>Subject</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {props.messages.map((m) => (
              <tr data-message-id={m.id} data-kind={m.kind}>
                <td class="nowrap">{when(m.createdAt)}</td>
                <td>
                  <KindBadge kind={m.kind} />
                </td>
                <td>
                  <a href={messageHref(m.id)} class="subject">
                    {m.subject}
                  </a>
                </td>
                <td>
                  <StatusBadge status={m.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.moreMessages && (
        <p>
          <a href={`/admin/mailbox?learnerId=${l.id}`} id="learner-all-messages">
            All of {l.name}’s messages in the mailbox →
          </a>
        </p>
      )}
    </>
  );
}
