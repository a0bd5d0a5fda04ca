/**
 * The README's REST API examples run as written (issue 17 §14): every ```sh block of the
 * "## REST API" section, top to bottom, in one bash with `set -euo pipefail`, against a real stack
 * (PostgreSQL, a Temporal dev server, the workers and the API). `curl` fails on any HTTP error
 * status, except for a command marked `# expect: NNN` on the line above it, which must answer
 * exactly that status. The ids the examples capture must be real: the test reads them back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { startStack, type TestStack } from './support/stack.ts';

const README = new URL('../README.md', import.meta.url);
const SECTION = '## REST API';
/** The values the README's first block sets, which the test points at its own stack. */
const README_API = 'API=http://localhost:3000';
const README_AUTH = 'AUTH="Authorization: Bearer dev-admin-token-change-me"';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The fenced ```sh blocks of the README's "## REST API" section, in order. */
export function restApiShellBlocks(markdown: string): string[] {
  const start = markdown.indexOf(`\n${SECTION}\n`);
  assert.ok(start >= 0, `the README has a "${SECTION}" section`);
  const rest = markdown.slice(start + SECTION.length + 2);
  const end = rest.search(/\n## /);
  const section = end >= 0 ? rest.slice(0, end) : rest;
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

/**
 * The shell script that runs the blocks: a `curl` function that fails on HTTP errors (or checks the
 * status a `# expect: NNN` line announces), the blocks with the first one pointed at this stack, then
 * a line printing every variable the blocks assigned.
 */
export function scriptFor(blocks: string[], api: string, token: string): { script: string; variables: string[] } {
  const [setup, ...examples] = blocks;
  if (setup === undefined) throw new Error('the REST API section has no sh block');
  assert.ok(setup.includes(README_API) && setup.includes(README_AUTH), 'the first block sets API and AUTH for npm run dev');
  const ours = setup.replace(README_API, `API=${api}`).replace(README_AUTH, `AUTH="Authorization: Bearer ${token}"`);
  const body = [ours, ...examples]
    .join('\n')
    // `# expect: 409` announces the status of the command on the next line.
    .replace(/^# expect: (\d{3})\b.*\n/gm, 'EXPECT=$1 ');
  const variables = [...new Set([...body.matchAll(/^(?:EXPECT=\d{3} )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? ''))].filter((v) => v !== 'EXPECT');
  const script = `set -euo pipefail
curl() {
  local out code
  out=$(mktemp)
  code=$(command curl -sS -o "$out" -w '%{http_code}' "$@") || { cat "$out"; rm -f "$out"; echo "curl itself failed: curl $*" >&2; return 1; }
  cat "$out"; rm -f "$out"
  if [[ -n "\${EXPECT:-}" ]]; then
    [[ "$code" == "$EXPECT" ]] || { echo "expected HTTP $EXPECT, got $code: curl $*" >&2; return 1; }
  elif (( code >= 400 )); then
    echo "HTTP $code: curl $*" >&2; return 1
  fi
}
${body}
echo
${variables.map((v) => `printf '@@ %s=%s\\n' ${v} "$${v}"`).join('\n')}
`;
  return { script, variables };
}

/** Runs a bash script; its exit code, stdout and stderr. */
function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'readme_examples' });
});
after(async () => {
  await stack?.stop();
});

test('the README finds its examples: the API section\'s sh blocks, every id captured before it is used', () => {
  const blocks = restApiShellBlocks(readFileSync(README, 'utf8'));
  assert.ok(blocks.length >= 6, `${blocks.length} blocks`);
  const all = blocks.join('\n');
  assert.doesNotMatch(all, /npm (ci|run)/, 'no block from outside the section');
  // Every $VARIABLE a command uses is assigned by an earlier line.
  const assigned = new Set<string>();
  for (const line of all.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const [, name] of line.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) assert.ok(assigned.has(name!), `$${name} is used before it is captured: ${line}`);
    const set = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (set) assigned.add(set[1]!);
  }
  for (const id of ['LEARNER', 'COURSE', 'CERT', 'AWARD', 'ATTEMPT', 'NEW_AWARD']) assert.ok(assigned.has(id), `${id} is captured`);
});

test('the README\'s REST API examples run top to bottom against a real stack, and the ids they capture are real', async () => {
  const blocks = restApiShellBlocks(readFileSync(README, 'utf8'));
  const { script, variables } = scriptFor(blocks, stack.api, stack.token);
  const run = await bash(script);
  assert.equal(run.code, 0, `the examples failed (exit ${run.code}):\n${run.stderr}\n--- stdout (end) ---\n${run.stdout.slice(-3000)}`);
  const vars = new Map([...run.stdout.matchAll(/^@@ ([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
  assert.deepEqual([...vars.keys()].sort(), [...variables].sort());
  const id = (name: string): string => {
    const v = vars.get(name) ?? '';
    assert.match(v, UUID, `${name} is an id, not ${JSON.stringify(v)}`);
    return v;
  };
  // The ids are the real things, in the state the examples leave them.
  const learner = await stack.request<LearnerDto>('GET', `/api/learners/${id('LEARNER')}`);
  assert.equal(learner.status, 200);
  assert.equal(learner.body.email, 'marie@example.com');
  const course = await stack.request<CourseDto>('GET', `/api/courses/${id('COURSE')}`);
  assert.equal(course.status, 200);
  assert.equal(course.body.status, 'live');
  assert.equal(course.body.url, 'https://lms.example.com/courses/radiation-safety');
  const cert = await stack.request<CertificateDto>('GET', `/api/certificates/${id('CERT')}`);
  assert.equal(cert.status, 200);
  assert.equal(cert.body.settings.recertification.leadDays, 21, 'the If-Match change is saved; the stale one is not');
  assert.equal(cert.body.settingsVersion, 3);
  assert.equal(vars.get('ETAG'), '"2"');
  const award = await stack.request<{ award: AwardDto }>('GET', `/api/awards/${id('AWARD')}`);
  assert.equal(award.status, 200);
  assert.equal(award.body.award.status, 'revoked');
  assert.equal(award.body.award.expiresAt, '2027-06-01T09:00:00.000Z');
  const attempts = await stack.request<{ attempts: AttemptDto[] }>('GET', `/api/attempts?learnerId=${id('LEARNER')}`);
  assert.equal(attempts.status, 200);
  assert.equal(attempts.body.attempts.find((a) => a.id === id('ATTEMPT'))?.status, 'completed');
  const renewed = await stack.request<{ award: AwardDto }>('GET', `/api/awards/${id('NEW_AWARD')}`);
  assert.equal(renewed.status, 200);
  assert.equal(renewed.body.award.status, 'active');
  assert.equal(renewed.body.award.learnerId, id('LEARNER'));
  assert.equal(renewed.body.award.certificateId, id('CERT'));
  assert.equal(renewed.body.award.sourceAttemptId, id('ATTEMPT'));
});

test('a broken example fails the run, for the reason it is broken: an id captured from the wrong field, an error status, an expected error that does not come', async () => {
  // Each run is made its own (another learner, another idempotency key), so only the breakage can fail it.
  const own = (blocks: string[]): string[] => {
    const n = Math.random().toString(36).slice(2, 8);
    return blocks.map((b) => b.replace('marie@example.com', `marie.${n}@example.com`).replace('award-marie-2026-03', `award-marie-${n}`));
  };
  const readme = restApiShellBlocks(readFileSync(README, 'utf8'));
  const broken = (from: string, to: string): string[] => {
    assert.ok(readme.some((b) => b.includes(from)), `the README has ${from}`);
    return own(readme.map((b) => b.replace(from, to)));
  };
  const cases: [string, string[], RegExp | null][] = [
    ['as written', own(readme), null],
    ['a wrong jq path', broken('| jq -r .certificate.id)', '| jq -r .id)'), /HTTP 400: curl .*\/api\/certificates\/null/],
    ['a 4xx answer', broken('"leadDays": 21', '"leadDays": 0'), /HTTP 400: curl -s -X PATCH/],
    ['a 409 that does not come', broken('# expect: 409', '# expect: 200'), /expected HTTP 200, got 409/],
  ];
  for (const [what, blocks, reason] of cases) {
    const run = await bash(scriptFor(blocks, stack.api, stack.token).script);
    if (!reason) {
      assert.equal(run.code, 0, `${what}: ${run.stderr}`);
      continue;
    }
    assert.notEqual(run.code, 0, `${what}: the run fails`);
    assert.match(run.stderr, reason, what);
  }
});
