// Keyboard triage for the moderation queue and tip pages. Everything it does is also a
// link or a button on the page: the script only adds one-key shortcuts for surge days.
(function () {
  "use strict";

  var submitting = false;

  function typingIn(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input") {
      // A focused checkbox or button takes no text: shortcuts still work there.
      var type = (target.getAttribute("type") || "text").toLowerCase();
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) === -1;
    }
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function tipLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-tip-link]"));
  }

  function moveInQueue(step) {
    var links = tipLinks();
    if (!links.length) return false;
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    if (next < 0 || next >= links.length) return true;
    links[next].focus();
    links[next].closest("tr").scrollIntoView({ block: "nearest" });
    return true;
  }

  function toggleRow() {
    var row = document.activeElement && document.activeElement.closest("[data-tip-row]");
    if (!row) return false;
    var box = row.querySelector("input[type=checkbox]");
    box.checked = !box.checked;
    return true;
  }

  function press(key) {
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return false;
    if (target.tagName.toLowerCase() === "button") {
      if (submitting) return true;
      submitting = true;
    }
    target.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    var key = event.key;
    var handled = false;
    if ((key === "j" || key === "k") && tipLinks().length) {
      handled = moveInQueue(key === "j" ? 1 : -1);
    } else if (key === " " && tipLinks().length) {
      handled = toggleRow();
    } else if (key === "n" && document.getElementById("note")) {
      document.getElementById("note").focus();
      handled = true;
    } else if (key === "q") {
      var back = document.querySelector(".back-link");
      if (back) { back.click(); handled = true; }
    } else if (key.length === 1) {
      handled = press(key);
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("submit", function (event) {
    // One submission per form: a double key press or click must not send a change twice.
    var form = event.target;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  var all = document.getElementById("select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("[data-tip-row] input[type=checkbox]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
})();
