/**
 * Passkeys in Debian's Chromium with a CDP virtual authenticator (a platform authenticator that
 * holds discoverable credentials and verifies its user): bob, an agent, registers a named
 * passkey, signs in with his password and the passkey, then with the passkey alone, and approves
 * a primary reset after his step-up window has passed: the approve button leads to the step-up
 * page, the passkey confirms, and the approval goes through. The desk's origin is
 * http://localhost:<port>: WebAuthn needs a secure context and a domain as RP ID (never an IP
 * address), and Chromium counts localhost as secure.
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { signedIn } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import type { Row } from "../support/rows.js";
import { userId } from "../support/users.js";
import { callBack, openRequest } from "../resets/helpers.js";
import { mainHeading, screenshot, signInWithForm, submitForm, useBrowserApp, visit, expectAccessible } from "./browser.js";

const PASSKEY_NAME = "Bob's work laptop";

describe("passkeys in the browser (Chromium, virtual authenticator)", () => {
  const world = useBrowserApp("localhost");

  /** A browser profile with a virtual authenticator: a platform one holding discoverable credentials, its user verified. */
  const personWithAuthenticator = () =>
    world.person(async (context, page) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send("WebAuthn.enable");
      await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
    });

  const passkeysOf = async (username: string) => (await world.t.db("passkeys").where({ user_id: await userId(world.t, username) }).orderBy("id")) as Row[];

  async function signOut(page: Page): Promise<void> {
    await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole("button", { name: "Sign out" }).click()]);
    await expectAccessible(page);
  }

  it("registers a named passkey, signs in with password + passkey and with the passkey alone, and approves a reset after a passkey step-up", async () => {
    const { t, shots, baseUrl: base } = world;
    const bob = await personWithAuthenticator();

    // 1. bob registers a passkey under Two-step sign-in: his first factor, so the recovery codes are shown once.
    await signInWithForm(bob, base, "bob", DEMO_PASSWORD);
    await visit(bob, "/account/two-factor");
    await bob.getByRole("heading", { name: "Passkeys" }).waitFor();
    await bob.getByLabel("Name of the new passkey").fill(PASSKEY_NAME);
    await screenshot(bob, shots.dir, "1-bob-add-passkey");
    await Promise.all([bob.waitForURL("/account/two-factor/passkeys"), bob.getByRole("button", { name: "Add a passkey" }).click()]);
    await expectAccessible(bob);
    expect(await mainHeading(bob)).to.equal("Your recovery codes");
    expect(await bob.locator("ol.recovery-codes li").count()).to.equal(10);
    const [stored] = await passkeysOf("bob");
    expect(stored, "the passkey is stored").to.not.equal(undefined);
    expect(stored!.name).to.equal(PASSKEY_NAME);
    expect(Number(stored!.sign_count)).to.be.a("number");
    await visit(bob, "/account/two-factor");
    await bob.getByRole("cell", { name: PASSKEY_NAME, exact: true }).waitFor();
    await screenshot(bob, shots.dir, "2-bob-passkey-listed");
    expect((await auditRows(t, "second_factor.passkey_added")).length).to.equal(1);

    // 2. Password, then the passkey as the second step.
    await signOut(bob);
    await signInWithForm(bob, base, "bob", DEMO_PASSWORD);
    expect(new URL(bob.url()).pathname).to.equal("/login/second-factor");
    await screenshot(bob, shots.dir, "3-bob-second-step");
    await Promise.all([bob.waitForURL("/"), bob.getByRole("button", { name: "Use a passkey" }).click()]);
    await expectAccessible(bob);
    expect(await mainHeading(bob)).to.equal("Queue: Open work");
    const afterSecondStep = (await passkeysOf("bob"))[0]!;
    expect(afterSecondStep.last_used_at, "the use is recorded").to.not.equal(null);

    // 3. The passkey alone: no username, no password.
    await signOut(bob);
    await Promise.all([bob.waitForURL("/"), bob.getByRole("button", { name: "Sign in with a passkey" }).click()]);
    await expectAccessible(bob);
    expect(await mainHeading(bob)).to.equal("Queue: Open work");
    const signIns = await auditRows(t, "sign_in.succeeded");
    expect(signIns.at(-1)!.details).to.include({ method: "passkey" });
    const afterAlone = (await passkeysOf("bob"))[0]!;
    expect(Number(afterAlone.sign_count), "the counter moved on").to.be.greaterThan(Number(afterSecondStep.sign_count));

    // 4. A reset ready for approval (carol asked, alice called back), and bob's last check is older than STEP_UP_MINUTES.
    const ticketId = await openRequest(t);
    expect((await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed")).status).to.equal(303);
    t.clock.advance(t.config.stepUpMs + 1000);
    await visit(bob, `/desk/tickets/${ticketId}`);
    const approve = bob.getByRole("button", { name: "Approve and send the temporary password" });
    const [refused] = await Promise.all([bob.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === `/desk/tickets/${ticketId}/approve`), approve.click()]);
    expect(refused.status(), "the approval waits for the step-up").to.equal(403);
    expect(await mainHeading(bob)).to.equal("Confirm it is you");
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state, "nothing changed").to.not.equal("delivered");
    await screenshot(bob, shots.dir, "4-bob-step-up");
    await Promise.all([bob.waitForURL(`/desk/tickets/${ticketId}`), bob.getByRole("button", { name: "Use a passkey" }).click()]);
    await expectAccessible(bob);
    await bob.getByRole("status").filter({ hasText: "Confirmed." }).waitFor();
    expect((await auditRows(t, "step_up.confirmed")).at(-1)!.details).to.include({ method: "passkey" });

    await submitForm(bob, bob.getByRole("button", { name: "Approve and send the temporary password" }), `/desk/tickets/${ticketId}/approve`);
    await bob.getByRole("region", { name: "Primary reset verification" }).getByText("delivered", { exact: true }).waitFor();
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state).to.equal("delivered");
    await screenshot(bob, shots.dir, "5-bob-approved");
  });
});
