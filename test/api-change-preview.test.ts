/**
 * The change-impact preview (`PATCH /api/certificates/:id?dryRun=true`, issue 9 §4) end to end on the
 * real stack: its numbers against a seeded set of awards in various phases, then the same change
 * saved and what the workflows really did (attempts, messages, due times) compared with the preview;
 * a dry run changes nothing and signals nothing; bad input is refused exactly as the save refuses it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AwardCreated, AwardList, AwardView, CertificateChangePreview, CertificateChanged, CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { DAY_MS } from '../domain/dates.ts';
import { startStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
before(async () => {
  stack = await startStack({ dbPrefix: 'change_preview' });
});
after(async () => {
  await stack?.stop();
});

async function ok<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await stack.request<T>(method, path, body, headers);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const VALIDITY_DAYS = 365;

/** A certificate valid 365 days, expiring notice on, recertification off (lead 30), with `course` as associated content. */
async function certificate(courseId: string, title: string): Promise<CertificateDto> {
  const { certificate: cert } = await ok<{ certificate: CertificateDto }>('POST', '/api/certificates', {
    title,
    associatedCourseIds: [courseId],
    settings: { expiration: { enabled: true, validFor: { amount: VALIDITY_DAYS, unit: 'days' } }, expiringNotice: { enabled: true } },
  });
  return cert;
}

/** Awards the certificate to a new learner so that it expires `days` from now (back-dated). */
async function awardExpiringIn(certId: string, days: number): Promise<AwardCreated['award']> {
  const learner = await ok<LearnerDto>('POST', '/api/learners', { email: `l-${randomUUID().slice(0, 8)}@example.com`, name: 'Grace Hopper' });
  const awardedAt = new Date(Date.now() + (days - VALIDITY_DAYS) * DAY_MS).toISOString();
  const { award } = await ok<AwardCreated>('POST', `/api/certificates/${certId}/awards`, { learnerId: learner.id, awardedAt });
  return award;
}

const countOf = async (sqlText: 'attempts' | 'expiring' | 'recert_enrollment', awardIds: string[]): Promise<number> => {
  const [row] =
    sqlText === 'attempts'
      ? await stack.sql<{ n: number }[]>`select count(*)::int as n from course_attempts where source = 'recertification' and award_id = any(${awardIds}::uuid[])`
      : await stack.sql<{ n: number }[]>`select count(*)::int as n from messages where award_id = any(${awardIds}::uuid[])
          and kind = ${sqlText === 'expiring' ? 'certificate_expiring' : 'recertification_enrollment'}`;
  return row?.n ?? 0;
};

test('the preview counts the seeded awards, changes nothing, and the save then does what it said', async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Forklift Refresher', status: 'live' });
  const cert = await certificate(course.id, 'Forklift Operator');
  // Waiting for settings (inside the 30-day window, recertification off): each gets the expiring notice.
  const waiting = [await awardExpiringIn(cert.id, 10), await awardExpiringIn(cert.id, 12), await awardExpiringIn(cert.id, 20)];
  // Scheduled, due in 10 and 8 days; a 45-day lead puts them inside the window.
  const soon = [await awardExpiringIn(cert.id, 40), await awardExpiringIn(cert.id, 38)];
  // Scheduled, due in 70 days; a 45-day lead moves it to 55 days.
  const later = await awardExpiringIn(cert.id, 100);
  const all = [...waiting, ...soon, later].map((a) => a.id);
  await stack.eventually('the waiting ones sent their expiring notice', async () => (await countOf('expiring', all)) === 3);
  await stack.eventually('every workflow started', async () => {
    const [row] = await stack.sql<{ n: number }[]>`select count(*)::int as n from awards where id = any(${all}::uuid[]) and workflow_started_at is not null`;
    return row?.n === all.length;
  });
  await stack.eventually('the waiting ones are waiting for settings', async () => {
    for (const a of waiting) {
      const view = await ok<AwardView>('GET', `/api/awards/${a.id}`);
      if (view.recertification?.phase !== 'waiting_for_settings') return false;
    }
    return true;
  });

  const change = { settings: { recertification: { enabled: true, courseId: course.id, leadDays: 45 } } };
  const versionBefore = cert.settingsVersion;
  const dry = await stack.request<CertificateChangePreview>('PATCH', `/api/certificates/${cert.id}?dryRun=true`, change);
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  assert.equal(dry.headers.get('etag'), `"${versionBefore}"`, 'the ETag is the current version: nothing was saved');
  const p = dry.body;
  assert.equal(p.dryRun, true);
  assert.equal(p.changes, true);
  assert.equal(p.certificate.settingsVersion, versionBefore);
  assert.equal(p.certificate.settings.recertification.leadDays, 45, 'the certificate as the change would save it');
  assert.equal(p.signalled, 6);
  const expectedEarliest = new Date(Date.parse(later.expiresAt!) - 45 * DAY_MS).toISOString();
  assert.deepEqual(
    { ...p.impact, asOf: undefined },
    {
      asOf: undefined,
      running: 6,
      enrollNow: 2,
      released: 3,
      waitingNow: 0,
      rescheduled: 1,
      earliestNewDueAt: expectedEarliest,
      secondEmail: 3,
      messagesNow: { certificate_expiring: 2, recertification_enrollment: 3, course_enrollment: 0 },
    },
  );

  // Nothing changed: the version and settings, no propagation, no signal reached a workflow, no attempt.
  const [row] = await stack.sql<{ settingsVersion: number; enabled: boolean }[]>`
    select settings_version, (settings -> 'recertification' ->> 'enabled')::boolean as enabled from certificates where id = ${cert.id}`;
  assert.deepEqual(row, { settingsVersion: versionBefore, enabled: false });
  const [props] = await stack.sql<{ n: number }[]>`select count(*)::int as n from settings_propagations where certificate_id = ${cert.id}`;
  assert.equal(props?.n, 0);
  await new Promise((r) => setTimeout(r, 1_000));
  for (const id of all) {
    const view = await ok<AwardView>('GET', `/api/awards/${id}`);
    assert.ok(!view.recertification?.history.some((h) => h.event === 'settings_changed'), `award ${id} got no settings signal`);
  }
  assert.equal(await countOf('attempts', all), 0);

  // The save, at the version the preview showed: then what the workflows do matches the preview.
  const saved = await ok<CertificateChanged>('PATCH', `/api/certificates/${cert.id}`, change, { 'if-match': dry.headers.get('etag')! });
  assert.equal(saved.signalled, p.signalled);
  await stack.eventually(`${p.impact.enrollNow + p.impact.released} attempts created`, async () => (await countOf('attempts', all)) === p.impact.enrollNow + p.impact.released);
  await stack.eventually('the messages the preview counted went out', async () =>
    (await countOf('recert_enrollment', all)) === p.impact.messagesNow.recertification_enrollment &&
    (await countOf('expiring', all)) === 3 + p.impact.messagesNow.certificate_expiring,
  );
  await stack.eventually('the rescheduled one is due at the earliest new due time', async () => {
    const view = await ok<AwardView>('GET', `/api/awards/${later.id}`);
    return view.recertification?.phase === 'scheduled' && view.recertification.dueAt === p.impact.earliestNewDueAt;
  });
  // Settle, then nothing more than counted happened.
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(await countOf('attempts', all), 5);
  assert.equal(await countOf('recert_enrollment', all), 3);
  assert.equal(await countOf('expiring', all), 5);

  // A change that running workflows do not act on (the validity of later awards) counts nothing.
  const validity = await ok<CertificateChangePreview>('PATCH', `/api/certificates/${cert.id}?dryRun=true`, {
    settings: { expiration: { validFor: { amount: 400, unit: 'days' } } },
  });
  assert.equal(validity.signalled, 0);
  assert.equal(validity.impact.running, 0);
  assert.equal(validity.impact.enrollNow + validity.impact.released + validity.impact.rescheduled, 0);
});

test('an enrolled award\'s due time does not move with the lead days: the preview does not count it, and after the save the API still answers the enrollment\'s due time', async () => {
  const course = await ok<CourseDto>('POST', '/api/courses', { title: 'Crane Refresher', status: 'live' });
  const cert = await certificate(course.id, 'Crane Operator');
  await ok('PATCH', `/api/certificates/${cert.id}`, { settings: { recertification: { enabled: true, courseId: course.id, leadDays: 30 } } });
  const enrolled = await awardExpiringIn(cert.id, 10); // inside the 30-day window: enrolled at once, due 20 days ago
  const scheduled = await awardExpiringIn(cert.id, 100); // due in 70 days
  const enrolledDue = new Date(Date.parse(enrolled.expiresAt!) - 30 * DAY_MS).toISOString();
  const viewOf = async (id: string): Promise<AwardView> => await ok<AwardView>('GET', `/api/awards/${id}`);
  await stack.eventually('the first is enrolled', async () => (await viewOf(enrolled.id)).recertification?.phase === 'assigned');
  await stack.eventually('the second is scheduled', async () => (await viewOf(scheduled.id)).recertification?.phase === 'scheduled');
  assert.equal((await viewOf(enrolled.id)).recertification?.dueAt, enrolledDue);

  const change = { settings: { recertification: { leadDays: 20 } } };
  const p = (await ok<CertificateChangePreview>('PATCH', `/api/certificates/${cert.id}?dryRun=true`, change)).impact;
  assert.equal(p.running, 2);
  assert.equal(p.rescheduled, 1, 'only the scheduled award is rescheduled; the enrolled one keeps its due time');
  assert.equal(p.earliestNewDueAt, new Date(Date.parse(scheduled.expiresAt!) - 20 * DAY_MS).toISOString());
  assert.equal(p.enrollNow + p.released + p.waitingNow, 0);

  const saved = await ok<CertificateChanged>('PATCH', `/api/certificates/${cert.id}`, change);
  const version = saved.certificate.settingsVersion;
  const view = await stack.eventually('the enrolled workflow took the change in', async () => {
    const v = await viewOf(enrolled.id);
    return v.recertification?.settingsVersion === version ? v : null;
  });
  assert.equal(view.recertification?.settings?.recertification.leadDays, 20);
  assert.equal(view.recertification?.dueAt, enrolledDue, 'the status query: still the enrollment\'s due time, not expiry − 20 days');
  const newDue = new Date(Date.parse(scheduled.expiresAt!) - 20 * DAY_MS).toISOString();
  // The list reads the RecertificationDueAt search attribute (visibility), as the admin page's Awards tab does.
  const listed = await stack.eventually('the list shows the scheduled award\'s new due time', async () => {
    const list = await ok<AwardList>('GET', `/api/awards?certificateId=${cert.id}&include=recertification`);
    const byId = new Map(list.awards.map((a) => [a.id, a.recertification ?? null]));
    return byId.get(scheduled.id)?.dueAt === newDue ? byId : null;
  });
  assert.equal(listed.get(enrolled.id)?.phase, 'assigned');
  assert.equal(listed.get(enrolled.id)?.dueAt, enrolledDue, 'the search attribute: still the enrollment\'s due time');
});

test('a dry run refuses bad input exactly as the save does, and saves nothing either way', async () => {
  const live = await ok<CourseDto>('POST', '/api/courses', { title: 'Rigging Refresher', status: 'live' });
  const draft = await ok<CourseDto>('POST', '/api/courses', { title: 'Rigging Draft' });
  const cert = await certificate(live.id, 'Rigger');
  const cases: { name: string; id?: string; body: unknown; headers?: Record<string, string>; status: number; code: string }[] = [
    { name: 'lead days out of range', body: { settings: { recertification: { leadDays: 0 } } }, status: 400, code: 'validation_failed' },
    { name: 'unknown field', body: { settings: { recertification: { lead: 3 } } }, status: 400, code: 'validation_failed' },
    { name: 'course not live', body: { settings: { recertification: { enabled: true, courseId: draft.id } } }, status: 422, code: 'course_not_live' },
    { name: 'recertification without a course', body: { settings: { recertification: { enabled: true } } }, status: 422, code: 'course_required' },
    {
      name: 'lead longer than the validity',
      body: { settings: { recertification: { enabled: true, courseId: live.id, leadDays: 365 } } },
      status: 422,
      code: 'lead_days_exceed_validity',
    },
    { name: 'unknown associated course', body: { associatedCourseIds: [randomUUID()] }, status: 422, code: 'unknown_course' },
    { name: 'stale If-Match', body: { title: 'Rigger II' }, headers: { 'if-match': '"999"' }, status: 409, code: 'version_conflict' },
    { name: 'malformed If-Match', body: { title: 'Rigger II' }, headers: { 'if-match': '999' }, status: 400, code: 'validation_failed' },
    { name: 'unknown certificate', id: randomUUID(), body: { title: 'Rigger II' }, status: 404, code: 'not_found' },
  ];
  for (const c of cases) {
    const path = `/api/certificates/${c.id ?? cert.id}`;
    const dry = await stack.request<{ error: { code: string; message: string } }>('PATCH', `${path}?dryRun=true`, c.body, c.headers);
    const real = await stack.request<{ error: { code: string; message: string } }>('PATCH', path, c.body, c.headers);
    assert.equal(dry.status, c.status, `${c.name}: dry run ${dry.status} ${JSON.stringify(dry.body)}`);
    assert.equal(real.status, c.status, `${c.name}: save ${real.status}`);
    assert.equal(dry.body.error.code, c.code, c.name);
    assert.deepEqual(dry.body, real.body, `${c.name}: the same answer`);
  }
  const bad = await stack.request<{ error: { code: string } }>('PATCH', `/api/certificates/${cert.id}?dryRun=yes`, { title: 'x' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'validation_failed');
  const [row] = await stack.sql<{ settingsVersion: number; title: string }[]>`select settings_version, title from certificates where id = ${cert.id}`;
  assert.deepEqual(row, { settingsVersion: cert.settingsVersion, title: 'Rigger' });
  // A dry run of a good change: 200, and still nothing saved.
  const good = await ok<CertificateChangePreview>('PATCH', `/api/certificates/${cert.id}?dryRun=true`, { title: 'Rigger II' });
  assert.equal(good.certificate.title, 'Rigger II');
  assert.equal(good.changes, true);
  const [after] = await stack.sql<{ settingsVersion: number; title: string }[]>`select settings_version, title from certificates where id = ${cert.id}`;
  assert.deepEqual(after, { settingsVersion: cert.settingsVersion, title: 'Rigger' });
});
