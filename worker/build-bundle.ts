/** `npm run build:workflow-bundle`: prebuilds the workflow bundle production workers load. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEFAULT_BUNDLE_PATH, WORKFLOWS_PATH } from './workers.ts';

const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(dirname(DEFAULT_BUNDLE_PATH), { recursive: true });
writeFileSync(DEFAULT_BUNDLE_PATH, code);
console.log(`workflow bundle written to ${DEFAULT_BUNDLE_PATH} (${(code.length / 1024).toFixed(0)} KiB)`);
