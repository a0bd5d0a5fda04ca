/**
 * The JSON shapes of API tokens (`/api/tokens`) and the audit log (`/api/audit`), kept beside
 * api/schemas.ts (whose building blocks they use): zod schemas that validate and document, answer
 * types by `z.infer`.
 */
import { z } from '@hono/zod-openapi';
import type { ApiTokenRow } from '../db/queries/api-tokens.ts';
import type { AuditRow } from '../db/queries/audit-log.ts';
import { AUDIT_ACTIONS, AUDIT_ENTITY_TYPES, TOKEN_SCOPES } from '../domain/vocabulary.ts';
import { Before, Id, Instant, Limit, NextBefore, text } from './schemas.ts';
import { iso, isoOrNull } from './util.ts';

export const TokenScopeSchema = z.enum(TOKEN_SCOPES).openapi({
  description: 'A token\'s scope, nested: `read` (every GET), `write` (changes; implies read), `admin` (tokens, erasure, outbound webhooks; implies write).',
});

export const TokenCreateSchema = z
  .object({
    name: text(100).openapi({ description: 'Who or what holds the token (audit entries name it); unique among live tokens, without regard to case.', example: 'LMS completions' }),
    scope: TokenScopeSchema,
    expiresAt: Instant.optional().openapi({ description: 'When it stops working (optional; absent: never). Must be in the future.' }),
  })
  .strict()
  .openapi('TokenCreate');

export const TokenSchema = z
  .object({
    id: Id,
    name: z.string(),
    scope: TokenScopeSchema,
    createdAt: z.string(),
    createdBy: z.string().openapi({ description: 'The name of the token that created it.' }),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'The last request it authenticated (recorded at most once a minute).' }),
    revokedAt: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .openapi('Token');
export type TokenDto = z.infer<typeof TokenSchema>;

export const TokenCreatedSchema = z
  .object({
    token: TokenSchema,
    secret: z.string().openapi({ description: 'The token itself (`rct_…`): shown this once, stored only as a keyed hash. Send it as `Authorization: Bearer <secret>`.' }),
  })
  .openapi('TokenCreated');
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;

export const TokenListSchema = z.object({ tokens: z.array(TokenSchema) }).openapi('TokenList');
export type TokenList = z.infer<typeof TokenListSchema>;

/** A token row as the API answers it (`now`: the instant its status is judged at). */
export function toToken(row: ApiTokenRow, now: Date = new Date()): TokenDto {
  const status = row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: iso(row.createdAt),
    createdBy: row.createdBy,
    expiresAt: isoOrNull(row.expiresAt),
    lastUsedAt: isoOrNull(row.lastUsedAt),
    revokedAt: isoOrNull(row.revokedAt),
    status,
  };
}

export const AuditEntrySchema = z
  .object({
    id: Id,
    at: z.string().openapi({ description: 'When the change committed (its transaction\'s time).' }),
    actor: z.string().openapi({ description: 'The token\'s name (`ADMIN_API_TOKEN` for the bootstrap token).' }),
    actorTokenId: Id.nullable(),
    route: z.string().openapi({ example: 'PATCH /api/certificates/{id}' }),
    action: z.enum(AUDIT_ACTIONS),
    entityType: z.enum(AUDIT_ENTITY_TYPES),
    entityId: Id,
    before: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The changed fields as they were (dotted paths); null for a creation.' }),
    after: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The changed fields as they are.' }),
  })
  .openapi('AuditEntry');
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>;

export const AuditListSchema = z.object({ entries: z.array(AuditEntrySchema), nextBefore: NextBefore }).openapi('AuditList');
export type AuditList = z.infer<typeof AuditListSchema>;

export const AuditListQuery = z.object({
  before: Before('entries'),
  limit: Limit,
  entityType: z.enum(AUDIT_ENTITY_TYPES).optional(),
  entityId: Id.optional(),
  actor: z.string().min(1).max(100).optional().openapi({ description: 'Exactly this token name.' }),
  action: z.enum(AUDIT_ACTIONS).optional(),
  since: Instant.optional().openapi({ description: 'Entries at or after this instant.' }),
  until: Instant.optional().openapi({ description: 'Entries strictly before this instant.' }),
});

export function toAuditEntry(row: AuditRow): AuditEntryDto {
  return {
    id: row.id,
    at: iso(row.createdAt),
    actor: row.actorName,
    actorTokenId: row.actorTokenId,
    route: row.route,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    before: row.before,
    after: row.after,
  };
}
