/**
 * The audit log (issue 15): each listed change writes one entry in its own transaction, naming the
 * token, the route and only the fields that changed (settings, awards extended and revoked, learners
 * edited, deactivated and erased, courses, imports, tokens); an erasure leaves no personal data in the
 * log; GET /api/audit filters and pages; a transaction killed midway (its change made, its entry being
 * written) leaves neither the change nor the entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntryDto, AuditList, TokenCreated } from '../api/access-schemas.ts';
import type { AwardCreated, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import type { TokenScope } from '../domain/vocabulary.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'audit' });
});
after(async () => {
  await stack?.stop();
});

async function token(name: string, scope: TokenScope): Promise<Record<string, string>> {
  const res = await stack.request<TokenCreated>('POST', '/api/tokens', { name, scope });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { authorization: `Bearer ${res.body.secret}` };
}

async function call<T>(method: string, path: string, body: unknown, headers: Record<string, string>, expect: number): Promise<T> {
  const res = await stack.request<T>(method, path, body, headers);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function audit(query: string): Promise<AuditEntryDto[]> {
  const res = await stack.request<AuditList>('GET', `/api/audit?${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.entries;
}

const days = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString();

test('each listed change writes one entry: who, route, entity and only the changed fields; an erasure keeps no personal data', async () => {
  const hr = await token('hr-system', 'write');
  const dpo = await token('dpo', 'admin');

  // Courses.
  const course = await call<CourseDto>('POST', '/api/courses', { title: 'Forklift', status: 'live' }, hr, 201);
  await call('PATCH', `/api/courses/${course.id}`, { title: 'Forklift Safety' }, hr, 200);
  const [changed, created] = await audit(`entityType=course&entityId=${course.id}`);
  assert.equal(created?.action, 'course.created');
  assert.equal(created?.actor, 'hr-system');
  assert.equal(changed?.action, 'course.changed');
  assert.equal(changed?.route, 'PATCH /api/courses/{id}');
  assert.deepEqual(changed?.before, { title: 'Forklift' });
  assert.deepEqual(changed?.after, { title: 'Forklift Safety' });
  await call('PATCH', `/api/courses/${course.id}`, { title: 'Forklift Safety' }, hr, 200);
  assert.equal((await audit(`entityId=${course.id}`)).length, 2, 'a PATCH that changes nothing writes nothing');

  // Settings.
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Operator', associatedCourseIds: [course.id] }, hr, 201);
  await call('PATCH', `/api/certificates/${certificate.id}`, { settings: { expiration: { enabled: true, validFor: { amount: 1, unit: 'years' } } } }, hr, 200);
  const settings = (await audit(`entityType=certificate&entityId=${certificate.id}&action=certificate.changed`))[0];
  assert.equal(settings?.actor, 'hr-system');
  assert.equal(settings?.route, 'PATCH /api/certificates/{id}');
  // Only the changed fields, by section and field (the defaults were off and 12 months).
  assert.deepEqual(settings?.before, { 'settings.expiration.enabled': false, 'settings.expiration.validFor.amount': 12, 'settings.expiration.validFor.unit': 'months' });
  assert.deepEqual(settings?.after, { 'settings.expiration.enabled': true, 'settings.expiration.validFor.amount': 1, 'settings.expiration.validFor.unit': 'years' });

  // Awards: extend, revoke (an Idempotency-Key repeat writes no second entry).
  const ada = await call<LearnerDto>('POST', '/api/learners', { email: 'ada@example.com', name: 'Ada Lovelace' }, hr, 201);
  const { award } = await call<AwardCreated>('POST', `/api/certificates/${certificate.id}/awards`, { learnerId: ada.id }, hr, 201);
  const later = days(500);
  await call('PATCH', `/api/awards/${award.id}`, { expiresAt: later }, hr, 200);
  await call('POST', `/api/awards/${award.id}/revoke`, { reason: 'left the site' }, { ...hr, 'idempotency-key': 'revoke-1' }, 200);
  await call('POST', `/api/awards/${award.id}/revoke`, { reason: 'left the site' }, { ...hr, 'idempotency-key': 'revoke-1' }, 200);
  const [revoked, extended, ...rest] = await audit(`entityType=award&entityId=${award.id}`);
  assert.equal(rest.length, 0, 'one entry per change, none for the replay');
  assert.equal(extended?.action, 'award.extended');
  assert.deepEqual(extended?.before, { expiresAt: award.expiresAt });
  assert.deepEqual(extended?.after, { expiresAt: new Date(later).toISOString() });
  assert.equal(revoked?.action, 'award.revoked');
  assert.deepEqual(revoked?.after, { status: 'revoked', revokedReason: 'left the site' });

  // Learners: edit, deactivate; another is edited then erased.
  await call('PATCH', `/api/learners/${ada.id}`, { email: 'ada@lovelace.example' }, hr, 200);
  await call('POST', `/api/learners/${ada.id}/deactivate`, undefined, hr, 200);
  const [deactivated, edited] = await audit(`entityType=learner&entityId=${ada.id}`);
  assert.deepEqual(edited?.before, { email: 'ada@example.com' });
  assert.deepEqual(edited?.after, { email: 'ada@lovelace.example' });
  assert.equal(deactivated?.action, 'learner.deactivated');
  assert.deepEqual(deactivated?.after, { status: 'deactivated', revokedAwardIds: [] });

  const grace = await call<LearnerDto>('POST', '/api/learners', { email: 'grace@example.com', name: 'Grace Hopper' }, hr, 201);
  await call('PATCH', `/api/learners/${grace.id}`, { name: 'Grace B. Hopper', email: 'grace@navy.example' }, hr, 200);
  const refused = await stack.request('POST', `/api/learners/${grace.id}/erase`, { confirm: 'grace@navy.example' }, hr);
  assert.equal(refused.status, 403, 'erasure needs admin');
  await call('POST', `/api/learners/${grace.id}/erase`, { confirm: 'grace@navy.example' }, dpo, 200);
  const graceLog = await audit(`entityType=learner&entityId=${grace.id}`);
  assert.deepEqual(graceLog.map((e) => e.action), ['learner.erased', 'learner.edited']);
  assert.equal(graceLog[0]?.actor, 'dpo');
  const text = JSON.stringify(graceLog);
  for (const personal of ['grace', 'Grace', 'Hopper', 'navy']) assert.ok(!text.includes(personal), `no "${personal}" left in the log: ${text}`);
  assert.deepEqual(graceLog[1]?.after, { name: '[erased]', email: '[erased]' });

  // Imports.
  const imp = await call<{ import: { id: string } }>('POST', `/api/certificates/${certificate.id}/imports`, { rows: [{ email: 'lin@example.com', name: 'Lin', awardedAt: days(-1) }] }, hr, 202);
  const [imported] = await audit(`entityType=import&entityId=${imp.import.id}`);
  assert.equal(imported?.action, 'import.created');
  assert.deepEqual(imported?.after, { certificateId: certificate.id, rows: 1, createLearners: false });

  // Tokens (made by the bootstrap token).
  const tokens = await audit('entityType=token&action=token.created');
  assert.deepEqual(tokens.map((e) => [e.actor, e.after?.name]).sort(), [['ADMIN_API_TOKEN', 'dpo'], ['ADMIN_API_TOKEN', 'hr-system']]);
  assert.ok(!JSON.stringify(tokens).includes('rct_'), 'no secret in the log');

  // Filters and paging: every entry exactly once, newest first, two at a time.
  const all = await audit('limit=1000');
  const byActor = await audit('actor=hr-system&limit=1000');
  assert.ok(byActor.length > 0 && byActor.every((e) => e.actor === 'hr-system'));
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: AuditList = (await stack.request<AuditList>('GET', `/api/audit?limit=2${cursor ? `&before=${cursor}` : ''}`)).body;
    seen.push(...page.entries.map((e) => e.id));
    cursor = page.nextBefore;
  } while (cursor);
  assert.deepEqual(seen, all.map((e) => e.id));
  assert.equal((await stack.request('GET', '/api/audit?action=nope')).status, 400);
});

test('a transaction killed midway (change made, entry being written) leaves neither; the same change then commits with its entry', async () => {
  const doomed = await token('doomed', 'write');
  const course = await call<CourseDto>('POST', '/api/courses', { title: 'Cranes', status: 'live' }, doomed, 201);
  const { certificate } = await call<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Crane', associatedCourseIds: [course.id] }, doomed, 201);
  // The entry of the doomed token's next change waits inside its transaction, so it can be killed there.
  await stack.sql.unsafe(`
    create function audit_stall() returns trigger language plpgsql as $$
    begin if new.actor_name = 'doomed' then perform pg_sleep(60); end if; return new; end $$;
    create trigger audit_stall before insert on audit_log for each row execute function audit_stall();`);
  const pending = stack.request('PATCH', `/api/certificates/${certificate.id}`, { title: 'Crane (renamed)' }, doomed);
  let pid: number | undefined;
  for (let i = 0; i < 400 && pid === undefined; i++) {
    const [row] = await stack.sql<{ pid: number }[]>`select pid from pg_stat_activity where wait_event = 'PgSleep' and query ilike '%insert into audit_log%'`;
    pid = row?.pid;
    if (pid === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(pid !== undefined, 'the audit insert is waiting inside the change\'s transaction');
  // Midway: the certificate row is changed and locked by that transaction.
  await assert.rejects(stack.sql`select id from certificates where id = ${certificate.id} for update nowait`, /lock/);
  await stack.sql`select pg_terminate_backend(${pid})`;
  const res = await pending;
  assert.equal(res.status, 500);
  const now = await call<CertificateDto>('GET', `/api/certificates/${certificate.id}`, undefined, doomed, 200);
  assert.equal(now.title, 'Crane', 'no change');
  assert.equal(now.settingsVersion, certificate.settingsVersion);
  assert.equal((await audit(`entityId=${certificate.id}&action=certificate.changed`)).length, 0, 'no entry');

  await stack.sql.unsafe('drop trigger audit_stall on audit_log; drop function audit_stall();');
  await call('PATCH', `/api/certificates/${certificate.id}`, { title: 'Crane (renamed)' }, doomed, 200);
  const [entry] = await audit(`entityId=${certificate.id}&action=certificate.changed`);
  assert.deepEqual([entry?.actor, entry?.before, entry?.after], ['doomed', { title: 'Crane' }, { title: 'Crane (renamed)' }]);
});
