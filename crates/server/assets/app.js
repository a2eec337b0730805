// Help page enhancements: suggestions while typing, and feedback without leaving the page.
(function () {
  "use strict";
  // A random id for this browser tab (sessionStorage, never a cookie), sent with searches, votes
  // and questions so that a reformulated search can be linked to the one before it.
  var session = "";
  if (!document.body.classList.contains("console")) {
    try {
      session = window.sessionStorage.getItem("kotae-session") || "";
      if (!session && window.crypto && window.crypto.getRandomValues) {
        var bytes = new Uint8Array(12);
        window.crypto.getRandomValues(bytes);
        session = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
        window.sessionStorage.setItem("kotae-session", session);
      }
    } catch (e) { session = ""; }
    if (session) {
      var forms = document.querySelectorAll("form.search, form.vote, form.question");
      for (var f = 0; f < forms.length; f++) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "s";
        field.value = session;
        forms[f].appendChild(field);
      }
    }
  }
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (input && list) {
    var timer = null, active = -1, items = [], last = "";
    var close = function () { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; input.removeAttribute("aria-activedescendant"); };
    var select = function (i) {
      var nodes = list.children;
      for (var k = 0; k < nodes.length; k++) nodes[k].setAttribute("aria-selected", k === i ? "true" : "false");
      active = i;
      if (i >= 0) input.setAttribute("aria-activedescendant", nodes[i].id);
    };
    var render = function (suggestions) {
      items = suggestions;
      list.innerHTML = "";
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = "suggestion-" + i;
        li.setAttribute("role", "option");
        li.textContent = s.heading ? s.title + " › " + s.heading : s.title;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = s.url; });
        list.appendChild(li);
      });
      list.hidden = suggestions.length === 0;
      input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
      active = -1;
    };
    var fetchSuggestions = function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 1) { render([]); return; }
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim() === q) render(data.suggestions || []); })
        .catch(function () { render([]); });
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
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = items[active].url; }
      // Close the list only: a search field's own Escape would also erase what was typed.
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  var vote = document.querySelector("form.vote");
  if (vote && window.fetch) {
    vote.addEventListener("click", function (e) {
      var button = e.target.closest("button[name=helpful]");
      if (!button) return;
      e.preventDefault();
      var helpful = button.value === "yes";
      var sid = vote.elements.sid ? vote.elements.sid.value : "";
      var body = { id: vote.elements.id.value, helpful: helpful, query: vote.elements.q.value || undefined, search_id: sid || undefined, session: session || undefined };
      fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) {
          if (!r.ok) throw new Error("vote failed");
          vote.hidden = true;
          var thanks = document.querySelector(".feedback .thanks");
          thanks.hidden = false;
          if (!helpful) document.querySelector(".feedback .after-no").hidden = false;
          // Keep keyboard focus where the buttons were.
          thanks.setAttribute("tabindex", "-1");
          thanks.focus();
        })
        .catch(function () { vote.submit(); });
    });
  }
})();
