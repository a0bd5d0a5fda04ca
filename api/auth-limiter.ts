/**
 * The limit on failed authentications per client address (a bearer token or an admin sign-in that
 * did not match): at most `limit` failures per `windowSeconds`; past that the address is refused
 * (429 with `Retry-After`) without its token being checked, until its window ends, so a token cannot
 * be guessed online (issue 15).
 *
 * The counting is `rate-limiter-flexible`'s `RateLimiterMemory` (fixed windows counted from an
 * address's first failure; an expired window's key is dropped by the library, so memory follows the
 * addresses failing now). It counts per API process: with N API processes an address gets up to
 * N × limit failures per window; the library's `RateLimiterPostgres` shares one count between
 * processes when that matters.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Whether an address may still try: `blocked` once it has used up its failures; ms until its window ends. */
export interface LimiterState {
  blocked: boolean;
  /** Failures it may still make in this window. */
  remaining: number;
  /** ms until its window ends (0 with no window). */
  msBeforeNext: number;
}

export interface FailureLimiter {
  /** The address's state now, counting nothing. */
  get(key: string): Promise<LimiterState>;
  /** Counts one failure for the address; its state after it. */
  consume(key: string): Promise<LimiterState>;
}

/** A failure limiter: `limit` failures (≥ 1) per `windowSeconds` (≥ 1) per key. */
export function createFailureLimiter(opts: { limit: number; windowSeconds: number }): FailureLimiter {
  const { limit } = opts;
  const limiter = new RateLimiterMemory({ points: limit, duration: opts.windowSeconds });
  const stateOf = (res: RateLimiterRes | null): LimiterState =>
    res === null
      ? { blocked: false, remaining: limit, msBeforeNext: 0 }
      : { blocked: res.remainingPoints <= 0, remaining: Math.max(0, res.remainingPoints), msBeforeNext: res.msBeforeNext };
  return {
    get: async (key) => stateOf(await limiter.get(key)),
    async consume(key) {
      try {
        return stateOf(await limiter.consume(key));
      } catch (rejection) {
        // The library rejects with the key's state once its points are used up.
        if (rejection instanceof RateLimiterRes) return stateOf(rejection);
        throw rejection;
      }
    },
  };
}
