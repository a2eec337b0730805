// The agents' console in a real browser: login, '/' to search, the audience filter, a manual
// section's deep link, the copy button (read back from the clipboard), CSRF tokens in the forms,
// and logout.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { OPERATOR, baseUrl, launchBrowser, openPage, pathOf, screenshot } from './harness.mjs';

let chromium;
before(async () => {
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
});

test('agent: login, "/" to search the manual, copy a section, logout', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() });
  try {
    // Not logged in: the console sends the browser to the login form.
    await page.goto('/ops');
    assert.equal(pathOf(page), '/ops/login');
    await page.getByRole('heading', { level: 1, name: 'オペレーターログイン' }).waitFor();
    // The login form carries its CSRF token, which the server also set as a cookie.
    const loginToken = await page.locator('form.login input[name="csrf"]').getAttribute('value');
    assert.match(loginToken, /^[0-9a-f]{64}$/);
    const tokenCookie = (await context.cookies()).find((c) => c.name === 'kotae_login_csrf');
    assert.equal(tokenCookie?.value, loginToken);
    assert.equal(tokenCookie?.httpOnly, true);

    // A wrong token is refused.
    await page.getByLabel('オペレーター名').fill(OPERATOR.name);
    await page.getByLabel('トークン').fill('not-the-right-token');
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: '正しくありません' }).waitFor({ state: 'visible' });
    assert.equal(pathOf(page), '/ops/login');

    await page.getByLabel('オペレーター名').fill(OPERATOR.name);
    await page.getByLabel('トークン').fill(OPERATOR.token);
    await Promise.all([page.waitForURL((u) => u.pathname === '/ops'), page.getByRole('button', { name: 'ログイン', exact: true }).click()]);
    await page.getByRole('heading', { level: 1, name: 'ナレッジ検索' }).waitFor();
    // Console forms carry the session's own token, not the login form's.
    const sessionToken = await page.locator('form.logout input[name="csrf"]').getAttribute('value');
    assert.match(sessionToken, /^[0-9a-f]{64}$/);
    assert.notEqual(sessionToken, loginToken);

    // '/' anywhere on the page moves to the search box, and is not typed into it.
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'q');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'q', "'/' focuses #q");
    assert.equal(await page.locator('#q').inputValue(), '', "the '/' was not typed");

    const query = '保留 何分まで';
    await page.keyboard.type(query);
    await Promise.all([page.waitForURL((u) => u.pathname === '/ops' && u.searchParams.get('q') === query), page.keyboard.press('Enter')]);

    // Only the manual: 対象 = 社内マニュアル, then 絞り込む.
    await page.getByLabel('対象').selectOption({ label: '社内マニュアル' });
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('audience') === 'internal' && u.searchParams.get('q') === query),
      page.getByRole('button', { name: '絞り込む', exact: true }).click(),
    ]);
    await page.getByText(`「${query}」:`).waitFor({ state: 'visible' });

    const first = page.locator('ol.results > li.result').first();
    await first.waitFor({ state: 'visible' });
    await first.locator('.badge.internal').waitFor({ state: 'visible' });
    const link = first.locator('a.title');
    const href = await link.getAttribute('href');
    assert.match(href, /^\/ops\/articles\/[^#]+#.+/, 'the first result links to a manual section');
    const linkText = (await link.textContent()).trim();
    assert.ok(linkText.includes(' › '), `the link names the section: ${linkText}`);
    const heading = linkText.split(' › ').pop();
    await screenshot(page, 'console-results');

    // 回答をコピー puts that section on the clipboard.
    const copy = first.getByRole('button', { name: '回答をコピー' });
    const expected = await copy.getAttribute('data-copy');
    await page.evaluate(() => navigator.clipboard.writeText('(before copy)'));
    await copy.click();
    await first.getByRole('button', { name: 'コピーしました' }).waitFor({ state: 'visible' });
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, expected);
    assert.ok(clipboard.startsWith(`${heading}\n`), `the copied text starts with the section heading ${heading}: ${clipboard.slice(0, 80)}`);
    assert.match(clipboard, /保留/);

    // The deep link lands on that section, whose text is what was copied.
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/ops/articles/') && u.hash.length > 1), link.click()]);
    const anchor = decodeURIComponent(new URL(page.url()).hash.slice(1));
    const target = page.locator(`[id="${anchor.replace(/["\\]/g, '\\$&')}"]`);
    await target.waitFor({ state: 'visible' });
    assert.equal((await target.textContent()).trim(), heading);
    assert.ok(await target.evaluate((el) => el.getBoundingClientRect().top < window.innerHeight), 'the section is scrolled into view');
    const body = (await page.locator('article .body').textContent()).replace(/\s+/g, '');
    const longest = clipboard
      .split('\n')
      .slice(1, -1) // the last line is the article's address
      .flatMap((line) => line.split(/\s+/))
      .sort((a, b) => b.length - a.length)[0];
    assert.ok(longest && body.includes(longest), `the copied text comes from the article: ${longest}`);

    // Logout ends the session.
    await page.goto('/ops');
    await Promise.all([page.waitForURL((u) => u.pathname === '/ops/login'), page.getByRole('button', { name: 'ログアウト', exact: true }).click()]);
    await page.goto('/ops');
    assert.equal(pathOf(page), '/ops/login', 'after logout /ops asks for a login again');
    const api = await context.request.get('/ops/api/search?q=保留');
    assert.equal(api.status(), 401, 'after logout the console API refuses the browser');

    const expectedErrors = [`HTTP 401: POST ${baseUrl()}/ops/login`]; // the wrong token
    assert.deepEqual(errors, expectedErrors, 'no other script, console or HTTP error');
  } finally {
    await context.close();
  }
});
