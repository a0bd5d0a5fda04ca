/**
 * The search attributes every recertification workflow carries (SPEC §4), so an admin finds e.g.
 * "all workflows of certificate X due this month" with one visibility query in the Temporal UI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CertificateId = defineSearchAttributeKey('CertificateId', SearchAttributeType.KEYWORD);
export const LearnerId = defineSearchAttributeKey('LearnerId', SearchAttributeType.KEYWORD);
export const AwardId = defineSearchAttributeKey('AwardId', SearchAttributeType.KEYWORD);
export const RecertificationPhase = defineSearchAttributeKey('RecertificationPhase', SearchAttributeType.KEYWORD);
export const RecertificationDueAt = defineSearchAttributeKey('RecertificationDueAt', SearchAttributeType.DATETIME);
export const CertificateExpiresAt = defineSearchAttributeKey('CertificateExpiresAt', SearchAttributeType.DATETIME);

/** Name → type, as `temporal server start-dev --search-attribute` and the operator API take them. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Datetime'> = {
  CertificateId: 'Keyword',
  LearnerId: 'Keyword',
  AwardId: 'Keyword',
  RecertificationPhase: 'Keyword',
  RecertificationDueAt: 'Datetime',
  CertificateExpiresAt: 'Datetime',
};
