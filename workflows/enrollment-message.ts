/**
 * Sends the course enrollment message of a manual enrollment (a course's
 * Course Enrollment message is sent for every enrollment into the course, whatever created it). A short workflow so the send gets
 * Temporal's retries and the email queue's rate limiting, like every other message.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MessageActivities, SendMessageResult } from '../activities/types.ts';
import { EMAIL_ACTIVITY_OPTIONS, emailTaskQueue } from './activity-options.ts';

export interface EnrollmentMessageInput {
  attemptId: string;
}

export const ENROLLMENT_MESSAGE_WORKFLOW = 'enrollmentMessageWorkflow';
export const enrollmentMessageWorkflowId = (attemptId: string): string => `enrollment-message-${attemptId}`;

export async function enrollmentMessageWorkflow(input: EnrollmentMessageInput): Promise<SendMessageResult> {
  const mail = proxyActivities<MessageActivities>({ ...EMAIL_ACTIVITY_OPTIONS, taskQueue: emailTaskQueue(workflowInfo().taskQueue) });
  return await mail.sendMessage({ kind: 'course_enrollment', awardId: null, attemptId: input.attemptId });
}
