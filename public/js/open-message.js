// /open-message: opens a passphrase-locked OpenPGP message in the browser. Nothing typed or
// chosen here is sent anywhere: the only request is a GET of the desk's public key, to check
// the signature. The rules for the passphrase are those of the desk (passphrase-rules.js).
import * as openpgp from "/vendor/openpgp.min.mjs";
import { normalisePassphrase } from "/js/passphrase-rules.js";

const ARMOURED = /-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*?-----END PGP MESSAGE-----/g;
const PASSWORD_LINE = /^\s*Temporary password:\s*(\S+)\s*$/m;

const $ = (id) => document.getElementById(id);
const form = $("open-form");
const messageBox = $("open-message-text");
const fileInput = $("open-message-file");
const passphraseInput = $("open-passphrase");
const alertBox = $("open-problem");
const opened = $("opened");

// Fetched once, with no cookie and nothing of the message: the key every desk mail is signed with.
const deskKey = fetch("/pgp-key.asc", { credentials: "omit", cache: "no-store" })
  .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`status ${res.status}`))))
  .then((armoredKey) => openpgp.readKey({ armoredKey }));
deskKey.catch(() => {});

form.hidden = false;

/** The last armoured message in a text: in a saved mail, the attachment comes after the quoted-printable copy. */
function lastArmouredBlock(text) {
  const blocks = text.match(ARMOURED);
  return blocks ? blocks[blocks.length - 1] : null;
}

function showProblem(input, text) {
  const problem = $(`${input.id}-problem`);
  problem.textContent = text;
  problem.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.closest(".field").classList.add("has-problem");
}

function clearProblems() {
  alertBox.hidden = true;
  alertBox.textContent = "";
  for (const input of [messageBox, passphraseInput]) {
    $(`${input.id}-problem`).hidden = true;
    input.removeAttribute("aria-invalid");
    input.closest(".field").classList.remove("has-problem");
  }
}

function alertWith(text) {
  alertBox.textContent = text;
  alertBox.hidden = false;
  alertBox.scrollIntoView({ block: "nearest" });
}

fileInput.addEventListener("change", async () => {
  clearProblems();
  const file = fileInput.files[0];
  if (!file) return;
  const block = lastArmouredBlock(await file.text());
  if (block) messageBox.value = block;
  else showProblem(messageBox, `There is no locked message in ${file.name}: choose the attachment vouchdesk-message.asc or the mail saved as a file.`);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearProblems();
  opened.hidden = true;
  const armoredMessage = lastArmouredBlock(messageBox.value);
  const passphrase = normalisePassphrase(passphraseInput.value);
  if (!armoredMessage) showProblem(messageBox, "Paste the locked message, from the line BEGIN PGP MESSAGE to the line END PGP MESSAGE, or choose the file.");
  if (!passphrase.ok) showProblem(passphraseInput, passphrase.problem);
  if (!armoredMessage || !passphrase.ok) return (armoredMessage ? passphraseInput : messageBox).focus();

  let message;
  try {
    message = await openpgp.readMessage({ armoredMessage });
  } catch {
    return alertWith("This locked message is damaged or incomplete. Copy it again, every line from BEGIN PGP MESSAGE to END PGP MESSAGE, or choose the attached file instead.");
  }
  let verificationKeys;
  try {
    verificationKeys = await deskKey;
  } catch {
    return alertWith("The desk's key, which checks the message's signature, could not be loaded. Reload the page and try again.");
  }
  let result;
  try {
    result = await openpgp.decrypt({ message, passwords: [passphrase.passphrase], verificationKeys });
  } catch {
    return alertWith("That passphrase does not open this message. Check it against what you wrote down on the phone call; if it still fails, contact support.");
  }
  try {
    await result.signatures[0].verified;
  } catch {
    return alertWith("This message is not signed by this desk, so it cannot be trusted: do not use what it says, and contact support.");
  }
  const password = PASSWORD_LINE.exec(result.data);
  if (!password) return alertWith("This message opened, but it holds no temporary password. Contact support.");
  $("opened-password").value = password[1];
  $("opened-text").textContent = result.data;
  $("opened-signature").textContent = `Signed by this desk (key ${verificationKeys.getFingerprint().toUpperCase().replace(/(.{4})(?=.)/g, "$1 ")}).`;
  $("copy-status").textContent = "";
  passphraseInput.value = "";
  opened.hidden = false;
  opened.focus();
});

$("copy-password").addEventListener("click", async () => {
  const field = $("opened-password");
  try {
    await navigator.clipboard.writeText(field.value);
    $("copy-status").textContent = "Copied.";
  } catch {
    field.select();
    $("copy-status").textContent = "Selected: copy it with your keyboard or menu.";
  }
});
