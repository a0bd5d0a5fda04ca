/** The message log (the dev mailbox): every message the system sent or tried to send. */
import { createRoute, z } from '@hono/zod-openapi';
import { listMessages } from '../../db/queries/messages.ts';
import { bearer, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { MessageListQuery, MessageSchema, json, toMessage } from '../schemas.ts';

export function registerMessageRoutes(app: App, { sql }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/messages',
      tags: ['Messages'],
      security: bearer,
      summary: 'The message log, newest first, by learner and/or award',
      request: { query: MessageListQuery },
      responses: {
        200: json(
          z.object({ messages: z.array(MessageSchema), nextBefore: z.string().nullable().openapi({ description: 'Pass as `before` for the next page.' }) }),
          'The messages.',
        ),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { learnerId, awardId, before, limit } = c.req.valid('query');
      const rows = await listMessages(sql, { learnerId, awardId, before, limit });
      const last = rows[rows.length - 1];
      return c.json({ messages: rows.map(toMessage), nextBefore: rows.length === limit && last ? last.createdAt.toISOString() : null }, 200);
    },
  );
}
