/**
 * Issue 16 item 4 in Chromium: the queue's bulk change as an agent uses it, rows ticked by their
 * labels, the form sent by its button (the checkboxes reach it through the `form` attribute, no
 * script), the summary on the same view, and the form sent back with its problem; axe-core checks
 * each state, on a laptop and on a phone in dark mode.
 */
import { expect } from "chai";
import { seedTicket, ticketRow } from "../tickets/helpers.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { expectAccessible, signInWithForm, submitForm, useBrowserApp, visit } from "./browser.js";

describe("bulk actions on the queue in the browser (Chromium)", () => {
  const world = useBrowserApp();

  for (const [name, viewport, colorScheme] of [
    ["a laptop", { width: 1280, height: 900 }, "light"],
    ["a phone in dark mode", { width: 390, height: 844 }, "dark"],
  ] as const) {
    it(`ticks two rows, sets their status and reads the summary on the same view, on ${name}`, async () => {
      const { t, baseUrl } = world;
      const [first, second, third] = [await seedTicket(t, "carol", "Printer jam"), await seedTicket(t, "carol", "Scanner jam"), await seedTicket(t, "carol", "Fax jam")];
      const page = await world.person();
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      await signInWithForm(page, baseUrl, "alice", DEMO_PASSWORD);
      await visit(page, "/desk?view=all");

      // Sent with nothing ticked: the queue again with its problem, announced.
      const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Set status of selected" }).click()]);
      expect(refused.status()).to.equal(400);
      await page.waitForLoadState("load");
      expect(await page.title()).to.match(/^Error: /);
      expect(await page.locator("#field-ticket_ids").textContent()).to.equal("Select at least one ticket in the queue.");
      await expectAccessible(page, "a refused bulk change");

      await page.getByLabel(`Select #${first}`).check();
      await page.getByLabel(`Select #${third}`).check();
      await page.getByLabel("Set status").selectOption({ label: "Resolved" });
      await submitForm(page, page.getByRole("button", { name: "Set status of selected" }), "/desk/bulk");
      expect(new URL(page.url()).search).to.equal("?view=all");
      expect(await page.getByRole("status").first().textContent()).to.equal("2 tickets set to Resolved.");
      expect([(await ticketRow(t, first)).status, (await ticketRow(t, second)).status, (await ticketRow(t, third)).status]).to.deep.equal(["resolved", "new", "resolved"]);
    });
  }
});
