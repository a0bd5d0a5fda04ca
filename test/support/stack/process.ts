/**
 * The stack's child processes (spawned workers and APIs): one way to start a `node --import tsx`
 * entry with an environment, keep the tail of what it prints, wait until it is ready, stop it
 * (SIGTERM, then SIGKILL after a grace) or crash it (any signal), and read its memory. Every child
 * still running when the test process exits is SIGKILLed, by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../scripts/tools.ts';

/** The repository's root: the children's working directory. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process of the stack. */
export interface StackProcess {
  pid: number;
  /** Recent stdout and stderr, for failure messages. */
  output(): string;
  alive(): boolean;
  /** Sends a signal (SIGKILL to crash it, SIGSTOP to freeze it). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (graceful), SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Resolves once it exited and everything it wrote has been read. */
  exited: Promise<ExitInfo>;
  /** Resident set size from /proc, in bytes (null once it exited). */
  rssBytes(): number | null;
}

/** Resident set size of a process from /proc, in bytes. */
export function procRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** This process's environment with `env` on top (an empty string unsets a variable for config/env.ts). */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return Object.assign(out, env);
}

/**
 * Runs `node --import tsx <entry>` with `env` and waits (up to a minute) until `ready()` says so; a
 * child that exits first, or is not ready in time, is killed and the error quotes its output.
 * `onLine` sees every stdout line first: true means it was consumed (not kept in `output()`).
 */
export async function spawnChild(opts: {
  what: string;
  entry: string;
  env: Record<string, string>;
  ready: (output: string) => Promise<boolean> | boolean;
  readyPollMs: number;
  onLine?: (line: string) => boolean;
}): Promise<StackProcess> {
  // RECERTIFY_CHILD_CPU_PROF=<dir>: each child writes a V8 CPU profile there when it exits (benchmarks' profiling).
  const profile = process.env.RECERTIFY_CHILD_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RECERTIFY_CHILD_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', opts.entry], { cwd: ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d: Buffer | string): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (!opts.onLine?.(line)) keep(`${line}\n`);
  });
  child.stderr?.on('data', keep);
  // 'close': it exited and everything it wrote has been read.
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('close', (code, signal) => {
      done = true;
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  await waitFor(opts.what, async () => {
    if (done) throw new Error(`${opts.what}: it exited before it was ready:\n${out}`);
    return await opts.ready(out);
  }, 60_000, opts.readyPollMs).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const pid = child.pid!;
  return {
    pid,
    output: () => out,
    alive: () => !done,
    kill: (signal) => void child.kill(signal),
    exited,
    async stop(graceMs = 10_000) {
      if (done) return await exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    rssBytes: () => (done ? null : procRss(pid)),
  };
}
