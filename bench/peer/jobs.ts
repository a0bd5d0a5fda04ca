/** The peer arm's job and the line its worker prints when it polls (bench/peer/worker.ts). */

/** One due award's job: created with `startAfter` = the award's due time. */
export interface PeerJob {
  awardId: string;
}

/** `BENCH_PEER_WORKER_READY <pid>`: the peer's pg-boss workers poll. */
export const PEER_READY_LINE = 'BENCH_PEER_WORKER_READY';
