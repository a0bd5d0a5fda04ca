/**
 * Drives a workflow past its history limit with signals until it has continued as new. How many
 * signals that takes depends on how many of them each workflow task takes in at once (several, when
 * the machine is busy), so this asks after each signal instead of sending a fixed count.
 */
import type { Client } from '@temporalio/client';
import { waitFor } from '../../scripts/tools.ts';

/**
 * Calls `signal(n)` (n = 1, 2, …, at most `maxSignals`) until the run of `workflowId` is no longer
 * `firstRunId`. Resolves with the number of signals sent; rejects after `timeoutMs` (default 120 s).
 */
export async function signalUntilContinuedAsNew(
  client: Client,
  workflowId: string,
  firstRunId: string,
  signal: (n: number) => Promise<void>,
  opts: { maxSignals?: number; timeoutMs?: number } = {},
): Promise<number> {
  let sent = 0;
  await waitFor('continued as new', async () => {
    if ((await client.workflow.getHandle(workflowId).describe()).runId !== firstRunId) return true;
    if (sent < (opts.maxSignals ?? 60)) {
      sent++;
      await signal(sent);
    }
    return false;
  }, opts.timeoutMs ?? 120_000, 200);
  return sent;
}
