/**
 * NODE_ENV=production behind a TLS-terminating proxy (issue 10 §3): with TRUST_PROXY naming the
 * proxy, the Secure `__Host-` session cookie is set and sent back, sign-in works, and req.ip is
 * the client's address; a request that did not come over HTTPS through a trusted proxy gets a
 * page saying why, and no session. The real proxy (nginx) and browser are in test/e2e/.
 */
import { expect } from "chai";
import request, { type Test } from "supertest";
import { TRUST_HOPS_WARNING } from "../../src/main/app.js";
import { NOT_HTTPS } from "../../src/web/https-only.js";
import { sessionCookie, sessionSetCookie } from "../support/http.js";
import { DEMO_PASSWORD, startTestApp, type TestApp } from "../support/test-app.js";
import { csrfFrom } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";

const COOKIE = "__Host-vouchdesk";
const CLIENT = "203.0.113.9";
const production = (trustProxy: string) => ({ NODE_ENV: "production", BASE_URL: "https://desk.example.test", TRUST_PROXY: trustProxy });

/** A request as the proxy passes it on: over HTTPS, from the client's address (appended, as nginx does). */
const viaProxy = (test: Test, forwardedFor = CLIENT) => test.set("X-Forwarded-Proto", "https").set("X-Forwarded-For", forwardedFor);

describe("production behind a TLS proxy (TRUST_PROXY)", () => {
  let t: TestApp;
  afterEach(() => t.close());

  /** GET /login through the proxy: the session cookie and the form's CSRF token. */
  async function loginPage(forwardedFor?: string) {
    const page = await viaProxy(request(t.app).get("/login"), forwardedFor).expect(200);
    return { cookie: sessionCookie(page, COOKIE)!, _csrf: csrfFrom(page.text), setCookie: sessionSetCookie(page, COOKIE) };
  }
  const postLogin = (cookie: string, form: Record<string, string>, forwardedFor?: string) =>
    viaProxy(request(t.app).post("/login"), forwardedFor).set("Cookie", cookie).type("form").send(form);

  it("sets the Secure __Host- session cookie over HTTPS, signs in, and records the client's address", async () => {
    t = await startTestApp(production("loopback"));
    const { cookie, _csrf, setCookie } = await loginPage();
    expect(setCookie, "a session cookie on the sign-in page").to.be.a("string");
    expect(setCookie).to.include("Secure").and.include("HttpOnly").and.include("SameSite=Lax").and.include("Path=/").and.not.include("Domain=");

    const signedIn = await postLogin(cookie, { _csrf, username: "carol", password: DEMO_PASSWORD }).expect(303).expect("location", "/");
    const session = sessionCookie(signedIn, COOKIE);
    expect(session, "a new session id at sign-in").to.be.a("string").and.not.equal(cookie);
    const home = await viaProxy(request(t.app).get("/")).set("Cookie", session!).expect(200);
    expect(home.text).to.include("Carol Jones");
    expect(home.headers["strict-transport-security"]).to.include("max-age=");

    const [succeeded] = await auditRows(t, "sign_in.succeeded");
    expect(succeeded!.ip).to.equal(CLIENT);
  });

  it("keys the per-address limit on the client's address, which a client cannot choose by sending its own X-Forwarded-For", async () => {
    t = await startTestApp(production("loopback"));
    // The client sent "X-Forwarded-For: 198.51.100.1"; nginx appended the address it saw.
    const forged = `198.51.100.1, ${CLIENT}`;
    const { cookie, _csrf } = await loginPage(forged);
    await postLogin(cookie, { _csrf, username: "carol", password: "wrong-password" }, forged).expect(401);
    const keys = ((await t.db("rate_limits").select("key")) as { key: string }[]).map((r) => r.key);
    expect(keys).to.deep.equal([`login-ip:${CLIENT}`]);
    const [failed] = await auditRows(t, "sign_in.failed");
    expect(failed!.ip).to.equal(CLIENT);
  });

  it("answers a request that did not come over HTTPS with a page saying why, and starts no session", async () => {
    t = await startTestApp(production("loopback"));
    const page = await request(t.app).get("/login").expect(403);
    expect(page.text).to.include(NOT_HTTPS.slice(0, 60)).and.include("X-Forwarded-Proto").and.not.include('name="password"');
    expect(page.headers["set-cookie"]).to.equal(undefined);
    const post = await request(t.app).post("/login").type("form").send({ username: "carol", password: DEMO_PASSWORD }).expect(403);
    expect(post.headers["set-cookie"]).to.equal(undefined);
    expect(await auditRows(t, "sign_in.succeeded")).to.have.length(0);
    expect(await count(t, "sessions")).to.equal(0);
    await request(t.app).get("/healthz").expect(200);
  });

  it("warns at start-up, in the log, that a hop count trusts a client who reaches the port directly; not for a named proxy", async () => {
    t = await startTestApp(production("1"));
    const warnings = t.logs().split("\n").filter((line) => line.includes(TRUST_HOPS_WARNING));
    expect(warnings).to.have.length(1);
    expect(JSON.parse(warnings[0]!)).to.include({ level: 40, trustProxy: 1 });
    // What it warns of: straight to the port, a client names its own address and passes as HTTPS.
    const spoofed = await request(t.app).get("/login").set("X-Forwarded-Proto", "https").set("X-Forwarded-For", "198.51.100.1");
    expect(spoofed.status).to.equal(200);
    await t.close();

    t = await startTestApp(production("loopback"));
    expect(t.logs()).to.not.include(TRUST_HOPS_WARNING);
  });

  it("believes X-Forwarded-Proto only from a proxy TRUST_PROXY names", async () => {
    // The test's requests come from loopback; the named proxy is elsewhere.
    t = await startTestApp(production("10.9.8.7"));
    const page = await viaProxy(request(t.app).get("/login")).expect(403);
    expect(page.text).to.include("X-Forwarded-Proto");
    expect(page.headers["set-cookie"]).to.equal(undefined);
    expect(await count(t, "sessions")).to.equal(0);
  });
});
