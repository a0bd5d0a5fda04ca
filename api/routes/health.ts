/**
 * Liveness and readiness (no auth): `GET /healthz`, `GET /readyz`. Mounted at `/`.
 *
 * `/readyz` answers anonymous callers, so a failing check says only `"error": "unavailable"`: the
 * dependency's own message (which names internal hosts, ports and users) goes to the log, at `warn`
 * when a check starts failing or fails differently, at `debug` while it keeps failing the same way.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ping } from '../../db/queries/health.ts';
import type { Logger } from '../../config/logger.ts';
import { createRouter, type ApiDeps, type App } from '../deps.ts';
import { json } from '../schemas.ts';

const CHECK_TIMEOUT_MS = 3000;

/** The only error text a caller of /readyz ever sees. */
export const PUBLIC_CHECK_ERROR = 'unavailable';

type CheckName = 'database' | 'temporal';

/** One check's public result: `ms` is its duration in milliseconds; `error` is set iff `ok` is false. */
interface CheckResult {
  ok: boolean;
  ms: number;
  error?: typeof PUBLIC_CHECK_ERROR;
}

/**
 * Runs one check with a {@link CHECK_TIMEOUT_MS} bound. Never throws: a failure is logged with its
 * detail (through `report`) and returned as the generic {@link PUBLIC_CHECK_ERROR}.
 */
async function check(what: () => Promise<unknown>, report: (detail: string) => void): Promise<CheckResult> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    report(err instanceof Error ? err.message : String(err));
    return { ok: false, ms: Math.round(performance.now() - t0), error: PUBLIC_CHECK_ERROR };
  } finally {
    clearTimeout(timer);
  }
}

/** Logs a failing check's detail at warn when it is new for that check, else at debug (probes poll often). */
function failureReporter(log: Logger): (name: CheckName, ok: boolean, detail?: string) => void {
  const last = new Map<CheckName, string>();
  return (name, ok, detail) => {
    if (ok) {
      if (last.has(name)) log.info({ check: name }, `readiness: ${name} available again`);
      last.delete(name);
      return;
    }
    const message = detail ?? 'failed';
    if (last.get(name) === message) log.debug({ check: name, error: message }, `readiness: ${name} unavailable`);
    else log.warn({ check: name, error: message }, `readiness: ${name} unavailable`);
    last.set(name, message);
  };
}

const CheckSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.literal(PUBLIC_CHECK_ERROR).optional() });
/** `GET /healthz`. */
export const LivenessSchema = z.object({ status: z.literal('ok') }).openapi('Liveness');
export type Liveness = z.infer<typeof LivenessSchema>;
/** `GET /readyz`, 200 and 503. */
export const ReadinessSchema = z
  .object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ database: CheckSchema, temporal: CheckSchema }) })
  .openapi('Readiness');
export type Readiness = z.infer<typeof ReadinessSchema>;

export const livenessRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['Health'],
  summary: 'Liveness: the process serves requests',
  responses: { 200: json(LivenessSchema, 'Alive.') },
});

export const readinessRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Health'],
  summary: 'Readiness: PostgreSQL answers `select 1` and Temporal answers GetSystemInfo',
  description: 'A failing check says only `"error": "unavailable"`; the cause is in the server log.',
  responses: {
    200: json(ReadinessSchema, 'Ready.'),
    503: json(ReadinessSchema, 'A dependency is unavailable.'),
  },
});

/** The health area's sub-app, mounted at `/` (no auth). */
export function healthApp({ sql, client, log }: ApiDeps): App {
  const reportFailure = failureReporter(log);
  const app = createRouter();

  app.openapi(livenessRoute, (c) => c.json({ status: 'ok' as const }, 200));

  app.openapi(readinessRoute, async (c) => {
    const details: Partial<Record<CheckName, string>> = {};
    const [database, temporal] = await Promise.all([
      check(() => ping(sql), (d) => (details.database = d)),
      check(
        () => client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => client.workflowService.getSystemInfo({})),
        (d) => (details.temporal = d),
      ),
    ]);
    reportFailure('database', database.ok, details.database);
    reportFailure('temporal', temporal.ok, details.temporal);
    const ok = database.ok && temporal.ok;
    const bodyOut: Readiness = { status: ok ? 'ready' : 'not_ready', checks: { database, temporal } };
    return ok ? c.json(bodyOut, 200) : c.json(bodyOut, 503);
  });

  return app;
}
