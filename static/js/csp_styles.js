// Colours that come from data (tag colours, heat-map cells) are set through the CSSOM from a
// data-bg attribute: the Content-Security-Policy forbids inline style attributes.
(function () {
  "use strict";
  function paint(root) {
    (root || document).querySelectorAll("[data-bg]").forEach(function (el) {
      el.style.background = el.getAttribute("data-bg");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { paint(document); });
  document.addEventListener("htmx:afterSwap", function (e) { paint(e.target); });
  window.helpdeskPaint = paint;
})();
