/** The message log (the dev mailbox): every message the system sent or tried to send. Mounted at `/api`. */
import { createRoute } from '@hono/zod-openapi';
import { deliveryEventsOf } from '../../db/queries/message-delivery-events.ts';
import { listMessages } from '../../db/queries/messages.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { pageOf } from '../paging.ts';
import { MessageListQuery, MessagePageSchema, json, toMessage } from '../schemas.ts';

export const listMessagesRoute = createRoute({
  method: 'get',
  path: '/messages',
  tags: ['Messages'],
  ...requires('read'),
  summary: 'The message log, newest first, by learner and/or award, with each message\'s delivery status and timeline',
  description:
    'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page). Each message carries its ' +
    '`deliveryStatus` and `deliveryEvents` (what Resend reported through POST /webhooks/resend); `status` `suppressed` is a message ' +
    "not sent because the learner's address hard-bounced or complained.",
  request: { query: MessageListQuery },
  responses: {
    200: json(MessagePageSchema, 'The messages.'),
    ...errorResponses(400, 401),
  },
});

/** The messages area's sub-app (routes relative to `/api`). */
export function messagesApp({ sql }: ApiDeps): App {
  const app = createRouter();

  app.openapi(listMessagesRoute, async (c) => {
    const { learnerId, awardId, before, limit } = c.req.valid('query');
    const { rows, nextBefore } = pageOf(await listMessages(sql, { learnerId, awardId, before, limit: limit + 1 }), limit);
    const timelines = await deliveryEventsOf(sql, rows.map((r) => r.id));
    return c.json({ messages: rows.map((r) => toMessage(r, timelines.get(r.id) ?? [])), nextBefore }, 200);
  });

  return app;
}
