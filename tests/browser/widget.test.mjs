// The widget in another site's page: a host page served from a second origin on loopback
// (the one run.mjs lists in KOTAE_WIDGET_ORIGINS), under a strict Content-Security-Policy and
// with styles of its own, embeds the widget with one <script> tag. A customer's question,
// the keys of the help page (IME included), an answer with a vote, a suggestion opened by
// keyboard, and an off-topic question handed over to a person; no CSP violation, no error,
// and no style crosses the shadow root either way.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { baseUrl, launchBrowser, openPage, screenshot } from './harness.mjs';

const HOST = process.env.KOTAE_WIDGET_HOST;

let chromium;
let host;
let kotae;

/** The host page's policy: the help center may only give scripts and answer fetches. */
function policy() {
  return `default-src 'self'; script-src 'self' ${kotae}; connect-src ${kotae}; style-src 'self'`;
}

const files = {
  '/': () => `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ご注文の確認 | はなまるストア</title>
<script src="/host.js"></script>
<link rel="stylesheet" href="/host.css"></head>
<body><h1>ご注文の確認</h1>
<p>ご注文番号 12345 の配送状況です。</p>
<button type="button" id="host-button">注文をキャンセル</button>
<div id="kotae-widget"></div>
<script src="${kotae}/widget.js" async></script>
</body></html>`,
  // The host's own styles: none of them may reach into the widget.
  '/host.css': () => `body { color: rgb(200, 0, 0); font-family: serif; letter-spacing: 3px; }
button { color: rgb(255, 0, 0) !important; background: rgb(255, 255, 0); font-size: 30px; }
div { letter-spacing: 4px; line-height: 3; }
input { background: rgb(0, 0, 0); }
li, h2, a { color: rgb(0, 128, 0) !important; }
* { border-radius: 0 !important; }`,
  // Every CSP violation on the page, for the test to read.
  '/host.js': () => `window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});`,
};

before(async () => {
  assert.ok(HOST, 'run.mjs sets KOTAE_WIDGET_HOST (and KOTAE_WIDGET_ORIGINS for kotae serve)');
  kotae = baseUrl();
  host = createServer((req, res) => {
    const path = new URL(req.url, HOST).pathname;
    const file = files[path];
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const type = path.endsWith('.css') ? 'text/css' : path.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Security-Policy': policy(), 'Cache-Control': 'no-store' });
    res.end(file());
  });
  const port = Number(new URL(HOST).port);
  await new Promise((resolve, reject) => {
    host.once('error', reject);
    host.listen(port, '127.0.0.1', resolve);
  });
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
  await new Promise((resolve) => (host ? host.close(resolve) : resolve()));
});

/** The response of the next widget call to the help center's `path` (with `q` if given). */
function apiCall(page, path, q) {
  return page.waitForResponse((r) => {
    const u = new URL(r.url());
    return u.origin === kotae && u.pathname.startsWith(path) && (q === undefined || u.searchParams.get('q') === q) && r.request().method() !== 'OPTIONS';
  });
}

test('widget on another site under a strict CSP: suggestions, keys and IME, an answer, a vote, and a hand-over', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    await page.goto(`${HOST}/`);
    const widget = page.locator('#kotae-widget');
    // Playwright's locators pierce the open shadow root.
    const box = widget.getByRole('combobox', { name: 'ヘルプセンターで調べる' });
    await box.waitFor({ state: 'visible' });
    const list = widget.locator('#kotae-suggestions');
    const panel = widget.locator('section.panel');

    // Nothing was added to the host document but the mount point's shadow root.
    const isolation = await page.evaluate(() => {
      const root = document.getElementById('kotae-widget').shadowRoot;
      return {
        hostStyles: document.querySelectorAll('style').length,
        styleAttributes: document.querySelectorAll('[style]').length,
        mode: root && root.mode,
        sheets: root ? root.adoptedStyleSheets.length : -1,
        styleElements: root ? root.querySelectorAll('style').length : -1,
        globals: typeof window.suggestBox,
      };
    });
    assert.deepEqual(isolation, { hostStyles: 0, styleAttributes: 0, mode: 'open', sheets: 1, styleElements: 0, globals: 'undefined' });

    // A customer types a question; the suggestions come from the help center, cross-origin.
    const query = 'パスワードを忘れた';
    const suggested = apiCall(page, '/api/suggest', query);
    await box.click();
    await box.pressSequentially(query, { delay: 40 });
    const response = await suggested;
    assert.equal(response.status(), 200);
    assert.equal((await response.allHeaders())['access-control-allow-origin'], HOST);
    const { suggestions } = await response.json();
    assert.ok(suggestions.some((s) => s.title.includes('パスワード')), `suggestions: ${suggestions.map((s) => s.title).join(' / ')}`);
    await list.waitFor({ state: 'visible' });
    const options = list.getByRole('option');
    assert.equal(await options.count(), suggestions.length);
    assert.equal(await box.getAttribute('aria-expanded'), 'true');

    // Arrows move through the list, as on the help page.
    await box.press('ArrowDown');
    await box.press('ArrowDown');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'kotae-suggestion-1');
    await box.press('ArrowUp');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'kotae-suggestion-0');
    assert.equal(await options.first().getAttribute('aria-selected'), 'true');

    // Keys that belong to a kanji conversion are the IME's: nothing is opened.
    const key = (init) =>
      box.evaluate((el, init) => {
        const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, composed: true, ...init });
        el.dispatchEvent(event);
        return event.defaultPrevented;
      }, init);
    let articleRequests = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/articles/')) articleRequests++;
    });
    await box.evaluate((el) => el.dispatchEvent(new CompositionEvent('compositionstart', { data: '' })));
    assert.equal(await key({ key: 'Enter', code: 'Enter', keyCode: 229, isComposing: true }), false, 'a composing Enter is left alone');
    assert.equal(await key({ key: 'ArrowDown', code: 'ArrowDown', keyCode: 229, isComposing: true }), false, 'a composing arrow is left alone');
    await box.evaluate((el) => el.dispatchEvent(new CompositionEvent('compositionend', { data: '忘れた' })));
    assert.equal(await key({ key: 'Enter', code: 'Enter', keyCode: 229 }), false, 'an Enter with keyCode 229 is left alone');
    await page.waitForTimeout(300);
    assert.equal(articleRequests, 0, 'confirming a conversion opened nothing');
    assert.equal(await panel.isVisible(), false);
    assert.equal(await box.getAttribute('aria-activedescendant'), 'kotae-suggestion-0', 'the selection did not move');

    // Esc closes the suggestions and keeps what was typed.
    await box.press('Escape');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await box.inputValue(), query, 'Esc did not erase the question');
    assert.equal(await box.getAttribute('aria-expanded'), 'false');

    // Enter asks the question: the answer is shown in the widget, with a vote.
    const answered = apiCall(page, '/api/answer', query);
    await box.press('Enter');
    const answer = await (await answered).json();
    assert.equal(answer.escalate, false, `「${query}」 is answered: ${JSON.stringify(answer).slice(0, 300)}`);
    const title = panel.getByRole('heading', { level: 2 });
    await title.waitFor({ state: 'visible' });
    assert.equal((await title.textContent()).trim(), answer.answer.title);
    assert.ok(answer.answer.title.includes('パスワード'), answer.answer.title);
    assert.equal(page.url(), `${HOST}/`, 'the host page stayed where it was');
    const full = panel.getByRole('link', { name: 'ヘルプセンターで開く' });
    assert.ok((await full.getAttribute('href')).startsWith(`${kotae}/articles/`), 'the full article is on the help center');
    for (const href of await panel.locator('.body a[href]').evaluateAll((as) => as.map((a) => a.href))) {
      assert.ok(!href.startsWith(HOST), `a link in the answer points at the host page: ${href}`);
    }
    const vote = panel.getByRole('group', { name: 'この回答は役に立ちましたか？' });
    const voted = apiCall(page, '/api/feedback');
    await vote.getByRole('button', { name: 'はい', exact: true }).click();
    const voteResponse = await voted;
    assert.equal(voteResponse.status(), 202, 'the vote is stored by the public API');
    await panel.getByText('ご回答ありがとうございました。').waitFor({ state: 'visible' });
    await screenshot(page, 'widget-answer');

    // No host style reached the widget (while it reaches the host's own button).
    const looks = await page.evaluate(() => {
      const root = document.getElementById('kotae-widget').shadowRoot;
      const style = (el) => getComputedStyle(el);
      const submit = root.querySelector('button[type=submit]');
      return {
        hostButton: style(document.getElementById('host-button')).color,
        button: [style(submit).color, style(submit).backgroundColor, style(submit).fontSize, style(submit).borderTopLeftRadius],
        input: style(root.getElementById('kotae-q')).backgroundColor,
        text: [style(root.querySelector('.kw')).color, style(root.querySelector('.kw')).letterSpacing, style(root.querySelector('.kw')).fontFamily.includes('serif') && !style(root.querySelector('.kw')).fontFamily.includes('sans')],
        heading: style(root.querySelector('.panel h2')).color,
      };
    });
    assert.equal(looks.hostButton, 'rgb(255, 0, 0)', 'the host rule applies to the host page');
    assert.deepEqual(looks.button, ['rgb(255, 255, 255)', 'rgb(9, 105, 218)', '15px', '6px'], 'the host button rule does not reach the widget');
    assert.equal(looks.input, 'rgb(255, 255, 255)');
    assert.deepEqual(looks.text, ['rgb(31, 35, 40)', 'normal', false], 'inherited host text styles stop at the widget');
    assert.equal(looks.heading, 'rgb(31, 35, 40)');

    // A suggestion chosen by keyboard opens in the widget.
    await box.fill('');
    const returns = apiCall(page, '/api/suggest', '返品');
    await box.pressSequentially('返品', { delay: 40 });
    const { suggestions: more } = await (await returns).json();
    assert.ok(more.length > 0);
    await list.waitFor({ state: 'visible' });
    const opened = apiCall(page, `/api/articles/${more[0].id}`);
    await box.press('ArrowDown');
    await box.press('Enter');
    assert.equal((await opened).status(), 200);
    await panel.getByRole('heading', { level: 2, name: more[0].title, exact: true }).waitFor({ state: 'visible' });
    assert.equal(await list.isVisible(), false, 'the list closed');
    // 「いいえ」: the vote is stored and the ways to reach a person appear, in the widget.
    const votedNo = apiCall(page, '/api/feedback');
    await panel.getByRole('button', { name: 'いいえ', exact: true }).click();
    assert.equal((await votedNo).status(), 202);
    await panel.getByRole('heading', { name: '解決しない場合はお問い合わせください' }).waitFor({ state: 'visible' });
    await panel.getByRole('link', { name: 'チャット', exact: true }).waitFor({ state: 'visible' });
    assert.equal(await panel.getByRole('button', { name: 'いいえ', exact: true }).count(), 0, 'the vote buttons are gone');

    // An off-topic question: no answer, the closest pages (もしかして) and the contact channels.
    const offTopic = 'タバコを吸える場所';
    await box.fill(offTopic);
    const handedOver = apiCall(page, '/api/answer', offTopic);
    await box.press('Enter');
    const escalation = await (await handedOver).json();
    assert.equal(escalation.escalate, true, `「${offTopic}」 is handed over`);
    await panel.getByRole('heading', { level: 2, name: `「${offTopic}」に合う回答が見つかりませんでした` }).waitFor({ state: 'visible' });
    await panel.getByRole('heading', { name: 'お問い合わせ' }).waitFor({ state: 'visible' });
    const chat = panel.getByRole('link', { name: 'チャット', exact: true });
    const chatUrl = new URL(await chat.getAttribute('href'));
    assert.equal(`${chatUrl.origin}${chatUrl.pathname}`, `${kotae}/contact/go`, 'the hand-over is recorded by the help center');
    assert.equal(chatUrl.searchParams.get('channel'), 'chat');
    assert.equal(chatUrl.searchParams.get('q'), offTopic, 'the question is carried to the channel');
    assert.equal(chatUrl.searchParams.get('sid'), escalation.search_id);
    const phone = panel.locator('a[href^="tel:"]');
    assert.equal(await phone.getAttribute('href'), 'tel:0120870870');
    assert.match(await phone.textContent(), /^電話/, 'the link names the channel');
    const closest = escalation.closest ?? [];
    if (closest.length > 0) {
      await panel.getByRole('heading', { name: 'もしかして、こちらのご質問ですか？' }).waitFor({ state: 'visible' });
      const first = panel.getByRole('button', { name: closest[0].title, exact: true });
      const clicked = apiCall(page, `/api/articles/${closest[0].id}`);
      await screenshot(page, 'widget-handover');
      await first.click();
      const url = new URL((await clicked).url());
      assert.equal(url.searchParams.get('rank'), '1', 'the click is recorded with its place');
      assert.equal(url.searchParams.get('sid'), escalation.search_id);
      await panel.getByRole('heading', { level: 2, name: closest[0].title, exact: true }).waitFor({ state: 'visible' });
    } else {
      await screenshot(page, 'widget-handover');
    }

    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation on the host page');
    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});

test('widget: the help center refuses other origins, so a page it does not list cannot read it', async () => {
  // The same page from another loopback name is another origin, not in KOTAE_WIDGET_ORIGINS.
  const other = HOST.replace('127.0.0.1', 'localhost');
  const { context, page } = await openPage(chromium.browser);
  try {
    await page.goto(`${other}/`);
    const box = page.locator('#kotae-widget').getByRole('combobox');
    await box.waitFor({ state: 'visible' });
    const refused = page.waitForEvent('requestfailed', (r) => new URL(r.url()).pathname === '/api/answer');
    await box.fill('パスワードを忘れた');
    await box.press('Enter');
    await refused;
    await page.locator('#kotae-widget').getByRole('alert').filter({ hasText: 'ただいま検索できません' }).waitFor({ state: 'visible' });
  } finally {
    await context.close();
  }
});
