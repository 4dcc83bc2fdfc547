/* Progress of a long job (templates/includes/job_progress.html).
 *
 * Polls the JSON address in data-job-progress (formations:job_progress) every two seconds
 * and updates the bar and the sentence, until the server says the job is finished (or
 * stalled); then shows the link to its result, if it has one (result_url). The sentence
 * is in an aria-live region: a screen reader hears the progress.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 2000;

  function follow(root) {
    var url = root.getAttribute("data-job-progress");
    var bar = root.querySelector("[data-job-bar]");
    var summary = root.querySelector("[data-job-summary]");
    var result = root.querySelector("[data-job-result]");

    function show(state) {
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      bar.textContent = state.percent + " %";
      summary.textContent = state.summary;
      // Once finished, the link to what the job produced (a ZIP of the documents…).
      if (result && state.result_url) {
        var link = result.querySelector("[data-job-result-link]");
        link.href = state.result_url;
        link.textContent = state.result_label;
        result.hidden = false;
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (state) {
          show(state);
          if (!state.finished) window.setTimeout(poll, INTERVAL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, INTERVAL_MS * 3);
        });
    }

    window.setTimeout(poll, INTERVAL_MS);
  }

  function start() {
    var roots = document.querySelectorAll("[data-job-progress]");
    for (var i = 0; i < roots.length; i++) {
      if (roots[i].getAttribute("data-job-started")) continue;
      roots[i].setAttribute("data-job-started", "1");
      follow(roots[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
