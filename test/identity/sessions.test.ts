import { expect } from "chai";
import { hours, minutes } from "../../src/shared/clock.js";
import { bumpSessionEpoch, findLoginByUsername } from "../../src/identity/users-store.js";
import { browser, sessionCookie } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { csrfToken } from "../support/forms.js";
import { signInOk } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

describe("sessions", () => {
  const t = useTestApp();

  it("gives a new session id at sign-in", async () => {
    const agent = browser(t.app);
    const before = sessionCookie(await agent.get("/login").expect(200));
    expect(before).to.be.a("string");
    const after = sessionCookie(await signInOk(agent, "alice", DEMO_PASSWORD));
    expect(after).to.be.a("string").and.not.equal(before);
  });

  it("sets the session cookie HttpOnly and SameSite=Lax", async () => {
    const res = await signInOk(browser(t.app), "alice", DEMO_PASSWORD);
    const cookie = ((res.headers["set-cookie"] as unknown as string[]) ?? []).find((c) => c.startsWith("vouchdesk.sid="))!;
    expect(cookie).to.include("HttpOnly").and.include("SameSite=Lax");
  });

  it("stores only a hash of the session id, never the id itself", async () => {
    const res = await signInOk(browser(t.app), "alice", DEMO_PASSWORD);
    const sid = decodeURIComponent(sessionCookie(res)!.split("=")[1]!).replace(/^s:/, "").split(".")[0]!;
    expect(sid.length).to.be.greaterThan(20);
    expect(await t.db("sessions").count({ n: "*" }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) >= 1);
    expect(await t.leaks(sid)).to.equal(false);
  });

  it("ends the session at sign-out", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "alice", DEMO_PASSWORD);
    const _csrf = await csrfToken(agent, "/");
    await agent.post("/logout").type("form").send({ _csrf }).expect(303).expect("location", "/login?signed_out=1");
    await agent.get("/").expect(303).expect("location", "/login");
    const actions = ((await t.db("audit_log").select("action")) as { action: string }[]).map((r) => r.action);
    expect(actions).to.include("sign_out");
  });

  it("ends every live session of a login when its epoch is bumped", async () => {
    const first = browser(t.app);
    const second = browser(t.app);
    await signInOk(first, "carol", DEMO_PASSWORD);
    await signInOk(second, "carol", DEMO_PASSWORD);
    await first.get("/").expect(200);
    const carol = (await findLoginByUsername(t.db, "carol"))!;
    await bumpSessionEpoch(t.db, carol.id, t.clock.now());
    await first.get("/").expect(303).expect("location", "/login");
    await second.get("/").expect(303).expect("location", "/login");
    const other = browser(t.app);
    await signInOk(other, "carol", DEMO_PASSWORD);
    await other.get("/").expect(200);
  });

  it("ends a session left idle for more than 30 minutes, and keeps one in use", async () => {
    const idle = browser(t.app);
    const busy = browser(t.app);
    await signInOk(idle, "alice", DEMO_PASSWORD);
    await signInOk(busy, "bob", DEMO_PASSWORD);
    for (let i = 0; i < 4; i++) {
      t.clock.advance(minutes(20));
      await busy.get("/").expect(200);
    }
    await idle.get("/").expect(303).expect("location", "/login");
  });

  it("ends any session 12 hours after sign-in, however busy", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "alice", DEMO_PASSWORD);
    for (let elapsed = 0; elapsed < hours(12); elapsed += minutes(25)) {
      await agent.get("/").expect(200);
      t.clock.advance(minutes(25));
    }
    await agent.get("/").expect(303).expect("location", "/login");
  });

  it("ends the session of a login disabled while signed in", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "dave", DEMO_PASSWORD);
    await t.db("users").where({ username: "dave" }).update({ disabled_at: t.clock.now() });
    await agent.get("/").expect(303).expect("location", "/login");
  });
});
