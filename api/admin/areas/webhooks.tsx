/**
 * Webhooks: the subscriptions, a form to subscribe a URL, and each subscription's page (enable /
 * disable with a reason, the delivery log). Reads and writes go through the JSON API in-process
 * (`/api/webhooks`): its URL and event type rules are the ones that hold, and its refusal is shown
 * on the form, nothing written. The secret of a new subscription is shown once, on the page the
 * create answers with.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isId } from '../../../domain/ids.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../domain/vocabulary.ts';
import type { WebhookAttemptPageDto, WebhookListDto, WebhookSubscriptionCreatedDto, WebhookSubscriptionDto } from '../../webhook-schemas.ts';
import { AdminApiError } from '../api-client.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { formText, queryParam, readForm, refuseRepeated } from '../requests.ts';
import { NEW_WEBHOOK_VALUES, WebhookPage, WebhooksPage, type WebhookFormValues } from '../views/webhooks.tsx';
import type { Banner } from '../views/layout.tsx';

const isEventType = (v: string): v is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(v);

/** The API's refusal in a sentence: its message, and the first validation issue when it names one. */
function refusalText(error: { message: string; details: unknown }): string {
  const issues = (error.details as { issues?: { path?: string; message?: string }[] } | null)?.issues;
  const first = Array.isArray(issues) ? issues[0] : undefined;
  return first?.message ? `${error.message} ${first.path ? `${first.path}: ` : ''}${first.message}` : error.message;
}

async function listPage(c: AdminContext, r: { values?: WebhookFormValues; error?: string | null; status?: ContentfulStatusCode; fromPost?: boolean } = {}): Promise<Response> {
  const before = queryParam(c, 'before');
  const q = new URLSearchParams({ limit: '100', ...(before ? { before } : {}) });
  const answer = await c.var.admin.api.get<WebhookListDto>(`/api/webhooks?${q.toString()}`);
  // A `before` the API refuses is the page's 400 naming it (index.tsx), as on the mailbox.
  if (!answer.ok) throw new AdminApiError(answer.status, answer.error);
  c.status(r.status ?? 200);
  const nextUrl = answer.body.nextBefore ? `/admin/webhooks?before=${encodeURIComponent(answer.body.nextBefore)}` : null;
  return await c.render(<WebhooksPage webhooks={answer.body.webhooks} values={r.values ?? NEW_WEBHOOK_VALUES} error={r.error ?? null} nextUrl={nextUrl} />, {
    title: 'Webhooks',
    section: 'webhooks',
    banner: r.error ? { kind: 'error', text: 'Nothing was saved: correct the form below.' } : null,
    replaceUrl: r.fromPost ? '/admin/webhooks' : undefined,
  });
}

async function subscriptionPage(
  c: AdminContext,
  id: string,
  r: { secret?: string; banner?: Banner; status?: ContentfulStatusCode; fromPost?: boolean } = {},
): Promise<Response> {
  const { api } = c.var.admin;
  const found = await api.get<WebhookSubscriptionDto>(`/api/webhooks/${encodeURIComponent(id)}`);
  if (!found.ok) return renderNotFound(c, 'That webhook subscription');
  const before = r.fromPost ? undefined : queryParam(c, 'before');
  const q = new URLSearchParams({ limit: '100', ...(before ? { before } : {}) });
  const log = await api.get<WebhookAttemptPageDto>(`/api/webhooks/${encodeURIComponent(id)}/deliveries?${q.toString()}`);
  if (!log.ok) throw new AdminApiError(log.status, log.error);
  const nextUrl = log.body.nextBefore ? `/admin/webhooks/${id}?before=${encodeURIComponent(log.body.nextBefore)}` : null;
  c.status(r.status ?? 200);
  return await c.render(<WebhookPage webhook={found.body} log={log.body} secret={r.secret ?? null} nextUrl={nextUrl} />, {
    title: `${found.body.url} · Webhook`,
    section: 'webhooks',
    banner: r.banner ?? null,
    replaceUrl: r.fromPost ? `/admin/webhooks/${id}` : undefined,
  });
}

export const webhooks = new Hono<AdminEnv>();

webhooks.get('/', (c) => listPage(c));

webhooks.post('/', async (c) => {
  const form = await readForm(c); // not a form: 415; a broken one: 400; nothing created
  refuseRepeated(form, ['url', 'description']);
  const raw = form.eventTypes;
  const types = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => (typeof v === 'string' ? v : ''));
  const values: WebhookFormValues = { url: formText(form, 'url'), description: formText(form, 'description'), eventTypes: types.filter(isEventType) };
  const description = values.description.trim();
  // Unknown event types are passed on as sent: the API refuses them (400), as it does an empty list.
  const answer = await c.var.admin.api.post<WebhookSubscriptionCreatedDto>('/api/webhooks', { url: values.url, eventTypes: types, description: description === '' ? null : description });
  if (!answer.ok) {
    return listPage(c, { values, error: refusalText(answer.error), status: ([400, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode, fromPost: true });
  }
  return subscriptionPage(c, answer.body.id, {
    ...(answer.body.secret ? { secret: answer.body.secret } : {}),
    fromPost: true,
    banner: { kind: 'ok', text: <strong>Subscribed {answer.body.url}.</strong> },
  });
});

webhooks.get('/:id', async (c) => {
  const id = c.req.param('id');
  return isId(id) ? subscriptionPage(c, id) : renderNotFound(c, 'That webhook subscription');
});

webhooks.post('/:id/disable', async (c) => {
  const id = c.req.param('id');
  if (!isId(id)) return renderNotFound(c, 'That webhook subscription');
  const form = await readForm(c);
  refuseRepeated(form, ['reason']);
  const reason = formText(form, 'reason').trim();
  const answer = await c.var.admin.api.patch<WebhookSubscriptionDto>(`/api/webhooks/${encodeURIComponent(id)}`, { enabled: false, ...(reason ? { disabledReason: reason } : {}) });
  if (!answer.ok) {
    if (answer.status === 404) return renderNotFound(c, 'That webhook subscription');
    return subscriptionPage(c, id, { fromPost: true, status: 400, banner: { kind: 'error', text: `Nothing was saved: ${refusalText(answer.error)}` } });
  }
  return subscriptionPage(c, id, { fromPost: true, banner: { kind: 'ok', text: <strong>Disabled.</strong> } });
});

webhooks.post('/:id/enable', async (c) => {
  const id = c.req.param('id');
  if (!isId(id)) return renderNotFound(c, 'That webhook subscription');
  await readForm(c);
  const answer = await c.var.admin.api.patch<WebhookSubscriptionDto>(`/api/webhooks/${encodeURIComponent(id)}`, { enabled: true });
  if (!answer.ok) {
    if (answer.status === 404) return renderNotFound(c, 'That webhook subscription');
    throw new Error(`PATCH /api/webhooks/${id} answered ${answer.status}`);
  }
  return subscriptionPage(c, id, { fromPost: true, banner: { kind: 'ok', text: <strong>Enabled again.</strong> } });
});
