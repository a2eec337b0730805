// Console enhancements: '/' focuses the search box, copy buttons, and the same suggestions.
(function () {
  "use strict";
  var input = document.getElementById("q");
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && input) { e.preventDefault(); input.focus(); input.select(); }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest("button.copy");
    if (!button) return;
    var text = button.getAttribute("data-copy") || "";
    var done = function () {
      var label = button.textContent;
      button.textContent = "コピーしました";
      button.classList.add("done");
      setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  });
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute"; area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (err) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  var list = document.getElementById("suggestions");
  if (input && list) {
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q) { list.hidden = true; return; }
        fetch("/ops/api/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            list.innerHTML = "";
            (data.suggestions || []).forEach(function (s, i) {
              var li = document.createElement("li");
              li.id = "suggestion-" + i; li.setAttribute("role", "option");
              li.textContent = s.heading ? s.title + " › " + s.heading : s.title;
              li.addEventListener("mousedown", function (ev) { ev.preventDefault(); window.location.href = s.url; });
              list.appendChild(li);
            });
            list.hidden = !list.children.length;
            input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
          });
      }, 120);
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 100); });
  }
})();
