/**
 * The page frame every admin page is rendered in (set once, by the jsxRenderer of api/admin/renderer.tsx):
 * the header with the navigation, the flash banner, the content.
 */
import type { Child } from 'hono/jsx';

/** The navigation entry a page belongs to (highlighted); `login` hides the navigation, `none` highlights nothing. */
export type Section = 'certificates' | 'courses' | 'expiring' | 'mailbox' | 'login' | 'none' | 'learners' | 'webhooks' | 'audit' | 'tokens' | 'digest';

/** The message at the top of a page: a save's outcome, a refusal. */
export interface Banner {
  kind: 'ok' | 'error' | 'info' | 'warn';
  text: Child;
}

/** The whole HTML document around a page's content. */
export function Layout(props: {
  title: string;
  section: Section;
  temporalUiUrl?: string;
  banner?: Banner | null;
  /** After a form POST answered with a page, the browser's address becomes this GET URL (reload = GET). */
  replaceUrl?: string;
  /** Who is signed in (their token's name and scope); a `read` token sees the pages read-only. */
  actor?: { name: string; scope: 'read' | 'write' | 'admin' } | null;
  children?: Child;
}) {
  const readOnly = props.actor?.scope === 'read';
  const nav = (href: string, label: string, section: Section) => (
    <a href={href} class={props.section === section ? 'current' : undefined} aria-current={props.section === section ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Recertify admin`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/admin/assets/admin.css" />
        <script src="/admin/assets/admin.js" defer></script>
      </head>
      <body data-replace-url={props.replaceUrl} class={readOnly ? 'read-only' : undefined}>
        <header class="top">
          <a class="brand" href="/admin/certificates">
            Recertify <span>admin</span>
          </a>
          {props.section !== 'login' && (
            <nav>
              {nav('/admin/certificates', 'Certificates', 'certificates')}
              {nav('/admin/courses', 'Courses', 'courses')}
              {nav('/admin/learners', 'Learners', 'learners')}
              {nav('/admin/expiring', 'Expiring soon', 'expiring')}
              {nav('/admin/mailbox', 'Mailbox', 'mailbox')}
              {nav('/admin/digest', 'Digest', 'digest')}
              {props.actor?.scope === 'admin' && nav('/admin/webhooks', 'Webhooks', 'webhooks')}
              {nav('/admin/audit', 'Audit', 'audit')}
              {props.actor?.scope === 'admin' && nav('/admin/tokens', 'Tokens', 'tokens')}
              {props.temporalUiUrl && (
                <a href={props.temporalUiUrl} target="_blank" rel="noopener">
                  Temporal UI ↗
                </a>
              )}
              <div class="session">
                {props.actor && (
                  <span class="small muted" id="signed-in-as">
                    {props.actor.name} ({props.actor.scope})
                  </span>
                )}
                <form method="post" action="/admin/logout" class="inline">
                  <button type="submit" class="link" id="sign-out">
                    Sign out
                  </button>
                </form>
                <form method="post" action="/admin/logout-everywhere" class="inline write-only">
                  <button type="submit" class="link" id="sign-out-everywhere" title="Ends every admin session, in every browser">
                    Sign out everywhere
                  </button>
                </form>
              </div>
            </nav>
          )}
        </header>
        <main>
          {readOnly && (
            <div class="banner info" role="status" id="read-only">
              Read-only: you signed in with the read token “{props.actor?.name}”. Nothing can be changed from here.
            </div>
          )}
          {props.banner && (
            <div class={`banner ${props.banner.kind}`} role={props.banner.kind === 'error' ? 'alert' : 'status'} id="banner">
              {props.banner.text}
            </div>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}
