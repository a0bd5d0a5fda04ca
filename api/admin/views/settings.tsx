/**
 * The certificate's Settings tab, laid out as in the seed: "Certificate Expiration" → (only while
 * expiration is on) the "Recertification" sub-section with its "Recertification Course" dropdown of
 * LIVE courses, lead days, reminders and the repeating reminder, and the messages; then the associated content. Errors and
 * the API's warnings sit beside the field they name.
 */
import type { Child } from 'hono/jsx';
import type { CertificateDto, CourseDto, SettingsWarningDto } from '../../schemas.ts';
import { F, SETTINGS_CHECKBOXES, type FieldErrors, type SettingsFormValues } from '../forms.ts';
import { CHECKBOXES_FIELD } from '../requests.ts';
import { DURATION_UNITS, EXPIRY_ANCHORS } from '../../../domain/dates.ts';
import { ANCHOR_LABELS, MONTH_NAMES, STATUS_LABELS, UNIT_LABELS } from './labels.ts';

export interface SettingsViewProps {
  certificate: CertificateDto;
  /** Every course (for associated content); the dropdown shows the live ones only. */
  courses: CourseDto[];
  values: SettingsFormValues;
  errors: FieldErrors;
  /** The warnings of the save just made; null when the page is not the answer to a save. */
  warnings: SettingsWarningDto[] | null;
}

const ENROLLMENT_NOTE = {
  with: 'The Course Enrollment message of “{course}” (subject “{subject}”) is also sent when the course is assigned — and at every other enrollment into that course.',
  without: '“{course}” has no Course Enrollment message. For a fully custom message, turn the Certificate Expiring message off and give the course an enrollment message.',
  none: 'Choose a recertification course to see whether it sends its own Course Enrollment message.',
};

function enrollmentNote(course: CourseDto | undefined): string {
  if (!course) return ENROLLMENT_NOTE.none;
  const t = course.enrollmentMessage ? ENROLLMENT_NOTE.with : ENROLLMENT_NOTE.without;
  return t.replace('{course}', course.title).replace('{subject}', course.enrollmentMessage?.subject ?? '');
}

const idFor = (field: string): string => `f-${field.replace(/\./g, '-')}`;

/** The error (red) and warnings (amber) of a field, with the one-click fix where there is one. */
function FieldNotes(props: { field: string; errors: FieldErrors; warnings: SettingsWarningDto[] | null; fixCourse?: CourseDto }) {
  const error = props.errors[props.field];
  const warnings = (props.warnings ?? []).filter((w) => w.field === props.field);
  return (
    <>
      {error && (
        <p class="field-error" id={`${idFor(props.field)}-error`} role="alert" data-field={props.field}>
          {error}
        </p>
      )}
      {warnings.map((w) => (
        <div class="field-warning" data-warning={w.code} data-field={props.field}>
          <span>{w.message}</span>
          {w.code === 'course_not_in_associated_content' && props.fixCourse && (
            <button type="submit" form="add-course-form" class="fix" id="fix-associated-content">
              Add “{props.fixCourse.title}” to associated content
            </button>
          )}
        </div>
      ))}
    </>
  );
}

function Checkbox(props: { name: string; id: string; checked: boolean; controls?: string; children: Child }) {
  return (
    <label class="toggle" for={props.id}>
      <input type="checkbox" name={props.name} id={props.id} checked={props.checked} data-controls={props.controls} aria-controls={props.controls} />
      <span>{props.children}</span>
    </label>
  );
}

/** The Settings form (and the hidden form of the one-click fix), with each field's error and warnings beside it. */
export function SettingsForm(props: SettingsViewProps) {
  const { certificate: cert, courses, values: v, errors, warnings } = props;
  const live = courses.filter((c) => c.status === 'live');
  const byId = new Map(courses.map((c) => [c.id, c]));
  const savedCourseId = cert.settings.recertification.courseId;
  const savedCourse = savedCourseId ? byId.get(savedCourseId) : undefined;
  const selected = byId.get(v.courseId) ?? (v.courseId === '' ? savedCourse : undefined);
  const invalid = (field: string) => (errors[field] ? { 'aria-invalid': 'true', 'aria-describedby': `${idFor(field)}-error` } : {});

  return (
    <>
      <form method="post" action={`/admin/certificates/${cert.id}/settings`} id="settings-form" class="settings">
        <input type="hidden" name={F.revision} value={v.revision} />
        {/* Names the tick boxes, which a browser leaves out when unticked: so the server reads an absent box as unticked, not as missing. */}
        <input type="hidden" name={CHECKBOXES_FIELD} value={SETTINGS_CHECKBOXES.value} />

        <section class="card" id="expiration-section">
          <h2>Certificate Expiration</h2>
          <Checkbox name={F.expirationEnabled} id="expiration-enabled" checked={v.expirationEnabled} controls="expiration-details">
            Enable certificate expiration
          </Checkbox>
          <p class="hint">Recertification is available only for expiring certificates. Changes to the validity apply to certificates awarded after saving.</p>

          <div id="expiration-details" hidden={!v.expirationEnabled}>
            <div class="field">
              <label for={idFor(F.amount)}>Certificate is valid for</label>
              <div class="row">
                <input type="text" inputmode="numeric" class="short" name={F.amount} id={idFor(F.amount)} value={v.amount} {...invalid(F.amount)} />
                <select name={F.unit} id={idFor(F.unit)} aria-label="Unit">
                  {DURATION_UNITS.map((u) => (
                    <option value={u} selected={v.unit === u}>
                      {UNIT_LABELS[u]}
                    </option>
                  ))}
                </select>
              </div>
              <FieldNotes field={F.amount} errors={errors} warnings={warnings} />
              <FieldNotes field={F.unit} errors={errors} warnings={warnings} />
              {/* Lead days must fit the validity even with recertification off (the expiring notice uses
                  them); its field is then hidden, so its error shows here, beside the validity. */}
              {!v.recertificationEnabled && <FieldNotes field={F.leadDays} errors={errors} warnings={null} />}
            </div>
            <div class="field">
              <label for={idFor(F.anchor)}>A renewed certificate’s expiry counts from</label>
              <select name={F.anchor} id={idFor(F.anchor)}>
                {EXPIRY_ANCHORS.map((a) => (
                  <option value={a} selected={v.anchor === a}>
                    {ANCHOR_LABELS[a]}
                  </option>
                ))}
              </select>
              <FieldNotes field={F.anchor} errors={errors} warnings={warnings} />
            </div>
            <div class="field" id="fixed-date">
              <label for={idFor(F.fixedDay)}>Fixed expiry date (with the fixed-date anchor; 23:59:59 in the organisation’s time zone)</label>
              <div class="row">
                <input type="text" inputmode="numeric" class="short" name={F.fixedDay} id={idFor(F.fixedDay)} value={v.fixedDay} aria-label="Day" {...invalid(F.fixedDay)} />
                <select name={F.fixedMonth} id={idFor(F.fixedMonth)} aria-label="Month">
                  {MONTH_NAMES.map((name, i) => (
                    <option value={String(i + 1)} selected={v.fixedMonth === String(i + 1)}>
                      {name}
                    </option>
                  ))}
                </select>
              </div>
              <FieldNotes field={F.fixedDay} errors={errors} warnings={warnings} />
              <FieldNotes field={F.fixedMonth} errors={errors} warnings={warnings} />
              <label for={idFor(F.fixedMinimum)}>Minimum active days (an award made closer to the date expires a year later)</label>
              <input type="text" inputmode="numeric" class="short" name={F.fixedMinimum} id={idFor(F.fixedMinimum)} value={v.fixedMinimum} {...invalid(F.fixedMinimum)} />
              <FieldNotes field={F.fixedMinimum} errors={errors} warnings={warnings} />
            </div>
            <div class="field">
              <label for={idFor(F.graceDays)}>Grace period after expiry, in days (0: none; the learner can still renew by completing the course)</label>
              <input type="text" inputmode="numeric" class="short" name={F.graceDays} id={idFor(F.graceDays)} value={v.graceDays ?? '0'} {...invalid(F.graceDays)} />
              <FieldNotes field={F.graceDays} errors={errors} warnings={warnings} />
            </div>

            <section class="sub" id="recertification-section">
              <h3>Recertification</h3>
              <Checkbox name={F.recertificationEnabled} id="recertification-enabled" checked={v.recertificationEnabled} controls="recertification-details">
                Enable recertification for this certificate
              </Checkbox>
              <FieldNotes field={F.recertificationEnabled} errors={errors} warnings={warnings} />
              <div id="recertification-details" hidden={!v.recertificationEnabled}>
                <div class="field">
                  <label for="recertification-course">Recertification Course</label>
                  <select name={F.courseId} id="recertification-course" {...invalid(F.courseId)}>
                    <option value="">— Choose a live course —</option>
                    {live.map((c) => (
                      <option value={c.id} selected={v.courseId === c.id} data-title={c.title} data-enrollment-subject={c.enrollmentMessage?.subject}>
                        {c.title}
                      </option>
                    ))}
                  </select>
                  <p class="hint">Published (live) courses only. The course is assigned to the learner as a new course attempt: earlier progress on it is reset.</p>
                  {savedCourse && savedCourse.status !== 'live' && (
                    <p class="field-warning" data-warning="saved_course_not_live">
                      The saved course “{savedCourse.title}” is {savedCourse.status}, so it is not listed. Choose a live course.
                    </p>
                  )}
                  <FieldNotes field={F.courseId} errors={errors} warnings={warnings} fixCourse={savedCourse} />
                </div>
                <div class="field">
                  <label for={idFor(F.leadDays)}>Assign the course</label>
                  <div class="row">
                    <input type="text" inputmode="numeric" class="short" name={F.leadDays} id={idFor(F.leadDays)} value={v.leadDays} {...invalid(F.leadDays)} />
                    <span>days before the certificate expires</span>
                  </div>
                  {v.recertificationEnabled && <FieldNotes field={F.leadDays} errors={errors} warnings={warnings} />}
                </div>
                <div class="field">
                  <label for={idFor(F.reminders)}>Remind the learner</label>
                  <div class="row">
                    <input type="text" class="medium" name={F.reminders} id={idFor(F.reminders)} value={v.reminders} placeholder="e.g. 7, 1" {...invalid(F.reminders)} />
                    <span>days before expiry, until the course is completed</span>
                  </div>
                  <FieldNotes field={F.reminders} errors={errors} warnings={warnings} />
                </div>
                <div class="field" id="repeat-reminder">
                  <label for={idFor(F.repeatEvery)}>Also remind the learner every</label>
                  <div class="row">
                    <input type="text" inputmode="numeric" class="short" name={F.repeatEvery} id={idFor(F.repeatEvery)} value={v.repeatEvery} placeholder="e.g. 7" {...invalid(F.repeatEvery)} />
                    <span>days after the enrollment, at most</span>
                    <input type="text" inputmode="numeric" class="short" name={F.repeatMax} id={idFor(F.repeatMax)} value={v.repeatMax} placeholder="e.g. 3" aria-label="At most this many repeating reminders" {...invalid(F.repeatMax)} />
                    <span>times, until the course is completed or the certificate expires (both empty: none)</span>
                  </div>
                  <FieldNotes field={F.repeatEvery} errors={errors} warnings={warnings} />
                  <FieldNotes field={F.repeatMax} errors={errors} warnings={warnings} />
                </div>
              </div>
            </section>

            <section class="sub" id="messages-section">
              <h3>Messages</h3>
              <Checkbox name={F.expiringNotice} id="expiring-notice" checked={v.expiringNotice}>
                Certificate Expiring message
              </Checkbox>
              <p class="hint">Sent when the course is assigned: names the expiring certificate, its expiry date and the recertification course with a link.</p>
              <FieldNotes field={F.expiringNotice} errors={errors} warnings={warnings} />
              <Checkbox name={F.expiredNotice} id="expired-notice" checked={v.expiredNotice}>
                Certificate Expired message
              </Checkbox>
              <p class="hint">Sent when a certificate lapses without renewal.</p>
              <p class="note" id="enrollment-note" data-with={ENROLLMENT_NOTE.with} data-without={ENROLLMENT_NOTE.without} data-none={ENROLLMENT_NOTE.none}>
                {enrollmentNote(selected)}
              </p>
            </section>
          </div>
        </section>

        <section class="card" id="associated-section">
          <h2>Associated Content</h2>
          <p class="hint">Completing any of these courses awards this certificate. Include the recertification course, or completing it will not award a new certificate.</p>
          <ul class="checklist">
            {courses.map((c) => (
              <li>
                <label class="toggle" for={`assoc-${c.id}`}>
                  <input type="checkbox" name={F.associated} value={c.id} id={`assoc-${c.id}`} checked={v.associatedCourseIds.includes(c.id)} />
                  <span>
                    {c.title} {c.status !== 'live' && <span class={`badge course-${c.status}`}>{STATUS_LABELS[c.status]}</span>}
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <FieldNotes field={F.associated} errors={errors} warnings={warnings} />
        </section>

        <div class="form-actions">
          <button type="submit" class="primary" id="save-settings">
            Save settings
          </button>
          <span class="hint">Recertification and message changes reach the running workflows at once.</span>
        </div>
      </form>
      {savedCourseId && (
        <form method="post" action={`/admin/certificates/${cert.id}/associated-content`} id="add-course-form" hidden>
          <input type="hidden" name="courseId" value={savedCourseId} />
        </form>
      )}
    </>
  );
}
