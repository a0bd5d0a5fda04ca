/**
 * A due burst, the scenario of the fault tests and the benchmarks: many awards of one certificate
 * falling due at one instant (`seedDueBurst`), their workflows started the way the API starts them
 * (`startAwardWorkflows`, through `recertificationStart`), and the exactly-once ledger read back:
 * attempts and messages per award in PostgreSQL and emails per recipient at the fake provider
 * (`deliveryReport`, `progress`), with what to print when a wait times out (`diagnoser`).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/client.ts';
import type { AwardRow } from '../../db/rows.ts';
import { DAY_MS } from '../../domain/dates.ts';
import { DEFAULT_LEAD_DAYS } from '../../domain/settings.ts';
import { waitFor } from '../../scripts/tools.ts';
import { RECERTIFICATION_WORKFLOW, recertificationStart, workflowIdForAward } from '../../workflows/contract.ts';
import type { FakeResend } from './fake-resend.ts';
import { makeCertificate, makeCourse, recertSettings } from './fixtures.ts';
import type { StackProcess } from './stack/process.ts';

export interface DueBurst {
  certificateId: string;
  courseId: string;
  leadDays: number;
  dueAt: Date;
  awards: AwardRow[];
  /** learner email → award id */
  awardByEmail: Map<string, string>;
}

/**
 * `count` learners and awards of one certificate (recertification on, expiring notice on, no course
 * enrollment message: one attempt and one message per award), all due at `dueAt`:
 * expiresAt = dueAt + leadDays × 24 h.
 */
export async function seedDueBurst(sql: Sql, opts: { count: number; dueAt: Date; leadDays?: number; expiresAt?: (i: number) => Date }): Promise<DueBurst> {
  const leadDays = opts.leadDays ?? DEFAULT_LEAD_DAYS;
  const course = await makeCourse(sql, { title: 'Forklift Safety Refresher' });
  const cert = await makeCertificate(sql, { settings: recertSettings(course.id, { leadDays }), associatedCourseIds: [course.id] });
  const tag = randomUUID().slice(0, 8);
  const awards: AwardRow[] = [];
  const awardByEmail = new Map<string, string>();
  const CHUNK = 2000;
  for (let from = 0; from < opts.count; from += CHUNK) {
    const n = Math.min(CHUNK, opts.count - from);
    const emails = Array.from({ length: n }, (_, k) => `l${from + k}-${tag}@example.com`);
    const names = Array.from({ length: n }, (_, k) => `Learner ${from + k}`);
    const learnerRows = await sql<{ id: string; email: string }[]>`
      insert into learners (email, name) select * from unnest(${emails}::text[], ${names}::text[]) returning id, email`;
    const learnerByEmail = new Map(learnerRows.map((l) => [l.email, l.id]));
    const ids: string[] = [];
    const learnerIds: string[] = [];
    const awardedAt: string[] = [];
    const expiresAt: string[] = [];
    emails.forEach((email, k) => {
      const id = randomUUID();
      const expires = opts.expiresAt ? opts.expiresAt(from + k) : new Date(opts.dueAt.getTime() + leadDays * DAY_MS);
      awardByEmail.set(email, id);
      ids.push(id);
      learnerIds.push(learnerByEmail.get(email)!);
      awardedAt.push(new Date(expires.getTime() - 365 * DAY_MS).toISOString());
      expiresAt.push(expires.toISOString());
    });
    const inserted = await sql<AwardRow[]>`
      insert into awards (id, certificate_id, learner_id, awarded_at, expires_at, workflow_id)
      select id, ${cert.id}::uuid, learner_id, awarded_at, expires_at, 'recertification-' || id
      from unnest(${ids}::uuid[], ${learnerIds}::uuid[], ${awardedAt}::timestamptz[], ${expiresAt}::timestamptz[])
        as v(id, learner_id, awarded_at, expires_at)
      returning *`;
    const byId = new Map(inserted.map((a) => [a.id, a]));
    awards.push(...ids.map((id) => byId.get(id)!));
  }
  return { certificateId: cert.id, courseId: course.id, leadDays, dueAt: opts.dueAt, awards, awardByEmail };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; returns the results in order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Starts the awards' workflows as the API does (same id, input and search attributes). */
export async function startAwardWorkflows(client: Client, taskQueue: string, awards: AwardRow[], opts: { leadDays?: number; concurrency?: number } = {}): Promise<void> {
  const leadDays = opts.leadDays ?? DEFAULT_LEAD_DAYS;
  await mapLimit(awards, opts.concurrency ?? 32, async (award) => {
    await client.workflow.start(RECERTIFICATION_WORKFLOW, {
      ...recertificationStart({ ...award, expiresAt: award.expiresAt! }, leadDays),
      taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  });
}

// ---------------------------------------------------------------------------------------------
// exactly once

export interface DeliveryReport {
  awards: number;
  /** Awards with exactly one recertification attempt, one message, that message sent, and one email at the provider. */
  exact: number;
  attempts: number;
  messages: number;
  sent: number;
  /** Emails the provider delivered, in total and to recipients that got more than one. */
  providerEmails: number;
  duplicateRecipients: string[];
  /** Up to 10 awards that do not hold exactly once, with what they have. */
  violations: string[];
}

/** Whether each award of the burst holds exactly once: one attempt, one message, sent, one email at the provider. */
export async function deliveryReport(sql: Sql, fake: FakeResend, burst: DueBurst): Promise<DeliveryReport> {
  const ids = burst.awards.map((a) => a.id);
  const rows = await sql<{ id: string; attempts: number; messages: number; sent: number }[]>`
    select a.id,
      (select count(*)::int from course_attempts c where c.award_id = a.id and c.source = 'recertification') as attempts,
      (select count(*)::int from messages m where m.award_id = a.id) as messages,
      (select count(*)::int from messages m where m.award_id = a.id and m.status = 'sent') as sent
    from awards a where a.id = any(${ids}::uuid[])`;
  const perRecipient = new Map<string, number>();
  for (const email of fake.sent()) for (const to of email.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  const emailsByAward = new Map<string, number>();
  for (const [to, n] of perRecipient) {
    const award = burst.awardByEmail.get(to);
    if (award) emailsByAward.set(award, n);
  }
  const violations: string[] = [];
  let exact = 0;
  for (const r of rows) {
    const emails = emailsByAward.get(r.id) ?? 0;
    if (r.attempts === 1 && r.messages === 1 && r.sent === 1 && emails === 1) exact++;
    else if (violations.length < 10) violations.push(`award ${r.id}: attempts ${r.attempts}, messages ${r.messages}, sent ${r.sent}, provider emails ${emails}`);
  }
  return {
    awards: rows.length,
    exact,
    attempts: rows.reduce((s, r) => s + r.attempts, 0),
    messages: rows.reduce((s, r) => s + r.messages, 0),
    sent: rows.reduce((s, r) => s + r.sent, 0),
    providerEmails: fake.sent().length,
    duplicateRecipients: [...perRecipient].filter(([, n]) => n > 1).map(([to]) => to).slice(0, 10),
    violations,
  };
}

/** Counts of the burst's progress in PostgreSQL. */
export async function progress(sql: Sql, burst: DueBurst): Promise<{ attempts: number; sent: number; sending: number; queued: number }> {
  const [row] = await sql<{ attempts: number; sent: number; sending: number; queued: number }[]>`
    select
      (select count(*)::int from course_attempts c join awards a on a.id = c.award_id where a.certificate_id = ${burst.certificateId} and c.source = 'recertification') as attempts,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'sent') as sent,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'sending') as sending,
      (select count(*)::int from messages m join awards a on a.id = m.award_id where a.certificate_id = ${burst.certificateId} and m.status = 'queued') as queued`;
  return row!;
}

/** Waits until `check` holds; on timeout the error says what `diagnose` finds. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
  diagnose?: () => Promise<string>,
): Promise<void> {
  try {
    await waitFor(what, async () => (await check()) || undefined, timeoutMs, intervalMs);
  } catch (err) {
    if (!diagnose) throw err;
    const found = await diagnose().catch((e: unknown) => `(diagnosis failed: ${String(e)})`);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${found}`);
  }
}

/** What a fault test prints when it times out: the burst's progress, the provider's view, the worker's last words. */
export function diagnoser(sql: Sql, burst: () => DueBurst | undefined, fake: FakeResend, workers: () => StackProcess[], client?: Client): () => Promise<string> {
  return async () => {
    const b = burst();
    const p = b ? JSON.stringify(await progress(sql, b)) : 'no burst yet';
    let stuck = '';
    if (b && client) {
      const rows = await sql<{ id: string }[]>`
        select a.id from awards a where a.certificate_id = ${b.certificateId}
          and not exists (select 1 from messages m where m.award_id = a.id and m.status = 'sent') limit 3`;
      for (const r of rows) {
        const d = await client.workflow.getHandle(workflowIdForAward(r.id)).describe().catch((e: unknown) => String(e));
        if (typeof d === 'string') {
          stuck += `\n--- ${r.id}: ${d}`;
          continue;
        }
        const raw = d.raw.pendingActivities ?? [];
        const acts = raw.map((a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state} lastFailure ${a.lastFailure?.message ?? '-'}`);
        stuck += `\n--- ${r.id}: ${d.status.name}, history ${d.historyLength}, pending [${acts.join('; ')}], pendingWorkflowTask ${JSON.stringify(d.raw.pendingWorkflowTask ?? null)}`;
      }
    }
    const w = workers().map((x) => `--- worker ${x.pid} (${x.alive() ? 'alive' : 'exited'}):\n${x.output().slice(-4000)}`);
    return `progress ${p}; provider ${JSON.stringify(fake.requests())}, ${fake.sent().length} emails${stuck}\n${w.join('\n')}`;
  };
}
