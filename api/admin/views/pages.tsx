/** The smaller admin pages: sign-in, certificates list, the certificate tabs, errors. */
import type { Child } from 'hono/jsx';
import type { CertificateDto, CourseDto } from '../../schemas.ts';
import { UNIT_LABELS } from './format.ts';

/** Why the sign-in page is shown: after "Sign out everywhere", every session ended. */
export type LoginNotice = 'everywhere';

export function LoginPage(props: { next: string; error?: string; notice?: LoginNotice }) {
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      {props.notice && (
        <p class="banner info" role="status" id="signed-out" data-signed-out={props.notice}>
          You signed out everywhere: every admin session has ended, in every browser.
        </p>
      )}
      <p class="muted">Use the admin token (<code>ADMIN_API_TOKEN</code>). It is checked on the server and never stored in the browser.</p>
      <form method="post" action="/admin/login" class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus aria-invalid={props.error ? 'true' : undefined} aria-describedby={props.error ? 'token-error' : undefined} />
        {props.error && (
          <p class="field-error" id="token-error" role="alert">
            {props.error}
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </section>
  );
}

export function CertificatesPage(props: {
  certificates: CertificateDto[];
  courses: Map<string, CourseDto>;
  counts: Map<string, Partial<Record<string, number>>>;
}) {
  return (
    <>
      <h1>Certificates</h1>
      {props.certificates.length === 0 ? (
        <p class="empty">No certificates yet. Create one with <code>POST /api/certificates</code> (see the API docs at <a href="/api/docs">/api/docs</a>).</p>
      ) : (
        <table class="list" id="certificates">
          <thead>
            <tr>
              <th>Certificate</th>
              <th>Expiration</th>
              <th>Recertification</th>
              <th class="num">Active awards</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.certificates.map((c) => {
              const s = c.settings;
              const course = s.recertification.courseId ? props.courses.get(s.recertification.courseId) : undefined;
              return (
                <tr data-certificate-id={c.id}>
                  <td>
                    <a href={`/admin/certificates/${c.id}/settings`} class="strong">
                      {c.title}
                    </a>
                  </td>
                  <td>{s.expiration.enabled ? `after ${s.expiration.validFor.amount} ${UNIT_LABELS[s.expiration.validFor.unit] ?? s.expiration.validFor.unit}` : <span class="muted">never expires</span>}</td>
                  <td>
                    {s.expiration.enabled && s.recertification.enabled ? (
                      <>
                        {course?.title ?? 'unknown course'}, {s.recertification.leadDays} days before expiry
                      </>
                    ) : (
                      <span class="muted">off</span>
                    )}
                  </td>
                  <td class="num">{props.counts.get(c.id)?.active ?? 0}</td>
                  <td class="actions">
                    <a href={`/admin/certificates/${c.id}/settings`}>Settings</a> · <a href={`/admin/certificates/${c.id}/awards`}>Awards</a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The certificate's heading and its tabs (as in the seed's certificate view). */
export function CertificateTabs(props: { certificate: CertificateDto; tab: 'settings' | 'awards'; children?: Child }) {
  const c = props.certificate;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/certificates">Certificates</a> /
      </p>
      <h1>{c.title}</h1>
      <nav class="tabs" aria-label="Certificate">
        <a href={`/admin/certificates/${c.id}/settings`} class={props.tab === 'settings' ? 'current' : undefined} aria-current={props.tab === 'settings' ? 'page' : undefined}>
          Settings
        </a>
        <a href={`/admin/certificates/${c.id}/awards`} class={props.tab === 'awards' ? 'current' : undefined} aria-current={props.tab === 'awards' ? 'page' : undefined}>
          Awards
        </a>
      </nav>
      {props.children}
    </>
  );
}

export function ErrorPage(props: { title: string; message: string }) {
  return (
    <section class="card narrow">
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/admin/certificates">Back to the certificates</a>
      </p>
    </section>
  );
}
