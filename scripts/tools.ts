/** Where scripts/provision.sh put the tools, and small process helpers shared by dev and tests. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TOOL_CACHE = process.env.RECERTIFY_CACHE ?? join(homedir(), '.cache', 'recertify');

export function toolPath(name: 'temporal' | 'temporal-test-server'): string {
  const cached = join(TOOL_CACHE, 'bin', name);
  if (existsSync(cached)) return cached;
  if (name === 'temporal') {
    const which = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
    if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  }
  throw new Error(`${name} not found in ${TOOL_CACHE}/bin: run 'npm run provision' first`);
}

/** Ensures the tools exist, running scripts/provision.sh when one is missing. */
export function ensureTools(args: string[] = []): void {
  const missing = ['temporal', 'temporal-test-server'].some((t) => !existsSync(join(TOOL_CACHE, 'bin', t)));
  if (!missing && args.length === 0) return;
  const res = spawnSync('bash', [new URL('./provision.sh', import.meta.url).pathname, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) throw new Error('tool provisioning failed (scripts/provision.sh)');
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
