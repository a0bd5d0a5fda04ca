/** Where the admin page shows each thing: the one place its URLs are spelled. */

/** A learner's admin page (/admin/learners/:id). */
export const learnerHref = (learnerId: string): string => `/admin/learners/${encodeURIComponent(learnerId)}`;

/** A message's page in the mailbox. */
export const messageHref = (messageId: string): string => `/admin/mailbox/${messageId}`;

/** An award's row on its certificate's Awards tab. */
export const awardRowHref = (certificateId: string, awardId: string): string =>
  `/admin/certificates/${encodeURIComponent(certificateId)}/awards#award-${encodeURIComponent(awardId)}`;

/**
 * Where a message page links its award: to the award's row on its certificate's Awards tab, or, for
 * an award that is gone (`award` null or another one), to the API, which answers 404 for it.
 */
export function messageAwardHref(awardId: string, award: { id: string; certificateId: string } | null): string {
  return award && award.id === awardId ? awardRowHref(award.certificateId, award.id) : `/api/awards/${encodeURIComponent(awardId)}`;
}
