// piguard console: the only script. Sends an idle browser to the login page when its session
// has expired server-side, and stops double submissions. No network calls, no eval.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle") || "0", 10);
  if (idle > 0) {
    var timer = null;
    var arm = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { window.location.assign(body.getAttribute("data-login")); }, (idle + 5) * 1000);
    };
    // Only navigation touches the server session, so only page loads re-arm the timer.
    arm();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
})();
