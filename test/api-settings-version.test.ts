/**
 * Optimistic concurrency on a certificate (issue 17 §5), end to end on the real stack: the ETag is
 * the certificate's `settingsVersion`; a PATCH with `If-Match` is checked inside its transaction, so
 * of two saves made at the same version exactly one commits and the other is a 409
 * `version_conflict`; without If-Match the last writer wins, as before. Also the reminder warnings of
 * issue 17 §12 as the API answers and documents them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateDto, CourseDto } from '../api/schemas.ts';
import { startStack, type StackResponse, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'settings_version', workers: false });
});
after(async () => {
  await stack?.stop();
});

interface PatchAnswer {
  certificate: CertificateDto;
  warnings: { code: string; field: string; message: string }[];
}
interface ErrorAnswer {
  error: { code: string; message: string; details: { settingsVersion?: number; ifMatch?: string | null; issues?: { path: string }[] } };
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await stack.request<T>(method, path, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const patch = <T = PatchAnswer>(id: string, body: unknown, ifMatch?: string): Promise<StackResponse<T>> =>
  stack.request<T>('PATCH', `/api/certificates/${id}`, body, ifMatch === undefined ? {} : { 'if-match': ifMatch });

let courseId: string;
async function certificate(title = 'Forklift Operator'): Promise<CertificateDto> {
  courseId ??= (await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift Refresher', status: 'live' })).id;
  const { certificate: cert } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [courseId],
    settings: { expiration: { enabled: true }, recertification: { enabled: true, courseId, leadDays: 30 } },
  });
  return cert;
}
const stored = async (id: string) => {
  const [row] = await stack.sql<{ settings: CertificateDto['settings']; settingsVersion: number }[]>`
    select settings, settings_version from certificates where id = ${id}`;
  return row!;
};

/**
 * Runs `requests` while the certificate's row is locked by another transaction, and releases the lock
 * only once `waiting` of them wait for it: they then all read and act at the same moment, so a check
 * made outside the transaction (read, then write) would let every one of them through.
 */
async function racing<T>(certId: string, waiting: number, requests: () => Promise<T>): Promise<T> {
  let pending: Promise<T> | undefined;
  await stack.sql.begin(async (tx) => {
    await tx`select id from certificates where id = ${certId} for update`;
    pending = requests();
    await stack.eventually(`${waiting} requests waiting for the certificate's row lock`, async () => {
      const [row] = await stack.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
      return (row?.n ?? 0) >= waiting;
    });
  });
  return await pending!;
}

test('the ETag is the settingsVersion on POST, GET and PATCH; every change raises it, a no-op does not', async () => {
  const courseRes = await stack.request<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Rigger', associatedCourseIds: [] });
  assert.equal(courseRes.status, 201);
  assert.equal(courseRes.headers.get('etag'), `"${courseRes.body.certificate.settingsVersion}"`);
  const cert = await certificate();
  const got = await stack.request<CertificateDto>('GET', `/api/certificates/${cert.id}`);
  assert.equal(got.headers.get('etag'), `"${cert.settingsVersion}"`);

  const settings = await patch(cert.id, { settings: { recertification: { leadDays: 20 } } });
  assert.equal(settings.status, 200);
  assert.equal(settings.body.certificate.settingsVersion, cert.settingsVersion + 1);
  assert.equal(settings.headers.get('etag'), `"${cert.settingsVersion + 1}"`);
  // Associated content alone, and the title alone, are changes too (the Settings form edits the first).
  const other = await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift Basics', status: 'live' });
  const associated = await patch(cert.id, { associatedCourseIds: [courseId, other.id] });
  assert.equal(associated.body.certificate.settingsVersion, cert.settingsVersion + 2);
  const titled = await patch(cert.id, { title: 'Forklift Operator (class B)' });
  assert.equal(titled.body.certificate.settingsVersion, cert.settingsVersion + 3);
  assert.equal(titled.headers.get('etag'), `"${cert.settingsVersion + 3}"`);
  // Nothing changed: same version, same ETag, same updatedAt.
  const same = await patch(cert.id, { title: 'Forklift Operator (class B)', associatedCourseIds: [courseId, other.id], settings: { recertification: { leadDays: 20 } } });
  assert.equal(same.status, 200);
  assert.equal(same.body.certificate.settingsVersion, cert.settingsVersion + 3);
  assert.equal(same.body.certificate.updatedAt, titled.body.certificate.updatedAt);
});

test('two saves at the same version at the same moment: exactly one 200, one 409 version_conflict, and the winner\'s settings are saved', async () => {
  const cert = await certificate();
  const etag = `"${cert.settingsVersion}"`;
  const [a, b] = await racing(cert.id, 2, () =>
    Promise.all([
      patch(cert.id, { settings: { recertification: { leadDays: 20, reminderDaysBeforeExpiry: [7] } } }, etag),
      patch(cert.id, { settings: { recertification: { leadDays: 25 }, expiredNotice: { enabled: true } } }, etag),
    ]),
  );
  assert.deepEqual([a.status, b.status].sort(), [200, 409], JSON.stringify([a.body, b.body]));
  const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
  const won = winner.body as PatchAnswer;
  const lost = loser.body as unknown as ErrorAnswer;
  assert.equal(lost.error.code, 'version_conflict');
  assert.equal(lost.error.details.settingsVersion, cert.settingsVersion + 1, 'names the current version');
  assert.equal(lost.error.details.ifMatch, etag);
  assert.equal(loser.headers.get('etag'), `"${cert.settingsVersion + 1}"`, 'and gives it as the ETag');
  const now = await stored(cert.id);
  assert.deepEqual(now.settings, won.certificate.settings, 'the saved settings are the winner\'s');
  assert.equal(now.settingsVersion, cert.settingsVersion + 1, 'one change, one version');
  const loserWanted = winner === a ? { leadDays: 25, expiredNotice: true } : { leadDays: 20, expiredNotice: false };
  assert.notEqual(now.settings.recertification.leadDays, loserWanted.leadDays, 'nothing of the refused change');

  // The loser reads again and re-applies its change at the new version: it saves.
  const retried = await patch(cert.id, { settings: { expiredNotice: { enabled: true } } }, `"${now.settingsVersion}"`);
  assert.equal(retried.status, 200);
});

test('five saves at the same version, unsynchronised: exactly one commits', async () => {
  const cert = await certificate();
  const etag = `"${cert.settingsVersion}"`;
  const answers = await Promise.all([10, 11, 12, 13, 14].map((leadDays) => patch(cert.id, { settings: { recertification: { leadDays } } }, etag)));
  const statuses = answers.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 409).length, 4, JSON.stringify(statuses));
  const winner = answers.find((r) => r.status === 200)!.body;
  const now = await stored(cert.id);
  assert.equal(now.settings.recertification.leadDays, winner.certificate.settings.recertification.leadDays);
  assert.equal(now.settingsVersion, cert.settingsVersion + 1);
});

test('without If-Match a PATCH applies to the current version, as before (last writer wins)', async () => {
  const cert = await certificate();
  const [a, b] = await racing(cert.id, 2, () =>
    Promise.all([patch(cert.id, { settings: { recertification: { leadDays: 20 } } }), patch(cert.id, { settings: { expiredNotice: { enabled: true } } })]),
  );
  assert.deepEqual([a.status, b.status], [200, 200]);
  const now = await stored(cert.id);
  assert.equal(now.settingsVersion, cert.settingsVersion + 2);
  // Partial patches both land (each changes different fields).
  assert.equal(now.settings.recertification.leadDays, 20);
  assert.equal(now.settings.expiredNotice.enabled, true);
});

test('If-Match forms: *, a list naming the version, a weak tag (never matches), malformed (400), unknown certificate (404)', async () => {
  const cert = await certificate();
  const v = cert.settingsVersion;
  assert.equal((await patch(cert.id, { settings: { recertification: { leadDays: 21 } } }, '*')).status, 200);
  assert.equal((await patch(cert.id, { settings: { recertification: { leadDays: 22 } } }, `"${v - 1}", "${v + 1}"`)).status, 200, 'a list naming the current version');
  const weak = await patch<ErrorAnswer>(cert.id, { settings: { recertification: { leadDays: 23 } } }, `W/"${v + 2}"`);
  assert.equal(weak.status, 409, 'If-Match compares strongly');
  assert.equal(weak.body.error.code, 'version_conflict');
  const stale = await patch<ErrorAnswer>(cert.id, { title: 'Renamed' }, `"${v}"`);
  assert.equal(stale.status, 409, 'any change, not only settings, needs the current version');
  assert.equal((await stored(cert.id)).settings.recertification.leadDays, 22, 'nothing saved by the refused ones');
  for (const bad of [`${v + 2}`, `"${v + 2}`, '', 'W/7']) {
    const res = await patch<ErrorAnswer>(cert.id, { settings: { recertification: { leadDays: 24 } } }, bad);
    assert.equal(res.status, 400, `If-Match ${JSON.stringify(bad)}`);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.equal(res.body.error.details.issues?.[0]?.path, 'if-match');
  }
  assert.equal((await stored(cert.id)).settings.recertification.leadDays, 22);
  const unknown = await patch<ErrorAnswer>('00000000-0000-4000-8000-000000000000', { title: 'x' }, '"1"');
  assert.equal(unknown.status, 404);
});

test('the API answers the reminder warnings (issue 17 §12) and documents their codes', async () => {
  const cert = await certificate();
  const res = await patch(cert.id, {
    settings: { expiration: { validFor: { amount: 1, unit: 'months' } }, recertification: { leadDays: 20, reminderDaysBeforeExpiry: [28, 25, 7, 7] } },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const reminderWarnings = res.body.warnings.filter((w) => w.field === 'recertification.reminderDaysBeforeExpiry').map((w) => w.code);
  assert.deepEqual(reminderWarnings, ['reminder_exceeds_validity', 'reminder_before_enrollment', 'duplicate_reminder_days']);
  assert.deepEqual(res.body.certificate.settings.recertification.reminderDaysBeforeExpiry, [28, 25, 7, 7], 'saved all the same');
  const doc = await ok<{ components: { schemas: Record<string, { properties?: { code?: { enum?: string[] } } }> } }>('GET', '/api/openapi.json');
  const codes = doc.components.schemas.SettingsWarning?.properties?.code?.enum ?? [];
  for (const code of ['reminder_before_enrollment', 'reminder_exceeds_validity', 'duplicate_reminder_days']) assert.ok(codes.includes(code), code);
});
