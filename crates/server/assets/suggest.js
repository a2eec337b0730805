// The search box with suggestions, shared by the help page (app.js) and the widget for other
// sites (widget.js): the service puts this file and either of them in one function scope
// (assets.rs, widget.rs), so `suggestBox` and `tabSession` are theirs and never globals of
// the page.
//
// suggestBox(input, list, options) turns `input` (role=combobox) and `list` (role=listbox)
// into a suggestion box: suggestions of what is typed, fetched from `options.url` with
// `options.fetchInit`; ArrowDown/ArrowUp move through them, Enter on one calls
// `options.choose(suggestion, index)` (Enter without one is left to the form), Escape closes
// the list and keeps the text, and keys that belong to an input method do nothing.
// Option ids are `options.idPrefix` + index.
function suggestBox(input, list, options) {
  var timer = null, active = -1, items = [], last = "";
  // Bumped by close(): a fetch started before it must not open the list again (a form sent
  // with Enter while suggestions were on their way).
  var round = 0;
  var prefix = options.idPrefix || "suggestion-";
  var close = function () {
    clearTimeout(timer);
    round++;
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    active = -1;
    input.removeAttribute("aria-activedescendant");
  };
  var select = function (i) {
    var nodes = list.children;
    for (var k = 0; k < nodes.length; k++) nodes[k].setAttribute("aria-selected", k === i ? "true" : "false");
    active = i;
    if (i >= 0) input.setAttribute("aria-activedescendant", nodes[i].id);
    else input.removeAttribute("aria-activedescendant");
  };
  var render = function (suggestions) {
    items = suggestions;
    list.textContent = "";
    suggestions.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = prefix + i;
      li.setAttribute("role", "option");
      li.textContent = s.heading ? s.title + " › " + s.heading : s.title;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); close(); options.choose(s, i); });
      list.appendChild(li);
    });
    list.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
    active = -1;
    input.removeAttribute("aria-activedescendant");
  };
  var fetchSuggestions = function () {
    var q = input.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 1) { render([]); return; }
    var mine = round;
    fetch(options.url + "?q=" + encodeURIComponent(q), options.fetchInit)
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (mine === round && input.value.trim() === q) render(data.suggestions || []); })
      .catch(function () { if (mine === round) render([]); });
  };
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
  // Keys that belong to an input method (choosing or confirming a kanji conversion) are the
  // IME's, never ours: Chromium marks them isComposing, Safari sends keyCode 229 just after
  // compositionend, and the flag covers browsers that do neither.
  var composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (e) {
    if (e.isComposing || e.keyCode === 229 || composing) return;
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); select(Math.min(active + 1, items.length - 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); select(Math.max(active - 1, -1)); }
    else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      var chosen = active;
      close();
      options.choose(items[chosen], chosen);
    }
    // Close the list only: a search field's own Escape would also erase what was typed.
    else if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
  return { close: close };
}

// A random id for this browser tab (sessionStorage, never a cookie), sent with searches, votes
// and questions so that a reformulated search can be linked to the one before it; "" when the
// browser keeps none.
function tabSession() {
  try {
    var session = window.sessionStorage.getItem("kotae-session") || "";
    if (!session && window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      session = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      window.sessionStorage.setItem("kotae-session", session);
    }
    return session;
  } catch (e) {
    return "";
  }
}
