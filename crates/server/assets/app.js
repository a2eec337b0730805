// Help page enhancements: suggestions while typing (suggest.js), and feedback without leaving
// the page. The service serves this file after suggest.js, in the same function scope.
(function () {
  "use strict";
  // The tab's id (suggest.js), on the help page only: agents' searches are not linked.
  var session = "";
  if (!document.body.classList.contains("console")) {
    session = tabSession();
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
    // The keys and the list are suggest.js's, shared with the widget for other sites.
    suggestBox(input, list, {
      url: input.getAttribute("data-suggest"),
      fetchInit: { credentials: "same-origin" },
      choose: function (s) { window.location.href = s.url; },
    });
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
