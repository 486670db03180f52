import { expect } from "chai";
import { minutes } from "../../src/shared/clock.js";
import { rateLimitDecrementsSettled } from "../../src/web/rate-limit-store.js";
import { browser } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { csrfToken } from "../support/forms.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { auditActions, auditRows } from "../support/audit.js";
import { useTestApp } from "../support/use-test-app.js";

const GENERIC = "Sign-in failed: the username or password is wrong";


describe("sign-in", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "3", LOGIN_LOCK_MINUTES: "15" } });

  it("signs a demo login in and shows its home page", async () => {
    const agent = browser(t.app);
    const res = await signInOk(agent, "carol", DEMO_PASSWORD);
    expect(res.headers.location).to.equal("/");
    const home = await agent.get("/").expect(200);
    expect(home.text).to.include("My tickets").and.include("Carol Jones");
    expect(await auditActions(t)).to.include("sign_in.succeeded");
  });

  it("accepts the username in any case", async () => {
    await signInOk(browser(t.app), "acm0001", DEMO_PASSWORD);
  });

  it("gives the same answer for a wrong password and an unknown user", async () => {
    const wrong = await signIn(browser(t.app), "carol", "not-the-password");
    const unknown = await signIn(browser(t.app), "nobody-here", "not-the-password");
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(wrong.text).to.include(GENERIC);
    const message = (html: string) => /<div class="flash flash-error" role="alert">([^<]*)<\/div>/.exec(html)?.[1];
    expect(message(wrong.text)).to.equal(message(unknown.text));
  });

  it("names each missing field with a 400 and signs nobody in", async () => {
    const agent = browser(t.app);
    const _csrf = await csrfToken(agent);
    const res = await agent.post("/login").type("form").send({ _csrf, username: "", password: "" }).expect(400);
    expect(res.text).to.include("Enter your username.").and.include("Enter your password.");
    await agent.get("/").expect(303).expect("location", "/login");
  });

  it("locks the login after the set number of failures, refuses even the right password, and unlocks after the lock time", async () => {
    for (let i = 0; i < 3; i++) await signIn(browser(t.app), "carol", "wrong-password").then((r) => expect(r.status).to.equal(401));
    const locked = await signIn(browser(t.app), "carol", DEMO_PASSWORD);
    expect(locked.status).to.equal(401);
    expect(locked.text).to.include(GENERIC);
    expect(await auditActions(t)).to.include("sign_in.locked");

    t.clock.advance(minutes(14));
    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(401);
    t.clock.advance(minutes(2));
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
  });

  it("resets the failure count after a successful sign-in", async () => {
    for (let i = 0; i < 2; i++) await signIn(browser(t.app), "carol", "wrong-password");
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
    for (let i = 0; i < 2; i++) await signIn(browser(t.app), "carol", "wrong-password");
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
  });

  it("refuses a disabled login and a login of a suspended account with the generic message", async () => {
    await t.db("users").where({ username: "dave" }).update({ disabled_at: t.clock.now() });
    await t.db("accounts").where({ code: "ACM" }).update({ status: "suspended" });
    for (const username of ["dave", "carol"]) {
      const res = await signIn(browser(t.app), username, DEMO_PASSWORD);
      expect(res.status).to.equal(401);
      expect(res.text).to.include(GENERIC);
    }
    await signInOk(browser(t.app), "alice", DEMO_PASSWORD);
  });

  it("refuses an expired temporary password and says what to do", async () => {
    await t.db("users").where({ username: "ACM0001" }).update({ must_change_password: true, temp_password_expires_at: new Date(t.clock.now().getTime() - 1000) });
    const res = await signIn(browser(t.app), "ACM0001", DEMO_PASSWORD);
    expect(res.status).to.equal(401);
    expect(res.text).to.include("Your temporary password has expired").and.include("Primary account password reset request");
  });

  it("never records the password in the database or the logs", async () => {
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
    await signIn(browser(t.app), "carol", "Wrong-But-Secret-123!");
    expect(await t.leaks(DEMO_PASSWORD)).to.equal(false);
    expect(await t.leaks("Wrong-But-Secret-123!")).to.equal(false);
  });
});

describe("sign-in rate limit per IP", () => {
  const t = useTestApp({ env: { LOGIN_IP_LIMIT: "4" } });

  const hits = async () => {
    await rateLimitDecrementsSettled(); // a success gives its hit back after its response
    return Number(((await t.db("rate_limits").where("key", "like", "login-ip:%").first()) as { hits: number } | undefined)?.hits ?? 0);
  };

  it("answers 429 past the limit, even for the right password, and counts in the database", async () => {
    for (let i = 0; i < 4; i++) expect((await signIn(browser(t.app), "carol", "wrong-password")).status).to.equal(401);
    const agent = browser(t.app);
    const limited = await signIn(agent, "carol", DEMO_PASSWORD);
    expect(limited.status).to.equal(429);
    expect(limited.text).to.include("Too many sign-in attempts");
    await agent.get("/").expect(303).expect("location", "/login");
    expect(await auditActions(t)).to.not.include("sign_in.succeeded");
    const counter = (await t.db("rate_limits").first()) as { key: string; hits: number };
    expect(counter.key).to.match(/^login-ip:/);
    expect(Number(counter.hits)).to.equal(5);

    t.clock.advance(minutes(16));
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
  });

  it("counts failed sign-ins only: a whole office signing in from one address is never limited", async () => {
    for (const username of ["alice", "bob", "carol", "dave", "ACM0001", "admin", "alice", "bob"]) await signInOk(browser(t.app), username, DEMO_PASSWORD);
    expect(await hits()).to.equal(0);
    // Failures still count, between successes too.
    for (let i = 0; i < 3; i++) expect((await signIn(browser(t.app), "nobody", "wrong-password")).status).to.equal(401);
    await signInOk(browser(t.app), "bob", DEMO_PASSWORD);
    expect((await signIn(browser(t.app), "nobody", "wrong-password")).status).to.equal(401);
    expect(await hits()).to.equal(4);
    expect((await signIn(browser(t.app), "alice", DEMO_PASSWORD)).status).to.equal(429);
  });

  it("writes one audit entry per address and window, with the count, once the window has ended", async () => {
    for (let i = 0; i < 4; i++) await signIn(browser(t.app), "nobody", "wrong-password");
    for (let i = 0; i < 6; i++) expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(429);
    const before = (await auditActions(t)).length;
    await t.auditRefusals();
    expect(await auditActions(t), "the window is still open").to.have.length(before);

    t.clock.advance(minutes(16));
    await t.auditRefusals();
    await t.auditRefusals();
    const rows = await auditRows(t, "sign_in.rate_limited");
    expect(rows).to.have.length(1);
    expect(rows[0]!.ip).to.be.a("string").and.match(/127\.0\.0\.1|::1/);
    expect(rows[0]!.details).to.include({ refused: 6, limit: 4 });
    expect(rows[0]!.details).to.have.keys("refused", "limit", "firstRefusedAt", "lastRefusedAt", "windowEndedAt");
    expect(await t.db("rate_limit_refusals").count({ n: "*" }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);

    // The next window gets its own entry.
    for (let i = 0; i < 5; i++) await signIn(browser(t.app), "nobody", "wrong-password");
    t.clock.advance(minutes(16));
    await t.auditRefusals();
    expect((await auditRows(t, "sign_in.rate_limited")).map((r) => r.details.refused)).to.deep.equal([6, 1]);
  });
});
