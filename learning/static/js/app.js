// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // On narrow screens the header's links fold behind a Menu button (CSS decides the width).
    var toggle = document.querySelector(".menu-toggle");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (menu) {
      var setOpen = function (open) {
        toggle.setAttribute("aria-expanded", String(open));
        menu.classList.toggle("is-open", open);
      };
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        setOpen(toggle.getAttribute("aria-expanded") !== "true");
      });
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.classList.contains("is-open")) {
          setOpen(false);
          toggle.focus();
        }
      });
    }
    // Pre-select the browser's own time zone on a form still showing the default.
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
    document.querySelectorAll("select[data-guess-timezone]").forEach(function (select) {
      if (zone && select.value === "UTC" && select.querySelector('option[value="' + zone + '"]')) {
        select.value = zone;
      }
    });
    // Move focus to a form's error summary so screen readers announce it.
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
      // A link in the summary takes focus to its field (a fragment link alone only scrolls),
      // keeping the field's label in view.
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        var target = link && document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        var control = target.matches("input, select, textarea, button") ? target
          : target.querySelector("input, select, textarea, button");
        if (!control) { return; }
        event.preventDefault();
        (control.closest(".field") || control).scrollIntoView({ block: "start" });
        control.focus({ preventScroll: true });
      });
    }
  });
})();
