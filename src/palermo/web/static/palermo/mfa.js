// Passkeys (WebAuthn) for two-step sign-in. The server makes and checks every
// challenge (py_webauthn); this script only hands them to the browser's
// navigator.credentials API and posts the answer back. No third-party code.
(function () {
  "use strict";
  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Content-Type": "application/json"},
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.error || data.detail || String(r.status)); }
        return data;
      });
    });
  }
  function showError(box, err) {
    var p = box.querySelector("[data-passkey-error]");
    if (p) { p.textContent = err && err.message ? err.message : String(err); p.hidden = false; }
  }
  function descriptors(list) {
    return (list || []).map(function (c) { return {type: c.type, id: b64urlToBuf(c.id), transports: c.transports}; });
  }
  function register(box) {
    post(box.dataset.optionsUrl).then(function (o) {
      o.challenge = b64urlToBuf(o.challenge);
      o.user.id = b64urlToBuf(o.user.id);
      o.excludeCredentials = descriptors(o.excludeCredentials);
      return navigator.credentials.create({publicKey: o});
    }).then(function (cred) {
      var nameInput = box.querySelector("[data-passkey-name]");
      return post(box.dataset.registerUrl, {
        name: nameInput ? nameInput.value : "",
        credential: {
          id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: bufToB64url(cred.response.clientDataJSON),
            attestationObject: bufToB64url(cred.response.attestationObject),
            transports: cred.response.getTransports ? cred.response.getTransports() : []
          },
          clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
        }
      });
    }).then(function (data) { window.location.assign(data.redirect); })
      .catch(function (err) { showError(box, err); });
  }
  function authenticate(box) {
    post(box.dataset.optionsUrl).then(function (o) {
      o.challenge = b64urlToBuf(o.challenge);
      o.allowCredentials = descriptors(o.allowCredentials);
      return navigator.credentials.get({publicKey: o});
    }).then(function (cred) {
      var r = cred.response;
      return post(box.dataset.verifyUrl, {
        id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
        response: {
          clientDataJSON: bufToB64url(r.clientDataJSON),
          authenticatorData: bufToB64url(r.authenticatorData),
          signature: bufToB64url(r.signature),
          userHandle: r.userHandle ? bufToB64url(r.userHandle) : null
        },
        clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
      });
    }).then(function (data) { window.location.assign(data.redirect); })
      .catch(function (err) { showError(box, err); });
  }
  document.addEventListener("click", function (event) {
    var start = event.target.closest && event.target.closest("[data-passkey-start]");
    if (!start) { return; }
    if (!window.PublicKeyCredential) {
      showError(start.parentNode, new Error(start.parentNode.dataset.unsupported || "WebAuthn is not available in this browser."));
      return;
    }
    var reg = start.closest("[data-passkey-register]");
    if (reg) { register(reg); return; }
    var login = start.closest("[data-passkey-login]");
    if (login) { authenticate(login); }
  });
})();
