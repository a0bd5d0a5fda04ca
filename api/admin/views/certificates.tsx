/** The certificates list, and the heading and tabs (Settings, Awards) of one certificate's pages. */
import type { Child } from 'hono/jsx';
import type { AwardStatus } from '../../../domain/vocabulary.ts';
import type { CertificateDto, CourseDto } from '../../schemas.ts';
import { UNIT_LABELS } from './labels.ts';

/** Every certificate with its expiration, its recertification course and lead days, and its active awards. */
export function CertificatesPage(props: {
  certificates: CertificateDto[];
  courses: Map<string, CourseDto>;
  /** Certificate id → award status → how many (absent: 0). */
  counts: Map<string, Partial<Record<AwardStatus, number>>>;
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
                  <td>{s.expiration.enabled ? `after ${s.expiration.validFor.amount} ${UNIT_LABELS[s.expiration.validFor.unit]}` : <span class="muted">never expires</span>}</td>
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

/** The tabs of a certificate's pages. */
export type CertificateTab = 'settings' | 'awards' | 'overview' | 'import' | 'history';

/** The certificate's heading and its tabs (as in the seed's certificate view), then the tab's content. */
export function CertificateTabs(props: { certificate: CertificateDto; tab: CertificateTab; children?: Child }) {
  const c = props.certificate;
  return (
    <>
      <p class="crumbs">
        <a href="/admin/certificates">Certificates</a> /
      </p>
      <h1>
        {c.title} {c.status === 'archived' && <span class="badge status-revoked">archived</span>}
      </h1>
      {c.status !== 'archived' && (
        <p class="small write-only">
          <a href={`/admin/certificates/${c.id}/archive`} id="archive-link">
            Archive this certificate…
          </a>
        </p>
      )}
      <nav class="tabs" aria-label="Certificate">
        <a href={`/admin/certificates/${c.id}/settings`} class={props.tab === 'settings' ? 'current' : undefined} aria-current={props.tab === 'settings' ? 'page' : undefined}>
          Settings
        </a>
        <a href={`/admin/certificates/${c.id}/awards`} class={props.tab === 'awards' ? 'current' : undefined} aria-current={props.tab === 'awards' ? 'page' : undefined}>
          Awards
        </a>
        <a href={`/admin/certificates/${c.id}/overview`} class={props.tab === 'overview' ? 'current' : undefined} aria-current={props.tab === 'overview' ? 'page' : undefined}>
          Overview
        </a>
        <a href={`/admin/certificates/${c.id}/import`} class={props.tab === 'import' ? 'current' : undefined} aria-current={props.tab === 'import' ? 'page' : undefined}>
          Import
        </a>
        <a href={`/admin/certificates/${c.id}/history`} class={props.tab === 'history' ? 'current' : undefined} aria-current={props.tab === 'history' ? 'page' : undefined}>
          History
        </a>
      </nav>
      {props.children}
    </>
  );
}
