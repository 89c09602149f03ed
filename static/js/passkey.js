// Citizens' passkeys: adding one on the account page (#passkey-add) and
// using one as the second sign-in step (#passkey-use). Each button names
// its ceremony's endpoints in data-begin and data-finish. The server sends
// WebAuthn options as JSON with base64url binaries; the answers go back the
// same way, with the page's CSRF token in a header. (The staff console's
// staff-passkey.js does the same on its own paths.)
(function () {
  "use strict";
  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var el = document.querySelector('input[name="csrf_token"]');
    return el ? el.value : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          if (j.redirect) window.location = j.redirect;
          throw new Error("HTTP " + r.status);
        }
        return j;
      });
    });
  }
  function fail(el) {
    var msg = document.getElementById("passkey-error");
    if (msg) msg.hidden = false;
    if (el) el.disabled = false;
  }
  var add = document.getElementById("passkey-add");
  if (add) add.addEventListener("click", function () {
    add.disabled = true;
    post(add.dataset.begin).then(function (o) {
      var pk = o.publicKey;
      pk.challenge = b64uToBuf(pk.challenge);
      pk.user.id = b64uToBuf(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (c) {
      var name = document.getElementById("passkey-name");
      return post(add.dataset.finish, {
        name: name ? name.value : "",
        credential: {
          id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
          response: {
            clientDataJSON: bufToB64u(c.response.clientDataJSON),
            attestationObject: bufToB64u(c.response.attestationObject),
            transports: c.response.getTransports ? c.response.getTransports() : []
          }
        }
      });
    }).then(function (r) { window.location = r.redirect; }).catch(function () { fail(add); });
  });
  var use = document.getElementById("passkey-use");
  if (use) use.addEventListener("click", function () {
    use.disabled = true;
    post(use.dataset.begin).then(function (o) {
      var pk = o.publicKey;
      pk.challenge = b64uToBuf(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (c) {
      return post(use.dataset.finish, {
        id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
        response: {
          clientDataJSON: bufToB64u(c.response.clientDataJSON),
          authenticatorData: bufToB64u(c.response.authenticatorData),
          signature: bufToB64u(c.response.signature),
          userHandle: c.response.userHandle ? bufToB64u(c.response.userHandle) : null
        }
      });
    }).then(function (r) { window.location = r.redirect; }).catch(function () { fail(use); });
  });
})();
