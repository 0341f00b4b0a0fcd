// Action plan editor: save each section a few seconds after typing stops, keep unsent text in
// localStorage (with the version it was based on) and retry; on a conflict show the other
// text and let the writer keep theirs, take the other, or merge. Without JavaScript each
// section's button saves it and a conflict gets a page of its own.
(function () {
  "use strict";
  var root = document.getElementById("plan-sections");
  if (!root || !root.dataset.api || !window.fetch) { return; }
  var DELAY = 2500;
  var data = root.dataset;
  var storeKey = "capacity:plan:" + data.plan + ":" + data.user;
  var pending = {};
  try { pending = JSON.parse(window.localStorage.getItem(storeKey)) || {}; } catch (e) { pending = {}; }
  var timers = {}, inflight = {}, again = {}, conflicts = {}, stopped = {}, backoff = 0;

  function remember() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }
  function formOf(key) { return root.querySelector("form.section-form[data-key='" + key + "']"); }
  function area(key) { return formOf(key).querySelector("textarea[name=text]"); }
  function base(key) { return formOf(key).querySelector("input[name=base_version]"); }
  function status(key, text, link) {
    var el = formOf(key).querySelector(".save-status");
    el.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href; a.textContent = link.text;
      el.appendChild(document.createTextNode(" "));
      el.appendChild(a);
    }
  }

  function schedule(key, delay) {
    window.clearTimeout(timers[key]);
    timers[key] = window.setTimeout(function () { send(key); }, delay);
  }

  function send(key) {
    var entry = pending[key];
    if (!entry || conflicts[key] || stopped[key]) { return; }
    if (inflight[key]) { again[key] = true; return; }
    inflight[key] = true;
    status(key, data.savingText);
    var sent = entry.text;
    fetch(data.api.replace("__key__", encodeURIComponent(key)), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify({ text: sent, base_version: entry.base })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, ok: r.ok, body: body }; });
    }).then(function (result) {
      inflight[key] = false;
      var error = result.body.error || {};
      if (result.ok) {
        backoff = 0;
        base(key).value = result.body.version;
        if (pending[key] && pending[key].text === sent) {
          delete pending[key];
        } else if (pending[key]) {
          pending[key].base = result.body.version;  // typed on meanwhile: next save builds on this one
          schedule(key, DELAY);
        }
        remember();
        status(key, data.savedText);
      } else if (result.status === 409 && error.code === "section_conflict") {
        showConflict(key, error);
      } else if (result.status === 401) {
        stopped[key] = true;
        status(key, data.signinText, { href: data.signinUrl, text: data.signinLinkText });
      } else if (error.code === "csrf_failed") {
        stopped[key] = true;
        status(key, error.message, { href: window.location.pathname, text: data.reloadText });
      } else if (result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429) {
        // Refused (the plan was submitted, the form expired ...): the text stays in this browser.
        stopped[key] = true;
        status(key, error.message || data.unsavedText);
      } else {
        retry(key);
      }
      if (again[key]) { again[key] = false; schedule(key, 0); }
    }).catch(function () { inflight[key] = false; retry(key); });
  }

  function retry(key) {
    status(key, data.unsavedText);
    backoff = Math.min(backoff ? backoff * 2 : 2000, 30000);
    schedule(key, backoff);
  }

  function showConflict(key, error) {
    conflicts[key] = true;
    var panel = formOf(key).querySelector(".conflict-panel");
    panel.textContent = "";
    var intro = document.createElement("p");
    intro.setAttribute("role", "alert");
    intro.textContent = data.conflictText + (error.current_author ? " (" + error.current_author + ")" : "");
    var theirs = document.createElement("pre");
    theirs.className = "plan-text conflict-theirs";
    theirs.tabIndex = 0;
    theirs.textContent = error.current_text;
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = data.mergeHintText;
    var keep = document.createElement("button");
    keep.type = "button"; keep.className = "button"; keep.textContent = data.keepMineText;
    keep.dataset.action = "keep-mine";
    var use = document.createElement("button");
    use.type = "button"; use.className = "button button-secondary"; use.textContent = data.useTheirsText;
    use.dataset.action = "use-theirs";
    keep.addEventListener("click", function () {
      conflicts[key] = false;
      panel.hidden = true;
      base(key).value = error.current_version;
      pending[key] = { text: area(key).value, base: error.current_version };
      remember();
      send(key);
    });
    use.addEventListener("click", function () {
      conflicts[key] = false;
      panel.hidden = true;
      area(key).value = error.current_text;
      base(key).value = error.current_version;
      delete pending[key];
      remember();
      status(key, data.savedText);
    });
    panel.appendChild(intro);
    panel.appendChild(theirs);
    panel.appendChild(hint);
    panel.appendChild(keep);
    panel.appendChild(document.createTextNode(" "));
    panel.appendChild(use);
    panel.hidden = false;
    status(key, "");
  }

  // Text this browser did not manage to send (closed tab, lost connection, expired session).
  var restored = 0;
  Object.keys(pending).forEach(function (key) {
    var form = formOf(key);
    if (!form) { delete pending[key]; return; }
    if (area(key).value === pending[key].text) { delete pending[key]; return; }
    area(key).value = pending[key].text;
    restored += 1;
    schedule(key, 0);
  });
  remember();
  if (restored) {
    var notice = document.createElement("p");
    notice.className = "notice restored-notice";
    notice.setAttribute("role", "status");
    notice.textContent = data.restoredText;
    root.parentNode.insertBefore(notice, root);
  }

  root.addEventListener("input", function (event) {
    var form = event.target.closest("form.section-form");
    if (!form || event.target.name !== "text") { return; }
    var key = form.dataset.key;
    var entry = pending[key];
    pending[key] = { text: event.target.value, base: entry ? entry.base : Number(base(key).value) };
    remember();
    stopped[key] = false;
    if (!conflicts[key]) { status(key, data.unsavedText); schedule(key, DELAY); }
  });
  root.addEventListener("submit", function (event) {
    // The button saves at once through the same channel, so a conflict shows in place.
    var form = event.target.closest("form.section-form");
    if (!form) { return; }
    event.preventDefault();
    var key = form.dataset.key;
    var entry = pending[key];
    pending[key] = { text: area(key).value, base: entry ? entry.base : Number(base(key).value) };
    remember();
    stopped[key] = false;
    window.clearTimeout(timers[key]);
    send(key);
  });
  window.addEventListener("online", function () { Object.keys(pending).forEach(function (key) { schedule(key, 0); }); });
}());
