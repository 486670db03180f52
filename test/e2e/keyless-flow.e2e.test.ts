/**
 * The key-less primary reset through the real pages, in Debian's Chromium (issue 14): ACM0001 has
 * no key; alice calls the holder back and her page shows the passphrase to read out; bob
 * approves; the holder takes the locked message from the mail the SMTP server got, opens it on
 * /open-message with that passphrase (no request carries it), signs in with the temporary
 * password and is forced to change it. A wrong passphrase is refused on the page.
 */
import { mkdirSync, rmSync } from "node:fs";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { newDeliveryPassphrase } from "../../src/resets/delivery-passphrase.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { lockedMailFrom, openRequest, removeDemoKey } from "../resets/helpers.js";
import { launchChromium, loopbackServer, mainHeading, screenshot, screenshotDir, signInWithForm, submitForm, visit, expectAccessible } from "./browser.js";
import type { Row } from "../support/rows.js";

const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";
const DEMO_PASSWORD = "Demo-Passw0rd!x";

describe("key-less primary reset in the browser (Chromium)", () => {
  let browser: Browser;
  let sink: SmtpSink;
  let t: TestApp;
  let web: Awaited<ReturnType<typeof loopbackServer>>;
  let shots: { dir: string; keep: boolean };
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchChromium();
    shots = screenshotDir();
    mkdirSync(shots.dir, { recursive: true });
    sink = await new SmtpSink().start();
    web = await loopbackServer();
    t = await startTestApp({ BASE_URL: web.baseUrl }, sink);
    web.serve(t.app);
  });
  after(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await browser?.close();
    await web?.close();
    await t?.close();
    await sink?.stop();
    if (shots && !shots.keep) rmSync(shots.dir, { recursive: true, force: true });
  });

  async function person(): Promise<Page> {
    const context = await browser.newContext({ baseURL: web.baseUrl, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    return context.newPage();
  }

  it("alice reads the passphrase shown once, bob approves, the holder opens the mail on /open-message with it and changes the temporary password", async () => {
    const base = web.baseUrl;
    await removeDemoKey(t);
    const ticketId = await openRequest(t);

    // 1. alice records a confirmed callback to Paula Primary: the answer is the passphrase to read out.
    const alice = await person();
    await signInWithForm(alice, base, "alice", DEMO_PASSWORD);
    await visit(alice, `/desk/tickets/${ticketId}`);
    const panel = alice.getByRole("region", { name: "Primary reset verification" });
    expect(await panel.textContent()).to.include("the desk will show a passphrase to read out");
    const contact = alice.getByLabel("Contact called");
    await contact.selectOption((await contact.locator("option", { hasText: "Paula Primary" }).getAttribute("value"))!);
    await alice.getByLabel("Outcome").selectOption({ label: "Confirmed the request" });
    const [answer] = await Promise.all([
      alice.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === `/desk/tickets/${ticketId}/callbacks`),
      alice.getByRole("button", { name: "Record callback" }).click(),
    ]);
    expect(answer.status()).to.equal(200);
    await expectAccessible(alice, "the passphrase page");
    expect(answer.headers()["cache-control"]).to.equal("no-store");
    expect(await mainHeading(alice)).to.equal("Callback recorded: read the delivery passphrase");
    await alice.getByText("Read this to Paula Primary now; it unlocks the mail with the temporary password").waitFor();
    const passphrase = ((await alice.locator("#delivery-passphrase").textContent()) ?? "").trim();
    expect(passphrase).to.match(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    await screenshot(alice, shots.dir, "keyless-1-alice-passphrase");
    await Promise.all([alice.waitForURL(`/desk/tickets/${ticketId}`), alice.getByRole("link", { name: `Back to ticket #${ticketId}` }).click()]);
    await expectAccessible(alice);
    expect(await alice.content(), "never shown again").to.not.include(passphrase);

    // 2. bob approves; the checklist says which delivery it will use, without the passphrase.
    const bob = await person();
    await signInWithForm(bob, base, "bob", DEMO_PASSWORD);
    await visit(bob, `/desk/tickets/${ticketId}`);
    expect(await bob.locator("#delivery-plan").textContent()).to.include("locked with the passphrase alice read to Paula Primary");
    expect(await bob.content()).to.not.include(passphrase);
    await submitForm(bob, bob.getByRole("button", { name: "Approve and send the temporary password" }), `/desk/tickets/${ticketId}/approve`);
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state).to.equal("delivered");

    // 3. The holder takes the locked message from the mail and opens it on /open-message; every request is watched.
    await t.deliverMail();
    const { locked } = await lockedMailFrom(sink);
    const holder = await person();
    const requests: { url: string; postData: string | null }[] = [];
    holder.on("request", (r) => requests.push({ url: r.url(), postData: r.postData() }));
    await visit(holder, "/open-message");
    await holder.getByLabel("The locked message").fill(locked);
    await holder.getByLabel("Passphrase").fill(newDeliveryPassphrase());
    await holder.getByRole("button", { name: "Open the message" }).click();
    await holder.getByRole("alert").getByText("That passphrase does not open this message.").waitFor();
    expect(await holder.getByRole("heading", { name: "The message is open" }).isVisible()).to.equal(false);
    await holder.getByLabel("Passphrase").fill(passphrase);
    await holder.getByRole("button", { name: "Open the message" }).click();
    await holder.getByRole("heading", { name: "The message is open" }).waitFor();
    const password = await holder.getByLabel("Temporary password").inputValue();
    expect(password.length).to.be.at.least(20);
    await screenshot(holder, shots.dir, "keyless-2-holder-opened");
    for (const r of requests) {
      expect(r.postData, r.url).to.equal(null);
      for (const secret of [passphrase, passphrase.replace(/-/g, ""), password]) expect(decodeURIComponent(r.url)).to.not.include(secret);
    }

    // 4. Signs in with it from the page's link and must choose a new password before anything else.
    await Promise.all([holder.waitForURL("/login"), holder.getByRole("link", { name: "Sign in" }).first().click()]);
    await expectAccessible(holder);
    await signInWithForm(holder, base, "ACM0001", password);
    expect(new URL(holder.url()).pathname).to.equal("/account/password");
    await holder.getByLabel("Temporary password").fill(password);
    await holder.getByLabel("New password", { exact: true }).fill(NEW_PRIMARY_PASSWORD);
    await holder.getByLabel("New password again").fill(NEW_PRIMARY_PASSWORD);
    await Promise.all([holder.waitForURL("/login"), holder.getByRole("button", { name: "Change password" }).click()]);
    await expectAccessible(holder);
    await signInWithForm(holder, base, "ACM0001", NEW_PRIMARY_PASSWORD);
    // A login without a second factor is offered one after a reset's forced change.
    expect(await mainHeading(holder)).to.equal("Set up two-step sign-in");
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state).to.equal("redeemed");
    for (const secret of [password, passphrase]) expect(await t.leaks(secret)).to.equal(false);
  });
});
