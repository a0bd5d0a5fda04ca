/**
 * The mailbox: the message log, newest first, and one message with its rendered body. The body is
 * shown in a sandboxed frame (no scripts, no same-origin access), so a message's HTML cannot act on
 * the admin page.
 */
import type { LearnerRow } from '../../../db/rows.ts';
import type { MessageDto } from '../../schemas.ts';
import { DeliveryBadge, KindBadge, StatusBadge } from './badges.tsx';
import { when } from './format.ts';
import { KIND_LABELS } from './labels.ts';
import { learnerHref, messageAwardHref, messageHref } from './links.ts';

/** The message log, newest first (`nextUrl`: the next, older page), optionally of one learner or award. */
export function MailboxPage(props: {
  messages: MessageDto[];
  learners: Map<string, LearnerRow>;
  filter: { learnerId?: string; awardId?: string };
  nextUrl: string | null;
}) {
  const filtered = props.filter.learnerId || props.filter.awardId;
  return (
    <>
      <h1>Mailbox</h1>
      <p class="muted">
        Every message Recertify sent or tried to send, newest first. Without <code>RESEND_API_KEY</code> messages go to the <code>log</code> provider: recorded here, not emailed.
      </p>
      {filtered && (
        <p class="filter">
          Showing the messages of {props.filter.awardId ? `award ${props.filter.awardId}` : (props.learners.get(props.filter.learnerId ?? '')?.name ?? `learner ${props.filter.learnerId}`)}.{' '}
          <a href="/admin/mailbox">Show all</a>
        </p>
      )}
      {props.messages.length === 0 ? (
        <p class="empty">No messages yet.</p>
      ) : (
        <table class="list" id="messages">
          <thead>
            <tr>
              <th>Created</th>
              <th>Kind</th>
              <th>Learner</th>
              <th>Subject</th>
              <th>Status</th>
              <th>Delivery</th>
              <th>Provider</th>
            </tr>
          </thead>
          <tbody>
            {props.messages.map((m) => {
              const learner = props.learners.get(m.learnerId);
              return (
                <tr data-message-id={m.id} data-kind={m.kind}>
                  <td class="nowrap">{when(m.createdAt)}</td>
                  <td>
                    <KindBadge kind={m.kind} />
                  </td>
                  <td>
                    <a href={`/admin/mailbox?learnerId=${m.learnerId}`}>{learner?.name ?? m.learnerId}</a>
                    <div class="muted small">{m.to}</div>
                  </td>
                  <td>
                    <a href={messageHref(m.id)} class="subject">
                      {m.subject}
                    </a>
                  </td>
                  <td>
                    <StatusBadge status={m.status} />
                    {m.error && <div class="field-error small">{m.error}</div>}
                  </td>
                  <td class="delivery" data-delivery-status={m.deliveryStatus ?? ''}>
                    <DeliveryBadge status={m.deliveryStatus} />
                    {m.deliveryUpdatedAt && <div class="muted small">{when(m.deliveryUpdatedAt)}</div>}
                  </td>
                  <td>
                    {m.provider}
                    {m.providerMessageId && <div class="muted small mono">{m.providerMessageId}</div>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.nextUrl && (
        <p>
          <a href={props.nextUrl}>Older messages →</a>
        </p>
      )}
    </>
  );
}

/** One message: who it went to, its delivery, its award, and its rendered body in a sandboxed frame. */
export function MessagePage(props: { message: MessageDto; learner: LearnerRow | undefined; award: { id: string; certificateId: string } | null }) {
  const m = props.message;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/mailbox">Mailbox</a> /
      </p>
      <h1 id="message-subject">{m.subject}</h1>
      <dl class="meta">
        <dt>Kind</dt>
        <dd>{KIND_LABELS[m.kind]}</dd>
        <dt>To</dt>
        <dd>
          <a href={learnerHref(m.learnerId)} id="message-learner">
            {props.learner?.name ?? m.learnerId}
          </a>{' '}
          &lt;{m.to}&gt;
        </dd>
        <dt>From</dt>
        <dd>{m.from}</dd>
        <dt>Created</dt>
        <dd>{when(m.createdAt)}</dd>
        <dt>Sent</dt>
        <dd>{when(m.sentAt)}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={m.status} /> {m.error && <span class="field-error">{m.error}</span>} {m.sendAttempts > 1 && <span class="muted">after {m.sendAttempts} attempts</span>}
        </dd>
        <dt>Provider</dt>
        <dd>
          {m.provider} {m.providerMessageId && <span class="muted mono">{m.providerMessageId}</span>}
        </dd>
        <dt>Delivery</dt>
        <dd id="message-delivery">
          <DeliveryBadge status={m.deliveryStatus} />
          {m.deliveryEvents.length === 0 ? (
            <span class="muted"> no delivery events yet</span>
          ) : (
            <ol class="timeline" id="delivery-timeline">
              {m.deliveryEvents.map((e) => (
                <li data-event={e.type}>
                  <DeliveryBadge status={e.type} /> {when(e.at)}
                  {e.detail && <span class="muted small"> {e.detail}</span>}
                </li>
              ))}
            </ol>
          )}
        </dd>
        {m.awardId && (
          <>
            <dt>Award</dt>
            <dd>
              <a href={messageAwardHref(m.awardId, props.award)} class="mono" id="message-award">
                {m.awardId}
              </a>
            </dd>
          </>
        )}
      </dl>
      <iframe class="message-body" id="message-body" title="Rendered message body" sandbox="" referrerpolicy="no-referrer" srcdoc={m.body}></iframe>
      {m.text && (
        <>
          <h3>Text part</h3>
          <pre class="message-text" id="message-text">{m.text}</pre>
        </>
      )}
    </>
  );
}
