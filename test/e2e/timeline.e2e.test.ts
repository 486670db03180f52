/**
 * Issue 19's paged timeline in Chromium: a ticket of 120 events opens on its newest page with the
 * customer's first message above a fold; "Show N older events" is a plain link that lands at the
 * fold of the next page (its anchor in view), down to the last page; on the desk on a laptop and
 * on the portal on a phone in dark mode, axe-core checking every page on the way.
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { seedTicket, timelineEvents } from "../tickets/helpers.js";
import { expectAccessible, signInWithForm, useBrowserApp, visit } from "./browser.js";

describe("the paged timeline in the browser (Chromium)", () => {
  const world = useBrowserApp();

  /** Follows the older-events link and checks where it lands: the next page, scrolled to its fold. */
  async function followOlder(page: Page, words: string): Promise<void> {
    const link = page.getByRole("link", { name: words });
    await Promise.all([page.waitForURL((url) => url.searchParams.has("before")), link.click()]);
    await page.waitForLoadState("load");
    expect(new URL(page.url()).hash).to.equal("#older-events");
    // boundingBox is relative to the window: the anchor scrolled the fold to its top.
    const box = (await page.locator("#older-events").boundingBox())!;
    expect(box.y, "the fold's distance from the top of the window").to.be.within(-1, 5);
    await expectAccessible(page, `${new URL(page.url()).pathname}, an older page`);
  }

  it("alice reads back through a long ticket on the desk, and carol on her phone in dark mode", async function () {
    this.timeout(240_000);
    const { t, baseUrl } = world;
    const id = await seedTicket(t, "carol", "A long conversation");
    await timelineEvents(t, id, "carol", 2, 120);

    const alice = await world.person();
    await alice.setViewportSize({ width: 1280, height: 900 });
    await signInWithForm(alice, baseUrl, "alice", DEMO_PASSWORD);
    await visit(alice, `/desk/tickets/${id}`);
    expect(await alice.locator(".timeline > li.event").count()).to.equal(51);
    expect(await alice.locator(".timeline > li.event").first().textContent()).to.include("Body of A long conversation");
    await followOlder(alice, "Show 50 older events");
    expect(await alice.locator(".timeline > li.event").count()).to.equal(51);
    await followOlder(alice, "Show 19 older events");
    expect(await alice.locator(".timeline > li.event").count()).to.equal(20);
    expect(await alice.getByRole("link", { name: /older event/ }).count()).to.equal(0);
    await Promise.all([alice.waitForURL((url) => !url.searchParams.has("before")), alice.getByRole("link", { name: "Show the newest events" }).click()]);
    expect(await alice.locator(".timeline > li.event").last().textContent()).to.include("Event 120");

    const carol = await world.person();
    await carol.setViewportSize({ width: 390, height: 844 });
    await carol.emulateMedia({ colorScheme: "dark" });
    await signInWithForm(carol, baseUrl, "carol", DEMO_PASSWORD);
    await visit(carol, `/tickets/${id}`);
    expect(await carol.locator(".timeline > li.event").count()).to.equal(51);
    await followOlder(carol, "Show 39 older events");
    expect(await carol.locator(".timeline > li.event").count()).to.equal(40);
    expect(await carol.locator(".event-internal").count()).to.equal(0);
  });
});
