import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/shared/config.js";
import { minutes } from "../../src/shared/clock.js";
import { browser } from "../support/http.js";
import { signedIn, signIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { mailText } from "../support/mail.js";
import { userId, userRow } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { codeAt, enrolTotp, passwordStep, secondStep, answered } from "./two-factor-helpers.js";
import { freshLink, postReset, QUESTION_1, resetMailsTo, rightAnswers, setQuestions } from "./reset-helpers.js";

const NEW_PASSWORD = "Tz4%nB8^xM1*cW6@";

/** What a refused try must leave as it was: carol's password and sessions, and her live link. */
async function carolState(t: Parameters<typeof userRow>[0]) {
  const carol = await userRow(t, "carol");
  return { password: carol.password_hash, epoch: carol.session_epoch, liveLinks: await count(t, "reset_tokens", { user_id: Number(carol.id), used_at: null }) };
}

describe("self-service reset link of a login with a second factor", () => {
  const t = useTestApp();
  let secret: string;
  let recoveryCodes: string[];
  beforeEach(async () => {
    // carol has both: the factor wins, and the questions are never asked.
    await setQuestions(t, "carol");
    ({ secret, recoveryCodes } = await enrolTotp(t, await signedIn(t, "carol")));
  });

  const carolLink = () => freshLink(t, browser(t.app), "carol", "carol@acme.example");
  const withCode = (code: string, password = NEW_PASSWORD) => ({ code, new_password: password, confirm_password: password });

  it("says in the mail and on the page that it asks a code of the factor, not the security questions", async () => {
    const token = await carolLink();
    const mails = await resetMailsTo(t, "carol@acme.example");
    expect(await mailText(mails[mails.length - 1]!.message)).to.include("You will be asked a code from your authenticator app");
    const page = await browser(t.app).get(`/reset-password/${token}`).expect(200);
    expect(page.text).to.include('name="code"').and.include("Lost your phone and your recovery codes?");
    expect(page.text).to.not.include('name="answer1"').and.not.include(QUESTION_1);
  });

  it("counts a wrong code toward the sign-in lockout and changes nothing; the answers alone are refused too", async () => {
    const token = await carolLink();
    const before = await carolState(t);
    const refused = await postReset(browser(t.app), token, withCode("000000"));
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("That code is not right, or it was already used.");
    expect((await userRow(t, "carol")).failed_sign_ins).to.equal(1);
    expect((await auditRows(t, "password.reset_code_refused")).map((r) => r.details)).to.deep.equal([{ reason: "wrong_code" }]);
    // The security questions are no way round the factor.
    const answers = await postReset(browser(t.app), token, rightAnswers(NEW_PASSWORD));
    expect(answers.status).to.equal(400);
    expect(answers.text).to.include("Enter the code from your authenticator app, or a recovery code.");
    expect(await carolState(t)).to.deep.equal(before);
    expect((await signIn(browser(t.app), "carol", NEW_PASSWORD)).status).to.equal(401);
  });

  it("refuses a locked login with the clear message, even with a right code, and changes nothing", async () => {
    const token = await carolLink();
    await t.db("users").where({ id: await userId(t, "carol") }).update({ locked_until: new Date(t.clock.now().getTime() + minutes(10)), failed_sign_ins: 5 });
    const before = await carolState(t);
    const refused = await postReset(browser(t.app), token, withCode(codeAt(t, secret)));
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("your login is locked for a while, and nothing was changed");
    expect(await carolState(t)).to.deep.equal(before);
    expect((await auditRows(t, "password.reset_code_refused")).map((r) => r.details)).to.deep.equal([{ reason: "locked" }]);
  });

  it("checks the new password before it spends the code, then lets a right code set it; the factor stays", async () => {
    const token = await carolLink();
    const code = codeAt(t, secret);
    const weak = await postReset(browser(t.app), token, withCode(code, "short"));
    expect(weak.status).to.equal(400);
    expect(weak.text).to.include("At least 8");
    // Not spent by the refused try: the same code goes through with a good password.
    const agent = browser(t.app);
    const res = await postReset(agent, token, withCode(code));
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    expect(res.headers.location).to.equal("/login");
    expect((await auditRows(t, "password.reset_by_link")).map((r) => r.details.provedWith)).to.deep.equal(["totp"]);
    // The new password leads to the second step, as before the reset.
    t.clock.advance(30_000);
    await passwordStep(agent, "carol", NEW_PASSWORD);
    await answered(secondStep(agent, codeAt(t, secret)), 303, "/");
  });

  it("takes a recovery code, spent once", async () => {
    const token = await carolLink();
    const res = await postReset(browser(t.app), token, withCode(recoveryCodes[0]!));
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    expect(await count(t, "recovery_codes", { user_id: await userId(t, "carol"), used_at: null })).to.equal(9);
    expect((await auditRows(t, "password.reset_by_link")).map((r) => r.details.provedWith)).to.deep.equal(["recovery_code"]);
    expect(JSON.stringify(await t.db("audit_log").select("details"))).to.not.include(recoveryCodes[0]!.replace(/-/g, ""));
  });
});

describe("SECURITY_QUESTIONS=off", () => {
  const t = useTestApp({ env: { SECURITY_QUESTIONS: "off" } });

  it("never asks the questions: a link of a login without a factor says who can reset the password, and changes nothing", async () => {
    await setQuestions(t, "carol");
    const token = await freshLink(t, browser(t.app), "carol", "carol@acme.example");
    const page = await browser(t.app).get(`/reset-password/${token}`).expect(200);
    expect(page.text).to.include("this desk does not use security").and.include("asks the primary login holder");
    expect(page.text).to.not.include(QUESTION_1).and.not.include('name="new_password"');
    const before = (await userRow(t, "carol")).password_hash;
    const posted = await postReset(browser(t.app), token, rightAnswers(NEW_PASSWORD));
    expect(posted.status).to.equal(400);
    expect((await userRow(t, "carol")).password_hash).to.equal(before);
  });

  it("says on My profile that they are off and refuses to set them (404), storing nothing", async () => {
    const dave = await signedIn(t, "dave");
    const page = await dave.get("/account/security-questions").expect(200);
    expect(page.text).to.include("Security questions are turned off on this desk").and.not.include('name="answer1"');
    const before = await count(t, "security_questions");
    const res = await postForm(dave, "/account/security-questions", { question1: QUESTION_1, answer1: "Hillside", question2: "What was the name of your first pet?", answer2: "Biscuit" }, "/account/password");
    expect(res.status).to.equal(404);
    expect(res.text).to.include("Security questions are turned off on this desk");
    expect(await count(t, "security_questions")).to.equal(before);
  });

  it("is read as on or off only, with a clear message", () => {
    expect(loadConfig({}).securityQuestions).to.equal(true);
    expect(loadConfig({ SECURITY_QUESTIONS: "off" }).securityQuestions).to.equal(false);
    expect(() => loadConfig({ SECURITY_QUESTIONS: "no" })).to.throw(ConfigError, 'Invalid configuration: SECURITY_QUESTIONS must be on or off (got "no")');
  });
});
