/* QuantShield: local time on hover. The page shows the bot's times in UTC; every element
 * carrying data-utc="<ISO time>" (dashboard.formatting.utc_attrs) gets a title with the
 * same instant in the browser's time zone. Only the title is touched, never the text.
 */
(function () {
  "use strict";
  var FORMAT = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                 minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" };

  function label(el) {
    var iso = el.getAttribute("data-utc");
    if (!iso || el.getAttribute("data-utc-titled") === iso) { return; }
    var at = new Date(iso);
    if (isNaN(at.getTime())) { return; }
    el.title = "local time: " + at.toLocaleString(undefined, FORMAT);
    el.setAttribute("data-utc-titled", iso);
  }

  function labelAll() {
    var els = document.querySelectorAll("[data-utc]");
    for (var i = 0; i < els.length; i++) { label(els[i]); }
  }

  function start() {
    labelAll();
    new MutationObserver(labelAll).observe(document.body, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["data-utc"],
    });
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
