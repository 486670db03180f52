import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { approve, callBack, deskPage, expectRefusedIn, openRequest } from "./helpers.js";

const APPROVE_BUTTON = "Approve and send the temporary password";

/** The approve area of the reset panel tells who cannot approve why, before the click; the server refuses as before. */
describe("primary reset: the approve area tells the truth", () => {
  const t = useTestApp();

  const page = async (agent: Agent, ticketId: number) => (await agent.get(deskPage(ticketId)).expect(200)).text;
  const waiting = (html: string) => [...(/<ul id="approve-waiting">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? "").matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);

  it("after alice's callback: alice reads that a second agent must approve, with no button, and is refused; bob gets the button", async () => {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);

    const hers = await page(alice, ticketId);
    expect(hers).to.not.include(APPROVE_BUTTON).and.not.include(`action="${deskPage(ticketId)}/approve"`);
    expect(waiting(hers)).to.deep.equal(["Waiting for a second agent: you recorded the confirming callback."]);
    // Reject stays where it was.
    expect(hers).to.include(`action="${deskPage(ticketId)}/reject"`);
    await expectRefusedIn(t, () => approve(alice, ticketId), 400, "You recorded the confirming callback: a second agent must approve.");

    const bob = await signedIn(t, "bob");
    const his = await page(bob, ticketId);
    expect(his).to.include(APPROVE_BUTTON).and.include('class="button primary"');
    expect(his).to.not.include('id="approve-waiting"');
  });

  it("before any callback, every agent reads what approval waits for", async () => {
    const ticketId = await openRequest(t);
    const html = await page(await signedIn(t, "bob"), ticketId);
    expect(html).to.not.include(APPROVE_BUTTON);
    expect(waiting(html)).to.deep.equal(["Waiting for a callback: no callback to a number on file has confirmed the request yet."]);
  });

  it("after a recent change to the records: an agent reads that only an admin may approve and is refused; the admin who made the change waits for another admin", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+44 20 7946 0999")).status).to.equal(303);
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    await callBack(t, alice, ticketId, "confirmed");

    const bob = await signedIn(t, "bob");
    const his = await page(bob, ticketId);
    expect(his).to.not.include(APPROVE_BUTTON);
    expect(waiting(his)).to.deep.equal(["Only an admin may approve: the phone number of Paula Primary on the account&#39;s contacts changed within the last 7 days."]);
    await expectRefusedIn(t, () => approve(bob, ticketId), 400, "Only an admin may approve");

    const theirs = await page(admin, ticketId);
    expect(theirs).to.not.include(APPROVE_BUTTON);
    expect(waiting(theirs)).to.deep.equal(["Waiting for another admin: you changed the phone number of Paula Primary on the account&#39;s contacts within the last 7 days."]);
    await expectRefusedIn(t, () => approve(admin, ticketId), 400, "another admin must approve");
  });
});
