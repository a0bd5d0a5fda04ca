/**
 * The only SQL for `api_tokens`: the named, scoped API tokens (api/tokens.ts). Rows hold the token's
 * keyed hash, never the token. Expiry is judged by the database clock, so every API process agrees.
 */
import type { Sql, TransactionSql } from '../client.ts';
import type { TokenScope } from '../../domain/vocabulary.ts';

type Db = Sql | TransactionSql;

/** A token as stored (no hash). `expiresAt`, `lastUsedAt`, `revokedAt` null when not set. */
export interface ApiTokenRow {
  id: string;
  name: string;
  scope: TokenScope;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A token found by its hash, with whether it is live now (not revoked, not expired) by the database clock. */
export interface ApiTokenMatch extends ApiTokenRow {
  live: boolean;
  /** Whether last_used_at is unset or older than a minute (worth writing again). */
  staleUse: boolean;
}

const COLUMNS = 'id, name, scope, created_at, created_by, expires_at, last_used_at, revoked_at';

/** Inserts a token; null when a live token already has the name (compared without regard to case). */
export async function insertApiToken(
  sql: Db,
  args: { name: string; scope: TokenScope; tokenHash: Buffer; expiresAt: Date | null; createdBy: string },
): Promise<ApiTokenRow | null> {
  const [row] = await sql<ApiTokenRow[]>`
    insert into api_tokens (name, scope, token_hash, expires_at, created_by)
    values (${args.name}, ${args.scope}, ${args.tokenHash}, ${args.expiresAt}, ${args.createdBy})
    on conflict do nothing
    returning ${sql.unsafe(COLUMNS)}`;
  return row ?? null;
}

/** The token whose hash is `tokenHash`, revoked or expired included (null: none). */
export async function findApiTokenByHash(sql: Db, tokenHash: Buffer): Promise<ApiTokenMatch | null> {
  const [row] = await sql<ApiTokenMatch[]>`
    select ${sql.unsafe(COLUMNS)},
      (revoked_at is null and (expires_at is null or expires_at > now())) as live,
      (last_used_at is null or last_used_at < now() - interval '1 minute') as stale_use
    from api_tokens where token_hash = ${tokenHash}`;
  return row ?? null;
}

/** The token `id` if it is live now (not revoked, not expired), else null. */
export async function getLiveApiToken(sql: Db, id: string): Promise<ApiTokenRow | null> {
  const [row] = await sql<ApiTokenRow[]>`
    select ${sql.unsafe(COLUMNS)} from api_tokens
    where id = ${id} and revoked_at is null and (expires_at is null or expires_at > now())`;
  return row ?? null;
}

/** Records a use of token `id` now. */
export async function touchApiToken(sql: Db, id: string): Promise<void> {
  await sql`update api_tokens set last_used_at = now() where id = ${id}`;
}

/** The token `id` (null: none); `forUpdate` locks its row for the caller's transaction. */
export async function getApiToken(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<ApiTokenRow | null> {
  const [row] = opts.forUpdate
    ? await sql<ApiTokenRow[]>`select ${sql.unsafe(COLUMNS)} from api_tokens where id = ${id} for update`
    : await sql<ApiTokenRow[]>`select ${sql.unsafe(COLUMNS)} from api_tokens where id = ${id}`;
  return row ?? null;
}

/** Every token, newest first (at most `limit`). */
export async function listApiTokens(sql: Db, limit: number): Promise<ApiTokenRow[]> {
  return await sql<ApiTokenRow[]>`select ${sql.unsafe(COLUMNS)} from api_tokens order by created_at desc, id desc limit ${limit}`;
}

/** Revokes token `id` now; the row as revoked, or null when it was revoked already (or is unknown). */
export async function revokeApiToken(sql: Db, id: string): Promise<ApiTokenRow | null> {
  const [row] = await sql<ApiTokenRow[]>`
    update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null
    returning ${sql.unsafe(COLUMNS)}`;
  return row ?? null;
}
