/* Folded details that stay open while the table around them is redrawn.
 *
 * The positions table is sent again whenever a shown value changes (a mark moved), and
 * the renderer recreates its rows: a <details> the operator opened would close under
 * their eyes. Each one that should survive carries data-keep-open="<key>"; a click on
 * its <summary> (mouse or keyboard) records the wish, and after every change to the page
 * the details with a wished-open key are opened again.
 */
(function () {
    "use strict";
    var wanted = new Set();

    document.addEventListener("click", function (event) {
        var summary = event.target.closest && event.target.closest("details[data-keep-open] > summary");
        if (!summary) { return; }
        var details = summary.parentElement;
        var key = details.getAttribute("data-keep-open");
        // the browser toggles after this (capturing) handler: record the state it will have
        if (details.open) { wanted.delete(key); } else { wanted.add(key); }
    }, true);

    function reopen() {
        if (!wanted.size) { return; }
        document.querySelectorAll("details[data-keep-open]").forEach(function (details) {
            if (!details.open && wanted.has(details.getAttribute("data-keep-open"))) {
                details.open = true;
            }
        });
    }

    new MutationObserver(reopen).observe(document.documentElement,
                                         {childList: true, subtree: true});
})();
