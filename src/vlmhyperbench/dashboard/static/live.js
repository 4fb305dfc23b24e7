// Live progress: fills elements from the dashboard's server-sent events (GET /events).
//
// Markup it understands (any page):
//   <el data-run="EXPERIMENT/RUN_ID"> ... <el data-live="FIELD"> ... </el>
//     FIELD: progress (a <progress>), summary, status, stage, answered, failed, done, total,
//            rate, eta, gpu, cpu, ram, telemetry (the serving side's latest figures, vlmhb serve)
//   <el data-run-page="EXPERIMENT/RUN_ID">: when that run finishes, the page's live regions
//     are fetched again, so its results appear without a reload.
//   <el data-live-region id="...">: a part of the page fetched again (same id) when a run
//     appears or changes status, or a queue item does (the "queue" event).
//   <el data-run="..." data-indexed-status="STATUS">: the status the page was rendered with (from
//     the index, which lags the folders by up to its refresh interval): while a finished run still
//     shows another status, the regions are fetched again every second (at most a minute).
//   <el data-live-runs="EXPERIMENT or empty">: the page lists that experiment's runs (every run when
//     empty): while a running run is missing from it, the regions are fetched again likewise.
(function () {
  "use strict";
  var watched = document.querySelector("[data-run], [data-run-page], [data-live-region]");
  if (!watched || !window.EventSource) return;
  var statuses = {};
  var latest = {};
  var pending = null;
  var retries = 0;
  var MAX_RETRIES = 60;

  function duration(s) {
    if (s === null || s === undefined) return "";
    s = Math.round(s);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function bytes(n) {
    if (n === null || n === undefined) return "";
    return (n / 1073741824).toFixed(1) + " GiB";
  }
  function telemetry(t) {
    if (!t) return "";
    var parts = [];
    if (t.gpu_memory_used_bytes !== null) parts.push("GPU " + bytes(t.gpu_memory_used_bytes));
    if (t.peak_vram_bytes !== null) parts.push("peak VRAM " + bytes(t.peak_vram_bytes));
    if (t.cpu_percent !== null) parts.push("CPU " + t.cpu_percent.toFixed(0) + " %");
    if (t.rss_bytes !== null) parts.push("RAM " + bytes(t.rss_bytes));
    if (t.output_tokens_per_s !== null) parts.push(t.output_tokens_per_s.toFixed(1) + " tokens/s");
    return parts.join(" · ");
  }
  function summary(p) {
    var parts = [p.done + "/" + p.total];
    if (p.rate_per_s) parts.push(p.rate_per_s.toFixed(2) + " answers/s");
    if (p.eta_s !== null && p.eta_s !== undefined && !p.finished) parts.push("ETA " + duration(p.eta_s));
    if (p.failed) parts.push(p.failed + " failed");
    parts.push(p.stage ? p.status + " (" + p.stage + ")" : p.status);
    return parts.join(" · ");
  }
  function value(p, field) {
    switch (field) {
      case "summary": return summary(p);
      case "rate": return p.rate_per_s ? p.rate_per_s.toFixed(2) + "/s" : "";
      case "eta": return p.finished ? "" : duration(p.eta_s);
      case "gpu": return p.telemetry ? bytes(p.telemetry.gpu_memory_used_bytes) : "";
      case "ram": return p.telemetry ? bytes(p.telemetry.rss_bytes) : "";
      case "cpu":
        return p.telemetry && p.telemetry.cpu_percent !== null ? p.telemetry.cpu_percent.toFixed(0) + " %" : "";
      case "telemetry": return telemetry(p.telemetry);
      default: return p[field] === undefined || p[field] === null ? "" : String(p[field]);
    }
  }
  function fill(p) {
    var holders = document.querySelectorAll('[data-run="' + CSS.escape(p.key) + '"]');
    holders.forEach(function (holder) {
      holder.setAttribute("data-status", p.status);
      holder.querySelectorAll("[data-live]").forEach(function (el) {
        var field = el.getAttribute("data-live");
        if (field === "progress" && el.tagName === "PROGRESS") {
          el.max = Math.max(1, p.total);
          el.value = p.done;
          el.title = summary(p);
        } else {
          el.textContent = value(p, field);
        }
      });
    });
  }
  function isStale(p) {
    // whether the page shows an older state of this run than its folder does
    var shown = document.querySelector('[data-indexed-status][data-run="' + CSS.escape(p.key) + '"]');
    if (shown) return p.finished && shown.getAttribute("data-indexed-status") !== p.status;
    var list = document.querySelector("[data-live-runs]");
    if (!list || p.finished) return false;
    var only = list.getAttribute("data-live-runs");
    return !only || p.key.indexOf(only + "/") === 0;
  }
  function anyStale() {
    return Object.keys(latest).some(function (key) { return isStale(latest[key]); });
  }
  function refetch() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-region][id]").forEach(function (old) {
            var fresh = doc.getElementById(old.id);
            if (fresh) old.replaceWith(document.importNode(fresh, true));
          });
          document.dispatchEvent(new CustomEvent("vlmhb:refreshed"));
          if (anyStale() && retries < MAX_RETRIES) {
            retries += 1; // the index has not caught up with the folders yet: ask again
            setTimeout(refetch, 1000);
          } else {
            retries = 0;
          }
        })
        .catch(function () {});
    }, 300);
  }
  var source = new EventSource("/events");
  source.addEventListener("progress", function (event) {
    var p = JSON.parse(event.data);
    var before = statuses[p.key];
    statuses[p.key] = p.status;
    latest[p.key] = p;
    fill(p);
    if (before === undefined) {
      // first sight: a run unknown to the page that is going now has just started
      var known = document.querySelector('[data-run="' + CSS.escape(p.key) + '"]');
      if ((!known && !p.finished && document.querySelector("[data-live-region]")) || isStale(p)) refetch();
    } else if (before !== p.status || (isStale(p) && !retries)) {
      refetch();
    }
  });
  var queueState = null;
  source.addEventListener("queue", function (event) {
    // a queue item started, ended or was cancelled: its rows and pages show it
    if (queueState !== null && queueState !== event.data) refetch();
    queueState = event.data;
  });
  document.addEventListener("vlmhb:refreshed", function () {
    // fetched regions come with empty live fields: fill them from the latest figures
    Object.keys(latest).forEach(function (key) { fill(latest[key]); });
  });
  window.vlmhbLive = { source: source, statuses: statuses };
})();
