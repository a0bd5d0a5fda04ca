/**
 * Fans a certificate's settings change out to every running recertification workflow of that
 * certificate, a page at a time. Started by the API (and by the reconciler if the API died before
 * starting it), so the change reaches every workflow even if the API process dies half-way.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { PropagationActivities, SignalPageResult } from '../activities/types.ts';

export interface SettingsPropagationInput {
  certificateId: string;
  settingsVersion: number;
}

export const settingsPropagationWorkflowId = (certificateId: string, settingsVersion: number): string =>
  `settings-propagation-${certificateId}-v${settingsVersion}`;

const PAGE_SIZE = 500;

const acts = proxyActivities<PropagationActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Returns how many workflows were signalled, had closed (`skipped`), and were passed over because the
 * change cannot move their wake-up (`unaffected`, activities/propagation.ts; 0 in histories recorded
 * before it was counted).
 */
export async function settingsPropagationWorkflow(input: SettingsPropagationInput): Promise<{ signalled: number; skipped: number; unaffected: number }> {
  let after: string | null = null;
  let signalled = 0;
  let skipped = 0;
  let unaffected = 0;
  do {
    const page: SignalPageResult = await acts.signalCertificateWorkflows({ ...input, afterAwardId: after, limit: PAGE_SIZE });
    signalled += page.signalled;
    skipped += page.skipped;
    unaffected += page.unaffected ?? 0;
    after = page.nextAfterAwardId;
  } while (after);
  await acts.completeSettingsPropagation({ ...input, signalled, unaffected });
  return { signalled, skipped, unaffected };
}
