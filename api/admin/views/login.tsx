/** The sign-in page: the admin token, checked on the server (api/admin/areas/session.tsx). */

/** Why the sign-in page is shown: after "Sign out everywhere", every session ended. */
export type LoginNotice = 'everywhere';

/** The sign-in form; `next` is where a successful sign-in goes, `error` the refusal shown beside the field. */
export function LoginPage(props: { next: string; error?: string; notice?: LoginNotice }) {
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      {props.notice && (
        <p class="banner info" role="status" id="signed-out" data-signed-out={props.notice}>
          You signed out everywhere: every admin session has ended, in every browser.
        </p>
      )}
      <p class="muted">
        Use an API token, or the admin token (<code>ADMIN_API_TOKEN</code>). A <code>read</code> token sees the pages read-only. It is checked on the
        server and never stored in the browser.
      </p>
      <form method="post" action="/admin/login" class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label for="token">Token</label>
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
