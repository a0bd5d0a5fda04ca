/**
 * The engine floor's minimal workflows (issue 11), bundled by bench/floor/worker.ts for a worker of
 * their own. Deterministic: no I/O, activities by type only.
 *  - `floorBurstWorkflow`: sleeps until `dueAtMs` (ms since the epoch), then runs one activity on the
 *    second task queue (`<task queue>-activity`) that writes one row: what a due award costs Temporal
 *    alone (one timer, one activity on another queue, two workflow tasks).
 *  - `floorFanOutWorkflow`: sleeps until signalled; the handler only sets a flag, on which the
 *    workflow upserts one search attribute (`RecertificationPhase = 'floor-woken'`, so "handled" is
 *    visible to the same kind of visibility count as the propagation's acknowledgement) and sleeps
 *    on, as a signalled recertification workflow does.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { condition, defineSignal, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { FloorActivities } from './activities.ts';

/** The fan-out floor's signal: carries nothing. */
export const floorWake = defineSignal('floorWake');

/** Sleeps until `dueAtMs`, then writes its row through one activity on `<task queue>-activity`. */
export async function floorBurstWorkflow(input: { dueAtMs: number }): Promise<void> {
  const { writeRow } = proxyActivities<FloorActivities>({
    taskQueue: `${workflowInfo().taskQueue}-activity`,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const ms = input.dueAtMs - Date.now();
  if (ms > 0) await sleep(ms);
  await writeRow({ id: workflowInfo().workflowId });
}

/** A keyword the test stacks register (workflows/search-attributes.ts); the floor only borrows it. */
const Phase = defineSearchAttributeKey('RecertificationPhase', SearchAttributeType.KEYWORD);
/** The value a woken fan-out workflow upserts. */
export const FLOOR_WOKEN = 'floor-woken';

/** Sleeps until `floorWake` sets its flag, then marks itself woken and sleeps on. */
export async function floorFanOutWorkflow(): Promise<void> {
  let woken = false;
  setHandler(floorWake, () => {
    woken = true;
  });
  await condition(() => woken);
  upsertSearchAttributes([{ key: Phase, value: FLOOR_WOKEN }]);
  await condition(() => false);
}
