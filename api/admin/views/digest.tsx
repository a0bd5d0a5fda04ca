/**
 * The weekly digest's read-only view (issue 14 §4): when it goes out and in which zone, its Temporal
 * Schedule's next run (as Temporal says), who gets it, and the latest sends. What it lists and how it
 * is configured is told beside it; the timing is configuration (DIGEST_*), not a form.
 */
import type { DigestView } from '../../digest-schemas.ts';
import { when } from './format.ts';

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function DigestPage(props: { digest: DigestView }) {
  const d = props.digest;
  const s = d.schedule;
  return (
    <>
      <h1>Weekly digest</h1>
      <p class="muted">
        Each manager gets their learners who are enrolled in recertification and not finished, lapsing in the next 30 days, in grace, or
        expired in the last week; the admin addresses get the whole academy. Sent once a week; an empty digest is not sent. Set a
        learner’s manager on their page; the timing is configuration (<code>DIGEST_DAY</code>, <code>DIGEST_HOUR</code>,{' '}
        <code>DIGEST_ADMIN_EMAILS</code>, <code>DIGEST_ENABLED</code>).
      </p>
      <dl class="meta" id="digest-schedule">
        <dt>Goes out</dt>
        <dd id="digest-when">
          {d.enabled ? `${cap(d.day)}s at ${String(d.hour).padStart(2, '0')}:00 (${d.timeZone})` : 'Off (DIGEST_ENABLED=false)'}
        </dd>
        <dt>Temporal Schedule</dt>
        <dd id="digest-schedule-state" data-state={s.state}>
          <a href={s.temporalUiUrl} target="_blank" rel="noopener" class="mono">
            {s.id} ↗
          </a>{' '}
          {s.state === 'scheduled' && <span class="badge">scheduled</span>}
          {s.state === 'missing' && <span class="badge warn">not created yet (a worker creates it when it starts)</span>}
          {s.state === 'disabled' && <span class="badge">off</span>}
          {s.state === 'unreachable' && <span class="field-error small">Temporal did not answer: {s.detail}</span>}
        </dd>
        <dt>Next run</dt>
        <dd id="digest-next-run">{s.nextRunAt ? when(s.nextRunAt) : <span class="muted">none</span>}</dd>
        {s.runsAt && (s.runsAt.day !== d.day || s.runsAt.hour !== d.hour || s.runsAt.timeZone !== d.timeZone) && (
          <>
            <dt>Schedule has</dt>
            <dd class="field-error small">
              {s.runsAt.day} {s.runsAt.hour}:00 ({s.runsAt.timeZone}): a worker updates it to the configuration when it starts
            </dd>
          </>
        )}
        <dt>Admin addresses</dt>
        <dd id="digest-admins">{d.adminRecipients.length ? d.adminRecipients.join(', ') : <span class="muted">none</span>}</dd>
        <dt>Managers</dt>
        <dd id="digest-managers">
          {d.managerCount === 0 ? (
            <span class="muted">none yet</span>
          ) : (
            <>
              {d.managerCount}: {d.managerRecipients.join(', ')}
              {d.managerCount > d.managerRecipients.length && ' …'}
            </>
          )}
        </dd>
      </dl>
      <h2 class="section-title">Latest digests</h2>
      {d.recentSends.length === 0 ? (
        <p class="empty">None sent yet.</p>
      ) : (
        <table class="list" id="digest-sends">
          <thead>
            <tr>
              <th>Week of</th>
              <th>To</th>
              <th>For</th>
              <th class="num">Listed</th>
              <th>Status</th>
              <th>Done</th>
            </tr>
          </thead>
          <tbody>
            {d.recentSends.map((r) => (
              <tr>
                <td class="nowrap">{r.period}</td>
                <td>{r.recipient}</td>
                <td>{r.audience === 'admin' ? 'the academy' : 'their learners'}</td>
                <td class="num">{r.entryCount}</td>
                <td>
                  {r.status}
                  {r.error && <div class="muted small">{r.error}</div>}
                </td>
                <td class="nowrap">{r.completedAt ? when(r.completedAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
