// Count this visit: POST to the counter API and show the total it returns.
(function () {
  "use strict";

  var TIMEOUT_MS = 5000;
  var countEl = document.getElementById("visitor-count");
  var statusEl = document.getElementById("visitor-status");

  function show(count) {
    countEl.textContent = count.toLocaleString();
    countEl.setAttribute("aria-busy", "false");
  }

  function fail(message) {
    countEl.textContent = "\u2014";
    countEl.setAttribute("aria-busy", "false");
    statusEl.textContent = message;
  }

  var apiUrl = window.STRATA_API_URL;
  if (typeof apiUrl !== "string" || !/^https?:\/\//.test(apiUrl)) {
    fail("The visitor counter is not configured.");
    return;
  }

  var controller = typeof AbortController === "function" ? new AbortController() : null;
  var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT_MS);

  fetch(apiUrl.replace(/\/+$/, "") + "/count", {
    method: "POST",
    headers: { "Accept": "application/json" },
    signal: controller ? controller.signal : undefined
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      if (typeof data.count !== "number") {
        throw new Error("unexpected answer");
      }
      show(data.count);
    })
    .catch(function () {
      fail("The visitor count is unavailable right now. Please try again later.");
    })
    .finally(function () {
      clearTimeout(timer);
    });
})();
