// The customers' help page in a real browser: suggestions by keyboard, the article, the
// "no" vote that hands the customer to a human, and a search with no result.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, pathOf, screenshot } from './harness.mjs';

let chromium;
before(async () => {
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
});

test('customer: a vague query, a suggestion chosen by keyboard, a "no" vote shows the contact options', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    await page.goto('/');
    // What works without JavaScript: the language, and a labelled search box in a search landmark.
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    const label = page.locator('label[for="q"]');
    assert.equal(await label.count(), 1, 'the search box has one <label for="q">');
    assert.ok((await label.textContent()).trim().length > 0, 'the label has text');
    const box = page.getByRole('search').getByLabel((await label.textContent()).trim(), { exact: true });
    assert.equal(await box.getAttribute('id'), 'q', 'the label names the search box');
    await page.getByRole('heading', { level: 1, name: '何かお困りですか？' }).waitFor();
    await page.getByRole('heading', { name: 'カテゴリから探す' }).waitFor();
    await screenshot(page, 'help-home');

    // Type as a person does, one character at a time; wait for the suggestions of the whole query.
    const query = 'へんぴん';
    const suggested = page.waitForResponse((r) => {
      const u = new URL(r.url());
      return u.pathname === '/api/suggest' && u.searchParams.get('q') === query;
    });
    await box.click();
    await box.pressSequentially(query, { delay: 50 });
    const response = await suggested;
    assert.equal(response.status(), 200);
    const { suggestions } = await response.json();
    assert.ok(suggestions.length > 0, `no suggestion for ${query}`);
    assert.ok(
      suggestions.some((s) => s.title.includes('返品')),
      `the reading へんぴん should suggest a 返品 page, got ${suggestions.map((s) => s.title).join(' / ')}`,
    );
    const list = page.locator('#suggestions');
    await list.waitFor({ state: 'visible' });
    const options = list.getByRole('option');
    // The list shows exactly the suggestions of the whole query (not of a prefix typed earlier).
    const expected = suggestions.map((s) => (s.heading ? `${s.title} › ${s.heading}` : s.title));
    await page.waitForFunction(
      (texts) => JSON.stringify([...document.querySelectorAll('#suggestions [role=option]')].map((li) => li.textContent)) === JSON.stringify(texts),
      expected,
    );
    assert.equal(await options.first().textContent(), suggestions[0].title);
    assert.equal(await box.getAttribute('aria-expanded'), 'true');

    // ArrowDown selects the first suggestion; Enter opens it.
    await box.press('ArrowDown');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'suggestion-0');
    assert.equal(await options.first().getAttribute('aria-selected'), 'true');
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/articles/')), box.press('Enter')]);
    assert.equal(pathOf(page), new URL(suggestions[0].url, page.url()).pathname);

    const title = page.locator('article.answer h1');
    await title.waitFor({ state: 'visible' });
    assert.equal((await title.textContent()).trim(), suggestions[0].title);

    // 「いいえ」: the vote is sent without leaving the page, and the ways to reach a human appear.
    const feedback = page.getByRole('region', { name: 'この回答は役に立ちましたか？' });
    await feedback.waitFor({ state: 'visible' });
    const phone = feedback.getByText('0120-870-870');
    const chat = feedback.locator('li.channel-chat');
    assert.equal(await phone.isVisible(), false, 'the phone number is hidden before the vote');
    assert.equal(await chat.isVisible(), false, 'the chat channel is hidden before the vote');
    const articleUrl = page.url();
    const [vote] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/feedback'),
      feedback.getByRole('button', { name: 'いいえ', exact: true }).click(),
    ]);
    assert.ok(vote.ok(), `POST /api/feedback answered ${vote.status()}`);
    await phone.waitFor({ state: 'visible' });
    await chat.waitFor({ state: 'visible' });
    assert.match(await chat.textContent(), /チャット/);
    await feedback.getByRole('status').filter({ hasText: 'ご回答ありがとうございました' }).waitFor({ state: 'visible' });
    assert.equal(await feedback.getByRole('button', { name: 'いいえ', exact: true }).isVisible(), false, 'the vote buttons are gone');
    assert.equal(page.url(), articleUrl, 'the vote did not leave the article');
    await screenshot(page, 'article-voted-no');

    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});

test('customer: a search with no result says so and offers a human, with the query carried', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    await page.goto('/');
    const query = 'qwertyuiop';
    await page.locator('#q').fill(query);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/search'),
      page.getByRole('search').getByRole('button', { name: '検索', exact: true }).click(),
    ]);
    assert.equal(new URL(page.url()).searchParams.get('q'), query);
    assert.equal(await page.locator('#q').inputValue(), query, 'the search box keeps the query');
    await page.getByRole('heading', { level: 1, name: `「${query}」の検索結果` }).waitFor();
    await page.getByText(`「${query}」に一致する回答は見つかりませんでした。`).waitFor({ state: 'visible' });
    assert.equal(await page.locator('ol.results li').count(), 0, 'no result is listed');

    const contact = page.getByRole('region', { name: '解決しない場合はお問い合わせください' });
    await contact.waitFor({ state: 'visible' });
    assert.equal((await contact.locator('.carried .q').textContent()).trim(), query, 'the query is carried to the contact block');
    await contact.getByText('0120-870-870').waitFor({ state: 'visible' });
    await contact.locator('li.channel-chat').waitFor({ state: 'visible' });
    const form = contact.locator('li.channel-email a');
    assert.equal(new URL(await form.getAttribute('href')).searchParams.get('q'), query, 'the contact form link carries the query');

    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});

test('customer: Enter or an arrow that belongs to a kanji conversion is left to the IME; Esc closes the list and keeps the query', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    await page.goto('/');
    const box = page.locator('#q');
    const list = page.locator('#suggestions');
    await box.click();
    // An IME composition, as Chromium's own input method would start it: compositionstart,
    // then input events with the unconverted reading.
    const cdp = await context.newCDPSession(page);
    const suggested = (q) =>
      page.waitForResponse((r) => {
        const u = new URL(r.url());
        return u.pathname === '/api/suggest' && u.searchParams.get('q') === q;
      });
    const reading = suggested('へんぴん');
    await cdp.send('Input.imeSetComposition', { text: 'へんぴん', selectionStart: 4, selectionEnd: 4 });
    await reading;
    await list.waitFor({ state: 'visible' });
    const home = page.url();

    // The keys an IME user presses to pick and confirm a conversion. Chromium marks them
    // isComposing with keyCode 229; Safari sends the confirming Enter just after compositionend,
    // with keyCode 229 only.
    const key = (init) =>
      box.evaluate((el, init) => {
        const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
        el.dispatchEvent(event);
        return event.defaultPrevented;
      }, init);
    assert.equal(await key({ key: 'ArrowDown', code: 'ArrowDown', keyCode: 229, isComposing: true }), false, 'an arrow that moves the IME candidate is left alone');
    assert.equal(await box.getAttribute('aria-activedescendant'), null, 'no suggestion was selected while composing');
    await box.press('ArrowDown');
    assert.equal(await box.getAttribute('aria-activedescendant'), null, 'a real arrow during the composition is the IME’s too');
    // Outside the composition flag but with keyCode 229 (Safari's order of events).
    await box.evaluate((el) => el.dispatchEvent(new CompositionEvent('compositionend', { data: 'へんぴん' })));
    assert.equal(await key({ key: 'ArrowDown', code: 'ArrowDown' }), true, 'after the composition, an arrow moves in the list');
    assert.equal(await box.getAttribute('aria-activedescendant'), 'suggestion-0');
    assert.equal(await key({ key: 'Enter', code: 'Enter', keyCode: 229, isComposing: true }), false, 'a composing Enter is left alone');
    assert.equal(await key({ key: 'Enter', code: 'Enter', keyCode: 229 }), false, 'an Enter with keyCode 229 is left alone');
    await page.waitForTimeout(300);
    assert.equal(page.url(), home, 'confirming a conversion did not open the selected suggestion');

    // The conversion is confirmed: the box holds the converted word.
    const word = suggested('返品');
    await cdp.send('Input.insertText', { text: '返品' });
    assert.equal(await box.inputValue(), '返品');
    await word;
    await list.waitFor({ state: 'visible' });

    // Esc closes the suggestions and keeps what was typed.
    await box.press('Escape');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await box.getAttribute('aria-expanded'), 'false');
    assert.equal(await box.inputValue(), '返品', 'Esc did not erase the query');
    // With the list closed, Enter searches for what was typed.
    await Promise.all([page.waitForURL((u) => u.pathname === '/search'), box.press('Enter')]);
    assert.equal(new URL(page.url()).searchParams.get('q'), '返品');

    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});

test('customer on a 390×844 phone: the first result is on screen without scrolling', async () => {
  const { context, page, errors } = await openPage(chromium.browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  try {
    // Questions with results in many categories, and vague ones whose results come after the
    // contact block.
    const queries = ['できない', '届かない', '変更', '会社の住所', 'ポイント返金'];
    let chips = 0;
    let compact = 0;
    for (const query of queries) {
      await page.goto(`/search?q=${encodeURIComponent(query)}`);
      const first = page.locator('.result').first();
      if ((await first.count()) === 0) continue;
      chips = Math.max(chips, await page.locator('.filters li').count());
      const before = (await page.locator('.contact.compact').count()) > 0;
      if (before) compact++;
      const box = await first.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + 40 < 844, `「${query}」: the first result starts at y=${box?.y}${before ? ' (contact block first)' : ''}`);
      assert.equal(await page.evaluate(() => window.scrollY), 0);
      // No sideways scrolling of the page itself; the chips scroll within their row.
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `「${query}」: the page is wider than the screen`);
      if (before) {
        // The compact block still offers every channel, by name.
        const channels = page.locator('.contact.compact li.channel a');
        assert.ok((await channels.count()) >= 3);
        await page.locator('.contact.compact a[href^="tel:"]').waitFor({ state: 'visible' });
        await screenshot(page, 'mobile-results-unsure');
      } else {
        await screenshot(page, 'mobile-results');
      }
    }
    assert.ok(chips >= 8, `a question with results in many categories was tried (at most ${chips} chips)`);
    assert.ok(compact >= 1, 'a vague question with the contact block first was tried');
    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});

test('customer: an article image loads from the service, with alt text, lazy loading and its size, within the CSP', async () => {
  const { context, page, errors } = await openPage(chromium.browser);
  try {
    // Any CSP violation on the page, reported by the browser itself.
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto('/articles/contact/order-number');
    const image = page.locator('article img, main img').first();
    await image.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const img = document.querySelector('main img');
      return img && img.complete && img.naturalWidth > 0;
    });
    const info = await image.evaluate((img) => ({
      src: new URL(img.src).pathname,
      alt: img.getAttribute('alt'),
      loading: img.getAttribute('loading'),
      width: img.getAttribute('width'),
      height: img.getAttribute('height'),
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      shownWidth: img.getBoundingClientRect().width,
    }));
    assert.match(info.src, /^\/media\/[0-9a-f]{32}\.png$/);
    assert.ok(info.alt && info.alt.includes('注文番号'), `alt text: ${info.alt}`);
    assert.equal(info.loading, 'lazy');
    assert.equal(info.width, String(info.naturalWidth));
    assert.equal(info.height, String(info.naturalHeight));
    assert.ok(info.shownWidth > 0 && info.shownWidth <= 1280, `shown ${info.shownWidth} px wide`);
    const response = await page.request.get(info.src);
    assert.equal(response.headers()['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(response.headers()['content-type'], 'image/png');
    await screenshot(page, 'article-image');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violation');
    assert.deepEqual(errors, [], 'no script or console errors');
  } finally {
    await context.close();
  }
});
