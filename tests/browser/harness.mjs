// What the browser tests share: the service started by run.mjs, a headless Chromium, a page
// that records script errors, and screenshots in artifacts/.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

/** Debian's Chromium; never a browser downloaded by Playwright. */
export const CHROMIUM = '/usr/bin/chromium';

/** The operator run.mjs configures with KOTAE_OPERATORS. */
export const OPERATOR = { name: 'tanaka', token: 'browser-test-token-123' };

/** How long one wait (an element, a navigation, a response) may take. */
export const WAIT_MS = 10_000;

/** Screenshots, for a person to look at; git-ignored. */
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** The service under test, e.g. `http://127.0.0.1:41234`, as run.mjs passes it. */
export function baseUrl() {
  const url = process.env.KOTAE_BROWSER_URL;
  if (!url) {
    throw new Error('KOTAE_BROWSER_URL is not set: run the browser tests with `KOTAE_BIN=path/to/kotae node tests/browser/run.mjs`');
  }
  return url.replace(/\/$/, '');
}

/** Headless Chromium with exactly the project's flags, in a fresh profile removed on close. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'kotae-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright's own defaults are left out; it only needs the pipe it talks over.
    ignoreDefaultArgs: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      '--no-startup-window',
    ],
    timeout: 30_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new context and page on the service, with short timeouts. `errors` collects uncaught
 * script errors and console errors (a CSP violation, a failed fetch, a script that throws).
 */
export async function openPage(browser, contextOptions = {}) {
  const context = await browser.newContext({
    baseURL: baseUrl(),
    locale: 'ja-JP',
    viewport: { width: 1280, height: 800 },
    ...contextOptions,
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    // A failed load is reported with its URL below instead.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()} (${page.url()})`);
  });
  page.on('requestfailed', (r) => {
    // A fetch still under way when the page navigates is aborted: normal, not an error.
    const reason = r.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.method()} ${r.url()}: ${reason}`);
  });
  page.on('response', (r) => {
    // The service has no icon; browsers ask for one anyway.
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') errors.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return { context, page, errors };
}

/** A full-page screenshot into artifacts/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The path of the page's URL (`/ops/login`), for comparisons. */
export function pathOf(page) {
  return new URL(page.url()).pathname;
}
