import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { signedIn, signIn, signInOk } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { userId, userRow } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

/** Issue 10 §4: an admin lifts a lockout from any login's page (and the staff page), audited. */
describe("admin console: unlocking a login", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "3", LOGIN_LOCK_MINUTES: "15" } });
  let admin: Agent;
  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  async function lockOut(username: string): Promise<void> {
    for (let i = 0; i < 3; i++) expect((await signIn(browser(t.app), username, "wrong-password")).status).to.equal(401);
    expect((await userRow(t, username)).locked_until).to.not.equal(null);
  }
  const lockState = async (username: string) => {
    const row = await userRow(t, username);
    return JSON.stringify([row.locked_until, row.failed_sign_ins, (await auditRows(t, "login.unlocked")).length, await count(t, "outbox", { template: "login-unlocked" })]);
  };

  it("unlocks a customer login from its page: the lock and the count are cleared, audited, and it signs in at once", async () => {
    await lockOut("dave");
    const page = `/admin/logins/${await userId(t, "dave")}`;
    const shown = await admin.get(page).expect(200);
    expect(shown.text).to.include("Locked until").and.include(`action="${page}/unlock"`);

    const res = await postForm(admin, `${page}/unlock`, {}, page);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(page);
    const row = await userRow(t, "dave");
    expect(row.locked_until).to.equal(null);
    expect(Number(row.failed_sign_ins)).to.equal(0);
    const audit = await auditRows(t, "login.unlocked");
    expect(audit.map((r) => [r.actor, r.subject, r.details.username, r.details.failedSignIns])).to.deep.equal([["admin", `user:${Number(row.id)}`, "dave", 0]]);
    expect(audit[0]!.details.lockedUntil).to.be.a("string");
    // dave hears of it at his address, with who did it: no secret in it, so a plain mail.
    const mails = (await outboxTo(t, row.email as string)).filter((m) => m.template === "login-unlocked");
    expect(mails.map((m) => [m.subject, m.encrypted])).to.deep.equal([["Your Vouchdesk login was unlocked", false]]);
    expect(await mailText(mails[0]!.message)).to.include("admin, of Vouchdesk support, unlocked your Vouchdesk login dave").and.include("Your password is unchanged");
    await signInOk(browser(t.app), "dave", DEMO_PASSWORD);
  });

  it("unlocks an agent from the staff page, where the lock shows, and goes back there", async () => {
    await lockOut("bob");
    const staff = await admin.get("/admin/staff").expect(200);
    const bobId = await userId(t, "bob");
    expect(staff.text).to.include("locked").and.include(`action="/admin/logins/${bobId}/unlock"`);
    const res = await postForm(admin, `/admin/logins/${bobId}/unlock`, { from: "staff" }, "/admin/staff");
    expect(res.headers.location).to.equal("/admin/staff");
    await signInOk(browser(t.app), "bob", DEMO_PASSWORD);
  });

  it("clears a count of failures short of a lock; a login with nothing to clear is left alone, unaudited", async () => {
    expect((await signIn(browser(t.app), "carol", "wrong-password")).status).to.equal(401);
    const page = `/admin/logins/${await userId(t, "carol")}`;
    expect((await admin.get(page).expect(200)).text).to.include("1 failed sign-in counted");
    expect((await postForm(admin, `${page}/unlock`, {}, page)).status).to.equal(303);
    expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(0);
    const before = await lockState("carol");
    const again = await postForm(admin, `${page}/unlock`, {}, page);
    expect(again.status).to.equal(303);
    expect((await admin.get(page).expect(200)).text).to.include("carol is not locked.");
    expect(await lockState("carol"), "nothing changed").to.equal(before);
  });

  it("needs a CSRF token and an admin; nothing changes otherwise", async () => {
    await lockOut("dave");
    const page = `/admin/logins/${await userId(t, "dave")}`;
    const before = await lockState("dave");
    expect((await admin.post(`${page}/unlock`).type("form").send({})).status).to.equal(403);
    const alice = browser(t.app);
    await signInOk(alice, "alice", DEMO_PASSWORD);
    expect((await postForm(alice, `${page}/unlock`, {})).status).to.equal(403);
    expect((await postForm(admin, "/admin/logins/999999/unlock", {}, page)).status).to.equal(404);
    expect(await lockState("dave"), "nothing changed").to.equal(before);
  });
});
