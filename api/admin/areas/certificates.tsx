/**
 * Certificates: the list, and each certificate's Settings tab. A save is a PATCH /api/certificates/:id
 * made in-process (api-client.ts): the settings rules, warnings and the propagation to running
 * workflows are the API's. The form sends only what the admin changed (forms.ts) and the version it
 * was rendered from as `If-Match`, so a save made on a stale form is a 409 showing the current
 * settings, never a lost update.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { awardCountsByCertificate } from '../../../db/queries/awards.ts';
import { isId } from '../../../domain/ids.ts';
import type { CertificateArchived, ChangeImpactDto, CertificateDto, CourseDto, SettingsWarningDto } from '../../schemas.ts';
import type { AdminApi, ApiFailure } from '../api-client.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import {
  F,
  FIELD_LABELS,
  REPEATED_FIELD_MESSAGE,
  SETTINGS_FORM_SHAPE,
  SINGLE_FIELDS,
  buildPatch,
  errorsFromApi,
  expectedVersionOf,
  hiddenFields,
  valuesFromCertificate,
  valuesFromForm,
  type FieldErrors,
  type SettingsFormValues,
} from '../forms.ts';
import { renderNotFound } from '../renderer.tsx';
import { fieldNames, formGaps, formGapsText, formText, isComplete, readForm, refuseRepeated, repeatedFields } from '../requests.ts';
import { CONFIRM_FIELD, ChangePreview, actsAtOnce, confirmToken, impactLines } from '../views/change-preview.tsx';
import { CertificateTabs, CertificatesPage } from '../views/certificates.tsx';
import type { Banner } from '../views/layout.tsx';
import { SettingsForm } from '../views/settings.tsx';
import { ArchiveCertificatePage } from '../views/learners.tsx';
import { MessageTemplatesForm, type TemplatesFormValues, type TemplatesViewProps } from '../views/message-templates.tsx';
import {
  TEMPLATES_FORM_SHAPE,
  TEMPLATES_SINGLE_FIELDS,
  templateOf,
  templateValuesFromCertificate,
  templateValuesFromForm,
  templatesPatch,
  windowInWords,
} from '../templates-form.ts';
import { TEMPLATE_MESSAGES, type TemplateMessage } from '../../../domain/settings.ts';
import type { MessagePreviewDto } from '../../schemas.ts';

/** How often the one-click fix re-reads and retries when someone else saved in between. */
const ADD_COURSE_ATTEMPTS = 3;

/** The banner of a save whose form does not carry the version it was rendered from. */
const BAD_REVISION_TEXT =
  'Nothing was saved: the form did not say which version of the settings it was opened on (its revision is missing or malformed). ' +
  'The form now shows the current settings; make your change again.';

/** The banner of a save refused because the settings changed since the form was opened. */
const STALE_FORM_TEXT =
  'Nothing was saved: someone else saved these settings while you were editing (or a course they use was published or withdrawn). ' +
  'The form now shows the current settings; make your change again.';

/** A certificate by the id in the URL; null (a 404 page) when there is none or the id is not one. */
export async function loadCertificate(api: AdminApi, id: string): Promise<CertificateDto | null> {
  return isId(id) ? await api.getCertificate(id) : null;
}

export const certificates = new Hono<AdminEnv>();

certificates.get('/', async (c) => {
  const { api, sql } = c.var.admin;
  const [list, courses, counts] = await Promise.all([api.listCertificates(), api.listCourses(), awardCountsByCertificate(sql)]);
  return c.render(<CertificatesPage certificates={list} courses={new Map(courses.map((x) => [x.id, x]))} counts={counts} />, {
    title: 'Certificates',
    section: 'certificates',
  });
});

certificates.get('/:id', (c) => c.redirect(`/admin/certificates/${encodeURIComponent(c.req.param('id'))}/settings`, 303));

/** What the Settings tab shows: the certificate, the form's values (as typed, after a refused save), errors, warnings. */
interface SettingsRender {
  cert: CertificateDto;
  courses: CourseDto[];
  values?: SettingsFormValues;
  errors?: FieldErrors;
  warnings?: SettingsWarningDto[] | null;
  banner?: Banner | null;
  status?: ContentfulStatusCode;
  /** The answer to a POST: the address bar shows the tab's GET URL. */
  fromPost?: boolean;
  /** What the change would do at once, shown before saving, with the token its confirm button sends. */
  preview?: { impact: ChangeImpactDto; token: string } | null;
  /** The templates and send window form as typed, its errors and a message preview (issue 13). */
  templates?: { values: TemplatesFormValues; errors: Record<string, string>; preview: TemplatesViewProps['preview'] };
}

function settingsPage(c: AdminContext, r: SettingsRender): Response | Promise<Response> {
  c.status(r.status ?? 200);
  return c.render(
    <CertificateTabs certificate={r.cert} tab="settings">
      {r.preview && <ChangePreview impact={r.preview.impact} token={r.preview.token} settingsUrl={`/admin/certificates/${r.cert.id}/settings`} />}
      <SettingsForm certificate={r.cert} courses={r.courses} values={r.values ?? valuesFromCertificate(r.cert)} errors={r.errors ?? {}} warnings={r.warnings ?? null} />
      <MessageTemplatesForm
        certificateId={r.cert.id}
        values={r.templates?.values ?? templateValuesFromCertificate(r.cert)}
        errors={r.templates?.errors ?? {}}
        preview={r.templates?.preview ?? null}
        orgWindow={windowInWords(c.var.admin.config.sendWindow)}
      />
    </CertificateTabs>,
    {
      title: `${r.cert.title} · Settings`,
      section: 'certificates',
      banner: r.banner,
      replaceUrl: r.fromPost ? `/admin/certificates/${r.cert.id}/settings` : undefined,
    },
  );
}

/** The banner of a successful save: saved, how many workflows hear of it, what it does to them (the preview), and every warning. */
function savedBanner(what: string, { signalled, passedOver }: { signalled: number; passedOver: number }, warnings: SettingsWarningDto[], impact?: ChangeImpactDto): Banner {
  const lines = impact ? impactLines(impact) : [];
  return {
    kind: warnings.length ? 'warn' : 'ok',
    text: (
      <>
        <strong>{what}</strong>
        {signalled > 0 && ` ${signalled} running workflow${signalled === 1 ? ' is' : 's are'} being updated.`}
        {passedOver > 0 &&
          ` ${passedOver} workflow${passedOver === 1 ? '' : 's'} asleep before ${passedOver === 1 ? 'its' : 'their'} due time ${passedOver === 1 ? 'reads' : 'read'} the change then.`}
        {lines.length > 0 && (
          <ul id="impact-summary">
            {lines.map((l) => (
              <li data-impact={l.key}>{l.text}</li>
            ))}
          </ul>
        )}
        {warnings.length > 0 && (
          <ul id="warnings-summary">
            {warnings.map((w) => (
              <li data-warning={w.code}>{w.message}</li>
            ))}
          </ul>
        )}
      </>
    ),
  };
}

certificates.get('/:id/settings', async (c) => {
  const { api } = c.var.admin;
  const [cert, courses] = await Promise.all([loadCertificate(api, c.req.param('id')), api.listCourses()]);
  if (!cert) return renderNotFound(c, 'That certificate');
  return settingsPage(c, { cert, courses });
});

certificates.post('/:id/settings', async (c) => {
  const { api } = c.var.admin;
  const [cert, courses] = await Promise.all([loadCertificate(api, c.req.param('id')), api.listCourses()]);
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c); // not a form (JSON, text): 415; a broken one: 400; nothing saved
  const values = valuesFromForm(form);
  /** The answer to a save made on a stale form: 409, the current settings, nothing saved. */
  const stale = (current: CertificateDto) => settingsPage(c, { cert: current, courses, status: 409, fromPost: true, banner: { kind: 'error', text: STALE_FORM_TEXT } });
  const repeated = repeatedFields(form, SINGLE_FIELDS);
  const expectedVersion = repeated.includes(F.revision) ? null : expectedVersionOf(values);
  // A form without a well-formed revision is malformed (400), not stale: nobody else saved anything.
  if (expectedVersion === null) return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text: BAD_REVISION_TEXT } });
  const live = new Set(courses.filter((x) => x.status === 'live').map((x) => x.id));
  const { patch, errors } = buildPatch(values, cert, live);
  // A post that lacks a field the form always sends (a tick box counts only with the form's
  // `checkboxes` marker) is refused, never filled in: nothing is guessed "off" or "empty" for it.
  // The bad values it did carry are named too. The form shown is the saved settings.
  const gaps = formGaps(form, SETTINGS_FORM_SHAPE);
  if (!isComplete(gaps)) {
    const badSent = Object.entries(errors).filter(([name]) => name in form);
    const text = (
      <>
        <strong>Nothing was saved.</strong> {formGapsText(gaps)}
        {badSent.length > 0 && (
          <ul id="bad-values">
            {badSent.map(([name, message]) => (
              <li data-field={name}>
                “{name}”: {message}
              </li>
            ))}
          </ul>
        )}
      </>
    );
    return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text } });
  }
  // A quick refusal for a form already stale; the API's If-Match check below is the one that holds
  // when two saves race (it runs under the certificate's row lock).
  if (expectedVersion !== cert.settingsVersion) return stale(cert);
  for (const name of repeated) errors[name] = REPEATED_FIELD_MESSAGE; // a field sent twice: refused, not one picked
  if (Object.keys(errors).length > 0) {
    // An error beside a field its section hides (the same save turns the section off) is said in the banner.
    const hidden = hiddenFields(values).filter((name) => errors[name]);
    const text = repeated.length ? (
      `Nothing was saved: the form sent ${fieldNames(repeated)} more than once.`
    ) : (
      <>
        Nothing was saved: correct the fields marked below.
        {hidden.length > 0 && (
          <ul id="hidden-field-errors">
            {hidden.map((name) => (
              <li data-field={name}>
                {FIELD_LABELS[name] ?? name} (in a section turned off): {errors[name]}
              </li>
            ))}
          </ul>
        )}
      </>
    );
    return settingsPage(c, { cert, courses, values, errors, status: 400, banner: { kind: 'error', text } });
  }
  /** The page of a change the API refused (the preview or the save): the API's message beside each field it names. */
  const refused = async (status: number, error: ApiFailure) => {
    if (status === 404) return renderNotFound(c, 'That certificate');
    if (status === 409 && error.code === 'version_conflict') {
      const current = await api.getCertificate(cert.id);
      return current ? stale(current) : renderNotFound(c, 'That certificate');
    }
    const { fields, general } = errorsFromApi(error);
    return settingsPage(c, {
      cert,
      courses,
      values,
      errors: fields,
      status: ([400, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode,
      banner: { kind: 'error', text: `Nothing was saved: ${general ?? 'correct the fields marked below.'}` },
    });
  };
  // First what the change would do (the API's dry run, the same checks as the save). When it acts on
  // a learner at once, saving needs a second click that confirms exactly this change at this version.
  const preview = await api.previewCertificateChange(cert.id, patch, { expectedVersion });
  if (!preview.ok) return await refused(preview.status, preview.error);
  const { impact } = preview.body;
  const token = confirmToken(expectedVersion, patch);
  if (actsAtOnce(impact) && formText(form, CONFIRM_FIELD) !== token) {
    return settingsPage(c, {
      cert,
      courses,
      values,
      warnings: preview.body.warnings,
      preview: { impact, token },
      banner: { kind: 'warn', text: 'Not saved yet: this change acts on learners at once. Check what it does, then confirm.' },
    });
  }
  const answer = await api.patchCertificate(cert.id, patch, { expectedVersion });
  if (!answer.ok) return await refused(answer.status, answer.error);
  const { certificate, warnings } = answer.body;
  return settingsPage(c, { cert: certificate, courses, warnings, fromPost: true, banner: savedBanner('Settings saved.', answer.body, warnings, impact) });
});

// The one-click fix of `course_not_in_associated_content`: add the course to the associated content.
// Adding commutes with other changes, so a save made meanwhile is re-read and the addition retried
// (each attempt at the version it read, so nothing someone else saved is overwritten).
certificates.post('/:id/associated-content', async (c) => {
  const { api } = c.var.admin;
  const [loaded, courses] = await Promise.all([loadCertificate(api, c.req.param('id')), api.listCourses()]);
  if (!loaded) return renderNotFound(c, 'That certificate');
  let cert: CertificateDto = loaded;
  const form = await readForm(c);
  refuseRepeated(form, ['courseId']);
  const courseId = formText(form, 'courseId');
  const course = courses.find((x) => x.id === courseId);
  if (!course) {
    return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text: 'Nothing was saved: that course does not exist.' } });
  }
  for (let attempt = 1; ; attempt++) {
    const patch = cert.associatedCourseIds.includes(courseId) ? {} : { associatedCourseIds: [...cert.associatedCourseIds, courseId] };
    const answer = await api.patchCertificate(cert.id, patch, { expectedVersion: cert.settingsVersion });
    if (answer.ok) {
      const { certificate, warnings } = answer.body;
      return settingsPage(c, {
        cert: certificate,
        courses,
        warnings,
        fromPost: true,
        banner: savedBanner(`Added “${course.title}” to the associated content.`, answer.body, warnings),
      });
    }
    if (answer.status === 409 && answer.error.code === 'version_conflict' && attempt < ADD_COURSE_ATTEMPTS) {
      const current = await api.getCertificate(cert.id);
      if (!current) return renderNotFound(c, 'That certificate');
      cert = current;
      continue;
    }
    if (answer.status === 409 && answer.error.code === 'version_conflict') {
      const current = await api.getCertificate(cert.id);
      return current ? settingsPage(c, { cert: current, courses, status: 409, fromPost: true, banner: { kind: 'error', text: STALE_FORM_TEXT } }) : renderNotFound(c, 'That certificate');
    }
    return settingsPage(c, { cert, courses, status: 422, fromPost: true, banner: { kind: 'error', text: `Nothing was saved: ${answer.error.message}` } });
  }
});

// ---------------------------------------------------------------------------------------------
// archiving (issue 9): a confirmation page, then POST /api/certificates/:id/archive in-process

/** The archive confirmation page (`error`: why a post was refused; nothing changed). */
async function archivePage(c: AdminContext, cert: CertificateDto, r: { error?: string; status?: ContentfulStatusCode } = {}): Promise<Response> {
  const counts = await awardCountsByCertificate(c.var.admin.sql);
  c.status(r.status ?? 200);
  return await c.render(
    <ArchiveCertificatePage id={cert.id} title={cert.title} activeAwards={counts.get(cert.id)?.active ?? 0} {...(r.error ? { error: r.error } : {})} />,
    { title: `Archive ${cert.title}`, section: 'certificates' },
  );
}

certificates.get('/:id/archive', async (c) => {
  const cert = await loadCertificate(c.var.admin.api, c.req.param('id'));
  return cert ? archivePage(c, cert) : renderNotFound(c, 'That certificate');
});

certificates.post('/:id/archive', async (c) => {
  const { api } = c.var.admin;
  const cert = await loadCertificate(api, c.req.param('id'));
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c);
  refuseRepeated(form, ['confirm']);
  if (formText(form, 'confirm') !== 'yes') return archivePage(c, cert, { status: 400, error: 'Nothing was changed: tick the box to confirm.' });
  const answer = await api.post<CertificateArchived>(`/api/certificates/${cert.id}/archive`);
  if (!answer.ok) {
    const status = ([400, 409, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode;
    return archivePage(c, cert, { status, error: `Nothing was changed: ${answer.error.message}` });
  }
  const [list, courses, counts] = await Promise.all([api.listCertificates(), api.listCourses(), awardCountsByCertificate(c.var.admin.sql)]);
  const n = answer.body.revokedAwards;
  return await c.render(<CertificatesPage certificates={list} courses={new Map(courses.map((x) => [x.id, x]))} counts={counts} />, {
    title: 'Certificates',
    section: 'certificates',
    replaceUrl: '/admin/certificates',
    banner: { kind: 'ok', text: <strong>“{cert.title}” archived: {n} award{n === 1 ? '' : 's'} revoked, their workflows ended.</strong> },
  });
});

// ---------------------------------------------------------------------------------------------
// message templates and send window (issue 13): saved with PATCH /api/certificates/:id (If-Match),
// previewed with POST /api/certificates/:id/message-preview before saving

/** An API refusal of the templates form, beside the field it names (else beside the send window). */
function templateErrors(error: ApiFailure): Record<string, string> {
  const details = (error.details ?? {}) as { field?: unknown };
  const field = typeof details.field === 'string' ? details.field : 'sendWindow';
  return { [field]: error.message };
}

certificates.post('/:id/templates/preview', async (c) => {
  const { api } = c.var.admin;
  const [cert, courses] = await Promise.all([loadCertificate(api, c.req.param('id')), api.listCourses()]);
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c);
  const values = templateValuesFromForm(form);
  const asked = formText(form, 'preview');
  const message: TemplateMessage = (TEMPLATE_MESSAGES as readonly string[]).includes(asked) ? (asked as TemplateMessage) : 'certificateExpiring';
  const answer = await api.post<MessagePreviewDto>(`/api/certificates/${encodeURIComponent(cert.id)}/message-preview`, { message, template: templateOf(values, message) });
  if (!answer.ok) {
    return settingsPage(c, { cert, courses, status: 422, fromPost: true, templates: { values, errors: templateErrors(answer.error), preview: null } });
  }
  return settingsPage(c, { cert, courses, fromPost: true, templates: { values, errors: {}, preview: { message, answer: answer.body } } });
});

certificates.post('/:id/templates', async (c) => {
  const { api } = c.var.admin;
  const [cert, courses] = await Promise.all([loadCertificate(api, c.req.param('id')), api.listCourses()]);
  if (!cert) return renderNotFound(c, 'That certificate');
  const form = await readForm(c);
  const values = templateValuesFromForm(form);
  const repeated = repeatedFields(form, TEMPLATES_SINGLE_FIELDS);
  const version = !repeated.includes('revision') && /^[1-9]\d{0,9}$/.test(values.revision) ? Number(values.revision) : null;
  if (version === null) return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text: BAD_REVISION_TEXT } });
  // A post lacking a field the form always sends, or sending one twice, is refused: an absent
  // template is never saved as "built-in", an absent or unknown mode never as the organisation's window.
  const gaps = formGaps(form, TEMPLATES_FORM_SHAPE);
  if (!isComplete(gaps) || repeated.length > 0) {
    const twice = repeated.length ? `The form sent ${fieldNames(repeated)} more than once; send each once.` : '';
    return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text: `Nothing was saved: ${[formGapsText(gaps), twice].filter(Boolean).join(' ')}` } });
  }
  const answer = await api.patchCertificate(cert.id, { settings: templatesPatch(values) }, { expectedVersion: version });
  if (answer.ok) {
    const { certificate, warnings } = answer.body;
    return settingsPage(c, { cert: certificate, courses, warnings, fromPost: true, banner: savedBanner('Message templates and send window saved.', answer.body, warnings) });
  }
  if (answer.status === 409) {
    const current = (await api.getCertificate(cert.id)) ?? cert;
    return settingsPage(c, { cert: current, courses, status: 409, fromPost: true, banner: { kind: 'error', text: STALE_FORM_TEXT } });
  }
  return settingsPage(c, {
    cert,
    courses,
    status: answer.status === 400 ? 400 : 422,
    fromPost: true,
    banner: { kind: 'error', text: `Nothing was saved: ${answer.error.message}` },
    templates: { values, errors: templateErrors(answer.error), preview: null },
  });
});
