/**
 * Each vocabulary of domain/vocabulary.ts and the database's CHECK constraint that stores it hold the
 * same words: the test reads every `col IN (...)` CHECK of the migrated schema from pg_constraint and
 * compares its words with the list, so adding a word to one without the other fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from './support/stack/database.ts';
import {
  ATTEMPT_SOURCES,
  ATTEMPT_STATUSES,
  AWARD_STATUSES,
  COURSE_STATUSES,
  MAIL_PROVIDERS,
  MESSAGE_KINDS,
  MESSAGE_STATUSES,
  IMPORT_STATUSES,
  IMPORT_ROW_STATES,
  IMPORT_ROW_OUTCOMES,
  IMPORT_REJECT_REASONS,
  DELIVERY_EVENT_TYPES,
  DELIVERY_STATUSES,
  SUPPRESSION_REASONS,
  WEBHOOK_RECEIPT_OUTCOMES,
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_EVENT_TYPES,
  TOKEN_SCOPES,
  AUDIT_ACTIONS,
  AUDIT_ENTITY_TYPES,
  DIGEST_AUDIENCES,
  DIGEST_SEND_STATUSES,
} from '../domain/vocabulary.ts';

/** Table.column → the declared list it must hold. */
const STORED: Record<string, readonly string[]> = {
  'messages.kind': MESSAGE_KINDS,
  'messages.status': MESSAGE_STATUSES,
  'messages.provider': MAIL_PROVIDERS,
  'awards.status': AWARD_STATUSES,
  'course_attempts.status': ATTEMPT_STATUSES,
  'course_attempts.source': ATTEMPT_SOURCES,
  'courses.status': COURSE_STATUSES,
  'imports.status': IMPORT_STATUSES,
  'import_rows.state': IMPORT_ROW_STATES,
  'import_rows.outcome': IMPORT_ROW_OUTCOMES,
  'import_rows.reason': IMPORT_REJECT_REASONS,
  // Delivery (issue 10 §1)
  'messages.delivery_status': DELIVERY_STATUSES,
  'message_delivery_events.type': DELIVERY_EVENT_TYPES,
  'resend_webhook_events.outcome': WEBHOOK_RECEIPT_OUTCOMES,
  'resend_webhook_events.delivery_type': DELIVERY_EVENT_TYPES,
  'learners.email_suppressed_reason': SUPPRESSION_REASONS,
  'webhook_events.type': WEBHOOK_EVENT_TYPES,
  'webhook_subscriptions.event_types': WEBHOOK_EVENT_TYPES,
  'webhook_deliveries.status': WEBHOOK_DELIVERY_STATUSES,
  // Access and audit (issue 15)
  'api_tokens.scope': TOKEN_SCOPES,
  'audit_log.action': AUDIT_ACTIONS,
  'audit_log.entity_type': AUDIT_ENTITY_TYPES,
  // Digest (issue 14 §4)
  'digest_sends.audience': DIGEST_AUDIENCES,
  'digest_sends.status': DIGEST_SEND_STATUSES,
  'digest_sends.provider': MAIL_PROVIDERS,
};

/**
 * The quoted words of a CHECK of the form `col = ANY (ARRAY['a'::text, …])` (a text column), or
 * `col <@ ARRAY['a'::text, …]` (a text[] column), as pg_get_constraintdef prints it.
 */
function wordsOf(definition: string, column: string): string[] | null {
  const m =
    new RegExp(`\\(${column} = ANY \\(ARRAY\\[([^\\]]*)\\]\\)\\)`).exec(definition) ??
    new RegExp(`\\(${column} <@ ARRAY\\[([^\\]]*)\\]\\)`).exec(definition);
  if (!m) return null;
  return [...m[1]!.matchAll(/'([^']*)'::text/g)].map((w) => w[1]!);
}

test('every stored vocabulary matches its CHECK constraint word for word', async () => {
  const db = await createTestDatabase('vocab');
  try {
    const checks = await db.sql<{ table: string; definition: string }[]>`
      select rel.relname as table, pg_get_constraintdef(con.oid) as definition
      from pg_constraint con join pg_class rel on rel.oid = con.conrelid
      join pg_namespace ns on ns.oid = rel.relnamespace
      where ns.nspname = 'public' and con.contype = 'c'`;
    for (const [where, declared] of Object.entries(STORED)) {
      const [table, column] = where.split('.') as [string, string];
      const found = checks.map((c) => (c.table === table ? wordsOf(c.definition, column) : null)).filter((w): w is string[] => w !== null);
      assert.equal(found.length, 1, `one CHECK lists the words of ${where} (found ${found.length})`);
      assert.deepEqual([...found[0]!].sort(), [...declared].sort(), `${where}: the CHECK and domain/vocabulary.ts disagree`);
    }
  } finally {
    await db.drop();
  }
});
