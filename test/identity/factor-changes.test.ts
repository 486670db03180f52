/**
 * Changes to a login's factors need a current code of the factor, and every code typed there is a
 * guess toward the sign-in lockout (issue 13 review, findings 2 and 3).
 */
import { expect } from "chai";
import { takeTotpStep } from "../../src/identity/second-factors/second-factors-store.js";
import { databaseRows } from "../support/database.js";
import { browser, sessionCookie } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { postForm } from "../support/forms.js";
import { userId, userRow } from "../support/users.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { answered, codeAt, enrolTotp, passwordStep, recoveryCodesOn, secondStep, startEnrolment } from "./two-factor-helpers.js";

const LOCKED = "Too many wrong passwords or codes: your login is locked for a while, and nothing was changed.";
const WRONG = "That code is not right, or it was already used.";
const ENTER = "Enter the code from your authenticator app, or a recovery code.";

describe("changing the factors of a login (LOGIN_MAX_FAILURES=3)", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "3" } });

  async function carolWithFactor() {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    return { agent, ...(await enrolTotp(t, agent)) };
  }
  const wrongFor = (secret: string) => (codeAt(t, secret) === "000000" ? "111111" : "000000");
  const factorRows = async () => ({ totp: await count(t, "totp_factors", { user_id: await userId(t, "carol") }), codes: await count(t, "recovery_codes", { user_id: await userId(t, "carol"), used_at: null }) });

  it("removal: wrong codes count toward the lockout and lock the login; then even the right code removes nothing", async () => {
    const { agent, secret } = await carolWithFactor();
    for (const n of [1, 2]) {
      const wrong = await answered(postForm(agent, "/account/two-factor/totp/remove", { code: wrongFor(secret) }, "/account/two-factor"), 400);
      expect(wrong.text).to.include(WRONG).and.include('id="field-code-problem"');
      expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(n);
    }
    const third = await answered(postForm(agent, "/account/two-factor/totp/remove", { code: wrongFor(secret) }, "/account/two-factor"), 400);
    expect(third.text).to.include(LOCKED);
    expect((await userRow(t, "carol")).locked_until).to.not.equal(null);
    expect((await auditRows(t, "sign_in.locked")).map((r) => r.action)).to.have.length(1);

    const right = await answered(postForm(agent, "/account/two-factor/totp/remove", { code: codeAt(t, secret) }, "/account/two-factor"), 400);
    expect(right.text).to.include(LOCKED);
    expect(await factorRows()).to.deep.equal({ totp: 1, codes: 10 });
    expect(await auditRows(t, "second_factor.totp_removed")).to.deep.equal([]);
    // Locked as after wrong passwords: the right password does not sign in.
    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(401);
  });

  it("removal needs a code: the password alone or an empty form is refused and changes nothing", async () => {
    const { agent } = await carolWithFactor();
    const before = await databaseRows(t.db, ["sessions"]);
    for (const form of [{ current_password: DEMO_PASSWORD }, {}] as Record<string, string>[]) {
      const refused = await answered(postForm(agent, "/account/two-factor/totp/remove", form, "/account/two-factor"), 400);
      expect(refused.text).to.include(ENTER);
    }
    expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);
  });

  it("new recovery codes need a current code: none or a wrong one is refused and changes nothing but the count", async () => {
    const { agent, secret, recoveryCodes } = await carolWithFactor();
    const before = await databaseRows(t.db, ["sessions"]);
    const none = await answered(postForm(agent, "/account/two-factor/recovery-codes", {}, "/account/two-factor"), 400);
    expect(none.text).to.include(ENTER).and.include('id="field-recovery-problem"');
    expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);

    const wrong = await answered(postForm(agent, "/account/two-factor/recovery-codes", { recovery: wrongFor(secret) }, "/account/two-factor"), 400);
    expect(wrong.text).to.include(WRONG);
    expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(1);
    expect((await auditRows(t, "second_factor.recovery_codes_refused")).map((r) => r.details)).to.deep.equal([{ reason: "wrong_code" }]);
    expect(await auditRows(t, "second_factor.recovery_codes_regenerated")).to.deep.equal([]);

    // A recovery code proves it too (and is spent with the old set).
    const page = await answered(postForm(agent, "/account/two-factor/recovery-codes", { recovery: recoveryCodes[0]! }, "/account/two-factor"), 200);
    expect(recoveryCodesOn(page.text)).to.have.length(10);
    expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(0);
  });

  it("a new enrolment cannot start over an active authenticator, and nothing changes", async () => {
    const { agent } = await carolWithFactor();
    const before = await databaseRows(t.db, ["sessions"]);
    await answered(postForm(agent, "/account/two-factor/totp", {}, "/account/two-factor"), 303, "/account/two-factor");
    const page = await agent.get("/account/two-factor").expect(200);
    expect(page.text).to.include("Your authenticator app is already set up. Remove it first to set up another one.");
    expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);
  });
});

describe("the `required` policy is read from the login on each request (STAFF_SECOND_FACTOR=required)", () => {
  const t = useTestApp({ env: { STAFF_SECOND_FACTOR: "required" } });

  it("a session that signed in with its factor goes to enrolment once the factor is gone, whoever removed it", async () => {
    const enrolling = browser(t.app);
    await signInOk(enrolling, "alice", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, enrolling);
    const agent = browser(t.app);
    await passwordStep(agent, "alice", DEMO_PASSWORD);
    await answered(secondStep(agent, codeAt(t, secret)), 303, "/");
    await agent.get("/desk").expect(200);

    // Gone by another way than this session's own form (as an admin's removal will).
    await t.db("totp_factors").where({ user_id: await userId(t, "alice") }).delete();
    await agent.get("/desk").expect(303).expect("location", "/account/two-factor");
    const before = await databaseRows(t.db, ["sessions"]);
    await answered(postForm(agent, "/desk/tickets/1/notes", { body: "x" }, "/account/two-factor"), 303, "/account/two-factor");
    expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);
    await agent.get("/account/two-factor").expect(200);
  });
});

describe("forced password change under CUSTOMER_SECOND_FACTOR=required", () => {
  const t = useTestApp({ env: { CUSTOMER_SECOND_FACTOR: "required" } });
  const NEW_PASSWORD = "Gx8@pW3!mK7^qB2%";

  it("the change comes first (no redirect loop), then the next sign-in goes to enrolment", async () => {
    await t.db("users").where({ username: "carol" }).update({ must_change_password: true });
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    await agent.get("/account/password").expect(200);
    await agent.get("/account/two-factor").expect(303).expect("location", "/account/password");
    await agent.get("/tickets").expect(303).expect("location", "/account/password");

    await answered(postForm(agent, "/account/password", { current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, "/account/password"), 303, "/login");
    const again = browser(t.app);
    await signInOk(again, "carol", NEW_PASSWORD);
    await again.get("/tickets").expect(303).expect("location", "/account/two-factor");
    await again.get("/account/two-factor").expect(200);
  });
});

describe("adding or removing a factor ends the login's other sessions", () => {
  const t = useTestApp();

  it("enrolment signs out a password-only session elsewhere; the enrolling one goes on under a new session id", async () => {
    const other = browser(t.app);
    await signInOk(other, "carol", DEMO_PASSWORD);
    const owner = browser(t.app);
    const before = sessionCookie(await signInOk(owner, "carol", DEMO_PASSWORD));
    const { secret } = await startEnrolment(owner);

    const confirmed = await answered(postForm(owner, "/account/two-factor/totp/confirm", { code: codeAt(t, secret) }, "/account/two-factor"), 200);
    expect(sessionCookie(confirmed), "a new session id").to.be.a("string").and.not.equal(before);
    await other.get("/tickets").expect(303).expect("location", "/login");
    await owner.get("/tickets").expect(200);
    // Nothing the other session can do now: no new recovery codes for it either.
    const refused = await postForm(other, "/account/two-factor/recovery-codes", { recovery: codeAt(t, secret) }, "/login");
    expect(refused.status).to.equal(401);
    expect(await auditRows(t, "second_factor.recovery_codes_regenerated")).to.deep.equal([]);
  });

  it("removal signs out the login's other sessions and keeps the removing one", async () => {
    const owner = browser(t.app);
    await signInOk(owner, "carol", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, owner);
    const other = browser(t.app);
    await passwordStep(other, "carol", DEMO_PASSWORD);
    await answered(secondStep(other, codeAt(t, secret)), 303, "/");
    t.clock.advance(30_000);

    await answered(postForm(owner, "/account/two-factor/totp/remove", { code: codeAt(t, secret) }, "/account/two-factor"), 303, "/account/two-factor");
    await other.get("/tickets").expect(303).expect("location", "/login");
    const page = await owner.get("/account/two-factor").expect(200);
    expect(page.text).to.include("The authenticator app and your recovery codes are removed");
  });
});

describe("activating an enrolment", () => {
  const t = useTestApp();

  it("activates only the secret the code was checked against: an enrolment started again meanwhile stays pending", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const carol = await userId(t, "carol");
    await startEnrolment(agent);
    const first = (await t.db("totp_factors").where({ user_id: carol }).first("secret_sealed")) as { secret_sealed: string };
    // "Start again" in another window replaces the secret between the check and the update.
    const { secret } = await startEnrolment(agent);
    const step = Math.floor(t.clock.now().getTime() / 30_000);

    expect(await takeTotpStep(t.db, carol, step, t.clock.now(), first.secret_sealed)).to.equal(false);
    const row = (await t.db("totp_factors").where({ user_id: carol }).first()) as Record<string, unknown>;
    expect([row.activated_at, row.last_used_step]).to.deep.equal([null, null]);

    // The secret on the page (the one the holder's app has) is what the form activates.
    await answered(postForm(agent, "/account/two-factor/totp/confirm", { code: codeAt(t, secret) }, "/account/two-factor"), 200);
    expect((await t.db("totp_factors").where({ user_id: carol }).first("activated_at")) as Record<string, unknown>).to.not.deep.equal({ activated_at: null });
  });
});
