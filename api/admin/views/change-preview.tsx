/**
 * What a settings change would do at once (the API's dry run, `ChangeImpact`), shown on Save before
 * anything is saved: "This change enrolls 312 learners now", released, waiting, rescheduled with the
 * earliest new due date, the emails going out and second emails. When anything happens at once the
 * save needs a second click: the confirm button submits the same Settings form again with a token of
 * the version and the change it was shown for.
 */
import { createHash } from 'node:crypto';
import type { ChangeImpactDto } from '../../schemas.ts';
import { canonicalJson } from '../../util.ts';
import type { CertificatePatchBody } from '../api-client.ts';
import { day } from './format.ts';

/** The form field that carries the confirmation token. */
export const CONFIRM_FIELD = 'confirm';

/**
 * The confirmation token of a change: its version and a digest of the PATCH body, so a confirm click
 * saves exactly the change that was previewed, on the version it was previewed on.
 */
export function confirmToken(version: number, patch: CertificatePatchBody): string {
  return `${version}.${createHash('sha256').update(canonicalJson(patch)).digest('hex').slice(0, 20)}`;
}

/** Emails the change sends at once (every kind). */
export const emailsNow = (i: ChangeImpactDto): number => i.messagesNow.certificate_expiring + i.messagesNow.recertification_enrollment + i.messagesNow.course_enrollment;

/** Whether the change acts on a learner at once (enrolls, starts a wait, or sends an email): then saving needs a confirmation. */
export function actsAtOnce(i: ChangeImpactDto): boolean {
  return i.enrollNow + i.released + i.waitingNow + emailsNow(i) > 0;
}

const learners = (n: number): string => `${n} learner${n === 1 ? '' : 's'}`;
/** The verb for `n` learners: `one` for a single learner, `many` otherwise. */
const verb = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** The impact as sentences, one per count that is not zero (the headline first). */
export function impactLines(i: ChangeImpactDto): { key: string; text: string; count: number }[] {
  const lines: { key: string; text: string; count: number }[] = [];
  if (i.enrollNow > 0) lines.push({ key: 'enrollNow', count: i.enrollNow, text: `${learners(i.enrollNow)} ${verb(i.enrollNow, 'comes', 'come')} inside the enrollment window and ${verb(i.enrollNow, 'is', 'are')} enrolled now.` });
  if (i.released > 0) lines.push({ key: 'released', count: i.released, text: `${learners(i.released)} waiting for settings ${verb(i.released, 'is', 'are')} released and enrolled now.` });
  if (i.waitingNow > 0) {
    lines.push({ key: 'waitingNow', count: i.waitingNow, text: `${learners(i.waitingNow)} ${verb(i.waitingNow, 'falls', 'fall')} due now but cannot be enrolled with these settings: they wait for settings.` });
  }
  if (i.rescheduled > 0) {
    lines.push({ key: 'rescheduled', count: i.rescheduled, text: `${learners(i.rescheduled)} ${verb(i.rescheduled, 'is', 'are')} rescheduled; the earliest new due date is ${day(i.earliestNewDueAt)}.` });
  }
  const emails = emailsNow(i);
  if (emails > 0) lines.push({ key: 'emailsNow', count: emails, text: `${emails} email${emails === 1 ? ' goes' : 's go'} out now.` });
  if (i.secondEmail > 0) lines.push({ key: 'secondEmail', count: i.secondEmail, text: `${learners(i.secondEmail)} ${verb(i.secondEmail, 'gets', 'get')} a second email about their recertification.` });
  return lines;
}

/** The headline: "This change enrolls 312 learners now", or what it does instead. */
export function impactHeadline(i: ChangeImpactDto): string {
  const enrolled = i.enrollNow + i.released;
  if (enrolled > 0) return `This change enrolls ${learners(enrolled)} now.`;
  if (actsAtOnce(i)) return 'This change acts on running workflows now.';
  if (i.rescheduled > 0) return `This change reschedules ${learners(i.rescheduled)}.`;
  return 'This change does nothing at once to running workflows.';
}

/** The preview panel with its confirm button (it submits the Settings form again, with the token). */
export function ChangePreview(props: { impact: ChangeImpactDto; token: string; settingsUrl: string }) {
  const { impact, token } = props;
  return (
    <section class="card change-preview" id="change-preview" aria-labelledby="change-preview-title">
      <h2 id="change-preview-title">Before you save</h2>
      <p id="impact-headline">
        <strong>{impactHeadline(impact)}</strong>
      </p>
      <ul id="impact-lines">
        {impactLines(impact).map((l) => (
          <li data-impact={l.key} data-count={String(l.count)}>
            {l.text}
          </li>
        ))}
      </ul>
      <p class="hint">Counted from the database at {day(impact.asOf)} with the workflow’s own rules. Nothing is saved until you confirm.</p>
      <div class="form-actions">
        <button type="submit" class="primary" form="settings-form" name={CONFIRM_FIELD} value={token} id="confirm-save">
          Confirm and save
        </button>
        <a href={props.settingsUrl} id="cancel-change">
          Cancel
        </a>
      </div>
    </section>
  );
}
