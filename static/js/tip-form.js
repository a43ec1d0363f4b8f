// Progressive enhancement for the tip form: the form works without this file.
// It reveals the contact fields only when wanted, checks chosen files before a long upload,
// and ignores a second click while the first submission is being sent.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  // After a failed submission, take keyboard and screen-reader users straight to what went wrong.
  var problem = document.querySelector(".error-summary, #tip-notice");
  if (problem) {
    problem.focus();
  }

  function showFileError(form, input, message) {
    var group = input.closest(".form-group");
    var error = form.querySelector("#attachments-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "error-message";
      error.id = "attachments-error";
      input.parentNode.insertBefore(error, input);
    }
    error.textContent = "Error: " + message;
    group.classList.add("form-group--error");
    input.setAttribute("aria-describedby", "attachments-hint attachments-error");
    input.focus();
  }

  function fileProblem(form, input) {
    var files = input.files ? Array.prototype.slice.call(input.files) : [];
    var maxFiles = Number(form.dataset.maxFiles);
    var maxFile = Number(form.dataset.maxFileMb) * 1024 * 1024;
    var maxTotal = Number(form.dataset.maxTotalMb) * 1024 * 1024;
    if (files.length > maxFiles) {
      return "Choose at most " + maxFiles + " files.";
    }
    var total = 0;
    for (var i = 0; i < files.length; i += 1) {
      total += files[i].size;
      if (files[i].size > maxFile) {
        return files[i].name + " is larger than " + form.dataset.maxFileMb + " MB. Choose a smaller file.";
      }
    }
    if (total > maxTotal) {
      return "The files add up to more than " + form.dataset.maxTotalMb + " MB. Choose fewer or smaller files.";
    }
    return null;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.tip-form"), function (form) {
    var yes = form.querySelector("#contact_ok-yes");
    var details = form.querySelector("#contact-details");
    if (yes && details) {
      var sync = function () {
        details.classList.toggle("radios__conditional--hidden", !yes.checked);
      };
      Array.prototype.forEach.call(form.querySelectorAll("input[name=contact_ok]"), function (radio) {
        radio.addEventListener("change", sync);
      });
      sync();
    }
    var input = form.querySelector("#attachments");
    var sending = false;
    form.addEventListener("submit", function (event) {
      var problem = input ? fileProblem(form, input) : null;
      if (problem) {
        event.preventDefault();
        showFileError(form, input, problem);
        return;
      }
      if (sending) {
        event.preventDefault();
        return;
      }
      sending = true;
      // Allow a deliberate retry if the network stalls.
      window.setTimeout(function () { sending = false; }, 10000);
    });
  });
})();
