/**
 * Seeds a demo through the public API (so it takes the same path as real data) when the database has
 * no certificates: live, draft and archived courses, a certificate with recertification on, learners,
 * and awards, one of which falls due about two minutes after start.
 */
import type { CertificateDto, CourseDto, LearnerDto } from '../api/schemas.ts';
import { addDuration, DAY_MS } from '../domain/dates.ts';

type Json = Record<string, unknown>;

export async function seedDemo(base: string, token: string, dueInMs = 2 * 60_000): Promise<string | null> {
  const call = async <T>(method: string, path: string, body?: Json): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json as T;
  };

  const existing = await call<{ certificates: CertificateDto[] }>('GET', '/api/certificates?limit=1');
  if (existing.certificates.length > 0) return null;

  const course = async (title: string, status: CourseDto['status'], enrollmentMessage: Json | null = null): Promise<string> =>
    (await call<CourseDto>('POST', '/api/courses', { title, status, enrollmentMessage })).id;
  const basics = await course('Forklift Safety', 'live');
  const refresher = await course('Forklift Safety Refresher', 'live');
  await course('Advanced Rigging (in preparation)', 'draft');
  await course('Legacy Safety Module', 'archived');
  await course('Fire Warden Annual Briefing', 'live', {
    subject: 'You are enrolled: {{course.title}}',
    body: '<p>Hello {{learner.name}},</p><p>Your annual briefing is ready: <a href="{{course.url}}">{{course.title}}</a>.</p>',
  });

  const cert = (await call<{ certificate: CertificateDto }>('POST', '/api/certificates', { title: 'Forklift Operator', associatedCourseIds: [basics, refresher] })).certificate.id;
  await call('PATCH', `/api/certificates/${cert}`, {
    settings: {
      expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
      recertification: { enabled: true, courseId: refresher, leadDays: 30, reminderDaysBeforeExpiry: [7, 1] },
      expiringNotice: { enabled: true },
      expiredNotice: { enabled: true },
    },
  });

  // Ada's and Alan's manager gets the weekly digest of them (issue 14 §4; the admin page's Digest view).
  const learner = async (name: string, email: string, managerEmail?: string): Promise<string> =>
    (await call<LearnerDto>('POST', '/api/learners', { name, email, ...(managerEmail ? { managerEmail } : {}) })).id;
  const now = Date.now();
  const awardedAtFor = (expiresAt: number) => addDuration(new Date(expiresAt), { amount: -12, unit: 'months' }).toISOString();
  const award = (learnerId: string, awardedAt: string) => call('POST', `/api/certificates/${cert}/awards`, { learnerId, awardedAt });

  // Falls due (expiry − 30 days) about two minutes from now: watch it happen.
  await award(await learner('Ada Lovelace', 'ada@example.com', 'mary.somerville@example.com'), awardedAtFor(now + 30 * DAY_MS + dueInMs));
  // Awarded today: due in about eleven months.
  await award(await learner('Grace Hopper', 'grace@example.com'), new Date(now).toISOString());
  // Awarded long ago, due next month.
  await award(await learner('Alan Turing', 'alan@example.com', 'mary.somerville@example.com'), awardedAtFor(now + 62 * DAY_MS));
  await learner('Katherine Johnson', 'katherine@example.com');

  return `certificate "Forklift Operator" with 3 awards; Ada Lovelace's falls due at ${new Date(now + dueInMs).toISOString()}`;
}
