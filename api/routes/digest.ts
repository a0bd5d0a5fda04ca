/**
 * The weekly digest's view (issue 14 §4, `read` scope): when it goes out, its Temporal Schedule as
 * Temporal describes it now (next run), its recipients and its latest sends. Read-only: the timing
 * is configuration (DIGEST_*), and the worker keeps the Schedule (domain/digest-schedule.ts, called at worker start).
 * Mounted at `/api`.
 */
import { createRoute } from '@hono/zod-openapi';
import { ScheduleNotFoundError } from '@temporalio/client';
import * as digestQ from '../../db/queries/digest-sends.ts';
import { managerDigestRecipients } from '../../domain/digest.ts';
import { describedTiming, digestScheduleId } from '../../domain/digest-schedule.ts';
import { DigestViewSchema, type DigestView } from '../digest-schemas.ts';
import { requires, createRouter, type ApiDeps, type App } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { json } from '../schemas.ts';
import { iso, isoOrNull } from '../util.ts';

const MAX_MANAGERS = 200;

export const getDigestRoute = createRoute({
  method: 'get',
  path: '/digest',
  tags: ['Digest'],
  ...requires('read'),
  summary: 'The weekly digest for admins and managers: its timing, Temporal Schedule (next run), recipients and latest sends',
  description:
    'Each DIGEST_DAY at DIGEST_HOUR in the organisation\'s time zone a Temporal Schedule starts the digest: each manager (a learner\'s ' +
    '`managerEmail`) gets their learners who are enrolled in recertification and not finished, lapsing in the next 30 days, in grace, or ' +
    'expired in the last week; each DIGEST_ADMIN_EMAILS address gets the whole academy. Once per period and recipient; an empty digest is not sent. ' +
    '`schedule.state` is `unreachable` (with `detail`) when Temporal does not answer; the rest is still answered.',
  responses: {
    200: json(DigestViewSchema, 'The digest.'),
    ...errorResponses(401),
  },
});

/** The digest area's sub-app (routes relative to `/api`). */
export function digestApp(deps: ApiDeps): App {
  const { sql, client, config } = deps;
  const app = createRouter();
  app.openapi(getDigestRoute, async (c) => {
    const id = digestScheduleId(config.temporal.taskQueue);
    const schedule: DigestView['schedule'] = {
      id,
      state: 'missing',
      nextRunAt: null,
      runsAt: null,
      temporalUiUrl: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/schedules/${encodeURIComponent(id)}`,
      detail: null,
    };
    try {
      const d = await client.schedule.getHandle(id).describe();
      const t = describedTiming(d);
      schedule.state = 'scheduled';
      schedule.nextRunAt = isoOrNull(d.info.nextActionTimes[0] ?? null);
      schedule.runsAt = { day: t.day, hour: t.hour, timeZone: t.timeZone };
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) {
        schedule.state = 'unreachable';
        schedule.detail = err instanceof Error ? err.message : String(err);
      } else if (!config.digest.enabled) schedule.state = 'disabled';
    }
    const [allManagers, sends] = await Promise.all([digestQ.managerAddresses(sql), digestQ.recentDigestSends(sql, 20)]);
    // An address that is also an admin's gets the admin's digest, not a manager's (domain/digest.ts).
    const managers = managerDigestRecipients(allManagers, config.digest.adminEmails);
    const body: DigestView = {
      enabled: config.digest.enabled,
      day: config.digest.day,
      hour: config.digest.hour,
      timeZone: config.digest.timeZone,
      schedule,
      adminRecipients: config.digest.adminEmails,
      managerRecipients: managers.slice(0, MAX_MANAGERS),
      managerCount: managers.length,
      recentSends: sends.map((s) => ({
        period: s.period,
        recipient: s.recipient,
        audience: s.audience,
        status: s.status,
        entryCount: s.entryCount,
        createdAt: iso(s.createdAt),
        completedAt: isoOrNull(s.completedAt),
        error: s.error,
      })),
    };
    return c.json(body, 200);
  });
  return app;
}
