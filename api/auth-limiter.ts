/**
 * The limit on failed authentications per client address (a bearer token or an admin sign-in that
 * did not match): at most `limit` failures per `windowSeconds`; past that the address is refused
 * (429 with `Retry-After`) without its token being checked, until its window ends, so a token cannot
 * be guessed online.
 *
 * In memory, per API process: `rate-limiter-flexible` (its `RateLimiterMemory`, or `RateLimiterPostgres`
 * shared by every process) is the library for this, and this interface is shaped like its
 * `consume`/`get` so it can replace this file; it is not installed in this project yet. With N API
 * processes an address gets up to N × limit failures per window. Fixed windows, counted from an
 * address's first failure; memory is bounded (expired windows are dropped, and at most `maxKeys`
 * addresses are tracked: past that the oldest window is dropped).
 */

/** Whether an address may still try, and how long until its window ends (ms). */
export interface LimiterState {
  blocked: boolean;
  remaining: number;
  msBeforeNext: number;
}

export interface FailureLimiter {
  /** The address's state now, counting nothing. */
  get(key: string): LimiterState;
  /** Counts one failure for the address; its state after it. */
  consume(key: string): LimiterState;
}

/** A fixed-window failure counter in memory; `now` (ms) is injectable for tests. */
export function createFailureLimiter(opts: { limit: number; windowSeconds: number; maxKeys?: number; now?: () => number }): FailureLimiter {
  const { limit, windowSeconds } = opts;
  const maxKeys = opts.maxKeys ?? 100_000;
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { count: number; endsAt: number }>(); // insertion order = oldest first
  const stateOf = (w: { count: number; endsAt: number } | undefined, t: number): LimiterState =>
    !w || w.endsAt <= t
      ? { blocked: false, remaining: limit, msBeforeNext: 0 }
      : { blocked: w.count >= limit, remaining: Math.max(0, limit - w.count), msBeforeNext: w.endsAt - t };
  return {
    get: (key) => stateOf(windows.get(key), now()),
    consume(key) {
      const t = now();
      let w = windows.get(key);
      if (!w || w.endsAt <= t) {
        windows.delete(key);
        if (windows.size >= maxKeys) {
          for (const [k, v] of windows) if (v.endsAt <= t) windows.delete(k);
          const oldest = windows.keys().next();
          if (windows.size >= maxKeys && !oldest.done) windows.delete(oldest.value);
        }
        w = { count: 0, endsAt: t + windowSeconds * 1000 };
        windows.set(key, w);
      }
      w.count += 1;
      return stateOf(w, t);
    },
  };
}
