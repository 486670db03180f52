/**
 * Issue 16 items 3 and 5 in Chromium: the canned reply's Insert button with its script (no
 * reload, the text at the cursor after what was typed), and the contacts' numbers on a 390 px
 * phone, whole and in sight (no box that scrolls or clips them), as tel: links.
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { createCannedReply } from "../../src/tickets/index.js";
import { openRequest } from "../resets/helpers.js";
import { seedTicket } from "../tickets/helpers.js";
import { actorFor } from "../support/users.js";
import { screenshot, signInWithForm, useBrowserApp } from "./browser.js";

describe("canned replies and phone numbers in the browser (Chromium)", () => {
  const world = useBrowserApp();

  it("inserts a canned reply at the cursor without a reload", async () => {
    const { t, baseUrl } = world;
    const made = await createCannedReply(t, { title: "Welcome", body: "Hello {{requester_name}}, about {{ticket_number}}." }, await actorFor(t, "admin"));
    expect(made.ok).to.equal(true);
    const ticketId = await seedTicket(t, "carol", "Printer jam");
    const alice = await world.person();
    await signInWithForm(alice, baseUrl, "alice", "Demo-Passw0rd!x");
    await alice.goto(`/desk/tickets/${ticketId}`);
    // A mark on this document: a reload would drop it.
    await alice.evaluate("window.stayed = true");
    const box = alice.getByLabel("Reply to the customer");
    await box.fill("Typed first.");
    await alice.locator("#field-reply_canned").selectOption({ label: "Welcome" });
    await alice.getByRole("button", { name: "Insert into the reply" }).click();
    await expectBoxValue(alice, "#field-reply_body", `Typed first.\n\nHello Carol Jones, about #${ticketId}.`);
    expect(await alice.evaluate<boolean>("window.stayed === true")).to.equal(true);
  });

  it("shows every contact's number whole, as a tel: link, on a 390 px phone", async () => {
    const { t, baseUrl, shots } = world;
    const ticketId = await openRequest(t);
    const acme = Number(((await t.db("accounts").where({ code: "ACM" }).first("id")) as { id: number }).id);
    for (const [username, path] of [["alice", `/desk/tickets/${ticketId}`], ["admin", `/admin/accounts/${acme}`]] as const) {
      const page = await world.person((_context, p) => p.setViewportSize({ width: 390, height: 844 }));
      await signInWithForm(page, baseUrl, username, "Demo-Passw0rd!x");
      await page.goto(path);
      const links = page.locator("a.phone");
      expect(await links.count(), path).to.be.greaterThan(1);
      for (const link of await links.all()) {
        expect(await link.getAttribute("href")).to.match(/^tel:\+\d+$/);
        expect(await link.textContent()).to.match(/^\+44 20 7946 000\d$/);
        const box = (await link.boundingBox())!;
        expect(box.x, path).to.be.at.least(0);
        expect(box.x + box.width, path).to.be.at.most(390);
      }
      // Nothing around a number scrolls or clips it: every box holding one is as wide as what it holds.
      const clipping = await page.evaluate<string[]>(
        `[...document.querySelectorAll("a.phone")].flatMap((a) => { const out = []; for (let n = a.parentElement; n; n = n.parentElement) if (n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX !== "visible") out.push(n.className || n.tagName); return out; })`,
      );
      expect(clipping, path).to.deep.equal([]);
      await screenshot(page, shots.dir, `phone-390-${username}`);
    }
  });
});

/** Waits for the script's answer to land in the box, then holds the box to `value` (its message shows what is there). */
async function expectBoxValue(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForFunction(`document.querySelector(${JSON.stringify(selector)})?.value === ${JSON.stringify(value)}`, undefined, { timeout: 10_000 }).catch(() => undefined);
  expect(await page.locator(selector).inputValue()).to.equal(value);
}
