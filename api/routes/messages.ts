/** The message log (the dev mailbox): every message the system sent or tried to send. Mounted at `/api`. */
import { createRoute } from '@hono/zod-openapi';
import { listMessages } from '../../db/queries/messages.ts';
import { bearer, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { pageOf } from '../paging.ts';
import { MessageListQuery, MessagePageSchema, json, toMessage } from '../schemas.ts';

export const listMessagesRoute = createRoute({
  method: 'get',
  path: '/messages',
  tags: ['Messages'],
  security: bearer,
  summary: 'The message log, newest first, by learner and/or award',
  description: 'Paged newest first: pass `nextBefore` as `before` for the next page (null on the last page).',
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
    return c.json({ messages: rows.map(toMessage), nextBefore }, 200);
  });

  return app;
}
