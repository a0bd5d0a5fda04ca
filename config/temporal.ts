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

/** The Temporal Web UI's list of the namespace's workflows (config.temporal.uiUrl), filtered by a visibility `query` when given. */
export function workflowsUiUrl(config: Config, query?: string): string {
  const { uiUrl, namespace } = config.temporal;
  const list = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return query === undefined ? list : `${list}?query=${encodeURIComponent(query)}`;
}

/** The Temporal Web UI's page of one workflow (its latest run) by workflow id. */
export function workflowUiUrl(config: Config, workflowId: string): string {
  return `${workflowsUiUrl(config)}/${encodeURIComponent(workflowId)}`;
}
