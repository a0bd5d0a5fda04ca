/**
 * What a spawned worker (test/support/worker-process.ts) prints for the stack on its stdout: one
 * line once it polls, and, with `RECERTIFY_WORKER_ACTIVITY_LOG=1`, one line when an activity attempt
 * starts and one when it ends, local activities included. Fault tests read the attempts to see which
 * steps ran during an outage, which failed, and whether retries finished them.
 */

/** `RECERTIFY_WORKER_READY <pid> maxCachedWorkflows=<n> workflowTaskSlots=<n>`: both workers poll, with the main worker's cache size and workflow-task slots. */
export const READY_LINE = 'RECERTIFY_WORKER_READY';

/** The main worker's cache size and workflow-task slots, as its ready line reports them. */
export interface WorkerTuning {
  maxCachedWorkflows: number;
  workflowTaskSlots: number;
}

/** The main worker's WorkerTuning, from the ready line in `output`; null before it. */
export function workerReadyOptions(output: string): WorkerTuning | null {
  const m = output.match(/RECERTIFY_WORKER_READY \d+ maxCachedWorkflows=(\d+) workflowTaskSlots=(\d+)/);
  return m ? { maxCachedWorkflows: Number(m[1]), workflowTaskSlots: Number(m[2]) } : null;
}
/** The prefix of an attempt report. */
export const ACTIVITY_ATTEMPT_LINE = 'RECERTIFY_ACTIVITY_ATTEMPT';

/** One attempt of an activity, regular or local, as the worker's interceptor saw it. */
export interface ActivityAttempt {
  /** Order of start within its worker process. */
  seq: number;
  workflowId: string | null;
  /** A local activity retried after a backoff timer runs under a new activity id; `attempt` goes on counting. */
  activityId: string;
  type: string;
  local: boolean;
  attempt: number;
  /** Epoch milliseconds (the worker's clock, the same machine's as the test's `Date.now()`). */
  startedAt: number;
  /** null while the attempt runs. */
  endedAt: number | null;
  ok: boolean | null;
  /** The failure's message, when `ok` is false. */
  error: string | null;
}

/** Collects a worker's attempt reports: `read(line)` takes a stdout line and says whether it was one. */
export function attemptCollector(): { read(line: string): boolean; attempts(): ActivityAttempt[] } {
  const attempts: ActivityAttempt[] = [];
  const running = new Map<number, ActivityAttempt>();
  const onReport = (json: string): void => {
    const r = JSON.parse(json) as Partial<ActivityAttempt> & { n: number };
    const started = running.get(r.n);
    if (started) {
      Object.assign(started, { endedAt: r.endedAt ?? null, ok: r.ok ?? null, error: r.error ?? null });
      running.delete(r.n);
      return;
    }
    const { n, ...fields } = r;
    const attempt: ActivityAttempt = { workflowId: null, activityId: '', type: '', local: false, attempt: 0, startedAt: 0, ...fields, seq: n, endedAt: null, ok: null, error: null };
    running.set(n, attempt);
    attempts.push(attempt);
  };
  return {
    read(line) {
      if (!line.startsWith(`${ACTIVITY_ATTEMPT_LINE} `)) return false;
      onReport(line.slice(ACTIVITY_ATTEMPT_LINE.length + 1));
      return true;
    },
    attempts: () => attempts.map((a) => ({ ...a })),
  };
}

/** A step of a workflow: its activity type in its workflow (the unit a retry repeats). */
export const stepOf = (a: ActivityAttempt): string => `${a.workflowId} ${a.type}`;

/**
 * Whether the given attempts (failed ones, or ones cut off with their worker) were ridden out: for
 * each, a later attempt of the same step succeeded — in the same worker process (`attempts`), or in
 * a worker started after it (`later`). A regular activity's retry carries the attempt number on; a
 * local activity whose workflow task was lost meanwhile is scheduled again from attempt 1, so the
 * order of the attempts, not their numbers, decides. Returns those no later attempt finished.
 */
export function notRiddenOut(failed: readonly ActivityAttempt[], attempts: readonly ActivityAttempt[], later: readonly ActivityAttempt[] = []): ActivityAttempt[] {
  const lastSuccess = new Map<string, number>();
  for (const a of attempts) if (a.ok) lastSuccess.set(stepOf(a), Math.max(lastSuccess.get(stepOf(a)) ?? -1, a.seq));
  const laterSuccess = new Set(later.filter((a) => a.ok).map(stepOf));
  return failed.filter((f) => !laterSuccess.has(stepOf(f)) && (lastSuccess.get(stepOf(f)) ?? -1) < f.seq);
}
