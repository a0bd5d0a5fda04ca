/**
 * The only SQL for `idempotent_requests` (HTTP `Idempotency-Key`). The claim is written in the same
 * transaction as the request's effect, so a concurrent repeat waits on the key's row until the first
 * commits (then reads its answer) or rolls back (then runs itself).
 */
import type { TransactionSql, Sql } from '../client.ts';

type Db = Sql | TransactionSql;

export interface StoredIdempotentRequest {
  key: string;
  route: string;
  requestHash: string;
  statusCode: number | null;
  response: unknown;
  createdAt: Date;
}

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; statusCode: number; response: unknown }
  | { kind: 'mismatch'; stored: StoredIdempotentRequest };

export async function claimIdempotencyKey(
  tx: TransactionSql,
  args: { route: string; key: string; requestHash: string },
): Promise<IdempotencyClaim> {
  const inserted = await tx`
    insert into idempotent_requests (key, route, request_hash) values (${args.key}, ${args.route}, ${args.requestHash})
    on conflict (route, key) do nothing
    returning key`;
  if (inserted.length === 1) return { kind: 'claimed' };
  // The answer is read as text and parsed here: the connection's camelCase transform would otherwise
  // rename the keys inside the stored JSON too (an answer's `enroll_now` read back as `enrollNow`).
  const [row] = await tx<(Omit<StoredIdempotentRequest, 'response'> & { responseText: string | null })[]>`
    select key, route, request_hash, status_code, response::text as response_text, created_at
    from idempotent_requests where route = ${args.route} and key = ${args.key}`;
  if (!row) throw new Error('idempotency key conflicted but cannot be read');
  const { responseText, ...rest } = row;
  const stored: StoredIdempotentRequest = { ...rest, response: responseText === null ? null : (JSON.parse(responseText) as unknown) };
  if (stored.requestHash !== args.requestHash) return { kind: 'mismatch', stored };
  if (stored.statusCode === null) throw new Error('idempotent request stored without an answer');
  return { kind: 'replay', statusCode: stored.statusCode, response: stored.response };
}

export async function storeIdempotentResponse(
  sql: Db,
  args: { route: string; key: string; statusCode: number; response: unknown },
): Promise<void> {
  await sql`
    update idempotent_requests set status_code = ${args.statusCode}, response = ${sql.json(JSON.parse(JSON.stringify(args.response)) as Parameters<Sql['json']>[0])}
    where route = ${args.route} and key = ${args.key}`;
}

/**
 * Rewrites the stored answers that show a learner (an erasure): a learner answered whole (`{id,
 * email, name, …}`, the creation's answer) or under `learner` (a deactivation's) gets `placeholders`
 * for name and email (and a null managerEmail), so a repeat of those requests still answers without the personal data. Other
 * answers carry ids only. Returns how many were rewritten.
 */
export async function redactAnswersShowingLearner(sql: Db, learnerId: string, placeholders: { name: string; email: string }): Promise<number> {
  const top = await sql`
    update idempotent_requests
    set response = response || jsonb_build_object('name', ${placeholders.name}::text, 'email', ${placeholders.email}::text)
      || case when response ? 'managerEmail' then jsonb_build_object('managerEmail', null) else '{}'::jsonb end
    where jsonb_typeof(response) = 'object' and response ->> 'id' = ${learnerId} and response ? 'email'
    returning key`;
  const nested = await sql`
    update idempotent_requests
    set response = jsonb_set(response, '{learner}', (response -> 'learner') || jsonb_build_object('name', ${placeholders.name}::text, 'email', ${placeholders.email}::text)
      || case when response -> 'learner' ? 'managerEmail' then jsonb_build_object('managerEmail', null) else '{}'::jsonb end)
    where jsonb_typeof(response -> 'learner') = 'object' and response -> 'learner' ->> 'id' = ${learnerId}
    returning key`;
  return top.length + nested.length;
}


/**
 * Rewrites every stored answer whose JSON names `email` (case-insensitively; e.g. an import's rows
 * and errors): each occurrence of the email, and of `name` within those answers only, becomes its
 * placeholder (an erasure). Returns how many answers were rewritten.
 */
export async function redactAnswersNaming(sql: Db, args: { email: string; name: string }, placeholders: { name: string; email: string }): Promise<number> {
  // JSON text holds the strings as JSON escapes them: match them so, as literal (quoted) patterns.
  const inJson = (s: string): string => JSON.stringify(s).slice(1, -1);
  const literal = (s: string): string => inJson(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rows = await sql`
    update idempotent_requests
    set response = (
      case when ${args.name} = '' then regexp_replace(response::text, ${literal(args.email)}, ${inJson(placeholders.email)}, 'gi')
      else regexp_replace(regexp_replace(response::text, ${literal(args.email)}, ${inJson(placeholders.email)}, 'gi'), ${literal(args.name)}, ${inJson(placeholders.name)}, 'g')
      end)::jsonb
    where response is not null and strpos(lower(response::text), lower(${inJson(args.email)})) > 0
    returning key`;
  return rows.length;
}
