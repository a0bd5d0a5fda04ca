/**
 * The admin page in headless Chromium (Debian's `chromium`, driven by playwright-core), signed in
 * with the stack's token: what each admin browser test file sets up before its tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestStack } from './stack.ts';

/** The browser's path (`CHROMIUM_PATH`, default Debian's). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

// In CI the browser is provisioned, so a missing one fails the tests instead of skipping them.
const runOrSkip = haveChromium || process.env.CI ? test : test.skip;

/** A browser test: node:test runs it (the promise `test` returns is its own to track, not ours); skipped without Chromium outside CI. */
export function browserTest(name: string, fn: () => Promise<void>, opts: { timeout?: number } = {}): void {
  void runOrSkip(name, opts, fn);
}

/** A browser, its context and a page signed in to `stack`'s admin page (at /admin/certificates). */
export interface AdminBrowser {
  browser: Browser;
  ctx: BrowserContext;
  page: Page;
}

/**
 * Launches Chromium (1200×900) and signs in to the admin page with `stack.token`. Returns null when
 * there is no Chromium (the tests are then skipped, see `browserTest`). Close `browser` when done.
 */
export async function launchAdminBrowser(stack: TestStack, opts: { acceptDownloads?: boolean } = {}): Promise<AdminBrowser | null> {
  if (!haveChromium) return null;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: opts.acceptDownloads ?? false });
  const page = await ctx.newPage();
  await page.goto(`${stack.api}/admin/certificates`);
  await page.fill('#token', stack.token);
  await Promise.all([page.waitForURL('**/admin/certificates'), page.click('button[type=submit]')]);
  return { browser, ctx, page };
}

/** Where the README's screenshots live. */
export const SCREENSHOTS = 'docs/screenshots';

/**
 * A README screenshot of `page` (full page, PNG) named `name`: written to docs/screenshots when
 * missing or with UPDATE_SCREENSHOTS=1, otherwise to a temp directory (a test run does not dirty the
 * work tree).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const update = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(join(SCREENSHOTS, name));
  const dir = update ? SCREENSHOTS : join(tmpdir(), 'recertify-screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}

/**
 * Signs in to `stack`'s admin page over HTTP with its token (no browser) and answers the session
 * cookie (`name=value`), for tests that fetch admin pages directly. Asserts the sign-in's 303.
 */
export async function adminSessionCookie(stack: Pick<TestStack, 'api' | 'token'>): Promise<string> {
  const login = await fetch(`${stack.api}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: stack.api, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: stack.token, next: '/admin/certificates' }),
  });
  assert.equal(login.status, 303);
  return (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/**
 * Clicks `selector` (a submit button of a form that posts and navigates) and waits for the page it
 * answers with. Returns that answer's HTTP status (200 saved, 400/422 refused, …).
 */
export async function submitForm(page: Page, selector: string): Promise<number> {
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.click(selector)]);
  await page.waitForLoadState('domcontentloaded');
  return res.status();
}

/** What `okApi`'s call expects: the exact status (a number is short for `{ expect }`), and extra request headers. */
export type OkApiOptions = number | { expect?: number; headers?: Record<string, string> };

/**
 * The API caller a test file shares across its tests: `okApi(() => stack)` (the stack is read at each
 * call, so a `before` hook may start it). A call asserts the answer's status (any 2xx, or exactly
 * `expect`) with the method, path, status and body in the message, and returns the body.
 */
export function okApi(stack: () => Pick<TestStack, 'request'>): <T>(method: string, path: string, body?: unknown, opts?: OkApiOptions) => Promise<T> {
  return async <T>(method: string, path: string, body?: unknown, opts?: OkApiOptions): Promise<T> => {
    const { expect, headers } = typeof opts === 'number' ? { expect: opts, headers: undefined } : (opts ?? {});
    const res = await stack().request<T>(method, path, body, headers);
    const ok = expect ? res.status === expect : res.status >= 200 && res.status < 300;
    assert.ok(ok, `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
}
