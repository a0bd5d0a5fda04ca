/** Where scripts/provision.sh put the tools, and small process helpers shared by dev and tests. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TOOL_CACHE = process.env.RECERTIFY_CACHE ?? join(homedir(), '.cache', 'recertify');

/** The Temporal server version whose server and schema tool scripts/provision.sh builds (the one the CLI embeds). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

/** The tools scripts/provision.sh provides, by the name they have in `$RECERTIFY_CACHE/bin`. */
export type ToolName = 'temporal' | 'temporal-test-server' | 'temporal-server' | 'temporal-sql-tool';

/** The tools of the full Temporal server (`RECERTIFY_TEMPORAL=server`, the full-server tests). */
export const FULL_SERVER_TOOLS: readonly ToolName[] = ['temporal-server', 'temporal-sql-tool'];

export function toolPath(name: ToolName): string {
  const cached = join(TOOL_CACHE, 'bin', name);
  if (existsSync(cached)) return cached;
  if (name === 'temporal') {
    const which = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
    if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  }
  throw new Error(`${name} not found in ${TOOL_CACHE}/bin: run 'npm run provision' first${FULL_SERVER_TOOLS.includes(name) ? ` (it builds the Temporal server ${TEMPORAL_SERVER_VERSION} with Go, a few minutes once)` : ''}`);
}

/**
 * Ensures the tools exist, running scripts/provision.sh when one is missing: by default all of them;
 * with `fullServer: false` (`npm run dev` on the dev server) only the CLI and the test server, and a
 * provisioning run it starts skips the full server's build (`--no-full-server`).
 */
export function ensureTools(args: string[] = [], opts: { fullServer?: boolean } = {}): void {
  const needed: ToolName[] = ['temporal', 'temporal-test-server', ...(opts.fullServer === false ? [] : FULL_SERVER_TOOLS)];
  const missing = needed.some((t) => !existsSync(join(TOOL_CACHE, 'bin', t)));
  if (!missing && args.length === 0) return;
  const provisionArgs = opts.fullServer === false ? [...args, '--no-full-server'] : args;
  const res = spawnSync('bash', [new URL('./provision.sh', import.meta.url).pathname, ...provisionArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) {
    throw new Error(`tool provisioning failed: scripts/provision.sh ${res.error ? `could not run (${res.error.message})` : `exited with ${res.status ?? res.signal}`}; its output is above. Fix what it says, then run \`npm run provision\``);
  }
}

/**
 * A TCP port on 127.0.0.1 free to listen on now. Linux hands ephemeral ports out at random, so a port
 * just closed can be given to the next `listen(0)` or outgoing connection at once; like the Temporal
 * CLI's GetFreePort, this connects to the port and closes the accepted side first, which leaves that
 * side in TIME_WAIT (60 s) so the kernel does not hand the port out again meanwhile, while a server
 * binding it explicitly (SO_REUSEADDR, Node's and Go's default) still can. Rejects if no port is free.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.once('connection', (accepted) => {
      // The server side closes first: that side, bound to the port, is the one left in TIME_WAIT.
      accepted.destroy();
    });
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const probe = connect(port, '127.0.0.1');
      probe.on('error', () => {});
      probe.once('close', () => srv.close(() => resolve(port)));
      probe.once('connect', () => probe.once('end', () => probe.destroy()));
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

/** A TCP socket in the LISTEN state on this machine. */
export interface PortListener {
  /** Local address as printed by `ss`: `127.0.0.1`, `0.0.0.0`, `::`, `::1`. */
  address: string;
  port: number;
  /** The process holding it, when this user may see it. */
  pid?: number;
  /** That process's command line (at most 160 characters). */
  command?: string;
}

/** `0100007F` (little-endian words, as /proc/net/tcp prints them) → `127.0.0.1`; 32 hex digits → IPv6. */
function procHexAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.replace(/^\[|\]$/g, '');
}

function commandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return raw.length > 160 ? `${raw.slice(0, 157)}...` : raw;
  } catch {
    return undefined;
  }
}

/** Socket inode → pid, from /proc/<pid>/fd (only the processes this user may look into). */
function socketOwners(inodes: Set<string>): Map<string, number> {
  const owners = new Map<string, number>();
  if (inodes.size === 0) return owners;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] && inodes.has(m[1]) && !owners.has(m[1])) owners.set(m[1], Number(entry));
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/** Parses `ss -ltnpH` / `lsof -F` output for the holder of `port` when /proc did not tell. */
function holderFromTools(port: number): { pid: number; name: string } | undefined {
  const ss = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8', timeout: 3000 });
  const fromSs = ss.status === 0 ? /users:\(\("([^"]*)",pid=(\d+)/.exec(ss.stdout) : null;
  if (fromSs?.[1] && fromSs[2]) return { name: fromSs[1], pid: Number(fromSs[2]) };
  const lsof = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], { encoding: 'utf8', timeout: 3000 });
  const pid = lsof.status === 0 ? /^p(\d+)$/m.exec(lsof.stdout)?.[1] : undefined;
  const name = lsof.status === 0 ? /^c(.*)$/m.exec(lsof.stdout)?.[1] : undefined;
  return pid ? { pid: Number(pid), name: name ?? '?' } : undefined;
}

/**
 * Who listens on TCP `port` on this machine: from /proc/net/tcp{,6} and /proc/<pid>/fd on Linux,
 * else (or when the owner is another user's process) from `ss -ltnp` or `lsof` if installed.
 * Returns [] when nobody listens or nothing can tell; never throws.
 */
export function portListeners(port: number): PortListener[] {
  const found: Array<PortListener & { inode?: string }> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (!local || state !== '0A') continue; // 0A = LISTEN
      const [hexAddr, hexPort] = local.split(':');
      if (!hexAddr || !hexPort || parseInt(hexPort, 16) !== port) continue;
      found.push({ address: procHexAddress(hexAddr), port, inode });
    }
  }
  const owners = socketOwners(new Set(found.flatMap((f) => (f.inode && f.inode !== '0' ? [f.inode] : []))));
  const result: PortListener[] = found.map(({ inode, ...l }) => {
    const pid = inode ? owners.get(inode) : undefined;
    return pid ? { ...l, pid, command: commandLine(pid) } : l;
  });
  if (result.length === 0 || result.every((l) => l.pid === undefined)) {
    const tool = holderFromTools(port);
    if (tool) {
      if (result.length === 0) return [{ address: '?', port, pid: tool.pid, command: commandLine(tool.pid) ?? tool.name }];
      return result.map((l) => ({ ...l, pid: tool.pid, command: commandLine(tool.pid) ?? tool.name }));
    }
  }
  return result;
}

/**
 * Whether TCP `port` is taken for a server that wants to listen on `host`: we cannot listen there
 * (EADDRINUSE), or something already accepts connections on 127.0.0.1:`port` (which macOS would
 * otherwise let a more specific bind shadow). Throws, in words, when the listen fails otherwise
 * (a privileged port, an address this machine does not have).
 */
export async function portTaken(port: number, host: string): Promise<boolean> {
  const listenError = await new Promise<NodeJS.ErrnoException | undefined>((resolvePromise) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolvePromise(err));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolvePromise(undefined)));
  });
  if (listenError?.code === 'EADDRINUSE') return true;
  if (listenError) throw new Error(`cannot listen on ${host}:${port} (${listenError.code ?? listenError.message})`);
  return await new Promise<boolean>((resolvePromise) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.setTimeout(500, () => {
      sock.destroy();
      resolvePromise(false);
    });
    sock.once('connect', () => {
      sock.destroy();
      resolvePromise(true);
    });
    sock.once('error', () => resolvePromise(false));
  });
}

/** One process, as far as telling whether it is still the same live process goes. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Start time (clock ticks since boot on Linux, a date string elsewhere): the pid's identity. */
  started: string;
  /** Exited but not yet reaped by its parent. */
  zombie: boolean;
}

/** Reads `pid` from /proc/<pid>/stat (Linux) or `ps` (elsewhere); undefined when no such process. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp session ... starttime is field 22; comm may hold spaces and parens.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(after[1]), pgid: Number(after[2]), started: after[19] ?? '', zombie: after[0] === 'Z' };
  } catch (err) {
    if (existsSync('/proc/self/stat')) return undefined; // Linux: no such process
    const ps = spawnSync('ps', ['-o', 'ppid=,pgid=,stat=,lstart=', '-p', String(pid)], { encoding: 'utf8' });
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(ps.stdout);
    if (ps.status !== 0 || !m) {
      if (ps.error) throw err;
      return undefined;
    }
    return { pid, ppid: Number(m[1]), pgid: Number(m[2]), started: m[4] ?? '', zombie: (m[3] ?? '').startsWith('Z') };
  }
}

/** Whether the process `p` describes is still running (same pid, same start time, not a zombie). */
export function stillRunning(p: ProcessInfo): boolean {
  const now = processInfo(p.pid);
  return now !== undefined && !now.zombie && now.started === p.started;
}

/**
 * The processes that launched this one, nearest first: the parent, then every further ancestor in
 * this process's group (`npm run dev` → `sh` → `tsx` → us: npm leads the group a shell, an IDE or
 * `timeout` made). If any of them ends, whoever started us is gone.
 */
export function launchingAncestors(): ProcessInfo[] {
  const self = processInfo(process.pid);
  const out: ProcessInfo[] = [];
  let pid = process.ppid;
  while (pid > 1) {
    const info = processInfo(pid);
    if (!info || (out.length > 0 && info.pgid !== self?.pgid)) break;
    out.push(info);
    pid = info.ppid;
  }
  return out;
}
