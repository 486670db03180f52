/**
 * The browser side of the end-to-end tests: Debian's Chromium driven by playwright-core.
 * Never a downloaded browser: the executable is /usr/bin/chromium (apt-get install chromium),
 * or CHROMIUM_PATH when set.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { SmtpSink } from "../support/smtp-sink.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  // Headless, and without the setuid sandbox: CI runs as root.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/**
 * An HTTP server on a free loopback port whose handler is set later: the app's BASE_URL
 * (used in mailed links) can then be the very address the browser talks to.
 */
export async function loopbackServer(): Promise<{ server: Server; baseUrl: string; serve(app: Express): void; close(): Promise<void> }> {
  let handler: Express | undefined;
  const server = createServer((req, res) => {
    if (handler) return void handler(req, res);
    res.writeHead(503).end("not ready");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    serve: (app) => void (handler = app),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Where screenshots go: E2E_SCREENSHOT_DIR when set (kept), else a fresh temporary directory. */
export function screenshotDir(): { dir: string; keep: boolean } {
  const given = process.env.E2E_SCREENSHOT_DIR;
  return given ? { dir: given, keep: true } : { dir: mkdtempSync(path.join(tmpdir(), "vouchdesk-e2e-")), keep: false };
}

export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: what axe-core checks on every page state the e2e visits. */
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/**
 * Runs axe-core on the page as it is now and fails on any WCAG A/AA violation, naming each
 * rule, its help text and the elements (issue 16 item 11). Called at every state a test visits.
 */
export async function expectAccessible(page: Page, state = new URL(page.url()).pathname): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  if (violations.length === 0) return;
  const lines = violations.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`);
  throw new Error(`axe-core found ${violations.length} WCAG violation(s) on ${state}:\n${lines.join("\n")}`);
}

/** Goes to a page of the desk and checks it with axe-core. */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expectAccessible(page);
}

/** Signs in through the real form, as a person would. */
export async function signInWithForm(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await visit(page, `${baseUrl}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname !== "/login"), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
  await expectAccessible(page);
}

/**
 * Clicks a form's submit button and waits for the whole round trip: the POST must answer
 * 303 (with the page's text in the message when it does not), then the redirected page loads.
 * Waiting for the URL alone is not enough when the form redirects back to the page it is on.
 */
export async function submitForm(page: Page, button: Locator, action: string): Promise<void> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === action), button.click()]);
  if (response.status() !== 303) throw new Error(`POST ${action} answered ${response.status()}: ${(await response.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 800)}`);
  await page.waitForLoadState("load");
  await expectAccessible(page);
}

/** The text of the page's main heading. */
export async function mainHeading(page: Page): Promise<string> {
  return ((await page.getByRole("heading", { level: 1 }).textContent()) ?? "").trim();
}

/** An e2e suite's world, its fields set by the hooks of {@link useBrowserApp}. */
export interface BrowserApp {
  browser: Browser;
  t: TestApp;
  sink: SmtpSink;
  /** The app's BASE_URL: the address the browser talks to. */
  baseUrl: string;
  shots: { dir: string; keep: boolean };
  /** A fresh browser profile (one person, their own cookies), closed after the test; `prepare` sets it up before its first page. */
  person(prepare?: (context: BrowserContext, page: Page) => Promise<void>): Promise<Page>;
}

/**
 * The mocha hooks of an e2e suite: Chromium and a screenshot folder once; per test a fresh app
 * with a real SMTP sink, served on a loopback port as `host` (localhost for WebAuthn, whose RP ID
 * is never an IP address), and the browser profiles it opened closed afterwards.
 */
export function useBrowserApp(host: "127.0.0.1" | "localhost" = "127.0.0.1"): BrowserApp {
  const world = {} as BrowserApp;
  let web: Awaited<ReturnType<typeof loopbackServer>>;
  const contexts: BrowserContext[] = [];
  before(async () => {
    world.browser = await launchChromium();
    world.shots = screenshotDir();
    mkdirSync(world.shots.dir, { recursive: true });
  });
  after(async () => {
    await world.browser?.close();
    if (world.shots && !world.shots.keep) rmSync(world.shots.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    world.sink = await new SmtpSink().start();
    web = await loopbackServer();
    world.baseUrl = web.baseUrl.replace("127.0.0.1", host);
    world.t = await startTestApp({ BASE_URL: world.baseUrl }, world.sink);
    web.serve(world.t.app);
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await web.close();
    await world.t.close();
    await world.sink.stop();
  });
  world.person = async (prepare) => {
    const context = await world.browser.newContext({ baseURL: world.baseUrl, viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await prepare?.(context, page);
    return page;
  };
  return world;
}
