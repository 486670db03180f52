/**
 * Issue 17 item 6 in Chromium: carol opens a ticket with a PDF chosen in the file field (a
 * multipart form, no script), after a refused one, and sees it under her message; alice finds it on the desk and
 * downloads it, as a download with the headers that keep the browser from rendering it. axe-core
 * checks each page on the way.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { tinyPdf } from "../support/files.js";
import { count } from "../support/rows.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { expectAccessible, signInWithForm, submitForm, useBrowserApp, visit } from "./browser.js";

describe("attachments in the browser (Chromium)", () => {
  const world = useBrowserApp();

  it("carol uploads a PDF with a new ticket; alice sees it on the desk and downloads it", async () => {
    const { t, baseUrl } = world;
    const pdf = tinyPdf("Invoice 42");

    const carol = await world.person();
    await signInWithForm(carol, baseUrl, "carol", DEMO_PASSWORD);
    await visit(carol, "/tickets/new");
    await carol.getByLabel("What is it about?").selectOption({ label: "Technical problem" });
    await carol.getByLabel("Subject").fill("Invoice does not print");
    await carol.getByLabel("Message").fill("The attached invoice jams the printer.");

    // A page of HTML named .pdf first: the form comes back filled in, the problem by the field.
    await carol.getByLabel("Attach files").setInputFiles({ name: "invoice-41.pdf", mimeType: "application/pdf", buffer: Buffer.from("<!doctype html><title>x</title>") });
    const [refused] = await Promise.all([carol.waitForResponse((r) => r.request().method() === "POST"), carol.getByRole("button", { name: "Open ticket" }).click()]);
    expect(refused.status()).to.equal(400);
    await carol.waitForLoadState("load");
    expect(await carol.locator("#field-attachments-problem").textContent()).to.match(/^invoice-41\.pdf is not a type we accept/);
    expect(await carol.getByLabel("Message").inputValue()).to.equal("The attached invoice jams the printer.");
    await expectAccessible(carol, "a refused attachment");
    expect(await count(t, "attachments")).to.equal(0);

    await carol.getByLabel("Attach files").setInputFiles({ name: "invoice-42.pdf", mimeType: "application/pdf", buffer: pdf });
    await submitForm(carol, carol.getByRole("button", { name: "Open ticket" }), "/tickets");
    const id = Number(/\/tickets\/(\d+)$/.exec(new URL(carol.url()).pathname)![1]);
    const row = (await t.db("attachments").where({ ticket_id: id }).first()) as Record<string, unknown>;
    expect(row).to.include({ filename: "invoice-42.pdf", content_type: "application/pdf" });
    await expectAccessible(carol, "the ticket with its attachment");
    expect(await carol.getByRole("link", { name: "invoice-42.pdf" }).getAttribute("href")).to.equal(`/tickets/${id}/attachments/${String(row.id)}`);

    const alice = await world.person();
    await signInWithForm(alice, baseUrl, "alice", DEMO_PASSWORD);
    await visit(alice, `/desk/tickets/${id}`);
    const link = alice.getByRole("link", { name: "invoice-42.pdf" });
    const href = (await link.getAttribute("href"))!;
    expect(href).to.equal(`/desk/tickets/${id}/attachments/${String(row.id)}`);

    // Clicked, it is a download (never shown in the tab), with its name and its very bytes.
    const [download] = await Promise.all([alice.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).to.equal("invoice-42.pdf");
    expect(Buffer.compare(readFileSync((await download.path())!), pdf)).to.equal(0);

    // The headers, as the browser's session gets them.
    const res = await alice.request.get(href);
    expect(res.status()).to.equal(200);
    expect(res.headers()).to.include({
      "content-type": "application/pdf",
      "content-disposition": "attachment; filename=\"invoice-42.pdf\"; filename*=UTF-8''invoice-42.pdf",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
    });
    expect(Buffer.compare(await res.body(), pdf)).to.equal(0);
  });
});
