// The grade QC screen, keyboard first: c confirms, x goes to the reason (Ctrl+Enter there
// corrects), n opens the next grade. The buttons post the verdict form (by htmx when loaded,
// as a plain form otherwise), so every key only does what a click would.
(function () {
  "use strict";

  function click(selector) {
    var element = document.querySelector(selector);
    if (element) {
      element.click();
    }
    return Boolean(element);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT");
    if (typing) {
      if (target.name === "reason" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        click('#verdict-form button[value="corrected"]');
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var done = false;
    if (event.key === "c") {
      done = click('#verdict-form button[value="confirmed"]');
    } else if (event.key === "x") {
      var reason = document.querySelector('#verdict-form textarea[name="reason"]');
      if (reason) {
        reason.focus();
        done = true;
      }
    } else if (event.key === "n") {
      done = click("#next-check");
    }
    if (done) {
      event.preventDefault();
    }
  });
})();
