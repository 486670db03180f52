import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { browser } from "../support/http.js";
import { useTestApp } from "../support/use-test-app.js";
import { groupFingerprint } from "../../src/shared/formatting.js";
import { projectRoot } from "../../src/shared/paths.js";

/** The page's markup of form controls: what a browser without the script could submit. */
const controls = (html: string) => html.match(/<(input|textarea|select|button)\b[^>]*>/g) ?? [];

describe("/open-message (the key-less holder opens the locked mail)", () => {
  const t = useTestApp({ once: true });

  it("is public, keeps the strict CSP, and runs only the desk's own scripts", async () => {
    const res = await browser(t.app).get("/open-message").expect(200);
    expect(res.headers["content-security-policy"]).to.include("script-src 'self';");
    expect(res.text).to.include("<h1 id=\"open-heading\">Open a locked message</h1>");
    expect(res.text).to.not.match(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(res.text).to.include('<script type="module" src="/js/open-message.js"></script>');
  });

  it("has no field the server could receive: no name on any control, no form that posts", async () => {
    const { text } = await browser(t.app).get("/open-message").expect(200);
    const page = text.slice(text.indexOf("<main"));
    expect(controls(page)).to.have.length.greaterThan(3);
    for (const control of controls(page)) expect(control, "a control without a name").to.not.match(/\sname=/);
    expect(page).to.not.match(/method="post"/i);
    // Labels for every field the script uses.
    for (const id of ["open-message-text", "open-message-file", "open-passphrase", "opened-password"]) expect(page).to.include(`<label for="${id}">`);
  });

  it("says, without JavaScript, how to open the message with GnuPG, with the desk key's fingerprint", async () => {
    const { text } = await browser(t.app).get("/open-message").expect(200);
    expect(text).to.match(/<noscript>[\s\S]*open the\s+message with GnuPG[\s\S]*<\/noscript>/);
    expect(text).to.include("<code>gpg --decrypt vouchdesk-message.asc</code>");
    expect(text).to.include('<a href="/pgp-key.asc">');
    expect(text).to.include(groupFingerprint(t.mailer.deskKey.fingerprint));
    // The form is hidden until its script shows it: without JavaScript there is nothing to press.
    expect(text).to.include('<form id="open-form" novalidate hidden>');
  });

  it("serves openpgp.js's browser build and the page's scripts from the desk, as JavaScript", async () => {
    const openpgp = await browser(t.app).get("/vendor/openpgp.min.mjs").expect(200).expect("content-type", /^text\/javascript/);
    expect(openpgp.text).to.equal(readFileSync(path.join(projectRoot, "node_modules", "openpgp", "dist", "openpgp.min.mjs"), "utf8"));
    expect(openpgp.headers["set-cookie"], "an asset starts no session").to.equal(undefined);
    for (const script of ["/js/open-message.js", "/js/passphrase-rules.js"]) await browser(t.app).get(script).expect(200).expect("content-type", /javascript/);
  });
});
