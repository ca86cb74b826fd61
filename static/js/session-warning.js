// Warns a few minutes before the session ends (progressive enhancement).
// Without JavaScript nothing changes: the next request after the limit simply asks for login.
// The status request does not count as activity on the server, so an abandoned page never keeps
// its session alive; only "Stay logged in" (or any normal page use) does.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.HTMLDialogElement || !("content" in document.createElement("template"))) {
    return;
  }
  var data = script.dataset;
  var warnSeconds = Number(data.warnSeconds);
  var timer = null;
  var ticker = null;
  var dialog = null;

  function secondsLeft(state) {
    return Math.min(state.idle_seconds, state.absolute_seconds);
  }

  function format(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var minutes = Math.floor(s / 60);
    var rest = s % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function hide() {
    clearInterval(ticker);
    if (dialog) {
      if (dialog.open) { dialog.close(); }
      dialog.remove();
      dialog = null;
    }
  }

  function show(state) {
    var limitedByAbsolute = state.absolute_seconds <= state.idle_seconds;
    var deadline = Date.now() + secondsLeft(state) * 1000;
    if (!dialog) {
      var template = document.getElementById("session-warning");
      if (!template) { return; }
      dialog = template.content.firstElementChild.cloneNode(true);
      document.body.appendChild(dialog);
      dialog.querySelector("form[data-keep-alive]").addEventListener("submit", keepAlive);
      dialog.showModal();
    }
    dialog.querySelector('[data-when="idle"]').hidden = limitedByAbsolute;
    dialog.querySelector('[data-when="absolute"]').hidden = !limitedByAbsolute;
    dialog.querySelector("form[data-keep-alive]").hidden = limitedByAbsolute;
    var countdown = dialog.querySelector("[data-countdown]");
    clearInterval(ticker);
    var tick = function () { countdown.textContent = format((deadline - Date.now()) / 1000); };
    tick();
    ticker = setInterval(tick, 1000);
  }

  function loggedOut() {
    hide();
    window.location.assign(data.loggedOutUrl);
  }

  function plan(state) {
    clearTimeout(timer);
    if (!state || state.authenticated !== true) { loggedOut(); return; }
    var left = secondsLeft(state);
    if (left > warnSeconds) {
      hide();
      timer = setTimeout(check, (left - warnSeconds) * 1000);
    } else {
      show(state);
      // Ask again when the time is up (or sooner, in case another tab was used meanwhile).
      timer = setTimeout(check, Math.max(1, Math.min(left + 1, 30)) * 1000);
    }
  }

  function answer(response) {
    var type = response.headers.get("Content-Type") || "";
    return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
  }

  function check() {
    fetch(data.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(answer)
      .then(plan)
      .catch(function () { timer = setTimeout(check, 30000); });
  }

  function keepAlive(event) {
    var form = event.target;
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(answer)
      .then(plan)
      .catch(check);
  }

  plan({
    authenticated: true,
    idle_seconds: Number(data.idleSeconds),
    absolute_seconds: Number(data.absoluteSeconds)
  });
})();
