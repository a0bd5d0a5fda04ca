/**
 * The weekly digest (issue 14 §4): `/admin/digest`, a read-only view of GET /api/digest (timing,
 * the Temporal Schedule's next run, recipients, latest sends).
 */
import { Hono } from 'hono';
import type { DigestView } from '../../digest-schemas.ts';
import { AdminApiError } from '../api-client.ts';
import type { AdminEnv } from '../context.ts';
import { DigestPage } from '../views/digest.tsx';

export const digest = new Hono<AdminEnv>();

digest.get('/digest', async (c) => {
  const answer = await c.var.admin.api.get<DigestView>('/api/digest');
  if (!answer.ok) throw new AdminApiError(answer.status, answer.error);
  return c.render(<DigestPage digest={answer.body} />, { title: 'Weekly digest', section: 'digest' });
});
