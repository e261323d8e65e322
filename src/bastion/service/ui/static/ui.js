// Bastion review UI: keyboard shortcuts, the reveal countdown, hiding a reveal when the tab is
// left, dismissible prompts. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-rows] a.row-link"));
  }

  function moveRow(step) {
    var links = rows();
    if (!links.length) return false;
    var i = links.indexOf(document.activeElement);
    var next = i < 0 ? 0 : Math.min(links.length - 1, Math.max(0, i + step));
    links[next].focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      if (event.key === "Escape" && typing(event.target)) event.target.blur();
      return;
    }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "Escape") key = "h";
    var focusTarget = document.querySelector('[data-focus-key="' + key + '"]');
    if (focusTarget) {
      event.preventDefault();
      focusTarget.focus();
      return;
    }
    var target = document.querySelector('[data-shortcut="' + key + '"]:not([disabled])');
    if (target) {
      event.preventDefault();
      target.click();
      return;
    }
    if ((key === "j" || key === "k") && moveRow(key === "j" ? 1 : -1)) event.preventDefault();
  });

  function startCountdowns(root) {
    var bars = (root || document).querySelectorAll(".countdown[data-seconds]");
    bars.forEach(function (bar) {
      var fill = bar.querySelector("span");
      if (!fill) return;
      fill.style.animationDuration = parseFloat(bar.getAttribute("data-seconds")) + "s";
      fill.classList.add("running");
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    startCountdowns(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns(document);
  });

  // A revealed item is hidden as soon as the reviewer leaves the tab.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      var hide = document.querySelector("[data-reveal-hide]");
      if (hide) hide.click();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss]");
    if (button) {
      var box = document.getElementById(button.getAttribute("data-dismiss"));
      if (box) box.replaceChildren();
    }
  });

  document.addEventListener("contextmenu", function (event) {
    if (event.target.closest && event.target.closest(".evidence img")) event.preventDefault();
  });
})();
