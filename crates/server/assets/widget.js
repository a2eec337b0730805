// The help center inside another site's page, from one tag:
//
//   <script src="https://help.example.com/widget.js" async></script>
//
// It mounts into the element with id "kotae-widget" (or the id given in the tag's
// data-mount attribute); without one, into a new <div> placed right after the tag (or at the
// end of <body> when the tag is in <head>). Everything is drawn in a shadow root, styled by a
// constructed style sheet (no <style> or style attribute in the host document, no eval), so
// the host page's styles and the widget's do not touch each other, and a strict
// Content-Security-Policy on the host only needs the help center in script-src and
// connect-src (img-src for pictures in answers). It talks to the public API only (/api/...);
// the service lets the configured widget_origins read it (CORS).
//
// The service serves this file after suggest.js, in the same function scope (widget.rs).

var script = document.currentScript;
if (!script || !script.src || !window.fetch || !("attachShadow" in Element.prototype)) return;
var base = new URL(script.src).origin;
var here = function (path) { return new URL(path, base + "/").href; };

var CSS = [
  ":host { all: initial; display: block; }",
  "[hidden] { display: none !important; }",
  // Everything inherited from the page (through the mount point) starts over here.
  ".kw { all: initial; display: block; box-sizing: border-box; position: relative; max-width: 40rem; padding: 12px; border: 1px solid #d0d7de;",
  "  border-radius: 8px; background: #fff; color: #1f2328; font: 15px/1.6 system-ui, -apple-system, 'Hiragino Sans', 'Noto Sans JP', 'Yu Gothic', sans-serif; text-align: left; }",
  ".kw *, .kw *::before, .kw *::after { box-sizing: border-box; }",
  "label { display: block; margin: 0 0 4px; font-weight: 600; }",
  ".row { display: flex; gap: 6px; }",
  "input { flex: 1; min-width: 0; margin: 0; padding: 8px 10px; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: #1f2328; font: inherit; }",
  "button { margin: 0; padding: 6px 14px; border: 1px solid #0969da; border-radius: 6px; background: #0969da; color: #fff; font: inherit; cursor: pointer; }",
  "button.plain { background: #fff; color: #0969da; }",
  "button.link { padding: 0; border: 0; background: none; color: #0969da; text-decoration: underline; text-align: left; }",
  "input:focus-visible, button:focus-visible, a:focus-visible, [tabindex]:focus-visible { outline: 3px solid #0969da; outline-offset: 1px; }",
  "a { color: #0969da; }",
  ".suggestions { position: absolute; left: 12px; right: 12px; z-index: 1; margin: 4px 0 0; padding: 4px 0; list-style: none;",
  "  border: 1px solid #d0d7de; border-radius: 6px; background: #fff; box-shadow: 0 4px 12px rgba(0, 0, 0, .12); }",
  ".suggestions li { padding: 6px 10px; cursor: pointer; }",
  ".suggestions li[aria-selected=true], .suggestions li:hover { background: #ddf4ff; }",
  ".panel { margin-top: 12px; }",
  ".panel h2 { margin: 0 0 8px; font-size: 1.15em; }",
  ".panel h3 { margin: 14px 0 4px; font-size: 1em; }",
  ".panel ul { margin: 0; padding-left: 1.3em; }",
  ".body { overflow-wrap: anywhere; }",
  ".body img { max-width: 100%; height: auto; }",
  ".body table { border-collapse: collapse; }",
  ".body th, .body td { padding: 4px 6px; border: 1px solid #d0d7de; }",
  ".vote { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 14px; }",
  ".muted { color: #57606a; font-size: .9em; }",
].join("\n");

var MARKUP =
  '<div class="kw" lang="ja">' +
  '<form class="search" role="search" novalidate>' +
  '<label for="kotae-q">ヘルプセンターで調べる</label>' +
  '<div class="row">' +
  '<input id="kotae-q" type="search" name="q" autocomplete="off" maxlength="256" placeholder="例：パスワードを忘れた" ' +
  'role="combobox" aria-autocomplete="list" aria-controls="kotae-suggestions" aria-expanded="false">' +
  '<button type="submit">検索</button>' +
  "</div>" +
  '<ul id="kotae-suggestions" class="suggestions" role="listbox" aria-label="候補" hidden></ul>' +
  "</form>" +
  '<section class="panel" aria-live="polite" hidden></section>' +
  "</div>";

// The tab's id, as the help page keeps one (suggest.js): it links searches, clicks and votes.
var session = tabSession();

// A GET of the public API: the JSON, or an error for anything but 2xx.
var getJson = function (path, params) {
  var url = new URL(base + path);
  Object.keys(params).forEach(function (k) { if (params[k]) url.searchParams.set(k, params[k]); });
  return fetch(url.href, { mode: "cors", credentials: "omit" }).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  });
};

var el = function (tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  if (text !== undefined) node.textContent = text;
  return node;
};
var para = function (child) { var p = el("p"); p.appendChild(child); return p; };

var mount = function () {
  var id = script.getAttribute("data-mount") || "kotae-widget";
  var host = document.getElementById(id);
  if (!host) {
    host = el("div", { id: id });
    if (script.parentNode && script.parentNode !== document.head) script.parentNode.insertBefore(host, script.nextSibling);
    else document.body.appendChild(host);
  }
  if (host.shadowRoot) return;
  var root;
  try { root = host.attachShadow({ mode: "open" }); } catch (e) { return; }
  // A constructed style sheet: Chromium applies it under a host's `style-src 'self'`, where a
  // <style> in the shadow root is refused as inline (style-src-elem). The <style> is only for
  // browsers without constructed sheets (Safari before 16.4).
  if ("adoptedStyleSheets" in root && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", {}, CSS));
  }
  var shell = document.createElement("template");
  shell.innerHTML = MARKUP;
  root.appendChild(shell.content);
  var form = root.querySelector("form");
  var input = root.getElementById("kotae-q");
  var list = root.getElementById("kotae-suggestions");
  var panel = root.querySelector(".panel");

  var show = function (nodes, focus) {
    panel.textContent = "";
    nodes.forEach(function (n) { panel.appendChild(n); });
    panel.hidden = false;
    if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
  };
  var failed = function () {
    var p = el("p", { role: "alert" }, "ただいま検索できません。しばらくしてからもう一度お試しください。");
    var a = el("a", { href: here("/"), target: "_blank", rel: "noopener" }, "ヘルプセンターを開く");
    show([p, para(a)]);
  };

  // The contact channels, each named by its label; links go through the help center's
  // /contact/go, which records the hand-over as the help page's links do.
  var contactBlock = function (channels, q, sid, heading) {
    var nodes = [el("h3", {}, heading)];
    var ul = el("ul", { class: "channels" });
    (channels || []).forEach(function (c) {
      var li = el("li");
      var phone = c.kind === "phone" && c.value ? c.value.match(/\+?\d[\d\- ]{5,}\d/) : null;
      if (c.url) {
        var go = new URL(here("/contact/go"));
        go.searchParams.set("channel", c.kind);
        if (q) go.searchParams.set("q", q);
        if (sid) go.searchParams.set("sid", sid);
        li.appendChild(el("a", { href: go.href, target: "_blank", rel: "noopener" }, c.label));
        if (c.value) li.appendChild(document.createTextNode("（" + c.value + "）"));
      } else if (phone) {
        li.appendChild(el("a", { href: "tel:" + phone[0].replace(/[^\d+]/g, "") }, c.label + " " + c.value));
      } else {
        li.appendChild(document.createTextNode(c.label + (c.value ? "：" + c.value : "")));
      }
      if (c.hours) li.appendChild(el("span", { class: "muted" }, " " + c.hours));
      ul.appendChild(li);
    });
    nodes.push(ul);
    var all = new URL(here("/contact"));
    if (q) all.searchParams.set("q", q);
    nodes.push(para(el("a", { href: all.href, target: "_blank", rel: "noopener", class: "muted" }, "お問い合わせ窓口の一覧")));
    return nodes;
  };

  // Votes go to the public API, as the help page's; a "no" brings the contact channels.
  var voteBlock = function (article, q, sid) {
    var box = el("div", { class: "vote", role: "group", "aria-label": "この回答は役に立ちましたか？" });
    box.appendChild(el("span", {}, "この回答は役に立ちましたか？"));
    var yes = el("button", { type: "button", class: "plain" }, "はい");
    var no = el("button", { type: "button", class: "plain" }, "いいえ");
    box.appendChild(yes);
    box.appendChild(no);
    var send = function (helpful) {
      yes.disabled = no.disabled = true;
      var body = { id: article, helpful: helpful, query: q || undefined, search_id: sid || undefined, session: session || undefined };
      fetch(base + "/api/feedback", {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          var thanks = el("p", { class: "thanks" }, "ご回答ありがとうございました。");
          box.replaceWith(thanks);
          var after = helpful ? [] : contactBlock(data.contact, q, sid, "解決しない場合はお問い合わせください");
          after.reverse().forEach(function (n) { thanks.after(n); });
          thanks.setAttribute("tabindex", "-1");
          thanks.focus();
        })
        .catch(function () {
          yes.disabled = no.disabled = false;
          box.appendChild(el("span", { role: "alert" }, "送信できませんでした。もう一度お試しください。"));
        });
    };
    yes.addEventListener("click", function () { send(true); });
    no.addEventListener("click", function () { send(false); });
    return box;
  };

  // An article's sanitized HTML, parsed in an inert document (nothing loads there) with its
  // links and pictures pointed at the help center, then moved into the shadow root.
  var articleBody = function (html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var page = here(url.split("#")[0]);
    doc.querySelectorAll("a[href]").forEach(function (a) {
      a.setAttribute("href", new URL(a.getAttribute("href"), page).href);
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener");
    });
    doc.querySelectorAll("img[src]").forEach(function (img) { img.setAttribute("src", new URL(img.getAttribute("src"), page).href); });
    var body = el("div", { class: "body" });
    Array.prototype.slice.call(doc.body.childNodes).forEach(function (n) { body.appendChild(document.adoptNode(n)); });
    return body;
  };

  var showArticle = function (a, q, sid, extra) {
    var title = el("h2", {}, a.title);
    var open = el("a", { href: here(a.url), target: "_blank", rel: "noopener" }, "ヘルプセンターで開く");
    var nodes = [title, articleBody(a.html, a.url), para(open), voteBlock(a.id, q, sid)];
    show(nodes.concat(extra || []), title);
  };

  // An article chosen from a list: fetched from the API, which records the click.
  var openArticle = function (id, q, sid, rank) {
    getJson("/api/articles/" + id.split("/").map(encodeURIComponent).join("/"), { q: q, sid: sid, rank: rank ? String(rank) : "", s: session })
      .then(function (a) { showArticle(a, q, sid); })
      .catch(failed);
  };

  // Nothing answered: the pages closest in meaning (もしかして) and the ways to reach a person.
  var showHandover = function (data, q) {
    var title = el("h2", {}, "「" + q + "」に合う回答が見つかりませんでした");
    var nodes = [title];
    if (data.closest && data.closest.length) {
      nodes.push(el("h3", {}, "もしかして、こちらのご質問ですか？"));
      var ul = el("ul", { class: "closest" });
      data.closest.forEach(function (c, i) {
        var li = el("li");
        var b = el("button", { type: "button", class: "link" }, c.title);
        b.addEventListener("click", function () { openArticle(c.id, q, data.search_id, i + 1); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      nodes.push(ul);
    }
    show(nodes.concat(contactBlock(data.contact, q, data.search_id, "お問い合わせ")), title);
  };

  var ask = function (q) {
    getJson("/api/answer", { q: q, s: session })
      .then(function (data) {
        if (data.answer && !data.escalate) showArticle(data.answer, q, data.search_id);
        else if (data.answer) showArticle(data.answer, q, data.search_id, contactBlock(data.contact, q, data.search_id, "解決しない場合はお問い合わせください"));
        else showHandover(data, q);
      })
      .catch(failed);
  };

  var box = suggestBox(input, list, {
    url: base + "/api/suggest",
    fetchInit: { mode: "cors", credentials: "omit" },
    idPrefix: "kotae-suggestion-",
    choose: function (s) { openArticle(s.id, input.value.trim(), "", 0); },
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    box.close();
    var q = input.value.trim();
    if (q) ask(q);
  });
};

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
