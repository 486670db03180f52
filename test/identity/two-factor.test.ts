import { expect } from "chai";
import { minutes } from "../../src/shared/clock.js";
import { databaseRows } from "../support/database.js";
import { browser } from "../support/http.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { DEMO_PASSWORD, startTestApp, type TestApp } from "../support/test-app.js";
import { answered, codeAt, enrolTotp, passwordStep, secondStep, startEnrolment } from "./two-factor-helpers.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { postForm } from "../support/forms.js";
import { userRow } from "../support/users.js";
import { signIn, signInOk } from "../support/sign-in.js";

const WRONG_CODE = "That code is not right, or it was already used.";
const GENERIC = "Sign-in failed: the username or password is wrong";

/** The login's authenticator row, or undefined. */
const totpRow = (t: TestApp, userId: number) => t.db("totp_factors").where({ user_id: userId }).first() as Promise<Record<string, unknown> | undefined>;

describe("two-step sign-in: authenticator app (TOTP)", () => {
  let t: TestApp;
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await new SmtpSink().start();
    t = await startTestApp({ LOGIN_MAX_FAILURES: "3" }, sink);
  });
  afterEach(async () => {
    await t.close();
    await sink.stop();
  });

  /** Signs carol in with her password alone and enrols an authenticator; returns its secret and recovery codes. */
  async function carolWithFactor() {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    return enrolTotp(t, agent);
  }

  describe("enrolment", () => {
    it("is linked from My profile and shows the QR code as inline SVG and the secret as text", async () => {
      const agent = browser(t.app);
      await signInOk(agent, "carol", DEMO_PASSWORD);
      const profile = await agent.get("/account").expect(200);
      expect(profile.text).to.include('<a href="/account/two-factor">Two-step sign-in</a>');
      const { page, secret } = await startEnrolment(agent);
      expect(secret).to.match(/^[A-Z2-7]{32}$/);
      // No inline script: the only scripts are the desk's own files (the passkeys' browser half).
      expect(page.text).to.match(/<div class="qr-code"[^>]*><svg[^>]*>/).and.not.match(/<script(?![^>]*\ssrc="\/)/);
      expect(page.headers["cache-control"]).to.equal("no-store");
      expect(page.headers["content-security-policy"]).to.include("script-src 'self'");
    });

    it("refuses a wrong code, naming the problem, and keeps nothing active; the right code activates it, mails and audits", async () => {
      const agent = browser(t.app);
      await signInOk(agent, "carol", DEMO_PASSWORD);
      const { secret } = await startEnrolment(agent);
      const carol = Number((await userRow(t, "carol")).id);
      const before = await databaseRows(t.db, ["audit_log", "sessions"]);

      const wrong = await answered(postForm(agent, "/account/two-factor/totp/confirm", { code: codeAt(t, secret, 5) }, "/account/two-factor"), 400);
      expect(wrong.text).to.include("That code is not right.").and.include('id="field-code-problem"');
      const notDigits = await answered(postForm(agent, "/account/two-factor/totp/confirm", { code: "12ab56" }, "/account/two-factor"), 400);
      expect(notDigits.text).to.include("Enter the 6-digit code your app shows (digits only).");
      expect(await databaseRows(t.db, ["audit_log", "sessions"])).to.deep.equal(before);
      expect((await totpRow(t, carol))!.activated_at).to.equal(null);
      expect((await auditRows(t, "second_factor.totp_confirm_refused")).map((r) => r.details)).to.deep.equal([{ reason: "wrong_code" }]);
      // Still signs in with the password alone: nothing is active.
      await signInOk(browser(t.app), "carol", DEMO_PASSWORD).then((r) => expect(r.headers.location).to.equal("/"));

      const right = await answered(postForm(agent, "/account/two-factor/totp/confirm", { code: codeAt(t, secret) }, "/account/two-factor"), 200);
      expect(right.text).to.include("Two-step sign-in is on").and.include("shown only this once");
      expect((await totpRow(t, carol))!.activated_at).to.not.equal(null);
      const [added] = await auditRows(t, "second_factor.totp_added");
      expect(added!.details).to.deep.equal({ recoveryCodes: 10 });

      await t.deliverMail();
      const mail = sink.received.find((m) => m.to.includes("carol@acme.example") && m.raw.includes("An authenticator app was added"));
      expect(mail, "a notice to carol's address").to.not.equal(undefined);
      expect(mail!.raw).to.not.include(secret);
    });

    it("removes the factor with a code of the app (mailed, audited); the password alone or no code removes nothing", async () => {
      const agent = browser(t.app);
      await signInOk(agent, "carol", DEMO_PASSWORD);
      const { secret } = await enrolTotp(t, agent);
      const carol = Number((await userRow(t, "carol")).id);
      const before = await databaseRows(t.db, ["sessions"]);

      const passwordOnly = await answered(postForm(agent, "/account/two-factor/totp/remove", { current_password: DEMO_PASSWORD }, "/account/two-factor"), 400);
      expect(passwordOnly.text).to.include("Enter the code from your authenticator app, or a recovery code.").and.include('id="field-code-problem"');
      expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);
      expect(await count(t, "recovery_codes", { user_id: carol })).to.equal(10);

      await answered(postForm(agent, "/account/two-factor/totp/remove", { code: codeAt(t, secret) }, "/account/two-factor"), 303);
      expect(await totpRow(t, carol)).to.equal(undefined);
      expect(await count(t, "recovery_codes", { user_id: carol })).to.equal(0);
      expect((await auditRows(t, "second_factor.totp_removed"))[0]!.details).to.deep.equal({ provedWith: "totp", recoveryCodesRemoved: 10 });
      await t.deliverMail();
      expect(sink.received.some((m) => m.to.includes("carol@acme.example") && m.raw.includes("The authenticator app was removed"))).to.equal(true);
      // Back to the password alone.
      await signInOk(browser(t.app), "carol", DEMO_PASSWORD).then((r) => expect(r.headers.location).to.equal("/"));
    });

    it("removes the factor with a recovery code", async () => {
      const agent = browser(t.app);
      await signInOk(agent, "carol", DEMO_PASSWORD);
      const { recoveryCodes } = await enrolTotp(t, agent);
      await answered(postForm(agent, "/account/two-factor/totp/remove", { code: recoveryCodes[0]! }, "/account/two-factor"), 303);
      expect((await auditRows(t, "second_factor.totp_removed"))[0]!.details.provedWith).to.equal("recovery_code");
    });
  });

  describe("sign-in", () => {
    it("asks the code after the password and signs in with it, in a new session", async () => {
      const { secret } = await carolWithFactor();
      const agent = browser(t.app);
      const password = await passwordStep(agent, "carol", DEMO_PASSWORD);
      const page = await agent.get("/login/second-factor").expect(200);
      expect(page.text).to.include("Two-step sign-in").and.include('name="code"');
      const done = await secondStep(agent, codeAt(t, secret));
      expect(done.status, done.text.slice(0, 500)).to.equal(303);
      expect(done.headers.location).to.equal("/");
      expect(done.headers["set-cookie"]?.[0]?.split(";")[0]).to.not.equal(password.headers["set-cookie"]?.[0]?.split(";")[0]);
      await agent.get("/").expect(200).then((r) => expect(r.text).to.include("Carol Jones"));
      const succeeded = await auditRows(t, "sign_in.succeeded");
      expect(succeeded[succeeded.length - 1]!.details).to.deep.equal({ secondFactor: "totp" });
    });

    it("refuses the same code a second time (replay), and an older one, with nothing signed in", async () => {
      const { secret } = await carolWithFactor();
      const code = codeAt(t, secret);
      const first = browser(t.app);
      await passwordStep(first, "carol", DEMO_PASSWORD);
      await answered(secondStep(first, code), 303);

      const second = browser(t.app);
      await passwordStep(second, "carol", DEMO_PASSWORD);
      const replay = await answered(secondStep(second, code), 401);
      expect(replay.text).to.include(WRONG_CODE);
      const older = await answered(secondStep(second, codeAt(t, secret, -1)), 401);
      expect(older.text).to.include(WRONG_CODE);
      await second.get("/tickets").expect(303).expect("location", "/login/second-factor");
      expect((await auditRows(t, "sign_in.failed")).map((r) => r.details.reason)).to.deep.equal(["wrong_second_factor_code", "wrong_second_factor_code"]);
    });

    it("accepts a code one step early or late, and refuses one three steps off (test clock)", async () => {
      const { secret } = await carolWithFactor();
      const tryCode = async (steps: number) => {
        t.clock.advance(minutes(2)); // past the last used step, so only the window decides
        const agent = browser(t.app);
        await passwordStep(agent, "carol", DEMO_PASSWORD);
        return (await secondStep(agent, codeAt(t, secret, steps))).status;
      };
      expect(await tryCode(-3), "three steps early").to.equal(401);
      expect(await tryCode(3), "three steps late").to.equal(401);
      expect(await tryCode(-1), "one step early (a slow phone)").to.equal(303);
      expect(await tryCode(1), "one step late (a fast phone)").to.equal(303);
    });

    it("counts wrong codes toward the lockout of wrong passwords; a known password does not clear the count", async () => {
      const { secret } = await carolWithFactor();
      const agent = browser(t.app);
      await signIn(browser(t.app), "carol", "wrong-password").then((r) => expect(r.status).to.equal(401));
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      expect(Number((await userRow(t, "carol")).failed_sign_ins), "the right password leaves the count").to.equal(1);
      await answered(secondStep(agent, "000000"), 401);
      const third = await answered(secondStep(agent, "111111"), 303, "/login");
      const login = await agent.get("/login").expect(200);
      expect(login.text).to.include("Too many wrong passwords or codes: this login is locked");
      expect((await userRow(t, "carol")).locked_until).to.not.equal(null);
      expect((await auditRows(t, "sign_in.locked")).map((r) => r.details.reason)).to.deep.equal(["wrong_second_factor_code"]);
      expect(third.headers.location).to.equal("/login");

      // Locked: even the right password and a right code do not sign in.
      const again = browser(t.app);
      const refused = await signIn(again, "carol", DEMO_PASSWORD);
      expect(refused.status).to.equal(401);
      expect(refused.text).to.include(GENERIC);
      t.clock.advance(minutes(16));
      await passwordStep(again, "carol", DEMO_PASSWORD);
      await answered(secondStep(again, codeAt(t, secret)), 303, "/");
      expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(0);
    });

    it("gives a wrong password for a login with a factor the same answer as for one without", async () => {
      await carolWithFactor();
      const withFactor = await signIn(browser(t.app), "carol", "wrong-password");
      const without = await signIn(browser(t.app), "dave", "wrong-password");
      expect(withFactor.status).to.equal(401);
      expect(without.status).to.equal(401);
      const message = (html: string) => /<div class="flash flash-error" role="alert">([^<]*)<\/div>/.exec(html)?.[1];
      expect(message(withFactor.text)).to.equal(message(without.text)).and.to.include("Sign-in failed");
      const failed = await auditRows(t, "sign_in.failed");
      expect(failed.map((r) => r.details)).to.deep.equal([{ reason: "wrong_password" }, { reason: "wrong_password" }]);
    });

    it("cannot be skipped: every other page leads back to the second step, and nothing is signed in", async () => {
      await carolWithFactor();
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      for (const path of ["/", "/desk", "/tickets", "/account", "/account/two-factor", "/reset-requests/new"]) {
        const res = await agent.get(path);
        expect(res.status, path).to.equal(303);
        expect(res.headers.location, path).to.equal("/login/second-factor");
      }
      const tickets = await count(t, "tickets");
      const post = await postForm(agent, "/tickets", { type: "general", subject: "Sneaky", body: "Not signed in yet" }, "/login/second-factor");
      expect(post.status).to.equal(303);
      expect(post.headers.location).to.equal("/login/second-factor");
      expect(await count(t, "tickets")).to.equal(tickets);
      expect((await auditRows(t, "sign_in.succeeded")).filter((r) => r.actor === "carol")).to.have.length(1); // the enrolling sign-in only
    });

    it("lasts 5 minutes: after that the code is refused and the sign-in starts over", async () => {
      const { secret } = await carolWithFactor();
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      const csrfPage = await agent.get("/login/second-factor").expect(200);
      const _csrf = /name="_csrf" value="([^"]+)"/.exec(csrfPage.text)![1]!;
      t.clock.advance(minutes(5) + 1000);
      const late = await agent.post("/login/second-factor").type("form").send({ _csrf, code: codeAt(t, secret) });
      expect(late.status).to.equal(303);
      expect(late.headers.location).to.equal("/login");
      const login = await agent.get("/login").expect(200);
      expect(login.text).to.include("took longer than 5 minutes");
      await agent.get("/login/second-factor").expect(303).expect("location", "/login");
      await agent.get("/").expect(303).expect("location", "/login");
      expect((await auditRows(t, "sign_in.succeeded")).filter((r) => r.actor === "carol")).to.have.length(1);
    });

    it("keeps the secret's base32 out of the database file and the logs", async () => {
      const { secret } = await carolWithFactor();
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      await answered(secondStep(agent, codeAt(t, secret)), 303);
      await t.deliverMail();
      expect(await t.leaks(secret)).to.equal(false);
      expect(await t.leaks(secret.toLowerCase())).to.equal(false);
      const sealed = String((await totpRow(t, Number((await userRow(t, "carol")).id)))!.secret_sealed);
      expect(sealed).to.match(/^v1:/);
      expect(JSON.stringify(await t.db("audit_log").select("details"))).to.not.include(secret);
      expect(sink.received.map((m) => m.raw).join("")).to.not.include(secret);
    });
  });
});
