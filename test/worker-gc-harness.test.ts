/**
 * The memory benchmark's garbage collection (test/support/worker-process.ts,
 * `RECERTIFY_WORKER_GC_ON_SIGUSR2`): SIGUSR2 collects in the worker's main thread and in the SDK's
 * workflow threads and reports the heap in use, and the worker keeps running (the SDK's runtime would
 * otherwise shut the process down on SIGUSR2, its default shutdown signal — the reason the first
 * attempt at this measurement lost its worker after one reading).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { sleep } from './support/stack/process.ts';
import type { WorkerProcess } from './support/stack/worker.ts';
import { RECERTIFICATION_WORKFLOW } from '../workflows/contract.ts';
import { DAY_MS } from '../domain/dates.ts';

const TASK_QUEUE = 'worker-gc-harness';

/** Sends SIGUSR2 and reads the n-th answer: threads collected and heap bytes in use. */
async function collect(w: WorkerProcess, n: number): Promise<{ threads: number; heapUsed: number }> {
  process.kill(w.pid, 'SIGUSR2');
  const prefix = `RECERTIFY_WORKER_GC_DONE ${n} `;
  let answer: { threads: number; heapUsed: number } | null = null;
  await eventually(`garbage collection ${n} reported`, async () => {
    const m = w.output().split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length).match(/^(\d+) (\d+)$/);
    if (m) answer = { threads: Number(m[1]), heapUsed: Number(m[2]) };
    return answer !== null || !w.alive();
  }, 60_000, 100);
  assert.ok(answer, `the worker answered garbage collection ${n} (alive: ${w.alive()}):\n${w.output().slice(-3000)}`);
  return answer;
}

test('SIGUSR2 collects garbage in every thread of the benchmark worker, which keeps running', { timeout: 240_000 }, async () => {
  const stack = await startServices({ taskQueue: TASK_QUEUE });
  try {
    const w = await stack.spawnWorker({ env: { RECERTIFY_WORKER_GC_ON_SIGUSR2: '1' } });
    // Sleeping workflows, so the workflow thread exists and holds something.
    const expiresAt = new Date(Date.now() + 200 * DAY_MS);
    const burst = await seedDueBurst(stack.sql, { count: 20, dueAt: new Date(expiresAt.getTime() - 30 * DAY_MS), leadDays: 30 });
    await startAwardWorkflows(stack.client, TASK_QUEUE, burst.awards, { leadDays: 30 });
    const asleep = `WorkflowType = '${RECERTIFICATION_WORKFLOW}' AND TaskQueue = '${TASK_QUEUE}' AND RecertificationPhase = 'scheduled'`;
    await eventually('the workflows asleep', async () => (await stack.client.workflow.count(asleep)).count === 20, 120_000, 250);

    const first = await collect(w, 1);
    assert.ok(first.threads >= 2, `the main thread and at least one workflow thread collected (${first.threads})`);
    assert.ok(first.heapUsed > 10 * 2 ** 20, `the heap in use is reported in bytes (${first.heapUsed})`);
    const second = await collect(w, 2);
    assert.equal(second.threads, first.threads, 'the same threads answer again');
    await sleep(1000);
    assert.ok(w.alive(), `the worker is still running after two collections:\n${w.output().slice(-3000)}`);

    // And still works: one more workflow goes to sleep.
    const more = await seedDueBurst(stack.sql, { count: 1, dueAt: new Date(expiresAt.getTime() - 30 * DAY_MS), leadDays: 30 });
    await startAwardWorkflows(stack.client, TASK_QUEUE, more.awards, { leadDays: 30 });
    await eventually('the next workflow asleep', async () => (await stack.client.workflow.count(asleep)).count === 21, 120_000, 250);
  } finally {
    await stack.stop();
  }
});
