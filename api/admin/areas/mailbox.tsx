/**
 * The mailbox: the message log, newest first (filtered by learner or award, paged by `before`), and
 * one message with its rendered body in a sandboxed frame. The filters and `before` go to
 * GET /api/messages as given, so a value the API refuses is a 400 page naming the parameter
 * (index.tsx), never an unfiltered log or a value quietly dropped.
 */
import { Hono } from 'hono';
import { getAward } from '../../../db/queries/awards.ts';
import { learnersByIds } from '../../../db/queries/learners.ts';
import { getMessageById } from '../../../db/queries/messages.ts';
import { deliveryEventsOf } from '../../../db/queries/message-delivery-events.ts';
import { isId } from '../../../domain/ids.ts';
import { toMessage } from '../../schemas.ts';
import type { AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { queryParam } from '../requests.ts';
import { MailboxPage, MessagePage } from '../views/mailbox.tsx';

/** Messages per page of the log. */
const MAILBOX_PAGE = 100;

export const mailbox = new Hono<AdminEnv>();

mailbox.get('/', async (c) => {
  const { api, sql } = c.var.admin;
  const filter = { learnerId: queryParam(c, 'learnerId'), awardId: queryParam(c, 'awardId') };
  const before = queryParam(c, 'before');
  // The API checks every parameter (a 400 is the page's 400); what it accepts is safe to use below.
  const { messages, nextBefore } = await api.listMessages({ ...filter, before, limit: MAILBOX_PAGE });
  const learners = await learnersByIds(sql, [...messages.map((m) => m.learnerId), ...(filter.learnerId ? [filter.learnerId] : [])]);
  let nextUrl: string | null = null;
  if (nextBefore) {
    const q = new URLSearchParams({ before: nextBefore });
    if (filter.learnerId) q.set('learnerId', filter.learnerId);
    if (filter.awardId) q.set('awardId', filter.awardId);
    nextUrl = `/admin/mailbox?${q.toString()}`;
  }
  return c.render(<MailboxPage messages={messages} learners={learners} filter={filter} nextUrl={nextUrl} />, { title: 'Mailbox', section: 'mailbox' });
});

mailbox.get('/:id', async (c) => {
  const { sql } = c.var.admin;
  const id = c.req.param('id');
  const row = isId(id) ? await getMessageById(sql, id) : null;
  if (!row) return renderNotFound(c, 'That message');
  const [learners, award, timelines] = await Promise.all([
    learnersByIds(sql, [row.learnerId]),
    row.awardId ? getAward(sql, row.awardId) : null,
    deliveryEventsOf(sql, [row.id]),
  ]);
  const message = toMessage(row, timelines.get(row.id) ?? []);
  return c.render(<MessagePage message={message} learner={learners.get(row.learnerId)} award={award ? { id: award.id, certificateId: award.certificateId } : null} />, {
    title: message.subject,
    section: 'mailbox',
  });
});
