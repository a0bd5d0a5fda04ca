/**
 * Signing in and out: `/admin/login` takes ADMIN_API_TOKEN or a live API token of any scope (a `read`
 * token sees read-only pages; failed sign-ins count towards the API's per-address limit) and sets the session
 * cookie (session.ts: a random id with a MAC keyed by the token, HttpOnly, SameSite=Strict, never the
 * token); "Sign out" ends that session in the database, so a copy of the cookie stops working too;
 * "Sign out everywhere" ends every session.
 */
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { clientAddress, resolveToken } from '../../auth.ts';
import type { AdminEnv } from '../context.ts';
import { formText, readForm, refuseRepeated } from '../requests.ts';
import { SESSION_COOKIE, SESSION_TTL_SECONDS, safeNext } from '../session.ts';
import { LoginPage, type LoginNotice } from '../views/login.tsx';

export const session = new Hono<AdminEnv>();

session.get('/login', async (c) => {
  const next = safeNext(c.req.query('next'));
  if (await c.var.admin.sessions.isActive(getCookie(c, SESSION_COOKIE))) return c.redirect(next, 303);
  const signedOut = c.req.query('signed-out');
  const notice: LoginNotice | undefined = signedOut === 'everywhere' ? signedOut : undefined;
  return c.render(<LoginPage next={next} notice={notice} />, { title: 'Sign in', section: 'login' });
});

session.post('/login', async (c) => {
  const { config, log, sessions, limiter } = c.var.admin;
  const form = await readForm(c); // not a readable form: 400/415, no sign-in
  refuseRepeated(form, ['token', 'next']);
  const token = formText(form, 'token');
  const next = safeNext(formText(form, 'next') || undefined);
  const address = clientAddress(c);
  const state = await limiter.get(address);
  if (state.blocked) {
    log.warn({ path: c.req.path, address }, 'admin sign-in refused: too many failures from this address');
    const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    c.header('Retry-After', String(seconds));
    c.status(429);
    return c.render(<LoginPage next={next} error={`Too many failed sign-ins from this address; try again in ${seconds} s.`} />, { title: 'Sign in', section: 'login' });
  }
  const resolved = await resolveToken(c.var.admin, token || undefined);
  if ('failure' in resolved) {
    await limiter.consume(address);
    log.warn({ path: c.req.path, address, reason: resolved.failure }, 'admin sign-in refused');
    c.status(401);
    const error = resolved.failure === 'revoked' ? 'That token was revoked.' : resolved.failure === 'expired' ? 'That token has expired.' : 'That is not the admin token or a valid API token.';
    return c.render(<LoginPage next={next} error={error} />, { title: 'Sign in', section: 'login' });
  }
  const secure = new URL(c.req.url).protocol === 'https:' || new URL(config.appBaseUrl).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
  setCookie(c, SESSION_COOKIE, await sessions.start(resolved.actor), {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure,
    maxAge: SESSION_TTL_SECONDS,
  });
  return c.redirect(next, 303);
});

// Sign-out acts only on a form it can read (the page's own posts an empty one): a body that is not
// a form, or a broken one, is refused (415/400) and the session goes on, as any other refused form.
session.post('/logout', async (c) => {
  await readForm(c);
  await c.var.admin.sessions.end(getCookie(c, SESSION_COOKIE));
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.redirect('/admin/login', 303);
});

session.post('/logout-everywhere', async (c) => {
  await readForm(c);
  const ended = await c.var.admin.sessions.endAll();
  c.var.admin.log.info({ ended }, 'admin signed out everywhere');
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.redirect('/admin/login?signed-out=everywhere', 303);
});
