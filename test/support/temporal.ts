/** Temporal for tests: the time-skipping test server (workflows), launched through the provisioned wrapper. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';

let runtimeInstalled = false;
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  const path = process.env.TEMPORAL_TEST_SERVER;
  if (!path) throw new Error('TEMPORAL_TEST_SERVER is not set: run the tests with `npm test`');
  const env = await startTimeSkippingServer(path);
  // Register our search attributes so the workflow's upserts are accepted, as on a real server.
  const types = { Keyword: 2, Datetime: 6 } as const; // temporal.api.enums.v1.IndexedValueType
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([k, t]) => [k, types[t]])),
  });
  return env;
}

/**
 * Starts the time-skipping test server (a JVM, through the provisioned wrapper at `path`). The SDK
 * gives it 5 s to accept connections, a limit fixed in sdk-core; a JVM on a busy machine (CI with
 * other work on 2 cores) can take longer. Such a start is tried again, up to `attempts` in all,
 * each on a fresh port; any other failure is thrown at once.
 */
async function startTimeSkippingServer(path: string, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    } catch (err) {
      if (attempt >= attempts || !(err instanceof Error) || !/did not start within/.test(err.message)) throw err;
    }
  }
}
