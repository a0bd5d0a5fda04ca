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

export async function settingsPropagationWorkflow(input: SettingsPropagationInput): Promise<{ signalled: number; skipped: number }> {
  let after: string | null = null;
  let signalled = 0;
  let skipped = 0;
  do {
    const page: SignalPageResult = await acts.signalCertificateWorkflows({ ...input, afterAwardId: after, limit: PAGE_SIZE });
    signalled += page.signalled;
    skipped += page.skipped;
    after = page.nextAfterAwardId;
  } while (after);
  await acts.completeSettingsPropagation({ ...input, signalled });
  return { signalled, skipped };
}
