/**
 * `npm run api`: the production entry of the REST API. Applies pending migrations (safe from many
 * processes: node-pg-migrate holds an advisory lock; MIGRATE_ON_START=false skips it), connects to PostgreSQL and Temporal, runs the
 * reconciler and the webhook dispatcher and serves HTTP until SIGTERM/SIGINT, then drains and closes everything in order.
 */
import { loadConfigOrExit } from '../config/env.ts';
import { createLogger } from '../config/logger.ts';
import { connectClient } from '../config/temporal.ts';
import { createSql } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { startReconciler } from './reconciler.ts';
import { startApiServer } from './server.ts';
import { apiRegistry, collectProcessMetrics } from '../config/metrics.ts';
import { registryExposition, startMetricsServer } from '../config/metrics-server.ts';
import { startWebhookDispatcher } from './webhook-dispatcher.ts';

const config = loadConfigOrExit();
const log = createLogger('api', config.logLevel);

async function main(): Promise<void> {
  if (process.env.MIGRATE_ON_START !== 'false') {
    const ran = await migrate(config.databaseUrl, (m) => log.debug(m));
    if (ran.length) log.info({ migrations: ran }, 'migrations applied');
  }
  // The Prometheus endpoint (METRICS_PORT; none when unset or 0), first: a port in use stops the start.
  if (config.metricsPort !== null) collectProcessMetrics(apiRegistry);
  const metrics = config.metricsPort === null ? null : await startMetricsServer({ port: config.metricsPort, host: config.host, render: () => registryExposition(apiRegistry) });
  const sql = createSql(config.databaseUrl);
  const client = await connectClient(config);
  const deps = { config, sql, client, log };
  const reconciler = startReconciler(deps, config.reconcileIntervalSeconds);
  const webhookDispatcher = startWebhookDispatcher(deps);
  const server = await startApiServer(deps);
  log.info({ url: server.url, docs: `${server.url}/api/docs`, metrics: metrics?.url ?? null, taskQueue: config.temporal.taskQueue }, 'API listening');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await server.close();
      await metrics?.close();
      await reconciler.stop();
      await webhookDispatcher.stop();
      await client.connection.close();
      await sql.end({ timeout: 5 });
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'API failed to start');
  process.exit(1);
});
