/**
 * The admin page's layout, set once for every page with Hono's `jsxRenderer`: a handler answers
 * `c.render(<Content />, { title, section, banner?, replaceUrl? })` and the content is framed by
 * views/layout.tsx (header, navigation, banner) as one HTML document with its DOCTYPE. A page's
 * status is set with `c.status(…)` before `c.render`.
 */
import { jsxRenderer } from 'hono/jsx-renderer';
import type { MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AdminContext } from './context.ts';
import { ErrorPage } from './views/error.tsx';
import { Layout, type Banner, type Section } from './views/layout.tsx';

/** What a page tells the layout: its title, its navigation entry, the banner, the URL a POST's answer shows. */
export interface PageProps {
  title: string;
  section: Section;
  banner?: Banner | null;
  /** After a form POST answered with a page, the browser's address becomes this GET URL (reload = GET). */
  replaceUrl?: string;
}

declare module 'hono' {
  interface ContextRenderer {
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>;
  }
}

/** The middleware that frames every `c.render` in the layout; `temporalUiUrl` is the header's Temporal UI link. */
export function adminRenderer(temporalUiUrl: string): MiddlewareHandler {
  return jsxRenderer(({ children, title, section, banner, replaceUrl }, c) => (
    <Layout title={title} section={section} banner={banner} replaceUrl={replaceUrl} temporalUiUrl={temporalUiUrl} actor={(c as AdminContext).var.admin?.actor ?? null}>
      {children}
    </Layout>
  ));
}

/** The 404 page: "`what` does not exist." */
export function renderNotFound(c: AdminContext, what = 'That page'): Response | Promise<Response> {
  c.status(404);
  return c.render(<ErrorPage title="Not found" message={`${what} does not exist.`} />, { title: 'Not found', section: 'none' });
}

/** The 500 page of a request that failed (its error is in the API log). */
export function renderFailure(c: AdminContext): Response | Promise<Response> {
  c.status(500);
  return c.render(<ErrorPage title="Something went wrong" message="The page could not be shown. The error is in the API log." />, { title: 'Error', section: 'none' });
}

/** The page of a request refused as it is (a malformed form, a bad parameter, a wrong method): `status`, what was wrong. */
export function renderRefusal(c: AdminContext, status: ContentfulStatusCode, title: string, message: string): Response | Promise<Response> {
  c.status(status);
  return c.render(<ErrorPage title={title} message={message} />, { title, section: 'none' });
}
