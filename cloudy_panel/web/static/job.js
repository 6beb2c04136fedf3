// A job's page: poll its state and log tail until it is done or failed.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var state = document.getElementById("job-state");
  var names = document.getElementById("job-state-names").dataset;

  function poll() {
    fetch(log.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.setAttribute("data-state", data.state);
        state.textContent = names[data.state] || data.state;
        log.textContent = data.log_tail.join("\n");
        if (data.state === "running") { setTimeout(poll, 2000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (state.getAttribute("data-state") === "running") { setTimeout(poll, 1000); }
})();
