/**
 * `postinstall`: fixes a known crash in postgres.js 3.4.9 (porsager/postgres issues #1066, #1154,
 * #1208; fix proposed in PR #1168, not released).
 *
 * When a connection dies while a transaction's query runs (PostgreSQL restarted or failed over),
 * `sql.begin()` issues its own ROLLBACK on it; the small write is deferred with setImmediate, and by
 * then `socket` is null: `nextWrite` throws a TypeError from the immediate, which no caller can catch,
 * and the whole process (worker or API) exits. Our fault test (test/faults-postgres-outage.test.ts)
 * hit it. The teardown paths also leave the buffered bytes and a stale timer behind, so the
 * connection object, when reused, would prepend the dead socket's bytes to its next startup message.
 *
 * The patch: `nextWrite` drops the buffer when the socket is gone (its query was already rejected
 * with CONNECTION_CLOSED), and teardown forgets the buffer and the timer. Idempotent; a version that
 * no longer has the code is left alone with a notice.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARKER = '/* recertify: null-socket guard */';

const EDITS: [from: string, to: string][] = [
  [
    'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `function nextWrite(fn) {\n    ${MARKER}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
];
// terminate() and closed(): forget what was buffered for the socket that is going away.
const TEARDOWN = /\n([ \t]+)clearImmediate\(nextWriteTimer\)\n/g;

/** The installed package's folder (its `exports` hide package.json, so walk up from its entry). */
function packageRoot(): string | null {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('postgres'));
  } catch {
    return null;
  }
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'postgres') return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

const root = packageRoot();
if (!root) {
  console.log('[patch-dependencies] postgres is not installed; nothing to patch');
} else {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  for (const flavour of ['src', 'cjs/src', 'cf/src']) {
    const file = join(root, flavour, 'connection.js');
    if (!existsSync(file)) continue;
    let text = readFileSync(file, 'utf8');
    if (text.includes(MARKER)) continue;
    if (!EDITS.every(([from]) => text.includes(from))) {
      console.log(`[patch-dependencies] postgres ${version} ${flavour}/connection.js has changed; not patched (check whether the null-socket fix is released)`);
      continue;
    }
    for (const [from, to] of EDITS) text = text.replace(from, to);
    text = text.replace(TEARDOWN, (_m, indent: string) => `\n${indent}clearImmediate(nextWriteTimer)\n${indent}chunk = nextWriteTimer = null\n`);
    writeFileSync(file, text);
    console.log(`[patch-dependencies] patched postgres ${version} ${flavour}/connection.js (null-socket guard)`);
  }
}
