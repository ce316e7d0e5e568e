// Antenna page on a flaky connection: an observation that cannot be sent is kept in this
// browser and resent when the connection returns. Each carries the id drawn with its form, so a
// resend that did arrive earlier is stored once by the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-queue]");
  if (!form || !window.fetch || !window.localStorage) return;
  var KEY = "palermo-exercise-observations";
  var status = document.getElementById("queue-status");

  function load(name) {
    try { return JSON.parse(localStorage.getItem(name) || "[]"); } catch (e) { return []; }
  }
  function save(name, items) { localStorage.setItem(name, JSON.stringify(items)); }
  function show() {
    var waiting = load(KEY).length, refused = load(KEY + "-refused").length, parts = [];
    if (waiting) parts.push(form.dataset.waiting.replace("{n}", waiting));
    if (refused) parts.push(form.dataset.refused.replace("{n}", refused));
    status.textContent = parts.join(" ");
    status.hidden = parts.length === 0;
  }
  function post(entries) {
    return fetch(form.action, {
      method: "POST", body: new URLSearchParams(entries), credentials: "same-origin", redirect: "manual"
    });
  }
  function stored(r) { return r.type === "opaqueredirect" || (r.status >= 200 && r.status < 400); }
  function newId() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  var sending = false;
  function flush() {
    var items = load(KEY);
    if (sending || !items.length) { show(); return; }
    sending = true;
    var item = items[0];
    post(item).then(function (r) {
      var rest = load(KEY).slice(1);
      if (!stored(r)) { var bad = load(KEY + "-refused"); bad.push(item); save(KEY + "-refused", bad); }
      save(KEY, rest);
      sending = false;
      flush();
    }, function () { sending = false; show(); });
  }

  form.addEventListener("submit", function (ev) {
    if (form.dataset.native) return;
    ev.preventDefault();
    var entries = Array.from(new FormData(form).entries());
    post(entries).then(function (r) {
      if (stored(r)) { window.location.assign(form.action); return; }
      form.dataset.native = "1";  // the server's answer (errors next to the fields): same id, stored once
      form.submit();
    }, function () {
      var items = load(KEY); items.push(entries); save(KEY, items);
      form.reset();
      form.querySelector("input[name=client_id]").value = newId();
      show();
    });
  });
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  flush();
})();
