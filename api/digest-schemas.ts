/**
 * The JSON shape of the weekly digest's view (`GET /api/digest`, issue 14 §4), kept beside
 * api/schemas.ts (whose building blocks it uses): its timing, its Temporal Schedule as Temporal
 * describes it now, its recipients and its latest sends.
 */
import { z } from '@hono/zod-openapi';
import { DIGEST_AUDIENCES, DIGEST_DAYS, DIGEST_SEND_STATUSES } from '../domain/vocabulary.ts';
import { Instant } from './schemas.ts';

/** Where the digest's Temporal Schedule is: `scheduled` (it exists), `missing`, `disabled` (DIGEST_ENABLED=false), `unreachable` (Temporal did not answer). */
export const DIGEST_SCHEDULE_STATES = ['scheduled', 'missing', 'disabled', 'unreachable'] as const;

export const DigestViewSchema = z
  .object({
    enabled: z.boolean().openapi({ description: 'DIGEST_ENABLED.' }),
    day: z.enum(DIGEST_DAYS).openapi({ description: 'DIGEST_DAY: the day of the week it goes out.' }),
    hour: z.number().int().openapi({ description: 'DIGEST_HOUR: the hour (0–23) it goes out.', example: 8 }),
    timeZone: z.string().openapi({ description: 'The organisation\'s time zone (DEFAULT_TIME_ZONE) the day and hour are read in.', example: 'Europe/London' }),
    schedule: z
      .object({
        id: z.string().openapi({ example: 'weekly-digest-recertification' }),
        state: z.enum(DIGEST_SCHEDULE_STATES),
        nextRunAt: Instant.nullable().openapi({ description: 'The next run, as the Temporal Schedule says; null when it has none.' }),
        runsAt: z
          .object({ day: z.string().nullable(), hour: z.number().int().nullable(), timeZone: z.string() })
          .nullable()
          .openapi({ description: 'The day, hour and zone the Schedule has now (a worker that starts updates it to the configuration).' }),
        temporalUiUrl: z.string().openapi({ description: 'The Schedule\'s page in the Temporal Web UI.' }),
        detail: z.string().nullable().openapi({ description: 'Why the state is `unreachable`.' }),
      })
      .openapi({ description: 'The Temporal Schedule that starts the digest each week, as Temporal describes it now.' }),
    adminRecipients: z.array(z.string()).openapi({ description: 'DIGEST_ADMIN_EMAILS: they get the whole academy\'s digest.' }),
    managerRecipients: z.array(z.string()).openapi({ description: 'The managers of active learners (lower-cased, at most 200): each gets their learners\' digest.' }),
    managerCount: z.number().int(),
    recentSends: z
      .array(
        z.object({
          period: z.string().openapi({ example: '2027-03-01' }),
          recipient: z.string(),
          audience: z.enum(DIGEST_AUDIENCES),
          status: z.enum(DIGEST_SEND_STATUSES),
          entryCount: z.number().int(),
          createdAt: Instant,
          completedAt: Instant.nullable(),
          error: z.string().nullable(),
        }),
      )
      .openapi({ description: 'The latest digests sent (newest first, at most 20): one per period and recipient.' }),
  })
  .openapi('DigestView');
export type DigestView = z.infer<typeof DigestViewSchema>;
