/** Serves the API over HTTP with @hono/node-server. */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, type ApiDeps } from './app.ts';

export interface RunningApi {
  url: string;
  port: number;
  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps & { port?: number; host?: string }): Promise<RunningApi> {
  const app = createApp(deps);
  const host = deps.host ?? deps.config.host;
  const requestedPort = deps.port ?? deps.config.port;
  const { server, info } = await new Promise<{ server: Server; info: AddressInfo }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: requestedPort, hostname: host }, (i) => resolve({ server: s as Server, info: i }));
    s.once('error', reject);
  });
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${info.port}`,
    port: info.port,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}
