/**
 * The weekly digest's Temporal Schedule (issue 14 §4), kept by every worker at start: created when
 * missing, updated when its spec no longer matches the configuration (DIGEST_DAY, DIGEST_HOUR,
 * DEFAULT_TIME_ZONE, the task queue), left alone otherwise, deleted when DIGEST_ENABLED=false. Its id
 * is fixed per task queue, so two workers starting at once never make two: one creates it, the other
 * gets ScheduleAlreadyRunning and compares. It shows in the Temporal UI under *Schedules*, with its
 * next runs; each run starts `digestWorkflow` (workflows/digest.ts). Overlap policy SKIP: a run still
 * going when the next is due is not doubled (and the ledger would send nothing twice anyway).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { DigestConfig } from '../config/env.ts';
import type { Logger } from '../config/logger.ts';
import type { DigestDay } from './vocabulary.ts';
import { DIGEST_WORKFLOW, type digestWorkflow } from '../workflows/digest.ts';

/** The schedule's id for `taskQueue`: `weekly-digest-<taskQueue>` (`weekly-digest-recertification` by default). */
export const digestScheduleId = (taskQueue: string): string => `weekly-digest-${taskQueue}`;

type TemporalDay = 'MONDAY' | 'TUESDAY' | 'WEDNESDAY' | 'THURSDAY' | 'FRIDAY' | 'SATURDAY' | 'SUNDAY';
const temporalDay = (day: DigestDay): TemporalDay => day.toUpperCase() as TemporalDay;

/** The spec of `digest`: its day and hour, minute and second 0, in its time zone. */
export function digestScheduleSpec(digest: DigestConfig): ScheduleSpec {
  return {
    calendars: [{ dayOfWeek: temporalDay(digest.day), hour: digest.hour, minute: 0, second: 0, comment: 'Recertify weekly digest (DIGEST_DAY, DIGEST_HOUR)' }],
    timezone: digest.timeZone,
  };
}

function digestAction(taskQueue: string): ScheduleOptionsStartWorkflowAction<typeof digestWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: DIGEST_WORKFLOW,
    workflowId: `weekly-digest-${taskQueue}`,
    taskQueue,
    args: [{}],
    staticSummary: 'Weekly recertification digest for admins and managers',
  };
}

const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;

/** The day, hour and zone a described schedule runs at, and its task queue: what `ensureDigestSchedule` compares. */
export function describedTiming(d: ScheduleDescription): { day: string | null; hour: number | null; timeZone: string; taskQueue: string | null } {
  const cal = d.spec.calendars?.[0];
  return {
    day: cal?.dayOfWeek?.[0]?.start?.toString().toLowerCase() ?? null,
    hour: cal?.hour?.[0]?.start ?? null,
    timeZone: d.spec.timezone ?? 'UTC',
    taskQueue: d.action.type === 'startWorkflow' ? (d.action.taskQueue ?? null) : null,
  };
}

/** What `ensureDigestSchedule` did. */
export type DigestScheduleOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

/**
 * Makes the digest's schedule on `client`'s namespace match `digest` (see the module). Idempotent and
 * safe to run from every worker at once. Throws what Temporal throws otherwise (unreachable, denied).
 */
export async function ensureDigestSchedule(client: Client, args: { taskQueue: string; digest: DigestConfig }): Promise<DigestScheduleOutcome> {
  const scheduleId = digestScheduleId(args.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (!args.digest.enabled) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'absent';
      throw err;
    }
  }
  const spec = digestScheduleSpec(args.digest);
  const action = digestAction(args.taskQueue);
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: POLICIES });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const now = describedTiming(await handle.describe());
  const same = now.day === args.digest.day && now.hour === args.digest.hour && now.timeZone === args.digest.timeZone && now.taskQueue === args.taskQueue;
  if (same) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...POLICIES } }));
  return 'updated';
}

/**
 * Runs `ensureDigestSchedule` now and, while Temporal does not answer, again every `retryMs` (default
 * 30 s) until it succeeds or `stop()` is called: a worker starts, and polls, even when the schedule
 * cannot be made yet. `firstAttempt` resolves when the first try is over (made or not); `done` with the
 * outcome (null when stopped first).
 */
export function keepDigestSchedule(
  client: Client,
  args: { taskQueue: string; digest: DigestConfig; log: Logger; retryMs?: number },
): { firstAttempt: Promise<void>; done: Promise<DigestScheduleOutcome | null>; stop(): Promise<void> } {
  let stopped = false;
  let wake: () => void = () => {};
  let firstOver: () => void = () => {};
  const firstAttempt = new Promise<void>((resolve) => (firstOver = resolve));
  const done = (async (): Promise<DigestScheduleOutcome | null> => {
    while (!stopped) {
      try {
        const outcome = await ensureDigestSchedule(client, args);
        args.log.info({ scheduleId: digestScheduleId(args.taskQueue), outcome, day: args.digest.day, hour: args.digest.hour, timeZone: args.digest.timeZone }, 'digest schedule');
        return outcome;
      } catch (err) {
        args.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not keep the digest schedule; will try again');
        firstOver();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, args.retryMs ?? 30_000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return null;
  })().finally(firstOver);
  return {
    firstAttempt,
    done,
    async stop() {
      stopped = true;
      wake();
      await done;
    },
  };
}
