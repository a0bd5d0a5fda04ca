import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../db/migrate.ts';
import { createTestDatabase } from './support/stack/database.ts';
import { MESSAGE_KINDS } from '../domain/vocabulary.ts';

test('migrations apply to an empty database, are idempotent, and enforce the invariants', async () => {
  const db = await createTestDatabase('migr', { migrate: false });
  try {
    const first = await migrate(db.url);
    assert.ok(first.length >= 1, 'the first run applies the migrations');
    const second = await migrate(db.url);
    assert.deepEqual(second, [], 'a second run applies nothing');
    const tables = await db.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' order by 1`;
    for (const t of ['learners', 'courses', 'certificates', 'certificate_courses', 'awards', 'course_attempts', 'messages']) {
      assert.ok(tables.some((r) => r.tablename === t), `table ${t} exists`);
    }
    // One current attempt per learner and course.
    const [learner] = await db.sql<{ id: string }[]>`insert into learners (email, name) values ('a@example.com', 'A') returning id`;
    const [course] = await db.sql<{ id: string }[]>`insert into courses (title, status) values ('C', 'live') returning id`;
    await db.sql`insert into course_attempts (course_id, learner_id, source) values (${course!.id}, ${learner!.id}, 'manual')`;
    await assert.rejects(
      db.sql`insert into course_attempts (course_id, learner_id, source) values (${course!.id}, ${learner!.id}, 'manual')`,
      /course_attempts_one_current/,
    );
    // A course starts at version 1 (its ETag); a version is never below 1.
    const [fresh] = await db.sql<{ version: number }[]>`select version from courses where id = ${course!.id}`;
    assert.equal(fresh?.version, 1);
    await assert.rejects(db.sql`update courses set version = 0 where id = ${course!.id}`, /courses_version_check/);
    // Learner email unique regardless of case.
    await assert.rejects(db.sql`insert into learners (email, name) values ('A@example.com', 'B')`, /learners_email_unique/);
    // Message idempotency key unique.
    const msg = { kind: 'certificate_expiring', learnerId: learner!.id, toAddress: 'a@example.com', fromAddress: 'x@example.com', subject: 's', body: 'b', provider: 'log', idempotencyKey: 'k1' };
    await db.sql`insert into messages ${db.sql(msg)}`;
    await assert.rejects(db.sql`insert into messages ${db.sql(msg)}`, /messages_idempotency_key_key/);
    // The CHECK on message kinds holds exactly the declared vocabulary.
    for (const kind of MESSAGE_KINDS) await db.sql`insert into messages ${db.sql({ ...msg, kind, idempotencyKey: `kind:${kind}` })}`;
    await assert.rejects(db.sql`insert into messages ${db.sql({ ...msg, kind: 'newsletter', idempotencyKey: 'kind:newsletter' })}`, /messages_kind_check/);
  } finally {
    await db.drop();
  }
});
