/**
 * The accessibility check itself (issue 16 item 11): every e2e suite runs axe-core on each page
 * state it visits (browser.ts `expectAccessible`, called by `visit`, `submitForm` and the
 * sign-in). Here: the check does fail on a page that breaks WCAG, and the pages a person meets
 * before signing in, and a re-rendered form with its problems, pass on a laptop and on a phone in
 * dark mode (prefers-color-scheme: dark: axe-core checks the contrast of the dark colours).
 */
import { expect } from "chai";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { expectAccessible, signInWithForm, useBrowserApp, visit } from "./browser.js";

describe("accessibility: axe-core on the pages the e2e visits (Chromium)", () => {
  const world = useBrowserApp();

  it("fails on a page with a WCAG violation, naming the rule and the element", async () => {
    const page = await world.person();
    await page.setContent('<!doctype html><html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>');
    const failure = await expectAccessible(page, "a broken page").then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failure).to.match(/axe-core found 2 WCAG violation\(s\) on a broken page/);
    expect(failure).to.include("image-alt").and.include("label").and.include("img");
  });

  for (const [name, viewport, colorScheme] of [
    ["a laptop", { width: 1280, height: 900 }, "light"],
    ["a phone in dark mode", { width: 390, height: 844 }, "dark"],
  ] as const) {
    it(`the public pages, a form sent back with its problems and the admin's pages pass on ${name}`, async () => {
      const page = await world.person();
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      for (const path of ["/login", "/forgot-password", "/open-message"]) await visit(page, path);
      await visit(page, "/login");
      await page.getByLabel("Username").fill("alice");
      await page.getByLabel("Password", { exact: true }).fill("not the password");
      await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
      await page.waitForLoadState("load");
      expect(await page.title()).to.match(/^Error: /);
      await expectAccessible(page, "a failed sign-in");

      // The admin's pages, with their tables and badges (the reset flows check the desk's and the portal's).
      await signInWithForm(page, world.baseUrl, "admin", DEMO_PASSWORD);
      for (const path of ["/desk", "/admin/accounts", "/admin/staff", "/admin/mail", "/admin/mail/inbound", "/admin/tasks", "/admin/audit", "/admin/settings", "/admin/sla", "/account"]) await visit(page, path);
    });
  }
});
