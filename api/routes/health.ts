/** Liveness and readiness (no auth): `GET /healthz`, `GET /readyz`. */
import { createRoute, z } from '@hono/zod-openapi';
import { ping } from '../../db/queries/health.ts';
import type { ApiDeps, App } from '../deps.ts';
import { json } from '../schemas.ts';

const CHECK_TIMEOUT_MS = 3000;

async function check(what: () => Promise<unknown>): Promise<{ ok: boolean; ms: number; error?: string }> {
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
    return { ok: false, ms: Math.round(performance.now() - t0), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const CheckSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const ReadySchema = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ database: CheckSchema, temporal: CheckSchema }) });

export function registerHealthRoutes(app: App, { sql, client }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Health'],
      summary: 'Liveness: the process serves requests',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive.') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Health'],
      summary: 'Readiness: PostgreSQL answers `select 1` and Temporal answers GetSystemInfo',
      responses: {
        200: json(ReadySchema, 'Ready.'),
        503: json(ReadySchema, 'A dependency is unavailable.'),
      },
    }),
    async (c) => {
      const [database, temporal] = await Promise.all([
        check(() => ping(sql)),
        check(() => client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => client.workflowService.getSystemInfo({}))),
      ]);
      const ok = database.ok && temporal.ok;
      const bodyOut = { status: ok ? ('ready' as const) : ('not_ready' as const), checks: { database, temporal } };
      return ok ? c.json(bodyOut, 200) : c.json(bodyOut, 503);
    },
  );
}
