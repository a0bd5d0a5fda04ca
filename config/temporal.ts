/** Connections to Temporal for the API (client) and the worker (native), local or Temporal Cloud. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './env.ts';

export async function connectClient(config: Config): Promise<Client> {
  const { address, namespace, apiKey, tls } = config.temporal;
  const connection = await Connection.connect({ address, tls: tls ? {} : undefined, apiKey, connectTimeout: 10_000 });
  return new Client({ connection, namespace });
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const { address, apiKey, tls } = config.temporal;
  return await NativeConnection.connect({ address, tls: tls ? {} : undefined, apiKey });
}

export function workflowUiUrl(config: Config, workflowId: string): string {
  const { uiUrl, namespace } = config.temporal;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
