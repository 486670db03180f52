/**
 * /open-message in Debian's Chromium: a key-less holder opens the locked mail with the
 * passphrase read on the phone, pasted or from the saved mail, and the page never sends the
 * passphrase or the message anywhere (every request it makes is watched).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { simpleParser } from "mailparser";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { generateRandomPassword } from "../../src/identity/index.js";
import { enqueue } from "../../src/platform/mail/outbox-store.js";
import { newDeliveryPassphrase } from "../../src/resets/delivery-passphrase.js";
import { keylessTemporaryPasswordMail } from "../../src/resets/keyless-mail.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { launchChromium, loopbackServer, mainHeading, screenshot, screenshotDir, visit } from "./browser.js";

const CTX = { ticketId: 12, accountName: "Acme Ltd", primaryUsername: "ACM0001" };
/** Everything the page loads, all by GET: itself, its style and scripts, and the desk's public key. */
const EXPECTED_REQUESTS = ["GET /open-message", "GET /styles.css", "GET /js/open-message.js", "GET /js/passphrase-rules.js", "GET /vendor/openpgp.min.mjs", "GET /pgp-key.asc"];

describe("/open-message in the browser (Chromium)", () => {
  let browser: Browser;
  let sink: SmtpSink;
  let t: TestApp;
  let web: Awaited<ReturnType<typeof loopbackServer>>;
  let shots: { dir: string; keep: boolean };
  let files: string;
  let context: BrowserContext;
  const password = generateRandomPassword();
  const passphrase = newDeliveryPassphrase();
  let eml = "";
  let armored = "";
  let requests: { method: string; url: string; postData: string | null }[] = [];

  before(async () => {
    browser = await launchChromium();
    shots = screenshotDir();
    mkdirSync(shots.dir, { recursive: true });
    files = mkdtempSync(path.join(tmpdir(), "vd-open-message-"));
    sink = await new SmtpSink().start();
    web = await loopbackServer();
    t = await startTestApp({ BASE_URL: web.baseUrl }, sink);
    web.serve(t.app);
    const composed = await keylessTemporaryPasswordMail(t.mailer, t.clock, CTX, { email: "primary@acme.example", displayName: "Paula Primary" }, password, passphrase, new Date(t.clock.now().getTime() + 86_400_000));
    await enqueue(t.db, composed, t.clock.now());
    await t.deliverMail();
    eml = sink.received[0]!.raw;
    armored = (await simpleParser(eml)).attachments[0]!.content.toString("utf8");
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await t?.close();
    await sink?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
    if (shots && !shots.keep) rmSync(shots.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    context = await browser.newContext({ baseURL: web.baseUrl, viewport: { width: 1280, height: 900 } });
    requests = [];
  });
  afterEach(() => context.close());

  async function openPage(viewport?: { width: number; height: number }): Promise<Page> {
    const page = await context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on("request", (r) => requests.push({ method: r.method(), url: r.url(), postData: r.postData() }));
    await visit(page, "/open-message");
    expect(await mainHeading(page)).to.equal("Open a locked message");
    await page.getByRole("button", { name: "Open the message" }).waitFor();
    return page;
  }

  const openWith = async (page: Page, typed: string) => {
    await page.getByLabel("Passphrase").fill(typed);
    await page.getByRole("button", { name: "Open the message" }).click();
  };

  /** No request carried the passphrase (in any form), the password or a line of the message, and none but the expected GETs was made. */
  function expectNothingSent() {
    const secrets = [passphrase, passphrase.replace(/-/g, ""), passphrase.toLowerCase(), password, ...armored.split(/\r?\n/).filter((line) => line.length >= 16)];
    for (const r of requests) {
      expect(r.postData, `${r.method} ${r.url} has no body`).to.equal(null);
      for (const secret of secrets) expect(decodeURIComponent(r.url), r.url).to.not.include(secret);
    }
    const seen = [...new Set(requests.map((r) => `${r.method} ${new URL(r.url).pathname}`))];
    expect(seen.sort()).to.deep.equal([...EXPECTED_REQUESTS].sort());
  }

  it("opens the pasted message with the passphrase (typed loosely) and shows the password to copy and a way to sign in; nothing is sent", async () => {
    const page = await openPage();
    await page.getByLabel("The locked message").fill(armored);
    await openWith(page, passphrase.toLowerCase().replace(/-/g, " "));
    await page.getByRole("heading", { name: "The message is open" }).waitFor();
    expect(await page.getByLabel("Temporary password").inputValue()).to.equal(password);
    expect(await page.getByText(/^Signed by this desk \(key /).textContent()).to.include(t.mailer.deskKey.fingerprint.slice(0, 4));
    expect(await page.getByRole("link", { name: "Sign in" }).first().getAttribute("href")).to.equal("/login");
    expect(await page.getByLabel("Passphrase").inputValue(), "the passphrase is cleared once used").to.equal("");
    await screenshot(page, shots.dir, "open-message-opened");
    expect(page.url()).to.equal(`${web.baseUrl}/open-message`);
    expectNothingSent();
  });

  it("opens the mail saved as an .eml file, on a phone-sized screen", async () => {
    const file = path.join(files, "temporary-password.eml");
    writeFileSync(file, eml);
    const page = await openPage({ width: 390, height: 844 });
    await page.getByLabel("Or choose the file").setInputFiles(file);
    await page.waitForFunction('document.getElementById("open-message-text").value.includes("END PGP MESSAGE")');
    await openWith(page, passphrase);
    await page.getByRole("heading", { name: "The message is open" }).waitFor();
    expect(await page.getByLabel("Temporary password").inputValue()).to.equal(password);
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow, "no sideways scrolling on a phone").to.equal(0);
    await screenshot(page, shots.dir, "open-message-phone");
    expectNothingSent();
  });

  it("says clearly when the passphrase is wrong, mistyped or the message damaged, and shows no password", async () => {
    const page = await openPage();
    await page.getByLabel("The locked message").fill(armored);
    await openWith(page, newDeliveryPassphrase());
    const alert = page.getByRole("alert");
    await alert.getByText("That passphrase does not open this message.").waitFor();
    expect(await page.getByRole("heading", { name: "The message is open" }).isVisible()).to.equal(false);
    await screenshot(page, shots.dir, "open-message-wrong-passphrase");

    await openWith(page, passphrase.replace(/^./, "0"));
    await page.getByText("The passphrase has no “0”").waitFor();
    expect(await page.getByLabel("Passphrase").getAttribute("aria-invalid")).to.equal("true");

    const lines = armored.split("\n");
    lines[3] = lines[3]!.slice(0, 10);
    await page.getByLabel("The locked message").fill(lines.join("\n"));
    await openWith(page, passphrase);
    await alert.getByText(/This locked message is damaged or incomplete/).waitFor();
    expect(await page.getByRole("heading", { name: "The message is open" }).isVisible()).to.equal(false);
    expectNothingSent();
  });

  // (Chromium with scripts turned off still parses <noscript> as if they ran: its markup is checked in test/web/open-message.test.ts.)
  it("without JavaScript shows no form to press, and gives the GnuPG steps", async () => {
    const noScript = await browser.newContext({ baseURL: web.baseUrl, javaScriptEnabled: false });
    try {
      const page = await noScript.newPage();
      // axe-core runs as a script in the page, so it cannot check one with scripts off; the same page with scripts on is checked above.
      await page.goto("/open-message");
      await page.getByRole("heading", { name: "Open a locked message" }).waitFor();
      expect(await page.getByRole("button", { name: "Open the message" }).isVisible()).to.equal(false);
      expect(await page.getByRole("heading", { name: "Or open it with GnuPG" }).isVisible()).to.equal(true);
      expect(await page.getByText("gpg --decrypt vouchdesk-message.asc").isVisible()).to.equal(true);
    } finally {
      await noScript.close();
    }
  });
});
