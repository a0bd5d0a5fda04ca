/**
 * The import's managerEmail column (issue 14 §4 for the bulk import) on the real stack (PostgreSQL,
 * Temporal dev server, workers, API): a CSV with manager emails sets them (read back through the
 * learners API, the change audited as a learner edit of the import's actor), a bad address rejects its
 * row `bad_manager_email` and writes nothing of it, an empty cell keeps the saved manager, the same
 * file again is a no-op, a file with a changed manager is applied even though the awards are there,
 * and an erasure clears the manager from the learner's import rows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntryDto, AuditList } from '../api/access-schemas.ts';
import type { ImportCreated, ImportDto, ImportPlan } from '../api/import-schemas.ts';
import type { CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { startStack, type TestStack } from './support/stack.ts';
import { tableSnapshot } from './support/stack/database.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'api_imports_mgr' });
});
after(async () => {
  await stack?.stop();
});

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const date = (n: number): string => new Date(Date.now() + n * DAY_MS).toISOString().slice(0, 10);

/** Every table an import (or its manager changes) could write: row count and content digest. */
const snapshot = (tables: readonly string[]): Promise<Record<string, string>> => tableSnapshot(stack.sql, tables);
const WRITTEN = ['learners', 'awards', 'imports', 'import_rows', 'audit_log'];

async function postCsv<T>(path: string, csv: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' }, body: csv });
  return { status: res.status, body: (await res.json()) as T };
}

async function completed(id: string): Promise<ImportDto> {
  return await stack.eventually('the import completed', async () => {
    const res = await stack.request<ImportDto>('GET', `/api/imports/${id}`);
    return res.body.status === 'completed' ? res.body : null;
  }, 120_000);
}

async function learnerByEmail(email: string): Promise<LearnerDto | null> {
  const list = await ok<{ learners: LearnerDto[] }>('GET', `/api/learners?email=${encodeURIComponent(email)}`);
  return list.learners[0] ?? null;
}

async function auditOf(learnerId: string): Promise<AuditEntryDto[]> {
  return (await ok<AuditList>('GET', `/api/audit?entityType=learner&entityId=${learnerId}`)).entries;
}

test('a CSV with managerEmail: set on new and existing learners (audited), a bad one rejects its row and writes nothing, an empty cell keeps the saved manager, the same file is a no-op, a changed manager is applied, an erasure clears it', { timeout: 300_000 }, async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Ladder Safety Refresher', status: 'live' });
  const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Ladder Safety',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' } },
  });
  const kept = await ok<LearnerDto>('POST', '/api/learners', { email: 'kept@example.com', name: 'Kept Manager', managerEmail: 'saved.boss@example.com' });
  const moving = await ok<LearnerDto>('POST', '/api/learners', { email: 'moving@example.com', name: 'Moving On', managerEmail: 'old.boss@example.com' });
  const path = `/api/certificates/${certificate.id}/imports`;
  const awardedAt = date(-100);
  // The header in another case (matched case-insensitively, like the other columns).
  const file = (movingBoss: string): string =>
    [
      'email,name,awardedAt,ManagerEmail',
      `new.hire@example.com,New Hire,${awardedAt},boss.one@example.com`, // 1 created with a manager
      `moving@example.com,Moving On,${awardedAt},${movingBoss}`, // 2 existing: manager changed
      `kept@example.com,Kept Manager,${awardedAt},`, // 3 existing, empty cell: the saved manager stays
      `bad.boss@example.com,Bad Boss,${awardedAt},not-an-address`, // 4 bad_manager_email
      `reserved.boss@example.com,Reserved Boss,${awardedAt},boss@example.invalid`, // 5 bad_manager_email (the API's .invalid rule)
    ].join('\r\n') + '\r\n';

  // The dry run: the plan says which rows set a manager, and writes nothing.
  const untouched = await snapshot(WRITTEN);
  const plan = await postCsv<ImportPlan>(`${path}?dryRun=true&createLearners=true`, file('new.boss@example.com'));
  assert.equal(plan.status, 200, JSON.stringify(plan.body));
  assert.deepEqual(
    plan.body.rows.map((r) => [r.outcome, r.reason, r.setsManager, r.managerEmail]),
    [
      ['schedule', null, true, 'boss.one@example.com'],
      ['schedule', null, true, 'new.boss@example.com'],
      ['schedule', null, false, null],
      ['reject', 'bad_manager_email', false, 'not-an-address'],
      ['reject', 'bad_manager_email', false, 'boss@example.invalid'],
    ],
  );
  assert.equal(plan.body.totals.setsManager, 2);
  assert.deepEqual(await snapshot(WRITTEN), untouched, 'the dry run wrote nothing');

  // The apply.
  const posted = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('new.boss@example.com'));
  assert.equal(posted.status, 202, JSON.stringify(posted.body));
  assert.equal(posted.body.import.byReason.bad_manager_email, 2, 'rejected at intake');
  const done = await completed(posted.body.import.id);
  assert.deepEqual(done.progress, { pending: 0, done: 3, rejected: 2, processed: 5 });
  assert.deepEqual(done.errors.map((e) => [e.row, e.email, e.reason]), [[4, 'bad.boss@example.com', 'bad_manager_email'], [5, 'reserved.boss@example.com', 'bad_manager_email']]);
  assert.equal(done.learnersCreated, 1);
  assert.equal(done.managersSet, 2);

  // Read back through the API.
  const hire = await learnerByEmail('new.hire@example.com');
  assert.equal(hire?.managerEmail, 'boss.one@example.com', 'a created learner gets the row\'s manager');
  assert.equal((await learnerByEmail('moving@example.com'))?.managerEmail, 'new.boss@example.com', 'an existing learner\'s manager is changed');
  assert.equal((await learnerByEmail('kept@example.com'))?.managerEmail, 'saved.boss@example.com', 'an empty cell keeps the saved manager');
  for (const email of ['bad.boss@example.com', 'reserved.boss@example.com']) {
    assert.equal(await learnerByEmail(email), null, `${email}: no learner created for a rejected row`);
  }
  const [awards] = await stack.sql<{ n: number }[]>`
    select count(*)::int as n from awards a join learners l on l.id = a.learner_id
    where a.certificate_id = ${certificate.id} and lower(l.email) in ('bad.boss@example.com', 'reserved.boss@example.com')`;
  assert.equal(awards!.n, 0, 'nothing awarded for a rejected row');
  // The change is audited like an edit through the API: only the manager, by the import's actor and route.
  const [edit] = await auditOf(moving.id);
  assert.equal(edit?.action, 'learner.edited');
  assert.deepEqual([edit?.before, edit?.after], [{ managerEmail: 'old.boss@example.com' }, { managerEmail: 'new.boss@example.com' }]);
  assert.equal(edit?.actor, 'ADMIN_API_TOKEN');
  assert.equal(edit?.route, 'POST /api/certificates/{id}/imports');
  assert.deepEqual(await auditOf(kept.id), [], 'nothing recorded for the learner whose manager stayed');
  // The errors CSV carries the bad cell under its column.
  const errorsCsv = await fetch(`${stack.api}/api/imports/${done.id}/errors.csv`, { headers: { authorization: `Bearer ${stack.token}` } });
  const lines = (await errorsCsv.text()).trim().split('\r\n');
  assert.equal(lines[0], 'row,email,name,awardedAt,expiresAt,managerEmail,reason');
  assert.equal(lines[1], `4,bad.boss@example.com,Bad Boss,${awardedAt},,not-an-address,bad_manager_email`);

  // The same file again: the same import, nothing written.
  const settled = await snapshot(WRITTEN);
  const again = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('new.boss@example.com'));
  assert.equal(again.status, 200);
  assert.equal(again.body.created, false);
  assert.equal(again.body.import.id, done.id);
  assert.deepEqual(await snapshot(WRITTEN), settled, 're-uploading the same file wrote nothing');

  // The file with another manager for row 2: a new import; the awards are there (already_awarded), the manager is applied.
  const changed = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('newer.boss@example.com'));
  assert.equal(changed.status, 202, JSON.stringify(changed.body));
  assert.notEqual(changed.body.import.id, done.id);
  const redone = await completed(changed.body.import.id);
  assert.deepEqual(redone.byReason, { already_awarded: 3, bad_manager_email: 2 });
  assert.equal(redone.managersSet, 1, 'only the changed manager');
  assert.equal((await learnerByEmail('moving@example.com'))?.managerEmail, 'newer.boss@example.com');
  assert.equal((await learnerByEmail('new.hire@example.com'))?.managerEmail, 'boss.one@example.com');
  assert.equal((await learnerByEmail('kept@example.com'))?.managerEmail, 'saved.boss@example.com');
  const edits = await auditOf(moving.id);
  assert.deepEqual(edits.map((e) => [e.action, e.after]), [['learner.edited', { managerEmail: 'newer.boss@example.com' }], ['learner.edited', { managerEmail: 'new.boss@example.com' }]]);

  // An erasure: the learner's import rows lose the manager with the email and name, and so does the audit log.
  await ok('POST', `/api/learners/${moving.id}/erase`, { confirm: 'moving@example.com' });
  const rows = await stack.sql<{ email: string; managerEmail: string | null }[]>`
    select email, manager_email from import_rows where learner_id = ${moving.id} or email ilike '%moving%'`;
  assert.equal(rows.length, 2, 'one row in each import');
  for (const r of rows) assert.deepEqual(r, { email: `erased-${moving.id}@erased.invalid`, managerEmail: null });
  const [left] = await stack.sql<{ n: number }[]>`select count(*)::int as n from import_rows where manager_email ilike '%new%.boss%'`;
  assert.equal(left!.n, 0, 'no import row holds the erased learner\'s managers');
  const redacted = JSON.stringify(await auditOf(moving.id));
  assert.ok(!redacted.includes('boss'), `no manager left in the learner's audit entries: ${redacted}`);
  assert.equal((await learnerByEmail('new.hire@example.com'))?.managerEmail, 'boss.one@example.com', 'another learner keeps theirs');
});

test('an earlier file posted again to put a manager back is applied (not the first import\'s answer); erasing a learner who is a manager clears their address from the learners they manage, import rows, audit entries and the digest ledger', { timeout: 300_000 }, async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Scaffold Safety Refresher', status: 'live' });
  const { certificate } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title: 'Scaffold Safety',
    associatedCourseIds: [course.id],
    settings: { expiration: { enabled: true, validFor: { amount: 365, unit: 'days' }, anchor: 'completion' } },
  });
  const alice = await ok<LearnerDto>('POST', '/api/learners', { email: 'alice.manager@example.com', name: 'Alice Manager' });
  const path = `/api/certificates/${certificate.id}/imports`;
  const awardedAt = date(-50);
  const file = (boss: string): string => ['email,name,awardedAt,managerEmail', `carol.worker@example.com,Carol Worker,${awardedAt},${boss}`].join('\r\n') + '\r\n';

  const first = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('Alice.Manager@example.com'));
  assert.equal(first.status, 202, JSON.stringify(first.body));
  await completed(first.body.import.id);
  const carol = await learnerByEmail('carol.worker@example.com');
  assert.equal(carol?.managerEmail, 'Alice.Manager@example.com');
  const second = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('m2@example.com'));
  assert.equal(second.status, 202, JSON.stringify(second.body));
  await completed(second.body.import.id);
  assert.equal((await learnerByEmail('carol.worker@example.com'))?.managerEmail, 'm2@example.com');

  // The first file again: its manager differs from the saved one, so it is an import of its own.
  const restore = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('Alice.Manager@example.com'));
  assert.equal(restore.status, 202, `a new import, not the first one's answer: ${JSON.stringify(restore.body)}`);
  assert.ok(![first.body.import.id, second.body.import.id].includes(restore.body.import.id));
  const restored = await completed(restore.body.import.id);
  assert.equal(restored.managersSet, 1);
  assert.deepEqual(restored.byReason, { already_awarded: 1 });
  assert.equal((await learnerByEmail('carol.worker@example.com'))?.managerEmail, 'Alice.Manager@example.com', 'the manager is back');
  // And again: now nothing would change, so it is the first import's answer, and nothing is written.
  const settled = await snapshot(WRITTEN);
  const same = await postCsv<ImportCreated>(`${path}?createLearners=true`, file('Alice.Manager@example.com'));
  assert.equal(same.status, 200, JSON.stringify(same.body));
  assert.equal(same.body.created, false);
  assert.deepEqual(await snapshot(WRITTEN), settled, 'the same file with nothing to change wrote nothing');

  // Alice received a digest as Carol's manager.
  await stack.sql`
    insert into digest_sends (period, recipient, audience, status, idempotency_key, provider, from_address, entry_count, completed_at)
    values ('2026-11-23', 'alice.manager@example.com', 'manager', 'sent', 'digest:2026-11-23:alice.manager@example.com', 'log', 'academy@example.com', 1, now())`;

  // Alice is erased.
  await ok('POST', `/api/learners/${alice.id}/erase`, { confirm: 'alice.manager@example.com' });
  assert.equal((await learnerByEmail('carol.worker@example.com'))?.managerEmail, null, 'Carol no longer names the erased learner as manager');
  const [rows] = await stack.sql<{ n: number }[]>`select count(*)::int as n from import_rows where manager_email ilike 'alice.manager@example.com'`;
  assert.equal(rows!.n, 0, 'no import row names her');
  const [audit] = await stack.sql<{ n: number }[]>`select count(*)::int as n from audit_log where before::text ilike '%alice.manager%' or after::text ilike '%alice.manager%'`;
  assert.equal(audit!.n, 0, 'no audit entry names her');
  const [cleared] = await auditOf(carol!.id);
  assert.deepEqual([cleared?.action, cleared?.before, cleared?.after], ['learner.edited', { managerEmail: '[erased]' }, { managerEmail: null }], 'the change to Carol is audited without the address');
  const digests = await stack.sql<{ recipient: string; idempotencyKey: string }[]>`select recipient, idempotency_key from digest_sends where period = '2026-11-23'`;
  assert.deepEqual([...digests], [{ recipient: `erased-${alice.id}@erased.invalid`, idempotencyKey: `digest:2026-11-23:erased-${alice.id}@erased.invalid` }], 'the digest ledger keeps the send, not the address');
});
