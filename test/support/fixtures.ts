/** Test data written straight to the database (tests set up state; the code under test reads it). */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/client.ts';
import { defaultSettings, type CertificateSettings } from '../../domain/settings.ts';
import type { AttemptRow, AwardRow, CourseRow, LearnerRow } from '../../db/rows.ts';

export async function makeLearner(sql: Sql, over: Partial<{ name: string; email: string }> = {}): Promise<LearnerRow> {
  const [row] = await sql<LearnerRow[]>`
    insert into learners (email, name)
    values (${over.email ?? `learner-${randomUUID().slice(0, 8)}@example.com`}, ${over.name ?? 'Ada Lovelace'})
    returning *`;
  return row!;
}

export async function makeCourse(
  sql: Sql,
  over: Partial<{ title: string; status: 'draft' | 'live' | 'archived'; enrollmentMessage: { subject: string; body: string } | null }> = {},
): Promise<CourseRow> {
  const [row] = await sql<CourseRow[]>`
    insert into courses (title, status, enrollment_message)
    values (${over.title ?? 'Forklift Safety Refresher'}, ${over.status ?? 'live'}, ${over.enrollmentMessage ? sql.json(over.enrollmentMessage) : null})
    returning *`;
  return row!;
}

export function recertSettings(courseId: string, over: Partial<CertificateSettings['recertification']> = {}, rest: Partial<CertificateSettings> = {}): CertificateSettings {
  const base = defaultSettings();
  return {
    ...base,
    expiration: { enabled: true, validFor: { amount: 12, unit: 'months' }, anchor: 'completion' },
    recertification: { enabled: true, courseId, leadDays: 30, reminderDaysBeforeExpiry: [], ...over },
    expiringNotice: { enabled: true },
    expiredNotice: { enabled: false },
    ...rest,
  };
}

export async function makeCertificate(
  sql: Sql,
  args: { title?: string; settings: CertificateSettings; associatedCourseIds?: string[] },
): Promise<{ id: string; title: string }> {
  const [row] = await sql<{ id: string; title: string }[]>`
    insert into certificates (title, settings) values (${args.title ?? 'Forklift Operator'}, ${sql.json(args.settings as never)})
    returning id, title`;
  for (const [i, courseId] of (args.associatedCourseIds ?? []).entries()) {
    await sql`insert into certificate_courses (certificate_id, course_id, position) values (${row!.id}, ${courseId}, ${i})`;
  }
  return row!;
}

export async function updateSettings(sql: Sql, certificateId: string, settings: CertificateSettings): Promise<number> {
  const [row] = await sql<{ settingsVersion: number }[]>`
    update certificates set settings = ${sql.json(settings as never)}, settings_version = settings_version + 1
    where id = ${certificateId} returning settings_version`;
  return row!.settingsVersion;
}

export async function makeAward(
  sql: Sql,
  args: { certificateId: string; learnerId: string; awardedAt: Date; expiresAt: Date | null },
): Promise<AwardRow> {
  const id = randomUUID();
  const [row] = await sql<AwardRow[]>`
    insert into awards (id, certificate_id, learner_id, awarded_at, expires_at, workflow_id)
    values (${id}, ${args.certificateId}, ${args.learnerId}, ${args.awardedAt}, ${args.expiresAt}, ${`recertification-${id}`})
    returning *`;
  return row!;
}

export async function makeAttempt(
  sql: Sql,
  args: { courseId: string; learnerId: string; status: 'enrolled' | 'in_progress' | 'completed'; progress: number },
): Promise<AttemptRow> {
  const [row] = await sql<AttemptRow[]>`
    insert into course_attempts (course_id, learner_id, status, progress, source, completed_at)
    values (${args.courseId}, ${args.learnerId}, ${args.status}, ${args.progress}, 'manual', ${args.status === 'completed' ? new Date() : null})
    returning *`;
  return row!;
}

export async function attemptsOf(sql: Sql, learnerId: string, courseId: string): Promise<AttemptRow[]> {
  return await sql<AttemptRow[]>`select * from course_attempts where learner_id = ${learnerId} and course_id = ${courseId} order by created_at, id`;
}
