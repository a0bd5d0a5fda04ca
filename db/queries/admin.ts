/**
 * To be removed: the admin page's reads now live with their tables (db/queries/learners.ts,
 * db/queries/awards.ts). This file re-exports them until api/admin imports them from there.
 */
export { learnersByIds } from './learners.ts';
export { awardCountsByCertificate, expiringAwards, type ExpiringAwardRow } from './awards.ts';
