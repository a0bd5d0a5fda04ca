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
  const [stored] = await tx<StoredIdempotentRequest[]>`
    select * from idempotent_requests where route = ${args.route} and key = ${args.key}`;
  if (!stored) throw new Error('idempotency key conflicted but cannot be read');
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
 * Forgets the stored answers that quote any of `texts` (an erased learner's name or email, as JSON
 * writes them): the answer of the POST that created them, or of one that deactivated them. A repeat
 * of such a request with its key then runs again (and is refused as the learner now stands).
 * Returns how many were forgotten.
 */
export async function forgetAnswersQuoting(sql: Db, texts: string[]): Promise<number> {
  let forgotten = 0;
  for (const text of texts) {
    if (text === '') continue;
    const rows = await sql`
      delete from idempotent_requests
      where response is not null and strpos(response::text, trim(both '"' from to_jsonb(${text}::text)::text)) > 0
      returning key`;
    forgotten += rows.length;
  }
  return forgotten;
}
