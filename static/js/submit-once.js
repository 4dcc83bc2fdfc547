// Forms marked data-submit-once (issuing a document, sending convocations) are sent once:
// a second click while the first request runs would issue a second document. The button
// says what is happening; the page that answers replaces this one.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) {
      return;
    }
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    form.setAttribute("aria-busy", "true");
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-disabled", "true");
      if (button.dataset.busyLabel) {
        button.textContent = button.dataset.busyLabel;
      }
    }
  });
})();
