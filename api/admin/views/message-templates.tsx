/**
 * The Settings tab's "Message templates and send window" card (issue 13): the subject and body of the
 * certificate's Certificate Expiring, reminder and Certificate Expired messages (empty: the built-in
 * text), a Preview button per message that renders it through the API before anything is saved
 * (subject, the HTML in a sandboxed iframe, the text part), and the certificate's send window.
 */
import type { MessagePreviewDto } from '../../schemas.ts';
import { PLACEHOLDERS } from '../../../domain/placeholders.ts';
import { TEMPLATE_MESSAGES, type TemplateMessage } from '../../../domain/settings.ts';
import { WEEKDAYS } from '../../../domain/send-window.ts';
import { CHECKBOXES_FIELD } from '../requests.ts';
import { TEMPLATES_CHECKBOXES } from '../templates-form.ts';
import { TEMPLATE_MESSAGE_LABELS, WEEKDAY_LABELS } from './labels.ts';

/** The form's values as typed. */
export interface TemplatesFormValues {
  revision: string;
  templates: Record<TemplateMessage, { subject: string; body: string }>;
  /** `org`: the organisation's SEND_WINDOW; `on` / `off`: this certificate's own. */
  windowMode: 'org' | 'on' | 'off';
  windowStart: string;
  windowEnd: string;
  windowDays: string[];
}

export interface TemplatesViewProps {
  certificateId: string;
  values: TemplatesFormValues;
  /** An error beside a field, by the API's field path (`messageTemplates.certificateExpiring.body`, `sendWindow`). */
  errors: Record<string, string>;
  /** The preview just asked for, shown under its message. */
  preview: { message: TemplateMessage; answer: MessagePreviewDto } | null;
  /** The organisation's window, in words, for the `org` choice. */
  orgWindow: string;
}

const fieldId = (path: string): string => `f-${path.replace(/\./g, '-')}`;

function Error(props: { errors: Record<string, string>; field: string }) {
  const e = props.errors[props.field];
  return e ? (
    <p class="field-error" role="alert" id={`${fieldId(props.field)}-error`} data-field={props.field}>
      {e}
    </p>
  ) : null;
}

export function MessageTemplatesForm(props: TemplatesViewProps) {
  const { values: v, errors } = props;
  const action = `/admin/certificates/${props.certificateId}/templates`;
  return (
    <form method="post" action={action} id="templates-form" class="settings">
      <input type="hidden" name="revision" value={v.revision} />
      {/* Names the tick boxes (the days), which a browser leaves out when unticked: an absent day is unticked, not missing. */}
      <input type="hidden" name={CHECKBOXES_FIELD} value={TEMPLATES_CHECKBOXES.value} />
      <section class="card" id="templates-section">
        <h2>Message templates and send window</h2>
        <p class="hint">
          Leave a message empty for the built-in text. Subjects are plain text; bodies are HTML (paragraphs, lists, emphasis, links) or
          plain text. Values are escaped. Dates are written in the learner’s time zone. Placeholders:{' '}
          {PLACEHOLDERS.map((p) => (
            <code>{`{{${p}}}`} </code>
          ))}
        </p>
        {TEMPLATE_MESSAGES.map((name) => {
          const subject = `messageTemplates.${name}.subject`;
          const body = `messageTemplates.${name}.body`;
          return (
            <fieldset class="template" id={`template-${name}`}>
              <legend>{TEMPLATE_MESSAGE_LABELS[name]}</legend>
              <div class="field">
                <label for={fieldId(subject)}>Subject</label>
                <input type="text" class="wide" name={subject} id={fieldId(subject)} value={v.templates[name].subject} maxlength={300} />
                <Error errors={errors} field={subject} />
              </div>
              <div class="field">
                <label for={fieldId(body)}>Body</label>
                <textarea name={body} id={fieldId(body)} rows={6} class="wide">
                  {v.templates[name].body}
                </textarea>
                <Error errors={errors} field={body} />
              </div>
              <button type="submit" name="preview" value={name} formaction={`${action}/preview`} id={`preview-${name}`}>
                Preview
              </button>
              {props.preview?.message === name && <Preview answer={props.preview.answer} />}
            </fieldset>
          );
        })}

        <fieldset id="send-window">
          <legend>Send window</legend>
          <p class="hint">
            Messages are delivered only inside the learner’s local hours (enrollment and expiry still happen on time; a message waits for the
            window’s next opening).
          </p>
          {(['org', 'on', 'off'] as const).map((mode) => (
            <label class="toggle" for={`window-${mode}`}>
              <input type="radio" name="sendWindow.mode" value={mode} id={`window-${mode}`} checked={v.windowMode === mode} />
              <span>{mode === 'org' ? `The organisation’s (${props.orgWindow})` : mode === 'on' ? 'Only inside these hours:' : 'Off: send at once'}</span>
            </label>
          ))}
          <div class="row">
            <input type="time" name="sendWindow.start" id="window-start" value={v.windowStart} aria-label="From" />
            <span>to</span>
            <input type="time" name="sendWindow.end" id="window-end" value={v.windowEnd} aria-label="Until" />
          </div>
          <div class="row">
            {WEEKDAYS.map((d) => (
              <label class="toggle" for={`window-day-${d}`}>
                <input type="checkbox" name="sendWindow.days" value={d} id={`window-day-${d}`} checked={v.windowDays.includes(d)} />
                <span>{WEEKDAY_LABELS[d]}</span>
              </label>
            ))}
          </div>
          <Error errors={errors} field="sendWindow" />
        </fieldset>

        <div class="form-actions">
          <button type="submit" class="primary" id="save-templates">
            Save templates and send window
          </button>
        </div>
      </section>
    </form>
  );
}

/** A rendered message: subject, the HTML in a sandboxed frame (no scripts, no same origin), and the text part. */
function Preview(props: { answer: MessagePreviewDto }) {
  const a = props.answer;
  return (
    <div class="message-preview" id="message-preview">
      <p>
        <strong>Subject:</strong> <span id="preview-subject">{a.subject}</span>
      </p>
      <iframe sandbox="" srcdoc={a.html} title="HTML preview" id="preview-html" class="preview-frame"></iframe>
      <p class="hint">
        Text part (for {a.sample.learnerName}, dates in {a.timeZone}):
      </p>
      <pre id="preview-text">{a.text}</pre>
    </div>
  );
}
