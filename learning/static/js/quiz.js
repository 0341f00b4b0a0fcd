// Quiz attempt: save each answer as it changes, keep unsent answers in localStorage and retry,
// show the time left. Without JavaScript the form's buttons save and submit all answers.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form || !window.fetch) { return; }
  var baseUrl = form.dataset.saveUrl.replace(/\/0$/, "/");
  var csrf = form.dataset.csrf;
  var storeKey = "capacity:attempt:" + baseUrl;
  var pending = {};
  try { pending = JSON.parse(window.localStorage.getItem(storeKey)) || {}; } catch (e) { pending = {}; }
  var backoff = 0;

  function remember() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function responseOf(question) {
    var type = question.dataset.type;
    var slot = question.dataset.slot;
    var name = "q" + slot;
    if (type === "multiple") {
      return Array.prototype.map.call(question.querySelectorAll("input[name='" + name + "']:checked"), function (el) { return el.value; });
    }
    if (type === "matching") {
      var result = {};
      question.querySelectorAll("select").forEach(function (select) {
        var label = question.querySelector("label[for='" + select.id + "']");
        if (label && select.value) { result[label.textContent.trim()] = select.value; }
      });
      return result;
    }
    var checked = question.querySelector("input[name='" + name + "']:checked");
    if (checked) { return checked.value; }
    var field = question.querySelector("[name='" + name + "']:not([type=radio])");
    return field ? field.value : null;
  }

  function status(slot, text) {
    var el = form.querySelector("[data-slot='" + slot + "'] .save-status");
    if (el) { el.textContent = text; }
  }

  function send(slot) {
    var response = pending[slot];
    fetch(baseUrl + slot, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ response: response })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, ok: r.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) {
        if (JSON.stringify(pending[slot]) === JSON.stringify(response)) { delete pending[slot]; remember(); }
        backoff = 0;
        status(slot, form.dataset.savedText);
      } else if (result.status === 409) {
        // Time is up or the attempt was submitted elsewhere: the server decides; show why.
        delete pending[slot]; remember();
        window.location.reload();
      } else if (result.status === 422 || result.status === 400) {
        delete pending[slot]; remember();
        status(slot, (result.body.error && result.body.error.message) || "");
      } else {
        retry();
      }
    }).catch(retry);
  }

  function retry() {
    Object.keys(pending).forEach(function (slot) { status(slot, form.dataset.unsavedText); });
    backoff = Math.min(backoff ? backoff * 2 : 2000, 30000);
    window.setTimeout(flush, backoff);
  }

  function flush() { Object.keys(pending).forEach(send); }

  var timers = {};
  form.addEventListener("input", function (event) {
    var question = event.target.closest(".question[data-slot]");
    if (!question) { return; }
    var slot = question.dataset.slot;
    pending[slot] = responseOf(question);
    remember();
    window.clearTimeout(timers[slot]);
    // Typing is saved a moment after it stops; a click is saved at once.
    timers[slot] = window.setTimeout(function () { send(slot); }, event.target.type === "text" || event.target.tagName === "TEXTAREA" ? 800 : 0);
  });
  form.addEventListener("submit", function () { try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignore */ } });
  window.addEventListener("online", flush);
  flush();

  var timer = document.getElementById("quiz-timer");
  if (timer && timer.dataset.deadline) {
    var deadline = Date.parse(timer.dataset.deadline);
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      timer.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      timer.setAttribute("aria-label", minutes + " min " + seconds + " s");
      if (left === 60) { timer.setAttribute("aria-live", "assertive"); }
      if (left <= 0) {
        window.clearInterval(handle);
        var submit = form.querySelector("button[name=submit]");
        if (submit) { submit.click(); }
      }
    };
    var handle = window.setInterval(tick, 1000);
    tick();
  }
}());
