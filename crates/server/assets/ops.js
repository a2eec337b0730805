// Console enhancements: '/' focuses the search box, and copy buttons. Suggestions come from
// app.js, which the console loads too.
(function () {
  "use strict";
  var input = document.getElementById("q");
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && input) { e.preventDefault(); input.focus(); input.select(); }
  });
  // Results: after a search, focus is on the first hit's link. Each hit is one tab stop (its
  // link); its copy button (tabindex -1) is reached with → from the link, or used with C.
  var titles = Array.prototype.slice.call(document.querySelectorAll("ol.results > li.result > a.title"));
  if (titles.length && input && input.value.trim() !== "" && document.activeElement === document.body) {
    titles[0].focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
    var t = e.target;
    var hit = t && t.closest && t.closest("ol.results > li.result");
    if (!hit) return;
    var title = hit.querySelector("a.title");
    var copy = hit.querySelector("button.copy");
    var at = titles.indexOf(title);
    if (t === title) {
      if ((e.key === "ArrowDown" || e.key === "ArrowUp") && at >= 0) {
        var next = titles[at + (e.key === "ArrowDown" ? 1 : -1)];
        if (next) { e.preventDefault(); next.focus(); }
      } else if (e.key === "ArrowRight" && copy) {
        e.preventDefault(); copy.focus();
      } else if ((e.key === "c" || e.key === "C") && !e.shiftKey && copy) {
        e.preventDefault(); copy.click();
      }
    } else if (t === copy && (e.key === "ArrowLeft" || e.key === "Escape") && title) {
      e.preventDefault(); title.focus();
    }
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
})();
