/**
 * One learner: name and email, their awards (certificate, status, expiry, workflow phase), their
 * course attempts and the messages sent to them, each linking to the admin page that shows it.
 */
import type { AttemptDto, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../../schemas.ts';
import type { AwardWithPhase } from '../api-client.ts';
import { KIND_LABELS, PHASE_LABELS, day, relative, when } from './format.ts';
import { PhaseBadge, StatusBadge } from './layout.tsx';

/** Where a learner is shown in the admin page. */
export const adminLearnerHref = (learnerId: string): string => `/admin/learners/${encodeURIComponent(learnerId)}`;

/** An award's row on its certificate's Awards tab. */
export const awardRowHref = (certificateId: string, awardId: string): string =>
  `/admin/certificates/${encodeURIComponent(certificateId)}/awards#award-${encodeURIComponent(awardId)}`;

export function LearnerPage(props: {
  learner: LearnerDto;
  awards: AwardWithPhase[];
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
        <dd id="learner-email">{l.email}</dd>
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
              const phase = a.recertification?.phase ?? null;
              return (
                <tr data-award-id={a.id}>
                  <td>
                    <a href={awardRowHref(a.certificateId, a.id)} class="strong award-link">
                      {certTitle(a.certificateId)}
                    </a>
                  </td>
                  <td class="nowrap">{day(a.awardedAt)}</td>
                  <td data-col="expires" class="nowrap">
                    {a.expiresAt ? (
                      <>
                        {when(a.expiresAt)}
                        <div class="muted small">{relative(a.expiresAt, now)}</div>
                      </>
                    ) : (
                      <span class="muted">never</span>
                    )}
                  </td>
                  <td data-col="status">
                    <StatusBadge status={a.status} />
                  </td>
                  <td data-col="phase" data-phase={phase ?? ''}>
                    {a.workflowId ? phase ? <PhaseBadge phase={phase} label={PHASE_LABELS[phase]} /> : <span class="muted small">not known yet</span> : <span class="muted">no workflow</span>}
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
                    {t.source === 'recertification' ? 'recertification' : 'manual'}
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
                  <span class={`badge kind-${m.kind}`}>{KIND_LABELS[m.kind] ?? m.kind}</span>
                </td>
                <td>
                  <a href={`/admin/mailbox/${m.id}`} class="subject">
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
