/**
 * `npx tsx bench/change-preview.ts [count]`: how long the change-impact preview
 * (`PATCH /api/certificates/:id?dryRun=true`'s counting, domain/settings-preview.ts) and the admin
 * Overview (domain/certificate-overview.ts) take on one certificate with `count` (default 100,000)
 * running awards, on an embedded PostgreSQL of its own. Awards are written straight to the database
 * (the preview reads only the database): expiries spread evenly over the next year; those expiring
 * within 30 days have their expiring notice recorded and about half of them are enrolled. Prints the
 * timings; writes nothing else.
 *
 * Measured on this machine (2 cores shared with other work), 100,000 awards: the preview 1.2–1.9 s, the
 * overview 1.4–2.6 s (one cursor scan each; paging by id instead sorted the awards once per page and took 3.1–3.8 s).
 */
import { performance } from 'node:perf_hooks';
import { certificateOverview } from '../domain/certificate-overview.ts';
import { previewSettingsChange } from '../domain/settings-preview.ts';
import { makeCertificate, makeCourse, recertSettings } from '../test/support/fixtures.ts';
import { createTestDatabase, startDedicatedPostgres } from '../test/support/stack/database.ts';

const count = Number(process.argv[2] ?? 100_000);
const pg = await startDedicatedPostgres();
try {
  const db = await createTestDatabase('bench_preview', { admin: pg.adminUrl });
  const { sql } = db;
  const course = await makeCourse(sql, { status: 'live' });
  const before = recertSettings(course.id, { enabled: false, leadDays: 30 });
  const cert = await makeCertificate(sql, { settings: before, associatedCourseIds: [course.id] });
  const [learner] = await sql<{ id: string }[]>`insert into learners (email, name) values ('bench@example.com', 'Bench') returning id`;
  // One learner holds one active award per certificate: the others are spread over many learners.
  const t0 = performance.now();
  await sql`
    insert into learners (email, name) select 'l' || i || '@example.com', 'Learner ' || i from generate_series(1, ${count}) i`;
  await sql`
    insert into awards (id, certificate_id, learner_id, awarded_at, expires_at, workflow_id)
    select l.award_id, ${cert.id}, l.id, now() - interval '365 days' + (l.n * interval '1 minute' * 525600 / ${count}),
           now() + (l.n * interval '1 minute' * 525600 / ${count}), 'recertification-' || l.award_id
    from (select id, gen_random_uuid() as award_id, row_number() over (order by id) as n from learners where id <> ${learner!.id}) l`;
  await sql`
    insert into course_attempts (course_id, learner_id, status, progress, source, award_id)
    select ${course.id}, a.learner_id, 'enrolled', 0, 'recertification', a.id from awards a
    where a.certificate_id = ${cert.id} and a.expires_at < now() + interval '30 days' and random() < 0.5`;
  await sql`
    insert into messages (kind, learner_id, award_id, to_address, from_address, subject, body, provider, status, idempotency_key)
    select 'certificate_expiring', a.learner_id, a.id, 'x@example.com', 'y@example.com', 's', 'b', 'log', 'sent', 'award:' || a.id || ':certificate_expiring'
    from awards a where a.certificate_id = ${cert.id} and a.expires_at < now() + interval '30 days'`;
  await sql`analyze`;
  console.log(`seeded ${count} awards in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const after = recertSettings(course.id, { enabled: true, leadDays: 45 });
  for (let run = 1; run <= 3; run++) {
    const p0 = performance.now();
    const impact = await sql.begin('isolation level repeatable read read only', (tx) =>
      previewSettingsChange(tx, { certificateId: cert.id, before, after, asOf: Date.now() }),
    );
    const p1 = performance.now();
    const overview = await certificateOverview(sql, { certificateId: cert.id, settings: before, asOf: Date.now() });
    const p2 = performance.now();
    console.log(
      `run ${run}: preview ${(p1 - p0).toFixed(0)} ms (running ${impact.running}, enrollNow ${impact.enrollNow}, released ${impact.released}, ` +
        `rescheduled ${impact.rescheduled}, secondEmail ${impact.secondEmail}); overview ${(p2 - p1).toFixed(0)} ms ` +
        `(scheduled ${overview.phases.scheduled}, waiting ${overview.phases.waiting_for_settings}, assigned ${overview.phases.assigned})`,
    );
  }
  await db.drop();
} finally {
  await pg.dispose();
}
