/**
 * The primary reset through the real pages, in Debian's Chromium: carol asks, alice calls back,
 * bob approves, the mail worker sends the PGP/MIME mail to a real SMTP server, and ACM0001 reads
 * the temporary password from it (decrypted with the demo private key), signs in, is forced to
 * choose a new password, and finds the ticket closed. Each person has their own browser context.
 * Locators go by label and role, so the pages must be labelled properly for this to pass.
 */
import path from "node:path";
import { expect } from "chai";
import { REASON, temporaryPasswordFrom } from "../resets/helpers.js";
import { mainHeading, screenshot, signInWithForm, submitForm, useBrowserApp, visit, expectAccessible } from "./browser.js";
import type { Row } from "../support/rows.js";
import { decryptForPrimary } from "../support/pgp.js";

const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";
const SUBJECT = "Primary account password reset request";

describe("primary reset in the browser (Chromium)", () => {
  const world = useBrowserApp();
  const person = () => world.person();

  const request = async (ticketId: number) => (await world.t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const ticket = async (ticketId: number) => (await world.t.db("tickets").where({ id: ticketId }).first()) as Row;

  it("carol asks, alice calls back, bob approves, ACM0001 signs in with the mailed password, changes it and sees the ticket closed", async () => {
    const { t, sink, shots, baseUrl: base } = world;

    // 1. carol, a secondary login authorised to open cases, asks for the reset.
    const carol = await person();
    await signInWithForm(carol, base, "carol", "Demo-Passw0rd!x");
    await Promise.all([
      carol.waitForURL("/reset-requests/new"),
      carol.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Primary reset" }).click(),
    ]);
    await expectAccessible(carol);
    expect(await mainHeading(carol)).to.equal(SUBJECT);
    await carol.getByRole("heading", { name: "How it works" }).waitFor();
    await carol.getByLabel("Why does the primary login need a reset?").fill(REASON);
    await screenshot(carol, shots.dir, "1-carol-request-form");
    await Promise.all([carol.waitForURL(/\/tickets\/\d+$/), carol.getByRole("button", { name: "Send the request" }).click()]);
    await expectAccessible(carol);
    const ticketId = Number(/\/tickets\/(\d+)$/.exec(carol.url())![1]);
    expect(await mainHeading(carol)).to.equal(`#${ticketId} ${SUBJECT}`);
    expect(await carol.getByRole("heading", { name: "Conversation" }).isVisible()).to.equal(true);
    await screenshot(carol, shots.dir, "2-carol-ticket");
    expect((await request(ticketId)).state).to.equal("pending");

    // 2. alice opens the ticket from the desk's queue, reads the panel and records a confirmed callback.
    const alice = await person();
    await signInWithForm(alice, base, "alice", "Demo-Passw0rd!x");
    expect(await mainHeading(alice)).to.equal("Queue: Open work");
    await Promise.all([
      alice.waitForURL(`/desk/tickets/${ticketId}`),
      alice.getByRole("link", { name: `#${ticketId}`, exact: true }).click(),
    ]);
    await expectAccessible(alice);
    const panel = alice.getByRole("region", { name: "Primary reset verification" });
    await panel.waitFor();
    const panelText = (await panel.textContent()) ?? "";
    expect(panelText).to.include("+44 20 7946 0001").and.include("primary@acme.example").and.include(REASON);
    await panel.getByRole("heading", { name: "Approval checklist" }).waitFor();
    const contact = alice.getByLabel("Contact called");
    const paula = await contact.locator("option", { hasText: "Paula Primary" }).getAttribute("value");
    expect(paula, "Paula Primary is offered from the records").to.be.a("string");
    await contact.selectOption(paula!);
    await alice.getByLabel("Outcome").selectOption({ label: "Confirmed the request" });
    await alice.getByLabel("Notes").fill("Called Paula on the number on file; she confirmed she asked carol to open this.");
    await screenshot(alice, shots.dir, "3-alice-ticket-page");
    await panel.screenshot({ path: path.join(shots.dir, "3-alice-verification-panel.png") });
    await submitForm(alice, alice.getByRole("button", { name: "Record callback" }), `/desk/tickets/${ticketId}/callbacks`);
    await alice.getByRole("listitem").filter({ hasText: "confirmed: Paula Primary" }).waitFor();
    expect((await ticket(ticketId)).status).to.equal("open");
    await screenshot(alice, shots.dir, "4-alice-after-callback");

    // 3. bob, a second agent, approves.
    const bob = await person();
    await signInWithForm(bob, base, "bob", "Demo-Passw0rd!x");
    await visit(bob, `/desk/tickets/${ticketId}`);
    const approveButton = bob.getByRole("button", { name: "Approve and send the temporary password" });
    expect(await approveButton.getAttribute("aria-describedby"), "every condition holds for bob").to.equal(null);
    await submitForm(bob, approveButton, `/desk/tickets/${ticketId}/approve`);
    await bob.getByRole("region", { name: "Primary reset verification" }).getByText("delivered", { exact: true }).waitFor();
    expect(await bob.getByRole("button", { name: "Approve and send the temporary password" }).count(), "no second approval").to.equal(0);
    expect((await request(ticketId)).state).to.equal("delivered");
    await screenshot(bob, shots.dir, "5-bob-after-approval");

    // 4. The worker sends the mail; the holder decrypts it with the primary's private key.
    await t.deliverMail();
    const { password, raw } = await temporaryPasswordFrom(t, sink);
    const mailText = await decryptForPrimary(t, raw);
    const signInUrl = /Sign in at (\S+)/.exec(mailText)?.[1];
    expect(signInUrl, "the mail gives the sign-in address").to.equal(`${base}/login`);
    for (const page of [alice, bob]) {
      await page.reload();
      expect(await page.content(), "an agent's page shows the temporary password").to.not.include(password);
    }

    // 5. ACM0001 signs in with the temporary password from the mail's address and must change it first.
    const holder = await person();
    await visit(holder, signInUrl!);
    await signInWithForm(holder, base, "ACM0001", password);
    expect(new URL(holder.url()).pathname).to.equal("/account/password");
    await holder.getByRole("status").filter({ hasText: "You signed in with a temporary password" }).waitFor();
    await visit(holder, "/tickets");
    expect(new URL(holder.url()).pathname, "nothing else is reachable before the change").to.equal("/account/password");
    await holder.getByLabel("Temporary password").fill(password);
    await holder.getByLabel("New password", { exact: true }).fill(NEW_PRIMARY_PASSWORD);
    await holder.getByLabel("New password again").fill(NEW_PRIMARY_PASSWORD);
    await screenshot(holder, shots.dir, "6-holder-forced-change");
    await Promise.all([holder.waitForURL("/login"), holder.getByRole("button", { name: "Change password" }).click()]);
    await expectAccessible(holder);
    await holder.getByRole("status").filter({ hasText: "Your password was changed" }).waitFor();

    // 6. The new password works; a holder without a second factor is offered one once ("Not now" goes on); the ticket is closed and the request redeemed.
    await signInWithForm(holder, base, "ACM0001", NEW_PRIMARY_PASSWORD);
    expect(await mainHeading(holder)).to.equal("Set up two-step sign-in");
    await Promise.all([holder.waitForURL("/"), holder.getByRole("link", { name: "Not now" }).click()]);
    await expectAccessible(holder);
    expect(await mainHeading(holder)).to.equal("My tickets");
    const row = holder.getByRole("row").filter({ has: holder.getByRole("link", { name: `#${ticketId}`, exact: true }) });
    // A reset ticket's closed status says how the request ended (issue 15 item 6).
    expect(((await row.textContent()) ?? "").replace(/\s+/g, " ")).to.include("Completed");
    await Promise.all([holder.waitForURL(`/tickets/${ticketId}`), row.getByRole("link", { name: SUBJECT }).click()]);
    await expectAccessible(holder);
    expect(await holder.getByText("Completed", { exact: true }).first().isVisible()).to.equal(true);
    expect(await holder.getByText("This ticket is closed.").isVisible()).to.equal(true);
    await screenshot(holder, shots.dir, "7-holder-ticket-closed");
    expect((await request(ticketId)).state).to.equal("redeemed");
    expect((await ticket(ticketId)).status).to.equal("closed");

    // 7. The temporary password no longer signs in.
    const stranger = await person();
    await visit(stranger, "/login");
    await stranger.getByLabel("Username").fill("ACM0001");
    await stranger.getByLabel("Password", { exact: true }).fill(password);
    await stranger.getByRole("button", { name: "Sign in", exact: true }).click();
    await stranger.getByRole("alert").first().waitFor();
    expect(new URL(stranger.url()).pathname).to.equal("/login");
    expect(await t.leaks(password), "the temporary password leaked into the database or the logs").to.equal(false);
  });
});
