// Agents' answers they can paste, one tab stop per console hit, and paging that matches the
// counts (issue 19), in a real browser: the clipboard is read back after 回答をコピー.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { OPERATOR, baseUrl, launchBrowser, openPage, screenshot } from './harness.mjs';

let chromium;
before(async () => {
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
});

async function logIn(page) {
  await page.goto('/ops/login');
  await page.getByLabel('オペレーター名').fill(OPERATOR.name);
  await page.getByLabel('トークン').fill(OPERATOR.token);
  await Promise.all([page.waitForURL((u) => u.pathname === '/ops'), page.getByRole('button', { name: 'ログイン', exact: true }).click()]);
}

/** Copy the answer of the console hit linking to `href` (on the page of `search`) and read the clipboard. */
async function copyHit(page, search, href) {
  await page.goto(search);
  const hit = page.locator('ol.results > li.result', { has: page.locator(`a.title[href="${href}"]`) }).first();
  await hit.waitFor({ state: 'visible' });
  await page.evaluate(() => navigator.clipboard.writeText('(before copy)'));
  await hit.getByRole('button', { name: '回答をコピー' }).click();
  await hit.getByRole('button', { name: 'コピーしました' }).waitFor({ state: 'visible' });
  return page.evaluate(() => navigator.clipboard.readText());
}

test('agent: 回答をコピー gives text to paste: lists, links, tables, sub-sections and the URL', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() });
  try {
    await logIn(page);

    // A public FAQ with a numbered list and a link.
    const faq = await copyHit(page, `/ops?q=${encodeURIComponent('ログインできない')}&audience=public`, '/ops/articles/account/cannot-login');
    assert.match(faq, /\n1\. メールアドレスに入力ミス[^\n]*\n2\. パスワードの大文字/, `the list keeps its numbers, one item a line:\n${faq}`);
    assert.ok(faq.includes(`パスワードの再設定 (${baseUrl()}/articles/password/forgot)`), `the link keeps its absolute URL:\n${faq}`);
    assert.ok(faq.endsWith(`${baseUrl()}/articles/account/cannot-login`), `the article's URL comes last:\n${faq}`);
    assert.doesNotMatch(faq, /[*#[\]]|<\w/, 'no Markdown or HTML is left');

    // A table stays a table: one row a line, cells separated.
    const price = await copyHit(page, `/ops?q=${encodeURIComponent('プレミアム 料金')}&audience=public`, '/ops/articles/membership/price');
    assert.ok(price.includes('プラン | 料金（税込）\n月額プラン | 500円／月\n年額プラン | 5,000円／年'), `the table's rows:\n${price}`);
    await screenshot(page, 'console-copy-table');

    // A manual section made of sub-sections copies all of them, and stops at the next section.
    const anchor = encodeURIComponent('リスクの種類');
    const section = await copyHit(page, `/ops?q=${encodeURIComponent('リスクの種類')}&audience=internal`, `/ops/articles/manual/risk-management#${anchor}`);
    assert.ok(section.startsWith('リスクの種類\n'), section);
    for (const sub of ['内的リスク（自分たちで抑えられるもの）', '外的リスク（抑えることが難しいもの）', 'コンプライアンス', '・メールの誤送信']) {
      assert.ok(section.includes(sub), `the sub-sections are copied (${sub}):\n${section}`);
    }
    assert.ok(!section.includes('インシデントの報告ライン'), 'the next section is not');
    assert.ok(section.endsWith(`${baseUrl()}/ops/articles/manual/risk-management#${anchor}`), `the section's URL comes last:\n${section}`);
    assert.ok(section.length > 300, `more than a heading: ${section.length} characters`);
    assert.deepEqual(errors, [], 'no script, console or HTTP error');
  } finally {
    await context.close();
  }
});

test('agent: after a search, focus is on the first hit, and Tab goes hit by hit', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() });
  try {
    await logIn(page);
    await page.locator('#q').fill('保留');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === '保留'), page.locator('#q').press('Enter')]);
    const titles = page.locator('ol.results > li.result > a.title');
    await titles.first().waitFor({ state: 'visible' });
    assert.ok((await titles.count()) >= 3, 'several hits');
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('href'));
    const hrefs = await titles.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    assert.equal(await focused(), hrefs[0], 'the first hit has the focus');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), hrefs[1], 'Tab lands on the second hit, not on the first hit’s button');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), hrefs[2]);
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), hrefs[1]);
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), hrefs[2], '↓ moves to the next hit');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), hrefs[1], '↑ moves back');

    // The copy button is reached from its hit with →, and C copies from the hit itself.
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), '回答をコピー');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(), hrefs[1]);
    const second = page.locator('ol.results > li.result').nth(1);
    const expected = await second.locator('button.copy').getAttribute('data-copy');
    await page.keyboard.press('c');
    await second.getByRole('button', { name: 'コピーしました' }).waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected);
    assert.deepEqual(errors, [], 'no script, console or HTTP error');
  } finally {
    await context.close();
  }
});

test('customer and agent: 次へ shows the next hits, and the counts match the pages', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    await page.goto(`/search?q=${encodeURIComponent('注文')}`);
    const all = Number((await page.getByRole('link', { name: /^すべて（\d+）$/ }).textContent()).match(/\d+/)[0]);
    assert.ok(all > 20, `more than a page: ${all}`);
    const ids = () => page.locator('ol.results > li.result > a.title').evaluateAll((links) => links.map((a) => new URL(a.href).pathname));
    const first = await ids();
    assert.equal(first.length, 20);
    const pager = page.getByRole('navigation', { name: '検索結果のページ' });
    assert.equal(await pager.locator('[aria-current="page"]').textContent(), '1');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('page') === '2'), pager.getByRole('link', { name: '次へ' }).click()]);
    const second = await ids();
    assert.equal(second.length, Math.min(20, all - 20));
    assert.deepEqual(second.filter((id) => first.includes(id)), [], 'no hit of page 1 again');
    assert.equal(await page.locator('ol.results').getAttribute('start'), '21');
    assert.equal(await pager.locator('[aria-current="page"]').textContent(), '2');
    assert.equal(await pager.getByRole('link', { name: '前へ' }).getAttribute('rel'), 'prev');
    await screenshot(page, 'help-page-2');

    await logIn(page);
    await page.goto(`/ops?q=${encodeURIComponent('お客様')}`);
    const count = Number((await page.locator('p.count').textContent()).match(/: (\d+)件/)[1]);
    assert.ok(count > 30, `more than a console page: ${count}`);
    assert.equal(await page.locator('ol.results > li.result').count(), 30);
    const consolePager = page.getByRole('navigation', { name: '検索結果のページ' });
    await Promise.all([page.waitForURL((u) => u.searchParams.get('page') === '2'), consolePager.getByRole('link', { name: '次へ' }).click()]);
    await page.getByText(`（31〜${Math.min(60, count)}件目）`).waitFor({ state: 'visible' });
    assert.equal(await page.locator('ol.results > li.result').count(), Math.min(30, count - 30));
    assert.deepEqual(errors, [], 'no script, console or HTTP error');
  } finally {
    await context.close();
  }
});
