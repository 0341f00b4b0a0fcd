// Honest video progress: report the time ranges really played (video.played), not the
// playhead. Reports are batched, retried with back-off, and kept in localStorage until the
// server has them, so a dropped connection loses nothing. Data comes from data- attributes
// because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var video = document.getElementById("lecture-video");
  if (!video || video.dataset.enrolled !== "true" || !window.fetch) { return; }

  var url = video.dataset.progressUrl;
  var csrf = video.dataset.csrf;
  var duration = parseFloat(video.dataset.duration);
  var resume = parseFloat(video.dataset.resume) || 0;
  var status = document.getElementById("video-status");
  var storeKey = "capacity:progress:" + url;
  var SEND_EVERY_MS = 15000;
  var MAX_RATE = 2;
  var backoff = 0;
  var sending = false;
  var timer = null;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey)) || null; } catch (e) { return null; }
  }
  function save(report) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(report)); } catch (e) { /* private mode */ }
  }
  function clear() {
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* private mode */ }
  }

  function merge(a, b) {
    var all = a.concat(b).filter(function (r) { return r[1] > r[0]; });
    all.sort(function (x, y) { return x[0] - y[0]; });
    var out = [];
    all.forEach(function (r) {
      var last = out[out.length - 1];
      if (last && r[0] <= last[1]) { last[1] = Math.max(last[1], r[1]); } else { out.push([r[0], r[1]]); }
    });
    return out;
  }

  function playedRanges() {
    var ranges = [];
    for (var i = 0; i < video.played.length; i++) {
      var start = Math.max(0, video.played.start(i));
      var end = Math.min(duration, video.played.end(i));
      if (end > start) { ranges.push([Math.round(start * 1000) / 1000, Math.round(end * 1000) / 1000]); }
    }
    return ranges;
  }

  var touched = false;  // has this page played or moved the video yet?

  function pending() {
    var stored = load();
    var report = {
      intervals: merge(stored ? stored.intervals : [], playedRanges()),
      // Until the learner touches this player, the last known position is the stored one.
      position: touched || !stored ? Math.min(duration, video.currentTime || 0) : stored.position,
      duration: duration
    };
    save(report);
    return report;
  }

  function say(text) { if (status && text) { status.textContent = text; } }

  var again = false;  // did something ask to send while a report was in flight?

  function send() {
    // One report at a time; one asked for meanwhile (the end of the video) follows it at once.
    if (sending) { again = true; return; }
    again = false;
    var report = pending();
    if (!report.intervals.length && !report.position) { return; }
    sending = true;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(report),
      keepalive: true
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    }).then(function (result) {
      sending = false;
      if (result.ok) {
        backoff = 0;
        // The server holds these ranges now; what plays next is a new report.
        var stored = load();
        if (stored && JSON.stringify(stored.intervals) === JSON.stringify(report.intervals)) { clear(); }
        var b = result.body;
        say(status.dataset.template
          ? status.dataset.template.replace("{percent}", Math.round(b.coverage * 100) + "%")
          : null);
        if (b.completed) { status.dataset.completed = "true"; }
        if (again) { send(); }
      } else if (result.status === 401 || result.status === 429 || result.status >= 500) {
        retry();  // signed out, throttled or server trouble: keep the report and try again
      } else {
        clear();  // refused as invalid: sending it again would not help
      }
    }).catch(function () { sending = false; retry(); });
  }

  function retry() {
    backoff = Math.min(backoff ? backoff * 2 : 2000, 60000);
    window.setTimeout(send, backoff);
  }

  video.addEventListener("loadedmetadata", function () {
    if (resume > 1 && resume < duration - 3) { video.currentTime = resume; }
  });
  video.addEventListener("ratechange", function () {
    if (video.playbackRate > MAX_RATE) { video.playbackRate = MAX_RATE; }
  });
  ["play", "seeking"].forEach(function (name) {
    video.addEventListener(name, function () { touched = true; });
  });
  video.addEventListener("play", function () {
    if (!timer) { timer = window.setInterval(send, SEND_EVERY_MS); }
  });
  ["pause", "ended", "seeking"].forEach(function (name) { video.addEventListener(name, send); });
  document.addEventListener("visibilitychange", function () { if (document.hidden) { send(); } });
  window.addEventListener("pagehide", send);
  window.addEventListener("online", send);
  // Anything left from an earlier visit (closed tab, lost connection) goes first.
  if (load()) { send(); }
}());
