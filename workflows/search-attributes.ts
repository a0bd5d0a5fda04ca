/**
 * The search attributes every recertification workflow carries, so an admin finds e.g. "all
 * workflows of certificate X due this month" with one visibility query in the Temporal UI.
 * Declared once as typed keys; the registration list (SEARCH_ATTRIBUTES) derives from them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CertificateId = defineSearchAttributeKey('CertificateId', SearchAttributeType.KEYWORD);
export const LearnerId = defineSearchAttributeKey('LearnerId', SearchAttributeType.KEYWORD);
export const AwardId = defineSearchAttributeKey('AwardId', SearchAttributeType.KEYWORD);
/** The workflow's phase (domain/vocabulary.ts PHASES). */
export const RecertificationPhase = defineSearchAttributeKey('RecertificationPhase', SearchAttributeType.KEYWORD);
/** The due time (expiry − lead days) while the workflow still waits for it; unset once closed. */
export const RecertificationDueAt = defineSearchAttributeKey('RecertificationDueAt', SearchAttributeType.DATETIME);
export const CertificateExpiresAt = defineSearchAttributeKey('CertificateExpiresAt', SearchAttributeType.DATETIME);

/** Every key above; a key added above and not here is missing from the registration. */
export const SEARCH_ATTRIBUTE_KEYS = [CertificateId, LearnerId, AwardId, RecertificationPhase, RecertificationDueAt, CertificateExpiresAt] as const;

/** The type names `temporal server start-dev --search-attribute Name=Type` and the operator API take. */
const TYPE_NAMES = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as const;
type RegisteredType = (typeof SEARCH_ATTRIBUTE_KEYS)[number]['type'];

/** Name → type name, derived from SEARCH_ATTRIBUTE_KEYS. */
export const SEARCH_ATTRIBUTES: Record<string, (typeof TYPE_NAMES)[RegisteredType]> = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, TYPE_NAMES[key.type]]),
);
