// The worker's HIT: autosave answers and send the behaviour log. Pages work without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var eventsUrl = form.dataset.eventsUrl;
  var position = form.dataset.position === undefined ? null : parseInt(form.dataset.position, 10);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var status = form.querySelector(".saved");
  var queue = [];

  function log(kind, payload) {
    queue.push({ kind: kind, ts: Date.now(), position: position, payload: payload || {} });
    if (queue.length >= 50) flush(false);
  }

  function flush(leaving) {
    if (!queue.length || !eventsUrl) return;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("events", JSON.stringify(queue.splice(0, 200)));
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(eventsUrl, body);
    } else {
      fetch(eventsUrl, { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
    }
  }

  // One save carries every change of the last few seconds: each save is a locked write on the
  // server, and saving after every click would multiply the load of a crowd of workers.
  var SAVE_DELAY_MS = 5000;
  var timer = null;
  function save(leaving) {
    clearTimeout(timer);
    timer = null;
    var body = new FormData(form);
    body.set("action", "autosave");
    // form.action would be the buttons named "action": post to the page itself.
    if (leaving && navigator.sendBeacon) {
      navigator.sendBeacon(window.location.href, body);
      return;
    }
    fetch(window.location.href, {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (status) status.textContent = response.ok ? "Your answers are saved." : "Not saved yet: please check this page.";
    }).catch(function () {
      if (status) status.textContent = "Offline: your answers will be saved when you press Next.";
    });
  }
  function autosave() {
    if (timer === null) timer = setTimeout(save, SAVE_DELAY_MS);
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.name || target.name === "attempt") return;
    log("answer_change", { name: target.name, value: target.type === "radio" ? target.value : String(target.value).length });
    autosave();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") autosave();
  });
  // Next and Back post every answer themselves: drop the pending save, which could arrive later.
  form.addEventListener("submit", function () { clearTimeout(timer); timer = null; });

  log("page_view", { path: window.location.pathname });
  window.addEventListener("focus", function () { log("focus"); });
  window.addEventListener("blur", function () { log("blur"); });
  document.addEventListener("visibilitychange", function () {
    log("visibility", { state: document.visibilityState });
    if (document.visibilityState === "hidden") flush(true);
  });
  // Leaving without Next or Back (closing, reloading): send the changes not saved yet.
  window.addEventListener("pagehide", function () {
    log("page_leave");
    if (timer !== null) save(true);
    flush(true);
  });
  // Events carry their own browser time and leaving the page sends the rest, so a slow flush
  // loses nothing; a fast one was the most frequent request of a whole HIT.
  setInterval(function () { flush(false); }, 30000);

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
