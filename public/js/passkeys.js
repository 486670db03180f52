// The browser half of passkeys (WebAuthn), for every form marked data-passkey: on submit it asks
// the form's data-passkey-options address for the ceremony's options (the challenge is issued
// then, and kept in the session), runs the ceremony with @simplewebauthn/browser (loaded before
// this file, from the desk itself), puts the answer in the form's `credential` field and sends the
// form as any other, so the server checks it and answers with a page. No inline script (CSP).
"use strict";

(function () {
  const lib = window.SimpleWebAuthnBrowser;
  const forms = document.querySelectorAll("form[data-passkey]");

  /** What the person is told when the browser's side of the ceremony fails (nothing was sent). */
  function explain(err, registering) {
    switch (err && err.name) {
      case "NotAllowedError":
      case "AbortError":
        return "The passkey prompt was closed or timed out. Nothing was sent. Try again" + (registering ? "." : ", or type a code.");
      case "InvalidStateError":
        return "This authenticator already holds a passkey of your login: it is in the list above.";
      case "SecurityError":
        return "This browser refused passkeys at this address. Open the desk at its own address (" + location.origin + " may not be it) and try again.";
      default:
        return (err && err.message) || "The passkey could not be used. Try again.";
    }
  }

  function say(form, text) {
    const status = form.querySelector("[data-passkey-status]");
    status.textContent = text;
    status.hidden = false;
  }

  async function options(form) {
    const body = new URLSearchParams({ _csrf: form.elements._csrf.value });
    const res = await fetch(form.dataset.passkeyOptions, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
    const json = await res.json().catch(() => ({ error: "The desk did not answer as expected. Reload the page and try again." }));
    if (json.stepUp) {
      // A fresh second-factor check comes first; that page sends the person back here.
      location.assign(json.stepUp);
      return null;
    }
    if (!res.ok) throw new Error(json.error || "The desk refused the passkey request.");
    return json;
  }

  async function run(form) {
    const registering = form.dataset.passkey === "register";
    const button = form.querySelector("button[type=submit]");
    if (registering && !form.elements.name.value.trim()) {
      say(form, "Give the passkey a name first, so you can tell it from others.");
      form.elements.name.focus();
      return;
    }
    button.disabled = true;
    try {
      const optionsJSON = await options(form);
      if (!optionsJSON) return;
      const answer = registering ? await lib.startRegistration({ optionsJSON }) : await lib.startAuthentication({ optionsJSON });
      form.elements.credential.value = JSON.stringify(answer);
      form.submit();
    } catch (err) {
      say(form, explain(err, registering));
      button.disabled = false;
    }
  }

  for (const form of forms) {
    if (!lib || !lib.browserSupportsWebAuthn()) {
      form.insertAdjacentHTML("afterend", '<p class="muted small">This browser cannot use passkeys. Use a code from your authenticator app instead.</p>');
      continue;
    }
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void run(form);
    });
  }
})();
