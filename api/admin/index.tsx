/**
 * The admin page (SPEC §7), served by the API under `/admin`: server-rendered Hono JSX, plain HTML
 * forms, one stylesheet and a few lines of script.
 *
 * Design:
 *  - Sign-in: `/admin/login` takes the admin token and sets an HttpOnly, SameSite=Strict cookie
 *    holding a random session id (with a MAC keyed by the token), never the token. Sessions live in
 *    PostgreSQL (session.ts): "Sign out" ends that session on the server, "Sign out everywhere" all.
 *  - Saving settings is optimistic: the form carries the `settingsVersion` it was rendered from and
 *    the save sends it as `If-Match`, checked by the API inside the change's transaction; a change
 *    made meanwhile is a 409 that shows the current settings.
 *  - Every write is a form POST to `/admin/...`, handled on the server by calling the JSON API
 *    in-process with the bearer token (api-client.ts): the settings rules, warnings and workflow
 *    signals are the API's own, and `/api` stays bearer-only (a cookie never authorizes it).
 *    Form posts are CSRF-checked (Origin / Sec-Fetch-Site must be this site; the cookie is Strict).
 *  - Reads go through the JSON API too, except what it has no route for (learner names of a page,
 *    the expiring-soon window: db/queries/admin.ts) and the Awards view's phases, which come from
 *    one Temporal visibility query by `CertificateId` (workflows.ts).
 */
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { workflowUiUrl } from '../../config/temporal.ts';
import * as adminQ from '../../db/queries/admin.ts';
import { getAward } from '../../db/queries/awards.ts';
import { getMessageById } from '../../db/queries/messages.ts';
import { DAY_MS } from '../../domain/dates.ts';
import { tokenMatches } from '../auth.ts';
import { clientClosedRequest, isClientAbort } from '../errors.ts';
import type { ApiDeps } from '../deps.ts';
import { toMessage, type CertificateDto, type CourseDto } from '../schemas.ts';
import { AdminApiError, createAdminApi, type AdminApi, type InProcessFetch, type SettingsWarningDto } from './api-client.ts';
import { courseErrorsFromApi, courseValuesFromCourse, courseValuesFromForm, createBody, patchBody, NEW_COURSE_VALUES, type CourseFormValues } from './course-form.ts';
import { toCsv } from './csv.ts';
import {
  buildPatch,
  errorsFromApi,
  expectedVersionOf,
  valuesFromCertificate,
  valuesFromForm,
  type FieldErrors,
  type FormBody,
  type SettingsFormValues,
} from './forms.ts';
import { SESSION_COOKIE, SESSION_TTL_SECONDS, createSessionStore, safeNext } from './session.ts';
import { courseUrlFromTemplate } from '../../activities/mail/templates.ts';
import { AwardsTable } from './views/awards.tsx';
import { CourseEditPage, CoursesPage } from './views/courses.tsx';
import { LearnerPage } from './views/learner.tsx';
import { daysLeft } from './views/format.ts';
import { DEFAULT_WINDOW, ExpiringPage, WINDOWS, type Window } from './views/expiring.tsx';
import { Layout, type Banner, type Section } from './views/layout.tsx';
import { MailboxPage, MessagePage } from './views/mailbox.tsx';
import { CertificateTabs, CertificatesPage, ErrorPage, LoginPage, type LoginNotice } from './views/pages.tsx';
import { SettingsForm } from './views/settings.tsx';
import { certificateQuery, thisMonth, workflowListUiUrl, workflowPhases } from './workflows.ts';

/**
 * The page's files by name. A Map, not an object literal: the name comes from the URL, and an
 * object would answer `__proto__`, `constructor` or `toString` from its prototype.
 */
const ASSETS = new Map<string, { body: string; type: string }>([
  ['admin.css', { body: readFileSync(new URL('./assets/admin.css', import.meta.url), 'utf8'), type: 'text/css; charset=utf-8' }],
  ['admin.js', { body: readFileSync(new URL('./assets/admin.js', import.meta.url), 'utf8'), type: 'text/javascript; charset=utf-8' }],
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isId = (v: string | undefined): v is string => typeof v === 'string' && UUID.test(v);
const MAX_FORM_BYTES = 64 * 1024;
const CSV_LIMIT = 50_000;
const PAGE_LIMIT = 1000;
const UTF8_BOM = '\uFEFF';
/** How often the one-click fix re-reads and retries when someone else saved in between. */
const ADD_COURSE_ATTEMPTS = 3;

/** The banner of a save refused because the settings changed since the form was opened. */
const STALE_FORM_TEXT =
  'Nothing was saved: someone else saved these settings while you were editing (or a course they use was published or withdrawn). ' +
  'The form now shows the current settings; make your change again.';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Rendered email bodies (in a sandboxed frame) often carry inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Mounts the admin page; `api` is the JSON API app it calls in-process. */
export function createAdminApp(deps: ApiDeps, apiApp: InProcessFetch): Hono {
  const { config, sql, log } = deps;
  const api: AdminApi = createAdminApi(apiApp, config.adminApiToken);
  const sessions = createSessionStore(sql, config.adminApiToken);
  const admin = new Hono();
  const temporalUiUrl = `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows`;

  const render = async (c: Context, el: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> => {
    const body = `<!DOCTYPE html>${(await el).toString()}`;
    return c.html(body, status);
  };
  const page = (c: Context, props: { title: string; section: Section; banner?: Banner | null; replaceUrl?: string; status?: ContentfulStatusCode }, content: JSX.Element) =>
    render(
      c,
      <Layout title={props.title} section={props.section} banner={props.banner} replaceUrl={props.replaceUrl} temporalUiUrl={temporalUiUrl}>
        {content}
      </Layout>,
      props.status ?? 200,
    );
  const notFoundPage = (c: Context, what = 'That page') =>
    page(c, { title: 'Not found', section: 'none', status: 404 }, <ErrorPage title="Not found" message={`${what} does not exist.`} />);

  admin.onError((err, c) => {
    if (isClientAbort(err, c)) return clientClosedRequest(err, c, log); // not a server error
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof AdminApiError && err.status === 404) return notFoundPage(c);
    log.error({ err, path: c.req.path }, 'admin page failed');
    return page(c, { title: 'Error', section: 'none', status: 500 }, <ErrorPage title="Something went wrong" message="The page could not be shown. The error is in the API log." />);
  });

  // --- cross-cutting: headers, body limit, CSRF, sign-in -------------------------------------
  admin.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  admin.use('*', bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('The form is too large.', 413) }));
  const appOrigin = new URL(config.appBaseUrl).origin;
  admin.use('*', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === appOrigin }));
  admin.use('*', async (c, next) => {
    const path = c.req.path;
    if (path === '/admin/login' || path.startsWith('/admin/assets/')) return await next();
    if (await sessions.isActive(getCookie(c, SESSION_COOKIE))) return await next();
    const url = new URL(c.req.url);
    const nextPath = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/admin/certificates';
    return c.redirect(`/admin/login?next=${encodeURIComponent(nextPath)}`, 303);
  });

  admin.get('/assets/:name', (c) => {
    const asset = ASSETS.get(c.req.param('name'));
    if (!asset) return c.text('Not found', 404);
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(asset.body, 200, { 'Content-Type': asset.type });
  });

  // --- sign-in -------------------------------------------------------------------------------
  admin.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    if (await sessions.isActive(getCookie(c, SESSION_COOKIE))) return c.redirect(next, 303);
    const signedOut = c.req.query('signed-out');
    const notice: LoginNotice | undefined = signedOut === 'everywhere' ? signedOut : undefined;
    return page(c, { title: 'Sign in', section: 'login' }, <LoginPage next={next} notice={notice} />);
  });
  admin.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    if (!token || !tokenMatches(token, config.adminApiToken)) {
      log.warn({ path: c.req.path }, 'admin sign-in refused');
      return page(c, { title: 'Sign in', section: 'login', status: 401 }, <LoginPage next={next} error="That is not the admin token." />);
    }
    const secure = new URL(c.req.url).protocol === 'https:' || appOrigin.startsWith('https:') || c.req.header('x-forwarded-proto') === 'https';
    setCookie(c, SESSION_COOKIE, await sessions.start(), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure,
      maxAge: SESSION_TTL_SECONDS,
    });
    return c.redirect(next, 303);
  });
  // Signing out ends the session in the database, so a copy of the cookie stops working too.
  admin.post('/logout', async (c) => {
    await sessions.end(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/admin/login', 303);
  });
  admin.post('/logout-everywhere', async (c) => {
    const ended = await sessions.endAll();
    log.info({ ended }, 'admin signed out everywhere');
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/admin/login?signed-out=everywhere', 303);
  });

  admin.get('/', (c) => c.redirect('/admin/certificates', 303));

  // --- certificates --------------------------------------------------------------------------
  admin.get('/certificates', async (c) => {
    const [certificates, courses, counts] = await Promise.all([api.listCertificates(), api.listCourses(), adminQ.awardCountsByCertificate(sql)]);
    return page(
      c,
      { title: 'Certificates', section: 'certificates' },
      <CertificatesPage certificates={certificates} courses={new Map(courses.map((x) => [x.id, x]))} counts={counts} />,
    );
  });
  admin.get('/certificates/:id', (c) => c.redirect(`/admin/certificates/${encodeURIComponent(c.req.param('id'))}/settings`, 303));

  interface SettingsRender {
    cert: CertificateDto;
    courses: CourseDto[];
    values?: SettingsFormValues;
    errors?: FieldErrors;
    warnings?: SettingsWarningDto[] | null;
    banner?: Banner | null;
    status?: ContentfulStatusCode;
    fromPost?: boolean;
  }
  const settingsPage = (c: Context, r: SettingsRender) =>
    page(
      c,
      {
        title: `${r.cert.title} · Settings`,
        section: 'certificates',
        banner: r.banner,
        status: r.status,
        replaceUrl: r.fromPost ? `/admin/certificates/${r.cert.id}/settings` : undefined,
      },
      <CertificateTabs certificate={r.cert} tab="settings">
        <SettingsForm certificate={r.cert} courses={r.courses} values={r.values ?? valuesFromCertificate(r.cert)} errors={r.errors ?? {}} warnings={r.warnings ?? null} />
      </CertificateTabs>,
    );

  /** The banner of a successful save: saved, how many workflows hear of it, and every warning. */
  const savedBanner = (what: string, signalled: number, warnings: SettingsWarningDto[]): Banner => ({
    kind: warnings.length ? 'warn' : 'ok',
    text: (
      <>
        <strong>{what}</strong>
        {signalled > 0 && ` ${signalled} running workflow${signalled === 1 ? ' is' : 's are'} being updated.`}
        {warnings.length > 0 && (
          <ul id="warnings-summary">
            {warnings.map((w) => (
              <li data-warning={w.code}>{w.message}</li>
            ))}
          </ul>
        )}
      </>
    ),
  });

  const loadCertificate = async (c: Context): Promise<CertificateDto | null> => {
    const id = c.req.param('id');
    return isId(id) ? await api.getCertificate(id) : null;
  };

  admin.get('/certificates/:id/settings', async (c) => {
    const [cert, courses] = await Promise.all([loadCertificate(c), api.listCourses()]);
    if (!cert) return notFoundPage(c, 'That certificate');
    return settingsPage(c, { cert, courses });
  });

  admin.post('/certificates/:id/settings', async (c) => {
    const [cert, courses] = await Promise.all([loadCertificate(c), api.listCourses()]);
    if (!cert) return notFoundPage(c, 'That certificate');
    const values = valuesFromForm((await c.req.parseBody({ all: true })) as FormBody);
    /** The answer to a save made on a stale form: 409, the current settings, nothing saved. */
    const stale = (current: CertificateDto) => settingsPage(c, { cert: current, courses, status: 409, fromPost: true, banner: { kind: 'error', text: STALE_FORM_TEXT } });
    const expectedVersion = expectedVersionOf(values);
    // A quick refusal for a form already stale; the API's If-Match check below is the one that holds
    // when two saves race (it runs under the certificate's row lock).
    if (expectedVersion !== cert.settingsVersion) return stale(cert);
    const live = new Set(courses.filter((x) => x.status === 'live').map((x) => x.id));
    const { patch, errors } = buildPatch(values, cert, live);
    if (Object.keys(errors).length > 0) {
      return settingsPage(c, { cert, courses, values, errors, status: 400, banner: { kind: 'error', text: 'Nothing was saved: correct the fields marked below.' } });
    }
    const answer = await api.patchCertificate(cert.id, patch, { expectedVersion });
    if (!answer.ok) {
      if (answer.status === 404) return notFoundPage(c, 'That certificate');
      if (answer.status === 409 && answer.error.code === 'version_conflict') {
        const current = await api.getCertificate(cert.id);
        return current ? stale(current) : notFoundPage(c, 'That certificate');
      }
      const { fields, general } = errorsFromApi(answer.error);
      const status = ([400, 409, 413, 422].includes(answer.status) ? answer.status : 500) as ContentfulStatusCode;
      return settingsPage(c, {
        cert,
        courses,
        values,
        errors: fields,
        status,
        banner: { kind: 'error', text: `Nothing was saved: ${general ?? 'correct the fields marked below.'}` },
      });
    }
    const { certificate, warnings, signalled } = answer.body;
    return settingsPage(c, { cert: certificate, courses, warnings, fromPost: true, banner: savedBanner('Settings saved.', signalled, warnings) });
  });

  // The one-click fix of `course_not_in_associated_content`: add the course to the associated content.
  // Adding commutes with other changes, so a save made meanwhile is re-read and the addition retried
  // (each attempt at the version it read, so nothing someone else saved is overwritten).
  admin.post('/certificates/:id/associated-content', async (c) => {
    const [loaded, courses] = await Promise.all([loadCertificate(c), api.listCourses()]);
    if (!loaded) return notFoundPage(c, 'That certificate');
    let cert: CertificateDto = loaded;
    const form = await c.req.parseBody();
    const courseId = typeof form.courseId === 'string' ? form.courseId : '';
    const course = courses.find((x) => x.id === courseId);
    if (!course) {
      return settingsPage(c, { cert, courses, status: 400, fromPost: true, banner: { kind: 'error', text: 'Nothing was saved: that course does not exist.' } });
    }
    for (let attempt = 1; ; attempt++) {
      const patch = cert.associatedCourseIds.includes(courseId) ? {} : { associatedCourseIds: [...cert.associatedCourseIds, courseId] };
      const answer = await api.patchCertificate(cert.id, patch, { expectedVersion: cert.settingsVersion });
      if (answer.ok) {
        const { certificate, warnings, signalled } = answer.body;
        return settingsPage(c, {
          cert: certificate,
          courses,
          warnings,
          fromPost: true,
          banner: savedBanner(`Added “${course.title}” to the associated content.`, signalled, warnings),
        });
      }
      if (answer.status === 409 && answer.error.code === 'version_conflict' && attempt < ADD_COURSE_ATTEMPTS) {
        const current = await api.getCertificate(cert.id);
        if (!current) return notFoundPage(c, 'That certificate');
        cert = current;
        continue;
      }
      if (answer.status === 409 && answer.error.code === 'version_conflict') {
        const current = await api.getCertificate(cert.id);
        return current ? settingsPage(c, { cert: current, courses, status: 409, fromPost: true, banner: { kind: 'error', text: STALE_FORM_TEXT } }) : notFoundPage(c, 'That certificate');
      }
      return settingsPage(c, { cert, courses, status: 422, fromPost: true, banner: { kind: 'error', text: `Nothing was saved: ${answer.error.message}` } });
    }
  });

  admin.get('/certificates/:id/awards', async (c) => {
    const cert = await loadCertificate(c);
    if (!cert) return notFoundPage(c, 'That certificate');
    const awards = await api.listAwards(cert.id);
    const [learners, { phases, visibilityError }] = await Promise.all([
      adminQ.learnersByIds(sql, awards.map((a) => a.learnerId)),
      workflowPhases(deps, api, cert.id, awards),
    ]);
    const dueQuery = certificateQuery(cert.id, thisMonth());
    return page(
      c,
      { title: `${cert.title} · Awards`, section: 'certificates' },
      <CertificateTabs certificate={cert} tab="awards">
        <AwardsTable
          awards={awards}
          learners={learners}
          phases={phases}
          visibilityError={visibilityError}
          dueThisMonthQuery={dueQuery}
          dueThisMonthUrl={workflowListUiUrl(config, dueQuery)}
          allWorkflowsUrl={workflowListUiUrl(config, certificateQuery(cert.id))}
        />
      </CertificateTabs>,
    );
  });

  // --- courses -------------------------------------------------------------------------------
  // The course list, a "New course" form and each course's edit form (title, status, the URL where
  // learners take it). Writes are POST /api/courses and PATCH /api/courses/:id, in-process: the URL
  // rule and the propagation of a status change to running workflows are the API's.
  const defaultCourseUrl = (courseId: string) => courseUrlFromTemplate(config.courseUrlTemplate, courseId);
  const coursesPage = async (c: Context, r: { values?: CourseFormValues; errors?: FieldErrors; banner?: Banner | null; status?: ContentfulStatusCode; fromPost?: boolean } = {}) =>
    page(
      c,
      { title: 'Courses', section: 'courses', banner: r.banner, status: r.status, replaceUrl: r.fromPost ? '/admin/courses' : undefined },
      <CoursesPage courses={await api.listCourses()} values={r.values ?? NEW_COURSE_VALUES} errors={r.errors ?? {}} defaultUrl={defaultCourseUrl} />,
    );
  const coursePage = (c: Context, course: CourseDto, r: { values?: CourseFormValues; errors?: FieldErrors; banner?: Banner | null; status?: ContentfulStatusCode; fromPost?: boolean } = {}) =>
    page(
      c,
      { title: `${course.title} · Course`, section: 'courses', banner: r.banner, status: r.status, replaceUrl: r.fromPost ? `/admin/courses/${course.id}` : undefined },
      <CourseEditPage course={course} values={r.values ?? courseValuesFromCourse(course)} errors={r.errors ?? {}} defaultUrl={defaultCourseUrl(course.id)} />,
    );
  /** The status of a page answering a refused course write: the API's, or 500 for anything unexpected. */
  const refusedStatus = (status: number) => ([400, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode;
  const nothingSaved = (general: string | null): Banner => ({ kind: 'error', text: `Nothing was saved: ${general ?? 'correct the fields marked below.'}` });

  admin.get('/courses', (c) => coursesPage(c));

  admin.post('/courses', async (c) => {
    const values = courseValuesFromForm((await c.req.parseBody({ all: true })) as FormBody);
    const { body, errors } = createBody(values);
    if (Object.keys(errors).length > 0) return coursesPage(c, { values, errors, status: 400, fromPost: true, banner: nothingSaved(null) });
    const answer = await api.createCourse(body);
    if (!answer.ok) {
      const { fields, general } = courseErrorsFromApi(answer.error);
      return coursesPage(c, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
    }
    return coursesPage(c, { fromPost: true, banner: { kind: 'ok', text: <strong>Course “{answer.body.title}” created.</strong> } });
  });

  const loadCourse = async (c: Context): Promise<CourseDto | null> => {
    const id = c.req.param('id');
    return isId(id) ? await api.getCourse(id) : null;
  };

  admin.get('/courses/:id', async (c) => {
    const course = await loadCourse(c);
    return course ? coursePage(c, course) : notFoundPage(c, 'That course');
  });

  admin.post('/courses/:id', async (c) => {
    const course = await loadCourse(c);
    if (!course) return notFoundPage(c, 'That course');
    const values = courseValuesFromForm((await c.req.parseBody({ all: true })) as FormBody);
    const { body, errors } = patchBody(values, course);
    if (Object.keys(errors).length > 0) return coursePage(c, course, { values, errors, status: 400, fromPost: true, banner: nothingSaved(null) });
    if (Object.keys(body).length === 0) return coursePage(c, course, { fromPost: true, banner: { kind: 'info', text: 'Nothing changed.' } });
    const answer = await api.patchCourse(course.id, body);
    if (!answer.ok) {
      if (answer.status === 404) return notFoundPage(c, 'That course');
      const { fields, general } = courseErrorsFromApi(answer.error);
      return coursePage(c, course, { values, errors: fields, status: refusedStatus(answer.status), fromPost: true, banner: nothingSaved(general) });
    }
    return coursePage(c, answer.body, { fromPost: true, banner: { kind: 'ok', text: <strong>Course saved.</strong> } });
  });

  // --- learners ------------------------------------------------------------------------------
  /** How many of a learner's messages their page lists (the mailbox, filtered, has the rest). */
  const LEARNER_MESSAGES = 50;
  admin.get('/learners/:id', async (c) => {
    const id = c.req.param('id');
    const learner = isId(id) ? await api.getLearner(id) : null;
    if (!learner) return notFoundPage(c, 'That learner');
    const [{ awards, recertificationUnavailable }, attempts, { messages, nextBefore }, certificates, courses] = await Promise.all([
      api.listLearnerAwards(learner.id),
      api.listAttempts(learner.id),
      api.listMessages({ learnerId: learner.id, limit: LEARNER_MESSAGES }),
      api.listCertificates(),
      api.listCourses(),
    ]);
    return page(
      c,
      { title: learner.name, section: 'none' },
      <LearnerPage
        learner={learner}
        awards={awards}
        recertificationUnavailable={recertificationUnavailable}
        attempts={attempts}
        messages={messages}
        moreMessages={nextBefore !== null}
        certificates={new Map(certificates.map((x) => [x.id, x]))}
        courses={new Map(courses.map((x) => [x.id, x]))}
      />,
    );
  });

  // --- expiring soon -------------------------------------------------------------------------
  const expiringArgs = (c: Context) => {
    const n = Number(c.req.query('days'));
    const days: Window = (WINDOWS as readonly number[]).includes(n) ? (n as Window) : DEFAULT_WINDOW;
    const certificateId = c.req.query('certificateId');
    const now = new Date();
    return { days, certificateId: isId(certificateId) ? certificateId : undefined, from: now, until: new Date(now.getTime() + days * DAY_MS) };
  };

  admin.get('/expiring', async (c) => {
    const a = expiringArgs(c);
    const [rows, certificates] = await Promise.all([
      adminQ.expiringAwards(sql, { from: a.from, until: a.until, certificateId: a.certificateId, limit: PAGE_LIMIT + 1 }),
      api.listCertificates(),
    ]);
    const csvUrl = `/admin/expiring.csv?days=${a.days}${a.certificateId ? `&certificateId=${a.certificateId}` : ''}`;
    return page(
      c,
      { title: 'Expiring soon', section: 'expiring' },
      <ExpiringPage
        days={a.days}
        certificateId={a.certificateId}
        certificates={certificates}
        rows={rows.slice(0, PAGE_LIMIT)}
        truncated={rows.length > PAGE_LIMIT}
        csvUrl={csvUrl}
        workflowUrl={(id) => workflowUiUrl(config, id)}
      />,
    );
  });

  admin.get('/expiring.csv', async (c) => {
    const a = expiringArgs(c);
    const rows = await adminQ.expiringAwards(sql, { from: a.from, until: a.until, certificateId: a.certificateId, limit: CSV_LIMIT });
    const csv = toCsv(
      ['award_id', 'certificate_id', 'certificate', 'learner_id', 'learner', 'email', 'awarded_at', 'expires_at', 'days_left', 'workflow_url'],
      rows.map((r) => [
        r.awardId,
        r.certificateId,
        r.certificateTitle,
        r.learnerId,
        r.learnerName,
        r.learnerEmail,
        r.awardedAt,
        r.expiresAt,
        daysLeft(r.expiresAt, a.from.getTime()),
        r.workflowId ? workflowUiUrl(config, r.workflowId) : null,
      ]),
    );
    const filename = `expiring-next-${a.days}-days-${a.from.toISOString().slice(0, 10)}.csv`;
    // The byte-order mark makes Excel read the file as UTF-8 (without it, "Zoë" opens as "ZoÃ«").
    return c.body(`${UTF8_BOM}${csv}`, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}"`,
    });
  });

  // --- mailbox -------------------------------------------------------------------------------
  admin.get('/mailbox', async (c) => {
    const learnerId = c.req.query('learnerId');
    const awardId = c.req.query('awardId');
    const beforeRaw = c.req.query('before');
    const before = beforeRaw && !Number.isNaN(Date.parse(beforeRaw)) ? new Date(beforeRaw).toISOString() : undefined;
    const filter = { learnerId: isId(learnerId) ? learnerId : undefined, awardId: isId(awardId) ? awardId : undefined };
    const { messages, nextBefore } = await api.listMessages({ ...filter, before, limit: 100 });
    const learners = await adminQ.learnersByIds(sql, [...messages.map((m) => m.learnerId), ...(filter.learnerId ? [filter.learnerId] : [])]);
    let nextUrl: string | null = null;
    if (nextBefore) {
      const q = new URLSearchParams({ before: nextBefore });
      if (filter.learnerId) q.set('learnerId', filter.learnerId);
      if (filter.awardId) q.set('awardId', filter.awardId);
      nextUrl = `/admin/mailbox?${q.toString()}`;
    }
    return page(c, { title: 'Mailbox', section: 'mailbox' }, <MailboxPage messages={messages} learners={learners} filter={filter} nextUrl={nextUrl} />);
  });

  admin.get('/mailbox/:id', async (c) => {
    const id = c.req.param('id');
    const row = isId(id) ? await getMessageById(sql, id) : null;
    if (!row) return notFoundPage(c, 'That message');
    const [learners, award] = await Promise.all([adminQ.learnersByIds(sql, [row.learnerId]), row.awardId ? getAward(sql, row.awardId) : null]);
    const message = toMessage(row);
    return page(
      c,
      { title: message.subject, section: 'mailbox' },
      <MessagePage message={message} learner={learners.get(row.learnerId)} award={award ? { id: award.id, certificateId: award.certificateId } : null} />,
    );
  });

  admin.all('*', (c) => notFoundPage(c));
  return admin;
}
