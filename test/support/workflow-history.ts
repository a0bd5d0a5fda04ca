/**
 * What a test reads back from Temporal about an award's workflow: its status query, the attempts its
 * history records for an activity, and its timers.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { statusQuery, workflowIdForAward, type RecertificationStatus } from '../../workflows/contract.ts';
import { mapLimit } from './due-burst.ts';

/**
 * True when the award's workflow has completed its first workflow task and has none pending: asleep,
 * as far as Temporal says. Read by `describe`, which neither queries nor replays the workflow (a query
 * to one the worker's cache evicted is a replay); visibility cannot say it, since the start already sets
 * the phase and due-time search attributes.
 */
export async function firstTaskDone(client: Client, awardId: string): Promise<boolean> {
  const d = await client.workflow.getHandle(workflowIdForAward(awardId)).describe();
  return !d.raw.pendingWorkflowTask && d.historyLength > 2;
}

/** The status query of each award's workflow, at most `concurrency` at once. */
export async function queryStatuses(client: Client, awardIds: string[], concurrency = 16): Promise<RecertificationStatus[]> {
  return await mapLimit(awardIds, concurrency, async (id) => {
    const handle: WorkflowHandle = client.workflow.getHandle(workflowIdForAward(id));
    return await handle.query(statusQuery);
  });
}

/** The marker core records for a local activity's result: `details.data` holds this, as JSON. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
interface LocalActivityMarkerData {
  attempt?: number;
  activity_type?: string;
}

/**
 * The largest `attempt` with which the workflow's history records an activity (of `activityType`,
 * or any) running: > 1 means it was retried. Counts regular activities (the attempt of their
 * ActivityTaskStarted event) and local ones that completed (the attempt in the data of their
 * MarkerRecorded event; a marker with a failure records a backoff or a final failure instead).
 */
export async function maxActivityAttempt(client: Client, awardId: string, activityType?: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowIdForAward(awardId)).fetchHistory();
  const types = new Map<string, string>();
  let max = 0;
  for (const e of history.events ?? []) {
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched && e.eventId) types.set(String(e.eventId), sched.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = types.get(String(started.scheduledEventId)) ?? '';
      if (!activityType || type === activityType) max = Math.max(max, started.attempt ?? 1);
    }
    const marker = e.markerRecordedEventAttributes;
    const raw = marker?.markerName === LOCAL_ACTIVITY_MARKER && !marker.failure ? marker.details?.data?.payloads?.[0]?.data : undefined;
    if (raw) {
      const data = JSON.parse(Buffer.from(raw).toString('utf8')) as LocalActivityMarkerData;
      if (!activityType || data.activity_type === activityType) max = Math.max(max, data.attempt ?? 1);
    }
  }
  return max;
}

/**
 * How many local-activity attempts of `activityType` the workflow's history records as failed (a
 * MarkerRecorded event of a local activity that carries a failure): e.g. a due-step send handed over
 * to the email task queue (SEND_IN_DUE_STEP).
 */
export async function failedLocalAttempts(client: Client, awardId: string, activityType: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowIdForAward(awardId)).fetchHistory();
  let n = 0;
  for (const e of history.events ?? []) {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== LOCAL_ACTIVITY_MARKER || !marker.failure) continue;
    const raw = marker.details?.data?.payloads?.[0]?.data;
    const data = raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as LocalActivityMarkerData) : {};
    if (data.activity_type === activityType) n++;
  }
  return n;
}

export interface TimerRecord {
  timerId: string;
  /** Epoch ms of the TimerStarted event (the server's clock, this machine's). */
  startedAt: number;
  durationMs: number;
  /** Epoch ms of its TimerFired event, null if it never fired (cancelled, or still running). */
  firedAt: number | null;
}

/** The timers of the award's workflow, from its history, in the order they were started. */
export async function workflowTimers(client: Client, awardId: string): Promise<TimerRecord[]> {
  const history = await client.workflow.getHandle(workflowIdForAward(awardId)).fetchHistory();
  const timers = new Map<string, TimerRecord>();
  for (const e of history.events ?? []) {
    const started = e.timerStartedEventAttributes;
    if (started?.timerId) {
      timers.set(started.timerId, { timerId: started.timerId, startedAt: tsToMs(e.eventTime), durationMs: tsToMs(started.startToFireTimeout), firedAt: null });
    }
    const fired = e.timerFiredEventAttributes;
    const timer = fired?.timerId ? timers.get(fired.timerId) : undefined;
    if (timer) timer.firedAt = tsToMs(e.eventTime);
  }
  return [...timers.values()];
}

