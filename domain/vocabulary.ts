/**
 * Vocabularies declared once; types, zod enums, the admin's labels and the database's CHECK
 * constraints derive from (or are tested against) these lists. Safe to import from workflow code.
 */

/**
 * The messages Recertify sends (SPEC §2, §3):
 *  - `certificate_expiring`: at the due time, names the certificate, its expiry and the course;
 *  - `course_enrollment`: the course's own enrollment message, for every enrollment into it;
 *  - `recertification_enrollment`: names the course the learner was just enrolled in when the
 *    expiring notice already went out without one (recertification was off or the course not live
 *    at the due time) and the course has no enrollment message of its own;
 *  - `recertification_reminder`: N days before expiry while not renewed;
 *  - `certificate_expired`: when an award lapses.
 */
export const MESSAGE_KINDS = [
  'certificate_expiring',
  'course_enrollment',
  'recertification_enrollment',
  'certificate_expired',
  'recertification_reminder',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
