/**
 * Access and audit (issue 15): the API tokens (create, the secret shown once, revoke), the Audit page
 * (filters, paging) and the per-entity history (a certificate's settings history, an award's
 * history), all one table of audit entries.
 */
import { AUDIT_ACTIONS, AUDIT_ENTITY_TYPES, TOKEN_SCOPES, type AuditEntityType, type TokenScope } from '../../../domain/vocabulary.ts';
import type { AuditEntryDto, TokenDto } from '../../access-schemas.ts';
import { when } from './format.ts';
import { AUDIT_ACTION_LABELS, TOKEN_SCOPE_LABELS } from './labels.ts';

/** A value as an entry shows it: text as it is, anything else as JSON; an absent one as an em dash. */
const shown = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** Where an entry's entity is shown on the page (null: nowhere of its own). */
function entityHref(e: AuditEntryDto): string | null {
  const links: Partial<Record<AuditEntityType, string>> = {
    certificate: `/admin/certificates/${e.entityId}/settings`,
    learner: `/admin/learners/${e.entityId}`,
    course: `/admin/courses/${e.entityId}`,
  };
  return links[e.entityType] ?? null;
}

/** The changed fields of an entry: `field: before → after`, one per line. */
function Changes(props: { e: AuditEntryDto }) {
  const keys = [...new Set([...Object.keys(props.e.before ?? {}), ...Object.keys(props.e.after ?? {})])];
  if (keys.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="changes">
      {keys.map((k) => (
        <li>
          <code>{k}</code>: {props.e.before ? <del>{shown(props.e.before[k])}</del> : null}
          {props.e.before ? ' → ' : ''}
          <ins>{shown(props.e.after?.[k])}</ins>
        </li>
      ))}
    </ul>
  );
}

/** Audit entries as a table, newest first; `nextUrl`: the next (older) page. */
export function AuditTable(props: { entries: AuditEntryDto[]; nextUrl: string | null; showEntity?: boolean }) {
  return (
    <>
      {props.entries.length === 0 ? (
        <p class="muted" id="audit-empty">
          No recorded changes.
        </p>
      ) : (
        <table class="audit" id="audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              {props.showEntity !== false && <th>Entity</th>}
              <th>Changes</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => {
              const href = entityHref(e);
              return (
                <tr data-action={e.action}>
                  <td class="nowrap">{when(e.at)}</td>
                  <td class="actor">{e.actor}</td>
                  <td>
                    {AUDIT_ACTION_LABELS[e.action]}
                    <div class="small muted">{e.route}</div>
                  </td>
                  {props.showEntity !== false && (
                    <td class="small">
                      {e.entityType} {href ? <a href={href}>{e.entityId.slice(0, 8)}</a> : <code>{e.entityId.slice(0, 8)}</code>}
                    </td>
                  )}
                  <td>
                    <Changes e={e} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {props.nextUrl && (
        <p>
          <a href={props.nextUrl} id="audit-older">
            Older entries →
          </a>
        </p>
      )}
    </>
  );
}

/** The filters of the Audit page, as given. */
export interface AuditFilters {
  entityType?: string;
  action?: string;
  actor?: string;
}

/** The Audit page: filters, then the entries. */
export function AuditPage(props: { entries: AuditEntryDto[]; filters: AuditFilters; nextUrl: string | null }) {
  const f = props.filters;
  return (
    <>
      <h1>Audit</h1>
      <p class="muted">Every change made through the API or this page, with the token that made it (its name), newest first. Each entry was written in the change’s own transaction.</p>
      <form method="get" action="/admin/audit" class="filters">
        <label>
          Entity{' '}
          <select name="entityType">
            <option value="">any</option>
            {AUDIT_ENTITY_TYPES.map((t) => (
              <option value={t} selected={f.entityType === t}>
                {t}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Action{' '}
          <select name="action">
            <option value="">any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={f.action === a}>
                {AUDIT_ACTION_LABELS[a]}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Token name <input name="actor" value={f.actor ?? ''} size={16} />
        </label>{' '}
        <button type="submit">Filter</button>
      </form>
      <AuditTable entries={props.entries} nextUrl={props.nextUrl} />
    </>
  );
}

/** One thing's history (a certificate's settings, an award): its entries under a heading. */
export function HistoryPage(props: { heading: string; entries: AuditEntryDto[]; nextUrl: string | null; back: { href: string; label: string } }) {
  return (
    <>
      <h2>{props.heading}</h2>
      <AuditTable entries={props.entries} nextUrl={props.nextUrl} showEntity={false} />
      <p>
        <a href={props.back.href}>{props.back.label}</a>
      </p>
    </>
  );
}

/** What the create form holds (as typed, when refused). */
export interface TokenFormValues {
  name: string;
  scope: TokenScope;
  expiresOn: string;
}

/** The tokens, the "Create a token" form, and a new token's secret (shown this once). */
export function TokensPage(props: { tokens: TokenDto[]; values: TokenFormValues; error: string | null; created: { name: string; secret: string } | null }) {
  const v = props.values;
  return (
    <>
      <h1>API tokens</h1>
      <p class="muted">
        Each system or person that calls the API gets its own token: the audit log names it, and it can be revoked alone. Scopes nest: read ⊂ write ⊂ admin. Only a keyed hash
        of a token is stored. <code>ADMIN_API_TOKEN</code> is the bootstrap token (admin) and is not listed.
      </p>
      {props.created && (
        <div class="banner warn" id="token-secret">
          The token <strong>{props.created.name}</strong>, shown this once: <code>{props.created.secret}</code>. Send it as <code>Authorization: Bearer …</code>; it cannot be shown
          again.
        </div>
      )}
      <table id="tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Scope</th>
            <th>Status</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((t) => (
            <tr data-token={t.name}>
              <td>{t.name}</td>
              <td>{t.scope}</td>
              <td>
                <span class={`badge status-${t.status === 'active' ? 'active' : 'revoked'}`}>{t.status}</span>
              </td>
              <td class="small">
                {when(t.createdAt)} by {t.createdBy}
              </td>
              <td class="small">{when(t.expiresAt)}</td>
              <td class="small">{when(t.lastUsedAt)}</td>
              <td>
                {t.status !== 'revoked' && (
                  <form method="post" action={`/admin/tokens/${t.id}/revoke`} class="inline">
                    <button type="submit" class="danger revoke-token">
                      Revoke
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <section class="card">
        <h2>Create a token</h2>
        <form method="post" action="/admin/tokens" class="stack" id="create-token">
          <label for="token-name">Name (who holds it)</label>
          <input id="token-name" name="name" value={v.name} required maxlength={100} />
          <label for="token-scope">Scope</label>
          <select id="token-scope" name="scope">
            {TOKEN_SCOPES.map((s) => (
              <option value={s} selected={v.scope === s}>
                {TOKEN_SCOPE_LABELS[s]}
              </option>
            ))}
          </select>
          <label for="token-expires">Expires on (optional, UTC)</label>
          <input id="token-expires" name="expiresOn" type="date" value={v.expiresOn} />
          {props.error && (
            <p class="field-error" role="alert" id="token-error">
              {props.error}
            </p>
          )}
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
      </section>
    </>
  );
}
