/**
 * Production mode through a real TLS proxy (issue 10 §3): the built app with NODE_ENV=production
 * behind Debian's nginx, which terminates TLS with a certificate made for the test. A customer
 * signs in in Chromium through nginx and files a ticket; an agent created with the CLI signs in
 * and finds it in the queue. Before TRUST_PROXY no sign-in could work here: the Secure cookie was
 * never set and every POST /login was a 403.
 */
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { insertAccount } from "../../src/accounts/accounts-store.js";
import { insertLogin } from "../../src/identity/users-store.js";
import { hashPassword } from "../../src/identity/password-hashing.js";
import { systemClock } from "../../src/shared/clock.js";
import { openDatabase, type Db } from "../../src/shared/db.js";
import { launchChromium, mainHeading, signInWithForm, expectAccessible } from "./browser.js";
import { run, startProductionStack, type ProductionStack } from "./production-stack.js";

const CUSTOMER_PASSWORD = "Harbour-Kettle-73!";
const AGENT_PASSWORD = "Quartz-Meadow-58!";
const SUBJECT = "Invoices arrive twice";

describe("production behind nginx (TLS proxy, Chromium)", function () {
  // Building the app, and argon2 on a shared machine, take their time.
  this.timeout(180_000);
  let stack: ProductionStack;
  let browser: Browser;
  let db: Db;
  const contexts: BrowserContext[] = [];

  before(async () => {
    stack = await startProductionStack(async (env, databaseUrl) => {
      // The operator's way to the first staff login: the CLI, the password on standard input.
      run(process.execPath, ["dist/src/main/cli.js", "create-agent", "alice", "alice@desk.example"], { env, input: `${AGENT_PASSWORD}\n` });
      // Customer logins are made by people at the desk; here, with the desk's own functions.
      const prep = openDatabase(databaseUrl);
      try {
        const now = systemClock.now();
        const accountId = await insertAccount(prep, { code: "NGX", name: "Nginx Test Ltd" }, now);
        const passwordHash = await hashPassword(CUSTOMER_PASSWORD);
        await insertLogin(prep, { accountId, username: "pat", role: "secondary", displayName: "Pat Proxy", email: "pat@ngx.example", passwordHash }, now);
      } finally {
        await prep.destroy();
      }
    });
    db = openDatabase(stack.databaseUrl);
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await browser?.close();
    await db?.destroy();
    await stack?.stop();
  });

  /** A fresh browser profile that accepts the test's self-signed certificate. */
  async function person(): Promise<Page> {
    const context = await browser.newContext({ baseURL: stack.baseUrl, ignoreHTTPSErrors: true });
    contexts.push(context);
    return context.newPage();
  }

  it("signs a customer in over HTTPS with the __Host- cookie, files a ticket, and the agent sees it", async () => {
    const pat = await person();
    await signInWithForm(pat, stack.baseUrl, "pat", CUSTOMER_PASSWORD).catch((err: Error) => {
      throw new Error(`${err.message}\n${stack.output()}`);
    });
    expect(await mainHeading(pat)).to.equal("My tickets");
    const [cookie, ...others] = (await pat.context().cookies()).filter((c) => c.name.includes("vouchdesk"));
    expect(others).to.have.length(0);
    expect(cookie).to.include({ name: "__Host-vouchdesk", secure: true, httpOnly: true, sameSite: "Lax", path: "/", domain: "localhost" });

    await Promise.all([pat.waitForURL("/tickets/new"), pat.getByRole("link", { name: "New ticket" }).click()]);

    await expectAccessible(pat);
    await pat.getByLabel("What is it about?").selectOption({ label: "Billing or other non-technical matter" });
    await pat.getByLabel("Subject").fill(SUBJECT);
    await pat.getByLabel("Message").fill("Every invoice this month came twice, with the same number.");
    await Promise.all([pat.waitForURL(/\/tickets\/\d+$/), pat.getByRole("button", { name: "Open ticket" }).click()]);
    await expectAccessible(pat);
    const ticketId = Number(/\/tickets\/(\d+)$/.exec(pat.url())![1]);
    expect(await mainHeading(pat)).to.equal(`#${ticketId} ${SUBJECT}`);
    await pat.getByText(`Ticket #${ticketId} is open.`).waitFor();

    const row = (await db("tickets").where({ id: ticketId }).first()) as { subject: string; type: string; requester_id: number };
    expect(row).to.include({ subject: SUBJECT, type: "non_technical" });
    const requester = (await db("users").where({ id: row.requester_id }).first()) as { username: string };
    expect(requester.username).to.equal("pat");
    const signIns = (await db("audit_log").where({ action: "sign_in.succeeded", actor: "pat" })) as { ip: string }[];
    expect(signIns.map((r) => r.ip), "the client's address, from nginx's X-Forwarded-For").to.deep.equal(["127.0.0.1"]);

    const alice = await person();
    await signInWithForm(alice, stack.baseUrl, "alice", AGENT_PASSWORD);
    expect(await mainHeading(alice)).to.equal("Queue: Open work");
    await Promise.all([alice.waitForURL(`/desk/tickets/${ticketId}`), alice.getByRole("link", { name: `#${ticketId}`, exact: true }).click()]);
    await expectAccessible(alice);
    expect(await mainHeading(alice)).to.include(SUBJECT);
  });

  it("answers plain HTTP straight to the app with a page saying why, and sets no cookie", async () => {
    const res = await fetch(`${stack.appUrl}/login`);
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("only over HTTPS").and.include("TRUST_PROXY");
    expect(res.headers.get("set-cookie")).to.equal(null);
    expect((await fetch(`${stack.appUrl}/healthz`)).status, "health checks still answer").to.equal(200);
  });
});
