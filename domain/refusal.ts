/**
 * A request the domain's rules refuse: thrown by the domain services (domain/awarding.ts,
 * domain/attempts.ts), which know nothing of HTTP; the API answers it (api/app.ts) as
 * `{"error": {code, message, details}}` with the status of its kind.
 */

/** `not_found`: a named thing does not exist (404); `conflict`: the current state forbids it (409); `rule`: it breaks a business rule (422). */
export type RefusalKind = 'not_found' | 'conflict' | 'rule';

export class Refusal extends Error {
  constructor(
    public readonly kind: RefusalKind,
    /** The API's error code, e.g. `already_awarded`. */
    public readonly code: string,
    message: string,
    /** What the client needs to act on it (the field at fault, the id in the way), or null. */
    public readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** `what` (e.g. `Certificate`) with id `id` does not exist. */
export const notFound = (what: string, id: string): Refusal => new Refusal('not_found', 'not_found', `${what} ${id} does not exist.`, { id });

/** The learner named in the request's `learnerId` does not exist. */
export const unknownLearner = (learnerId: string): Refusal =>
  new Refusal('rule', 'unknown_learner', `No learner ${learnerId}.`, { field: 'learnerId' });
