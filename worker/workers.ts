/**
 * Builds and runs Recertify's Temporal workers:
 *  - `<taskQueue>`: the workflows, and the activities that touch PostgreSQL (and signal workflows);
 *    the due step's messages run here as local activities (SEND_IN_DUE_STEP);
 *  - `<taskQueue>-email`: the send-message activity of every other message, with many slots so the
 *    mailer can coalesce a burst of sends into provider batch requests under the provider's rate limit.
 * Shutdown stops polling and lets running activities finish (up to the grace time).
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { MessageActivities, PropagationActivities, RecertificationActivities } from '../activities/types.ts';
import { emailTaskQueue } from '../workflows/activity-options.ts';
import { DEFAULT_WORKFLOW_TASK_SLOTS, defaultWorkflowCacheSize, processMemory } from '../config/env.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: RecertificationActivities & PropagationActivities;
  messageActivities: MessageActivities;
  /** A prebuilt workflow bundle (production); otherwise workflows are bundled at start. */
  workflowBundlePath?: string;
  shutdownGraceTime?: string;
  /**
   * Record a stack trace for every promise a workflow creates, for the Temporal UI's Stack Trace tab
   * (Config.workflowStackTraces, WORKFLOW_STACK_TRACES; default off: see STACK_TRACES_ENV).
   */
  workflowStackTraces?: boolean;
  /** Workflow tasks run at once (Config.workflowTaskSlots, WORKFLOW_TASK_SLOTS); default DEFAULT_WORKFLOW_TASK_SLOTS. */
  workflowTaskSlots?: number;
  /**
   * Workflows kept cached (Config.workflowCacheSize, WORKFLOW_CACHE_SIZE); null or absent:
   * `defaultWorkflowCacheSize` of this process's V8 heap limit and memory (the SDK's own default when a
   * harness turns `reuseV8Context` off: that rule assumes the shared context).
   */
  workflowCacheSize?: number | null;
  /** Overrides for tests and benchmarks. */
  workflowWorker?: Partial<WorkerOptions>;
  emailWorker?: Partial<WorkerOptions>;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * How the choice reaches the SDK. Its workflow threads install a V8 promise hook that captures and
 * source-maps a stack trace for every promise a workflow creates (the enhanced stack trace query);
 * 1.24 has no option for it, so `patches/@temporalio+worker+1.24.0.patch` skips the hook when this
 * variable is `off` in the environment the threads start with (they copy `process.env` when the
 * worker is created). Without the hook the SDK answers the stack trace query with "Workflow stack
 * traces are not enabled on this worker"; each workflow's current details still say what it waits for.
 */
export const STACK_TRACES_ENV = 'RECERTIFY_WORKFLOW_STACK_TRACES';

export async function createWorkers(opts: WorkerSetOptions): Promise<Worker[]> {
  process.env[STACK_TRACES_ENV] = opts.workflowStackTraces ? 'on' : 'off';
  const bundlePath = opts.workflowBundlePath ?? (existsSync(DEFAULT_BUNDLE_PATH) && process.env.NODE_ENV === 'production' ? DEFAULT_BUNDLE_PATH : undefined);
  const workflowSource = bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH };
  const grace = (opts.shutdownGraceTime ?? '30 seconds') as WorkerOptions['shutdownGraceTime'];
  const slots = opts.workflowTaskSlots ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  // Without the shared V8 context (a harness's `reuseV8Context: false`) the SDK's own default applies.
  const cache = opts.workflowCacheSize ?? (opts.workflowWorker?.reuseV8Context === false ? null : defaultWorkflowCacheSize(processMemory(), slots));
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowSource,
    // The message activities too: the due step sends its messages as local activities (SEND_IN_DUE_STEP),
    // through this process's one mailer. No regular activity of theirs is scheduled on this queue.
    activities: { ...opts.activities, ...opts.messageActivities },
    shutdownGraceTime: grace,
    maxConcurrentActivityTaskExecutions: 100,
    // A due step's workflow task holds its slot while its local activities run, the send included
    // (SEND_IN_DUE_STEP); DEFAULT_WORKFLOW_TASK_SLOTS says why the SDK's 40 are enough.
    maxConcurrentWorkflowTaskExecutions: slots,
    ...(cache ? { maxCachedWorkflows: cache } : {}),
    maxConcurrentLocalActivityExecutions: 1000,
    ...opts.workflowWorker,
  });
  const email = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: emailTaskQueue(opts.taskQueue),
    activities: opts.messageActivities,
    shutdownGraceTime: grace,
    // Sends mostly wait for their turn in the mailer's rate-limited batches; slots are cheap.
    maxConcurrentActivityTaskExecutions: 1000,
    // Sends heartbeat every 10 s while they wait; pass each one on (the default throttle, 80% of the
    // 30 s heartbeat timeout, would leave the server only a few seconds of slack).
    maxHeartbeatThrottleInterval: '10 seconds',
    ...opts.emailWorker,
  });
  return [main, email];
}

export async function runWorkers(opts: WorkerSetOptions): Promise<RunningWorkers> {
  const workers = await createWorkers(opts);
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
