/** The workflows the worker registers. */
export { recertificationWorkflow } from './recertification.ts';
export { settingsPropagationWorkflow } from './settings-propagation.ts';
export { enrollmentMessageWorkflow } from './enrollment-message.ts';
export { importWorkflow } from './import.ts';
export { webhookDeliveryWorkflow } from './webhook-delivery.ts';
export { digestWorkflow } from './digest.ts';
