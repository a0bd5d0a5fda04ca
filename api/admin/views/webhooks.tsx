/**
 * Webhooks: the outbound webhook subscriptions (URL, event types, enabled or disabled with the
 * reason), a form to subscribe a URL (the secret is shown once, after the create), and one
 * subscription's page: enable / disable, its deliveries by status and its delivery log.
 */
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../domain/vocabulary.ts';
import type { WebhookAttemptPageDto, WebhookSubscriptionDto } from '../../webhook-schemas.ts';
import { when } from './format.ts';
import { WEBHOOK_DELIVERY_STATUS_LABELS, WEBHOOK_EVENT_LABELS } from './labels.ts';

/** What the create form holds (as typed, when refused). */
export interface WebhookFormValues {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
}

export const NEW_WEBHOOK_VALUES: WebhookFormValues = { url: '', description: '', eventTypes: ['award.created', 'award.renewed', 'award.expired', 'award.revoked'] };

function Enabled(props: { w: WebhookSubscriptionDto }) {
  return props.w.enabled ? (
    <span class="badge status-active">enabled</span>
  ) : (
    <>
      <span class="badge status-revoked">disabled</span>
      <div class="field-error small webhook-disabled-reason">{props.w.disabledReason}</div>
    </>
  );
}

/** The subscriptions and the "Subscribe a URL" form; `error`: the API's refusal of the last create. */
export function WebhooksPage(props: { webhooks: WebhookSubscriptionDto[]; values: WebhookFormValues; error: string | null; nextUrl: string | null }) {
  const v = props.values;
  return (
    <>
      <h1>Webhooks</h1>
      <p class="muted">
        Systems that listen to Recertify (an LMS, an HR system): each event is POSTed to the URL, signed as Standard Webhooks says (<code>webhook-id</code>,{' '}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>) with the subscription’s secret, and retried with backoff until it is accepted; the{' '}
        <code>webhook-id</code> stays the same on every retry. A URL whose deliveries keep failing is disabled, with the reason shown.
      </p>
      {props.webhooks.length === 0 ? (
        <p class="empty">No subscriptions yet.</p>
      ) : (
        <table class="list" id="webhooks">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Status</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {props.webhooks.map((w) => (
              <tr data-webhook-id={w.id}>
                <td>
                  <a href={`/admin/webhooks/${w.id}`} class="mono">
                    {w.url}
                  </a>
                  {w.description && <div class="muted small">{w.description}</div>}
                </td>
                <td class="small">{w.eventTypes.join(', ')}</td>
                <td>
                  <Enabled w={w} />
                </td>
                <td class="nowrap">{when(w.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextUrl && (
        <p>
          <a href={props.nextUrl}>Older subscriptions →</a>
        </p>
      )}
      <section>
        <h2>Subscribe a URL</h2>
        <form method="post" action="/admin/webhooks" id="new-webhook-form">
          <div class="field">
            <label for="webhook-url">URL</label>
            <input type="text" inputmode="url" class="wide" name="url" id="webhook-url" value={v.url} required placeholder="https://hr.example.com/hooks/recertify" />
          </div>
          <div class="field">
            <label for="webhook-description">Description</label>
            <input type="text" class="wide" name="description" id="webhook-description" value={v.description} maxlength={200} />
          </div>
          <fieldset class="field">
            <legend>Events</legend>
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <label class="checkbox">
                <input type="checkbox" name="eventTypes" value={t} checked={v.eventTypes.includes(t)} /> <code>{t}</code>: {WEBHOOK_EVENT_LABELS[t]}
              </label>
            ))}
          </fieldset>
          {props.error && (
            <p class="field-error" id="webhook-error" role="alert">
              {props.error}
            </p>
          )}
          <div class="form-actions">
            <button type="submit">Subscribe</button>
          </div>
        </form>
      </section>
    </>
  );
}

/** One subscription: its settings, enable / disable, deliveries by status, the delivery log (`secret`: shown once, just after the create). */
export function WebhookPage(props: { webhook: WebhookSubscriptionDto; log: WebhookAttemptPageDto; secret: string | null; nextUrl: string | null }) {
  const w = props.webhook;
  const counts = w.deliveries;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/webhooks">Webhooks</a> /
      </p>
      <h1 class="mono" id="webhook-url">
        {w.url}
      </h1>
      {props.secret && (
        <div class="banner warn" id="webhook-secret">
          The signing secret, shown this once: <code>{props.secret}</code>. Keep it where the receiver verifies signatures; it cannot be shown again.
        </div>
      )}
      <dl class="meta">
        <dt>Events</dt>
        <dd>{w.eventTypes.join(', ')}</dd>
        {w.description && (
          <>
            <dt>Description</dt>
            <dd>{w.description}</dd>
          </>
        )}
        <dt>Status</dt>
        <dd id="webhook-status">
          <Enabled w={w} /> {!w.enabled && <span class="muted">since {when(w.disabledAt)}</span>}
        </dd>
        <dt>Failed in a row</dt>
        <dd>{w.consecutiveFailures}</dd>
        {counts && (
          <>
            <dt>Deliveries</dt>
            <dd id="webhook-counts">
              {counts.delivered} delivered, {counts.pending} retrying, {counts.failed} failed, {counts.skipped} skipped
            </dd>
          </>
        )}
      </dl>
      {w.enabled ? (
        <form method="post" action={`/admin/webhooks/${w.id}/disable`} id="disable-webhook-form" class="inline-form">
          <label for="disable-reason">Reason</label> <input type="text" name="reason" id="disable-reason" maxlength={300} placeholder="disabled by an administrator" />{' '}
          <button type="submit">Disable</button>
        </form>
      ) : (
        <form method="post" action={`/admin/webhooks/${w.id}/enable`} id="enable-webhook-form" class="inline-form">
          <button type="submit">Enable again</button> <span class="muted small">Events written while it was disabled are not delivered.</span>
        </form>
      )}
      <h2>Delivery log</h2>
      {props.log.attempts.length === 0 ? (
        <p class="empty">No delivery attempts yet.</p>
      ) : (
        <table class="list" id="webhook-attempts">
          <thead>
            <tr>
              <th>Time</th>
              <th>Event</th>
              <th>Attempt</th>
              <th>Status code</th>
              <th>Error</th>
              <th>Delivery</th>
            </tr>
          </thead>
          <tbody>
            {props.log.attempts.map((a) => (
              <tr data-event-id={a.eventId} data-status-code={a.statusCode ?? ''}>
                <td class="nowrap">{when(a.at)}</td>
                <td>
                  <code>{a.eventType}</code>
                  <div class="muted small mono">{a.eventId}</div>
                </td>
                <td>{a.attempt}</td>
                <td>{a.statusCode ?? '—'}</td>
                <td class="small">{a.error ?? ''}</td>
                <td>{WEBHOOK_DELIVERY_STATUS_LABELS[a.deliveryStatus]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextUrl && (
        <p>
          <a href={props.nextUrl}>Older attempts →</a>
        </p>
      )}
    </>
  );
}
