/**
 * The Learners page (a search of email and name, newest first, paged) and the forms of one learner's
 * page: edit name and email, deactivate, erase with a typed confirmation. Every form posts to
 * `/admin/learners/...`, which calls the JSON API in-process (api/admin/areas/learners.tsx).
 */
import type { LearnerDto } from '../../schemas.ts';
import { when } from './format.ts';
import { LEARNER_STATUS_LABELS } from './labels.ts';

const statusOf = (l: LearnerDto) => l.status ?? 'active';

function LearnerStatusBadge(props: { learner: LearnerDto }) {
  const status = statusOf(props.learner);
  return <span class={`badge learner-${status}${status === 'active' ? '' : ' status-revoked'}`} data-learner-status={status}>{LEARNER_STATUS_LABELS[status]}</span>;
}

/** The list: a search box, the page of learners, a link to the next page. */
export function LearnersPage(props: { learners: LearnerDto[]; q: string; nextUrl: string | null }) {
  return (
    <>
      <h1>Learners</h1>
      <form method="get" action="/admin/learners" class="inline" role="search">
        <label>
          Search email or name <input type="search" name="q" value={props.q} maxlength={320} id="learner-search" />
        </label>{' '}
        <button type="submit">Search</button>
        {props.q && (
          <>
            {' '}
            <a href="/admin/learners">clear</a>
          </>
        )}
      </form>
      {props.learners.length === 0 ? (
        <p class="empty">{props.q ? 'No learner matches.' : 'No learners yet.'}</p>
      ) : (
        <table class="list" id="learners">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Status</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {props.learners.map((l) => (
              <tr data-learner-id={l.id}>
                <td>
                  <a href={`/admin/learners/${l.id}`} class="strong">
                    {l.name}
                  </a>
                </td>
                <td class="wrap">{l.email}</td>
                <td>
                  <LearnerStatusBadge learner={l} />
                </td>
                <td class="nowrap">{when(l.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextUrl && (
        <p>
          <a href={props.nextUrl} id="next-page">
            Next page →
          </a>
        </p>
      )}
    </>
  );
}

/** The values of the edit form as typed (after a refused save) and the message beside each field. */
export interface LearnerFormState {
  name: string;
  email: string;
  /** The manager's email as typed ('' for none; issue 14 §4); absent: the learner's. */
  managerEmail?: string;
  errors: { name?: string; email?: string; managerEmail?: string; confirm?: string };
}

/** One learner's status and the forms that change it (shown under their details). */
export function LearnerForms(props: { learner: LearnerDto; state?: LearnerFormState }) {
  const l = props.learner;
  const status = statusOf(l);
  const s = props.state ?? { name: l.name, email: l.email, errors: {} };
  return (
    <section id="learner-lifecycle">
      <p>
        Status: <LearnerStatusBadge learner={l} />
        {l.deactivatedAt && <span class="muted small"> since {when(l.deactivatedAt)}</span>}
      </p>
      {status !== 'erased' && (
        <>
          <h2 class="section-title">Edit</h2>
          <form method="post" action={`/admin/learners/${l.id}`} id="learner-edit" class="stack">
            <label>
              Name <input name="name" value={s.name} required maxlength={200} />
            </label>
            {s.errors.name && <p class="field-error">{s.errors.name}</p>}
            <label>
              Email <input name="email" type="email" value={s.email} required maxlength={320} />
            </label>
            {s.errors.email && <p class="field-error">{s.errors.email}</p>}
            <label>
              Manager’s email{' '}
              <input name="managerEmail" type="email" value={s.managerEmail ?? l.managerEmail ?? ''} maxlength={320} id="learner-manager-email" placeholder="none" />
            </label>
            {s.errors.managerEmail && (
              <p class="field-error" id="learner-manager-email-error">
                {s.errors.managerEmail}
              </p>
            )}
            <p class="muted small">Messages sent from now on go to the address saved here. The manager gets the weekly digest of their learners (empty: no manager).</p>
            <button type="submit">Save</button>
          </form>
        </>
      )}
      {status === 'active' && (
        <>
          <h2 class="section-title">Deactivate</h2>
          <form method="post" action={`/admin/learners/${l.id}/deactivate`} id="learner-deactivate" class="stack">
            <p class="small">
              Ends every running recertification of this learner (their awards become revoked, “learner deactivated”, and keep their
              history). No further enrollment or message is made for them.
            </p>
            <label>
              <input type="checkbox" name="confirm" value="yes" required /> Yes, deactivate this learner
            </label>
            <button type="submit" class="danger">
              Deactivate learner
            </button>
          </form>
        </>
      )}
      {status !== 'erased' && (
        <>
          <h2 class="section-title">Erase personal data</h2>
          <form method="post" action={`/admin/learners/${l.id}/erase`} id="learner-erase" class="stack">
            <p class="small">
              A data-protection request: the name and email are replaced with placeholders, their messages are redacted, their workflows end
              and are deleted from Temporal. This cannot be undone. Type the learner's email address to confirm.
            </p>
            <label>
              Email address <input name="confirm" autocomplete="off" required maxlength={320} id="erase-confirm" />
            </label>
            {s.errors.confirm && <p class="field-error">{s.errors.confirm}</p>}
            <button type="submit" class="danger">
              Erase learner
            </button>
          </form>
        </>
      )}
    </section>
  );
}

/** The confirmation page of archiving a certificate. */
export function ArchiveCertificatePage(props: { id: string; title: string; activeAwards: number; error?: string }) {
  return (
    <>
      <p class="crumbs">
        <a href="/admin/certificates">Certificates</a> / <a href={`/admin/certificates/${props.id}/settings`}>{props.title}</a> /
      </p>
      <h1>Archive “{props.title}”</h1>
      <p>
        Archiving ends the recertification of its {props.activeAwards} active award{props.activeAwards === 1 ? '' : 's'} (they become revoked,
        “certificate archived”, and keep their history), refuses new awards, and hides it from the certificate list. It cannot be undone.
      </p>
      {props.error && <p class="banner error">{props.error}</p>}
      <form method="post" action={`/admin/certificates/${props.id}/archive`} id="certificate-archive" class="stack">
        <label>
          <input type="checkbox" name="confirm" value="yes" required /> Yes, archive this certificate
        </label>
        <button type="submit" class="danger">
          Archive certificate
        </button>{' '}
        <a href={`/admin/certificates/${props.id}/settings`}>Cancel</a>
      </form>
    </>
  );
}
