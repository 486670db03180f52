import { expect } from "chai";
import { browser } from "../support/http.js";
import { openTicket } from "../tickets/helpers.js";
import { startTestApp } from "../support/test-app.js";
import { postForm, csrfToken } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import { count } from "../support/rows.js";
import { useTestApp } from "../support/use-test-app.js";

describe("security headers", () => {
  const t = useTestApp({ once: true });

  it("sends a CSP without inline script, no framing, nosniff and a referrer policy", async () => {
    const res = await browser(t.app).get("/login").expect(200);
    const csp = res.headers["content-security-policy"] as string;
    const directive = (name: string) => csp.split(";").find((d) => d.trim().startsWith(name + " "))?.trim();
    expect(directive("script-src")).to.equal("script-src 'self'");
    expect(csp).not.to.include("unsafe-inline");
    expect(csp).not.to.include("unsafe-eval");
    expect(directive("frame-ancestors")).to.equal("frame-ancestors 'none'");
    expect(directive("object-src")).to.equal("object-src 'none'");
    expect(res.headers["x-content-type-options"]).to.equal("nosniff");
    expect(res.headers["referrer-policy"]).to.equal("same-origin");
    expect(res.headers["x-frame-options"]).to.equal("DENY");
    expect(res.headers["x-powered-by"]).to.equal(undefined);
  });

  it("serves the stylesheet locally and uses no inline script on pages", async () => {
    const page = await browser(t.app).get("/login").expect(200);
    expect(page.text).to.include('<link rel="stylesheet" href="/styles.css">');
    expect(page.text).not.to.match(/<script(?![^>]*\ssrc=)[^>]*>/);
    await browser(t.app).get("/styles.css").expect(200).expect("content-type", /css/);
  });
});

describe("errors", () => {
  const t = useTestApp({ once: true });

  it("answers an unknown page with a 404 page", async () => {
    const res = await browser(t.app).get("/no-such-page").expect(404);
    expect(res.text).to.include("Not found").and.include("does not exist");
  });

  it("answers a body that is not a form with 403 (no token can be read), not a stack trace", async () => {
    const agent = browser(t.app);
    await agent.get("/login").expect(200);
    const res = await agent.post("/login").set("content-type", "application/json").send('{"username": ');
    expect(res.status).to.equal(403);
    expect(res.text).not.to.match(/at .*\.(ts|js):\d+/);
  });

  it("answers an oversized form with 413, not a stack trace", async () => {
    const agent = browser(t.app);
    const _csrf = await csrfToken(agent);
    const res = await agent.post("/login").type("form").send({ _csrf, username: "a".repeat(200_000), password: "x" });
    expect(res.status).to.equal(413);
    expect(res.text).to.include("too large").and.not.match(/at .*\.(ts|js):\d+/);
  });

  it("answers a repeated field (an array where text belongs) with 400 and named problems", async () => {
    const agent = browser(t.app);
    const _csrf = await csrfToken(agent);
    const res = await agent.post("/login").type("form").send(`_csrf=${_csrf}&username=a&username=b&password=x`);
    expect(res.status).to.equal(400);
  });
});

describe("input no database column can hold", () => {
  const t = useTestApp();

  const tickets = () => count(t, "tickets");

  it("answers a NUL character in any field with 400 naming it, before anything is written", async () => {
    const visitor = browser(t.app);
    const _csrf = await csrfToken(visitor);
    const signIn = await visitor.post("/login").type("form").send({ _csrf, username: "carol\u0000", password: "x" });
    expect(signIn.status).to.equal(400);
    expect(signIn.text).to.include("NUL character");

    const carol = await signedIn(t, "carol");
    const before = await tickets();
    const res = await postForm(carol, "/tickets", { type: "general", subject: "Printer", body: "jammed\u0000again" }, "/tickets/new");
    expect(res.status).to.equal(400);
    expect(res.text).to.include("NUL character").and.not.match(/at .*\.(ts|js):\d+/);
    expect(await tickets()).to.equal(before);
    expect((await carol.get("/tickets?after=%00")).status).to.equal(400);
  });

  it("answers ids too large for an integer column as unknown (404) or a named problem (400), never a 500", async () => {
    const alice = await signedIn(t, "alice");
    const huge = "9999999999";
    expect((await alice.get(`/desk/tickets/${huge}`)).status).to.equal(404);
    expect((await postForm(alice, `/desk/tickets/${huge}/withdraw`, { reason: "x" }, "/desk")).status).to.equal(404);
    expect((await postForm(alice, `/desk/tickets/${huge}/callbacks`, { contact_id: "1", outcome: "confirmed" }, "/desk")).status).to.equal(404);
    const ticketId = await openTicket(await signedIn(t, "carol"));
    const assign = await postForm(alice, `/desk/tickets/${ticketId}/assign`, { assignee_id: huge }, `/desk/tickets/${ticketId}`);
    expect(assign.status).to.equal(400);
    expect(assign.text).to.include("Choose an agent from the list.");
    expect((await alice.get(`/admin/mail/${huge}`)).status).to.equal(403);
    const admin = await signedIn(t, "admin");
    expect((await admin.get(`/admin/mail/${huge}`)).status).to.equal(404);
    expect((await admin.get(`/admin/accounts/${huge}`)).status).to.equal(404);
  });
});

describe("health", () => {
  it("answers 200 while the database answers and 503 once it does not", async () => {
    const t = await startTestApp();
    try {
      const ok = await browser(t.app).get("/healthz").expect(200);
      expect(ok.text).to.equal("ok");
      expect(ok.headers["set-cookie"]).to.equal(undefined);
      await t.reader.destroy();
      await browser(t.app).get("/healthz").expect(503);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
