/**
 * WORKFLOW_TASK_SLOTS and WORKFLOW_CACHE_SIZE (config/env.ts, worker/workers.ts): how many workflow
 * tasks the worker runs at once, and how many sleeping workflows it keeps in memory (unset: sized
 * from the worker's heap limit and memory by `defaultWorkflowCacheSize`). Bad values are refused at start with
 * the variable named; good ones reach the Temporal SDK's worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { CACHED_WORKFLOW_KIB, ConfigError, DEFAULT_WORKFLOW_TASK_SLOTS, defaultWorkflowCacheSize, loadConfig, processMemory, usableMemoryMiB } from '../config/env.ts';
import { eventually, seedDueBurst, startAwardWorkflows } from './support/due-burst.ts';
import { startServices } from './support/stack.ts';
import { firstTaskDone, queryStatuses } from './support/workflow-history.ts';
import { DAY_MS } from '../domain/dates.ts';

const BASE_ENV = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', ADMIN_API_TOKEN: 'x'.repeat(32) };
const TASK_QUEUE = 'worker-tuning';

const refused = (env: Record<string, string>, pattern: RegExp): void => {
  assert.throws(() => loadConfig({ ...BASE_ENV, ...env }), (err: unknown) => err instanceof ConfigError && pattern.test(err.message), JSON.stringify(env));
};

test('WORKFLOW_TASK_SLOTS and WORKFLOW_CACHE_SIZE: defaults, accepted values, and refusals naming the variable', () => {
  const defaults = loadConfig(BASE_ENV);
  assert.equal(defaults.workflowTaskSlots, DEFAULT_WORKFLOW_TASK_SLOTS);
  assert.equal(DEFAULT_WORKFLOW_TASK_SLOTS, 40, "the Temporal SDK's own");
  assert.equal(defaults.workflowCacheSize, null, 'unset: defaultWorkflowCacheSize of the worker\'s heap limit and memory');
  const set = loadConfig({ ...BASE_ENV, WORKFLOW_TASK_SLOTS: '200', WORKFLOW_CACHE_SIZE: '12000' });
  assert.equal(set.workflowTaskSlots, 200);
  assert.equal(set.workflowCacheSize, 12000);
  for (const bad of ['0', '1', '1001', '2.5', 'many']) refused({ WORKFLOW_TASK_SLOTS: bad }, /WORKFLOW_TASK_SLOTS: /);
  for (const bad of ['1', '-5', '2.5', 'lots']) refused({ WORKFLOW_CACHE_SIZE: bad }, /WORKFLOW_CACHE_SIZE: /);
  // More slots than cached workflows: tasks would wait for room in the cache (the SDK does not check it).
  refused({ WORKFLOW_TASK_SLOTS: '100', WORKFLOW_CACHE_SIZE: '50' }, /WORKFLOW_TASK_SLOTS: must not exceed WORKFLOW_CACHE_SIZE \(100 > 50\)/);
  assert.equal(loadConfig({ ...BASE_ENV, WORKFLOW_TASK_SLOTS: '50', WORKFLOW_CACHE_SIZE: '50' }).workflowTaskSlots, 50);
});

test('the default cache size: the lesser of the SDK\'s heap budget and a quarter of memory, at CACHED_WORKFLOW_KIB per workflow; never below the SDK\'s rule or the slots', () => {
  assert.equal(CACHED_WORKFLOW_KIB, 256);
  const GiB = 1024;
  // This machine: a 4,144 MiB heap limit and 24 GiB. The heap budget (3,944 MiB) binds: 15,776, where the SDK's rule gives 2,310.
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 4144, memoryMiB: 24 * GiB }, 40), 15_776);
  // The same heap limit with 8 GiB of memory: a quarter of it (2 GiB) binds: 8,192.
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 4144, memoryMiB: 8 * GiB }, 40), 8192);
  // A 2 GiB container (node gives it a heap limit of about 1 GiB, half): a quarter of 2 GiB binds, 2,048.
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 1072, memoryMiB: 2 * GiB }, 40), 2048);
  // Never below the SDK's own rule: a large heap limit set in a small container keeps the SDK's 2,310.
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 4144, memoryMiB: 512 }, 40), 2310);
  // No budget at all: the SDK's floor of 10, raised to the slots so every running task's workflow fits.
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 150, memoryMiB: 24 * GiB }, 40), 40);
  assert.equal(defaultWorkflowCacheSize({ heapLimitMiB: 150, memoryMiB: 24 * GiB }, 2), 10);
  // It grows with the heap limit while memory allows, and with memory while the heap limit allows.
  for (const mib of [512, 1024, 2048]) {
    assert.ok(defaultWorkflowCacheSize({ heapLimitMiB: mib * 2, memoryMiB: 64 * GiB }, 2) > defaultWorkflowCacheSize({ heapLimitMiB: mib, memoryMiB: 64 * GiB }, 2), `heap ${mib} MiB doubled`);
    assert.ok(defaultWorkflowCacheSize({ heapLimitMiB: GiB, memoryMiB: mib * 2 }, 2) > defaultWorkflowCacheSize({ heapLimitMiB: GiB, memoryMiB: mib }, 2), `memory ${mib} MiB doubled`);
  }
  // The memory a process may use: a container's limit binds; none known (0, undefined) or a cgroup's
  // "no limit" (2^64, 2^63) does not.
  const machine = 24 * GiB * 2 ** 20;
  for (const none of [0, undefined, 2 ** 64, 2 ** 63]) assert.equal(usableMemoryMiB(machine, none), 24 * GiB, String(none));
  assert.equal(usableMemoryMiB(machine, 2 * GiB * 2 ** 20), 2 * GiB);
  assert.equal(usableMemoryMiB(2 * GiB * 2 ** 20, 8 * GiB * 2 ** 20), 2 * GiB);
  // This process's figures are read from V8 and the OS, never more than the machine has.
  const own = processMemory();
  assert.ok(own.heapLimitMiB > 100 && Number.isFinite(own.memoryMiB) && own.memoryMiB <= totalmem() / 2 ** 20 && own.memoryMiB > own.heapLimitMiB / 4, JSON.stringify(own));
});

test('the worker process runs with the configured workflow-task slots and cache size', { timeout: 240_000 }, async () => {
  const stack = await startServices({ taskQueue: TASK_QUEUE });
  try {
    const w = await stack.spawnWorker({ env: { WORKFLOW_TASK_SLOTS: '17', WORKFLOW_CACHE_SIZE: '50' } });
    const ready = w.output().split('\n').find((l) => l.startsWith('RECERTIFY_WORKER_READY'));
    assert.match(ready ?? '', / maxCachedWorkflows=50 workflowTaskSlots=17$/, `the SDK worker's options:\n${w.output().slice(-2000)}`);
    // Unset, the cache follows the worker's heap limit (here set to 1 GiB of old space) and memory.
    const defaults = await stack.spawnWorker({ env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=1024`.trim() } });
    const heapLimit = spawnSync(process.execPath, ['--max-old-space-size=1024', '-p', 'v8.getHeapStatistics().heap_size_limit'], { encoding: 'utf8' });
    const expectedCache = defaultWorkflowCacheSize({ heapLimitMiB: Number(heapLimit.stdout) / 2 ** 20, memoryMiB: processMemory().memoryMiB }, DEFAULT_WORKFLOW_TASK_SLOTS);
    assert.ok(expectedCache > 2310 && expectedCache < 15_776, `1 GiB of old space: ${expectedCache}`);
    const defaultReady = defaults.output().split('\n').find((l) => l.startsWith('RECERTIFY_WORKER_READY'));
    assert.match(defaultReady ?? '', new RegExp(` maxCachedWorkflows=${expectedCache} workflowTaskSlots=${DEFAULT_WORKFLOW_TASK_SLOTS}$`));
    await defaults.stop(5000);
    // And it works: more workflows than it caches each run their first task and sleep (evicting
    // others), and each answers its status query, which replays the evicted ones.
    const expiresAt = new Date(Date.now() + 200 * DAY_MS);
    const burst = await seedDueBurst(stack.sql, { count: 60, dueAt: new Date(expiresAt.getTime() - 30 * DAY_MS), leadDays: 30 });
    await startAwardWorkflows(stack.client, TASK_QUEUE, burst.awards, { leadDays: 30 });
    await eventually('60 first workflow tasks completed', async () => (await Promise.all(burst.awards.map((a) => firstTaskDone(stack.client, a.id)))).every(Boolean), 120_000, 500);
    const statuses = await queryStatuses(stack.client, burst.awards.map((a) => a.id), 8);
    assert.deepEqual(
      statuses.map((st) => [st.phase, st.dueAt !== null]),
      burst.awards.map(() => ['scheduled', true]),
    );
  } finally {
    await stack.stop();
  }
});
