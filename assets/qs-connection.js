/* QuantShield connection watchdog (dashboard/connection.py): browser-side on purpose,
 * because it must keep working while the server does not answer.
 *
 * dash-renderer turns a callback's `running` guard off only when the server answers; after a
 * network error the poll interval stays disabled and the page silently freezes. This file
 * watches the poll's own requests (their outcome is not visible to Dash callbacks), and the
 * clientside callback `qs.connection` shows the page's freshness and re-enables the poll.
 */
(function () {
  "use strict";
  var CALLBACK_PATH = "_dash-update-component";
  /* the intervals whose callbacks have a `running` guard: ids.POLL_INTERVAL, ids.CHART_TICK */
  var GUARDED = ["live-poll-interval", "chart-refresh-interval"];
  var links = {};
  GUARDED.forEach(function (id) { links[id] = { okAt: null, failAt: null, inflight: 0 }; });
  var poll = links[GUARDED[0]];

  function guardedBy(body) {
    return GUARDED.filter(function (id) { return body.indexOf('"id":"' + id + '"') !== -1; });
  }

  var nativeFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var body = init && typeof init.body === "string" ? init.body : "";
    var request = nativeFetch(input, init);
    var watched = url.indexOf(CALLBACK_PATH) === -1 ? [] : guardedBy(body);
    if (watched.length === 0) {
      return request;
    }
    watched.forEach(function (id) { links[id].inflight += 1; });
    return request.then(
      function (response) {
        watched.forEach(function (id) {
          links[id].inflight -= 1;
          links[id].okAt = Date.now(); /* the server answered, even if with an error */
        });
        return response;
      },
      function (error) {
        watched.forEach(function (id) {
          links[id].inflight -= 1;
          links[id].failAt = Date.now();
        });
        throw error;
      }
    );
  };

  function failed(link) {
    return link.failAt !== null && (link.okAt === null || link.failAt > link.okAt);
  }

  /* After a network error the interval's running guard stays on: turn it off again. */
  function resumeIfStuck(link, disabled) {
    return failed(link) && disabled && link.inflight === 0
      ? false : window.dash_clientside.no_update;
  }

  function seconds(ms) { return Math.max(0, Math.floor(ms / 1000)) + " s"; }

  var lastBeatAt = null; /* when the last poll answer reached the page */

  function connection(tick, heartbeat, pollDisabled, pollMs, chartDisabled) {
    var now = Date.now();
    var ctx = window.dash_clientside.callback_context;
    var triggered = (ctx && ctx.triggered) || [];
    if (triggered.some(function (t) { return t.prop_id.indexOf("live-heartbeat.") === 0; })) {
      lastBeatAt = now;
    }
    var period = pollMs || 2000;
    var failedLast = failed(poll);
    var age = lastBeatAt === null ? null : now - lastBeatAt;
    var resume = resumeIfStuck(poll, pollDisabled);
    var resumeChart = resumeIfStuck(links[GUARDED[1]], chartDisabled);
    var base = "qs-connection small";
    var since = age === null ? "no update yet" : "last update " + seconds(age) + " ago";
    if (failedLast) {
      return ["DISCONNECTED · " + since + " · retrying",
              base + " qs-connection-lost", "disconnected", resume, resumeChart];
    }
    if (age === null) {
      return ["connecting…", base + " text-muted", "connecting", resume, resumeChart];
    }
    if (age > 2 * period) {
      return ["STALE · " + since, base + " qs-connection-lost", "stale", resume, resumeChart];
    }
    return ["updated " + seconds(age) + " ago", base + " text-muted", "live", resume, resumeChart];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.qs = Object.assign({}, window.dash_clientside.qs, {
    connection: connection,
  });
})();
