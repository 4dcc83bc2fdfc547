/* Progress of a long job (templates/includes/job_progress.html).
 *
 * Polls the JSON address in data-job-progress (formations:job_progress) every two seconds
 * and updates the bar and the sentence, until the server says the job is finished (or
 * stalled); then shows the link to its result, if it has one (result_url), and the link
 * that reads the page again, if the page gave one (data-job-refresh). The sentence
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
    var refresh = root.querySelector("[data-job-refresh]");

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
        var more = result.querySelector("[data-job-result-more]");
        if (more && state.result_more_url) {
          more.href = state.result_more_url;
          more.textContent = state.result_more_label;
          more.hidden = false;
        }
        var note = root.querySelector("[data-job-result-note]");
        if (note && state.result_note) {
          note.textContent = state.result_note;
          note.hidden = false;
        }
      }
      // Once finished, the link that reads the page again (its counts have changed).
      if (refresh && state.finished) refresh.hidden = false;
    }

    // The page's own address, hash included: following it would only scroll, so the
    // link reads the page again.
    if (refresh) {
      refresh.querySelector("a").addEventListener("click", function (event) {
        event.preventDefault();
        window.location.reload();
      });
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
