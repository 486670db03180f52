/**
 * The hand-off of a primary reset in Debian's Chromium (issue 15): carol files the request,
 * alice sees its stage in the queue and records a confirmed callback (the ticket becomes hers,
 * her page says why she cannot approve), the mail worker sends bob the hand-off mail through a
 * real SMTP server, and bob follows its desk link, finds the request under "Awaiting my
 * approval" and approves it. The queue, bob's count and carol's step tracker follow each step;
 * the pages are checked with axe-core at desktop and phone widths.
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { REASON, TEMP_PASSWORD } from "../resets/helpers.js";
import { mainHeading, screenshot, signInWithForm, submitForm, useBrowserApp, visit, expectAccessible } from "./browser.js";
import { mailText } from "../support/mail.js";
import type { Row } from "../support/rows.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { waitFor } from "../support/wait.js";

const BOB = "bob@vouchdesk.example";
const PRIMARY = "primary@acme.example";
const APPROVE = "Approve and send the temporary password";
const PHONE_WIDTH = { width: 390, height: 844 };
const DESKTOP_WIDTH = { width: 1280, height: 900 };

describe("primary reset hand-off in the browser (Chromium)", () => {
  const world = useBrowserApp();

  const request = async (ticketId: number) => (await world.t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const ticket = async (ticketId: number) => (await world.t.db("tickets").where({ id: ticketId }).first()) as Row;
  const mainNav = (page: Page) => page.getByRole("navigation", { name: "Main" });
  /** The queue's row of the ticket, its text with the spaces folded. */
  const queueRow = (page: Page, ticketId: number) => page.getByRole("row").filter({ has: page.getByRole("link", { name: `#${ticketId}`, exact: true }) });
  const rowText = async (page: Page, ticketId: number) => ((await queueRow(page, ticketId).textContent()) ?? "").replace(/\s+/g, " ");
  /** The worker's deliver-mail task runs once; then the sink is polled until a mail to `to` whose text matches arrives. */
  const deliveredTo = async (to: string, matches: (text: string) => boolean): Promise<string> => {
    await world.t.deliverMail();
    let found: string | undefined;
    await waitFor(`a mail to ${to}`, async () => {
      for (const mail of world.sink.received.filter((m) => m.to.includes(to))) {
        const text = await mailText(mail.raw);
        if (matches(text)) found = text;
      }
      return found !== undefined;
    });
    return found!;
  };

  it("carol files, alice calls back, bob follows the hand-off mail into 'Awaiting my approval' and approves; queue, count and tracker follow", async () => {
    const { t, shots, baseUrl: base } = world;

    // 1. carol files the reset through the form.
    const carol = await world.person();
    await signInWithForm(carol, base, "carol", DEMO_PASSWORD);
    await visit(carol, "/reset-requests/new");
    await carol.getByLabel("Why does the primary login need a reset?").fill(REASON);
    await Promise.all([carol.waitForURL(/\/tickets\/\d+$/), carol.getByRole("button", { name: "Send the request" }).click()]);
    await expectAccessible(carol);
    const ticketId = Number(/\/tickets\/(\d+)$/.exec(carol.url())![1]);
    const ticketPath = `/desk/tickets/${ticketId}`;

    // 2. alice's queue (Open work) shows the request's stage; she opens it from there and records a confirmed callback.
    const alice = await world.person();
    await signInWithForm(alice, base, "alice", DEMO_PASSWORD);
    expect(await mainHeading(alice)).to.equal("Queue: Open work");
    expect(await rowText(alice, ticketId)).to.include("awaiting callback");
    await screenshot(alice, shots.dir, "handoff-1-queue-awaiting-callback");
    await Promise.all([alice.waitForURL(ticketPath), queueRow(alice, ticketId).getByRole("link", { name: `#${ticketId}`, exact: true }).click()]);
    await expectAccessible(alice);
    const contact = alice.getByLabel("Contact called");
    await contact.selectOption((await contact.locator("option", { hasText: "Paula Primary" }).getAttribute("value"))!);
    await alice.getByLabel("Outcome").selectOption({ label: "Confirmed the request" });
    await alice.getByLabel("Notes").fill("Called Paula on the number on file; she confirmed she asked carol to open this.");
    await submitForm(alice, alice.getByRole("button", { name: "Record callback" }), `${ticketPath}/callbacks`);

    // The ticket is now alice's; her page says why she cannot approve, with no button, and she has nothing to approve.
    expect(Number((await ticket(ticketId)).assignee_id)).to.equal(Number(((await t.db("users").where({ username: "alice" }).first()) as Row).id));
    expect(await alice.getByRole("button", { name: APPROVE }).count(), "no button that can only fail").to.equal(0);
    expect(((await alice.locator("#approve-waiting").textContent()) ?? "").trim()).to.equal("Waiting for a second agent: you recorded the confirming callback.");
    expect(await mainNav(alice).getByRole("link", { name: "Awaiting my approval (0)" }).count()).to.equal(1);
    await visit(alice, "/desk?view=mine");
    expect(await queueRow(alice, ticketId).count(), "the ticket is in alice's Mine view").to.equal(1);

    // 3. The mail worker sends bob the hand-off mail: the desk link, no secret, no customer's number.
    const handOff = await deliveredTo(BOB, (text) => text.includes("ready for approval"));
    const link = handOff.match(/https?:\/\/\S+/g)?.find((u) => u.includes("/desk/tickets/"));
    expect(link, "the desk link").to.equal(`${base}${ticketPath}`);
    const phones = ((await t.db("contacts").select("phone")) as Row[]).map((r) => String(r.phone));
    for (const phone of [...phones, "+44 20 7946"]) expect(handOff, "no phone number in the hand-off mail").to.not.include(phone);
    expect(handOff).to.not.match(TEMP_PASSWORD).and.not.include(DEMO_PASSWORD);
    expect(handOff, "no token-like string").to.not.match(/[A-Za-z0-9_-]{24,}/);

    // 4. bob signs in and follows the link: the nav counts one request awaiting him.
    const bob = await world.person();
    await signInWithForm(bob, base, "bob", DEMO_PASSWORD);
    await visit(bob, link!);
    expect(new URL(bob.url()).pathname).to.equal(ticketPath);
    const awaitingOne = mainNav(bob).getByRole("link", { name: "Awaiting my approval (1)" });
    await awaitingOne.waitFor();
    await screenshot(bob, shots.dir, "handoff-2-bob-from-the-mail");

    // He opens the view from the nav: the request is there, awaiting approval; at phone width too.
    await Promise.all([bob.waitForURL("/desk?view=awaiting-my-approval"), awaitingOne.click()]);
    await expectAccessible(bob);
    expect(await mainHeading(bob)).to.equal("Queue: Awaiting my approval");
    expect(await rowText(bob, ticketId)).to.include("awaiting approval");
    await screenshot(bob, shots.dir, "handoff-3-bob-awaiting-my-approval");
    await bob.setViewportSize(PHONE_WIDTH);
    await expectAccessible(bob, "Awaiting my approval at 390 px");
    await screenshot(bob, shots.dir, "handoff-3-bob-awaiting-my-approval-390");
    await bob.setViewportSize(DESKTOP_WIDTH);

    // 5. He opens it and approves; with no second factor of his, that condition is advisory (it is recorded).
    await Promise.all([bob.waitForURL(ticketPath), queueRow(bob, ticketId).getByRole("link", { name: `#${ticketId}`, exact: true }).click()]);
    await expectAccessible(bob);
    await bob.locator(".checklist li.advisory").first().waitFor();
    await submitForm(bob, bob.getByRole("button", { name: APPROVE }), `${ticketPath}/approve`);
    expect((await request(ticketId)).state).to.equal("delivered");
    expect(await mainNav(bob).getByRole("link", { name: "Awaiting my approval (0)" }).count()).to.equal(1);

    // 6. The worker sends the temporary password to the primary's address; the queue row says so, with its expiry.
    await deliveredTo(PRIMARY, () => true);
    await visit(bob, "/desk");
    expect(await rowText(bob, ticketId)).to.match(/password sent, expires in \d+ (min|h|d)/);
    await screenshot(bob, shots.dir, "handoff-4-queue-password-sent");

    // 7. carol's ticket page: the tracker is at "Approved, password sent to the primary holder"; at phone width too.
    await visit(carol, `/tickets/${ticketId}`);
    const current = carol.locator('.reset-tracker li[aria-current="step"]');
    expect(await current.count()).to.equal(1);
    expect(((await current.locator("strong").textContent()) ?? "").trim()).to.equal("Approved, password sent to the primary holder");
    await screenshot(carol, shots.dir, "handoff-5-carol-tracker");
    await carol.setViewportSize(PHONE_WIDTH);
    await expectAccessible(carol, "carol's tracker at 390 px");
    await screenshot(carol, shots.dir, "handoff-5-carol-tracker-390");
  });
});
