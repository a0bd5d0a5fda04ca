/**
 * Activity options shared by the workflows. One definition of the email activity's options, used by
 * every workflow that sends a message.
 */
import type { ActivityOptions } from '@temporalio/workflow';

/** The task queue of the send-message activities: `<workflow task queue>-email`. */
export const emailTaskQueue = (workflowTaskQueue: string): string => `${workflowTaskQueue}-email`;

/**
 * A send may wait its turn behind a burst (the provider's rate limit), so it gets 10 minutes; it
 * heartbeats every 10 s while it waits (activities/messages.ts), so a send on a worker that died is
 * retried within 30 s. Retries back off from 2 s to 5 minutes, honouring a provider's retry-after.
 */
export const EMAIL_ACTIVITY_OPTIONS: Omit<ActivityOptions, 'taskQueue'> = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};
