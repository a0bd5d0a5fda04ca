/**
 * The Prometheus endpoints: a small HTTP server of its own per process (`GET /metrics`), apart from the
 * API's port, so it can stay on an internal network without the admin token (README, Metrics).
 *  - The API serves `apiRegistry` on METRICS_PORT (api/main.ts).
 *  - The worker serves `workerRegistry` followed by the Temporal SDK's own metrics on
 *    WORKER_METRICS_PORT (worker/worker-process.ts). The SDK's exporter (Runtime.install's
 *    `telemetryOptions.metrics.prometheus`) serves on a loopback port of its own, picked free at start;
 *    each scrape of the worker's endpoint reads it and appends its text, so one scrape target per
 *    worker carries both. Their names do not meet (`temporal_…` from the SDK, `recertify_…`,
 *    `process_…`, `nodejs_…` from prom-client). If the SDK's exporter does not answer, the endpoint
 *    still answers with ours and `recertify_temporal_sdk_metrics_up 0`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsExporterConfig } from '@temporalio/worker';
import { Gauge, type Registry } from 'prom-client';
import { collectProcessMetrics, workerRegistry } from './metrics.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  port: number;
  /** Stops listening; resolves when closed. */
  close(): Promise<void>;
}

/** What a scrape answers: the exposition text and its content type. */
export interface Exposition {
  body: string;
  contentType: string;
}

/**
 * Serves `GET /metrics` (and HEAD) on `host:port` with what `render` returns at each request; any
 * other path is 404, any other method 405. Rejects if the port cannot be bound (in use: EADDRINUSE).
 */
export async function startMetricsServer(opts: { port: number; host: string; render: () => Promise<Exposition> }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    opts.render().then(
      ({ body, contentType }) => void res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${urlHost}:${port}${METRICS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** A registry's exposition (prom-client's text format). */
export async function registryExposition(registry: Registry): Promise<Exposition> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}

// ---------------------------------------------------------------------------------------------
// the Temporal SDK's exporter, behind the worker's endpoint

const sdkUp = new Gauge({
  name: 'recertify_temporal_sdk_metrics_up',
  help: "1 when this scrape read the Temporal SDK's metrics exporter (its metrics follow), 0 when it did not answer.",
  registers: [workerRegistry],
});

export interface TemporalSdkMetrics {
  /** For `Runtime.install({ telemetryOptions: { metrics } })`: the SDK's Prometheus exporter on a loopback port. */
  telemetry: MetricsExporterConfig;
  /** The SDK exporter's address, `127.0.0.1:<port>`. */
  bindAddress: string;
  /** The SDK exporter's exposition text, or null when it does not answer (within 2 s). */
  scrape(): Promise<string | null>;
}

/** A TCP port free on 127.0.0.1 now (the OS's pick). */
async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The Temporal SDK's metrics for a worker process: call before `Runtime.install` and pass `telemetry`
 * as its `telemetryOptions.metrics`. Prometheus naming: counters end in `_total`, durations are
 * seconds with a `_seconds` suffix (`temporal_workflow_completed_total`,
 * `temporal_activity_execution_latency_seconds`).
 */
export async function temporalSdkMetrics(): Promise<TemporalSdkMetrics> {
  const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  return {
    telemetry: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
    bindAddress,
    async scrape() {
      try {
        const res = await fetch(`http://${bindAddress}${METRICS_PATH}`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? await res.text() : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * Serves a worker's metrics on `port` (WORKER_METRICS_PORT): `workerRegistry` (with Node's process
 * metrics), then the SDK's exporter text when `sdk` is given.
 */
export async function startWorkerMetricsServer(opts: { port: number; host: string; sdk: TemporalSdkMetrics | null }): Promise<MetricsServer> {
  collectProcessMetrics(workerRegistry);
  return await startMetricsServer({
    port: opts.port,
    host: opts.host,
    async render() {
      const sdkText = opts.sdk ? await opts.sdk.scrape() : null;
      sdkUp.set(sdkText === null ? 0 : 1);
      const ours = await workerRegistry.metrics();
      return { body: sdkText === null ? ours : `${ours}\n${sdkText}`, contentType: workerRegistry.contentType };
    },
  });
}
