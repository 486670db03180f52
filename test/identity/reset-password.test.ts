import { expect } from "chai";
import { IP_LIMITS } from "../../src/web/ip-limits.js";
import { MAX_WRONG_ANSWERS } from "../../src/accounts/self-service-reset.js";
import { minutes } from "../../src/shared/clock.js";
import { browser } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { ANSWER_1, ANSWER_2, freshLink, postReset, QUESTION_1, QUESTION_2, rightAnswers, setQuestions } from "./reset-helpers.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { userId, userRow } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_PASSWORD = "Tz4%nB8^xM1*cW6@";
const OTHER_PASSWORD = "Rk3&vQ9!hL5#dF2$";
const CHANGED_SUBJECT = "Your Vouchdesk password was changed";
const INVALID = "This link is no longer valid";

describe("self-service reset link (/reset-password/:token)", () => {
  const t = useTestApp();
  beforeEach(async () => {
    await setQuestions(t, "carol");
  });

  const carolLink = () => freshLink(t, browser(t.app), "carol", "carol@acme.example");

  it("answers an unknown token with the one plain page that offers a new link, sending no Referer", async () => {
    const agent = browser(t.app);
    for (const path of ["/reset-password/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/reset-password/short", "/reset-password/bad%20chars%3F"]) {
      const res = await agent.get(path).expect(404);
      expect(res.headers["referrer-policy"]).to.equal("no-referrer");
      expect(res.text).to.include(INVALID).and.include('href="/forgot-password"');
    }
    const posted = await postReset(agent, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", rightAnswers(NEW_PASSWORD));
    expect(posted.status).to.equal(404);
    expect(posted.text).to.include(INVALID);
  });

  it("asks the two security questions and the new password, without a Referer", async () => {
    const token = await carolLink();
    const page = await browser(t.app).get(`/reset-password/${token}`).expect(200);
    expect(page.headers["referrer-policy"]).to.equal("no-referrer");
    expect(page.text).to.include(QUESTION_1).and.include(QUESTION_2).and.include("carol");
    for (const field of ["answer1", "answer2", "new_password", "confirm_password", "_csrf"]) expect(page.text).to.include(`name="${field}"`);
    expect(page.text).to.include("At least 8").and.include("Can't remember the answers?");
  });

  it("resets the password: link used, must-change and lock cleared, every session ended, notice mailed, audited, sent to sign in", async () => {
    const other = browser(t.app);
    await signInOk(other, "carol", DEMO_PASSWORD);
    await other.get("/").expect(200);
    const carolId = await userId(t, "carol");
    await t.db("users").where({ id: carolId }).update({ must_change_password: true, locked_until: new Date(t.clock.now().getTime() + minutes(10)), failed_sign_ins: 4 });
    const before = await userRow(t, "carol");
    const token = await carolLink();

    const agent = browser(t.app);
    // Answers compare like the stored ones: case, spacing and end punctuation do not matter.
    const res = await postReset(agent, token, { ...rightAnswers(NEW_PASSWORD), answer1: `  ${ANSWER_1.toUpperCase()}.`, answer2: ANSWER_2.toLowerCase() });
    expect(res.status, res.text.slice(0, 3000)).to.equal(303);
    expect(res.headers.location).to.equal("/login");
    const login = await agent.get("/login").expect(200);
    expect(login.text).to.include("Your password was changed");
    await agent.get("/").expect(303).expect("location", "/login"); // not signed in
    await other.get("/").expect(303).expect("location", "/login"); // the other session ended

    const after = await userRow(t, "carol");
    expect(after.password_hash).to.not.equal(before.password_hash);
    expect(Boolean(after.must_change_password)).to.equal(false);
    expect(after.locked_until).to.equal(null);
    expect(Number(after.failed_sign_ins)).to.equal(0);
    expect(Number(after.session_epoch)).to.be.greaterThan(Number(before.session_epoch));
    const tokenRow = (await t.db("reset_tokens").where({ user_id: carolId, purpose: "reset" }).first()) as Record<string, unknown>;
    expect(tokenRow.used_at).to.not.equal(null);

    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status, "the old password is dead").to.equal(401);
    await signInOk(browser(t.app), "carol", NEW_PASSWORD);

    const notices = (await outboxTo(t, "carol@acme.example")).filter((m) => m.subject === CHANGED_SUBJECT);
    expect(notices).to.have.length(1);
    expect(await mailText(notices[0]!.message)).to.include("was changed").and.not.include(NEW_PASSWORD);
    const audited = await auditRows(t, "password.reset_by_link");
    expect(audited).to.have.length(1);
    expect(audited[0]!.subject).to.equal(`user:${carolId}`);
    expect(audited[0]!.ip).to.be.a("string").and.not.equal("");
    expect(await count(t, "password_history", { user_id: carolId })).to.equal(2);
  });

  it("works once: the used link is no longer valid", async () => {
    const token = await carolLink();
    expect((await postReset(browser(t.app), token, rightAnswers(NEW_PASSWORD))).status).to.equal(303);
    const again = browser(t.app);
    expect((await again.get(`/reset-password/${token}`)).status).to.equal(404);
    const reused = await postReset(again, token, rightAnswers(OTHER_PASSWORD));
    expect(reused.status).to.equal(404);
    expect(reused.text).to.include(INVALID);
    await signInOk(browser(t.app), "carol", NEW_PASSWORD);
  });

  it("expires at 60 minutes", async () => {
    const token = await carolLink();
    t.clock.advance(minutes(59));
    await browser(t.app).get(`/reset-password/${token}`).expect(200);
    t.clock.advance(minutes(1));
    const expired = await browser(t.app).get(`/reset-password/${token}`).expect(404);
    expect(expired.text).to.include(INVALID);
    expect((await postReset(browser(t.app), token, rightAnswers(NEW_PASSWORD))).status).to.equal(404);
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
  });

  it("dies when a second link is asked for; the second one works", async () => {
    const first = await carolLink();
    const second = await carolLink();
    expect(second).to.not.equal(first);
    expect((await browser(t.app).get(`/reset-password/${first}`)).status).to.equal(404);
    expect((await postReset(browser(t.app), first, rightAnswers(NEW_PASSWORD))).status).to.equal(404);
    expect((await postReset(browser(t.app), second, rightAnswers(NEW_PASSWORD))).status).to.equal(303);
  });

  it(`is burnt by ${MAX_WRONG_ANSWERS} wrong answers, each named, then the page says who can reset the password`, async () => {
    const token = await carolLink();
    const agent = browser(t.app);
    const wrong = { ...rightAnswers(NEW_PASSWORD), answer2: "Rex" };
    const first = await postReset(agent, token, wrong);
    expect(first.status).to.equal(400);
    expect(first.text).to.include("The answers do not match the ones on file. This link allows 2 more tries").and.include("field-answer1-problem");
    expect(first.text).to.include("Can't remember the answers?").and.include("primary login holder");
    const second = await postReset(agent, token, { ...rightAnswers(NEW_PASSWORD), answer1: "Nowhere" });
    expect(second.status).to.equal(400);
    expect(second.text).to.include("This link allows 1 more try");

    const burnt = await postReset(agent, token, wrong);
    expect(burnt.status).to.equal(400);
    expect(burnt.text).to.include("three times, so this link no longer works").and.include("primary login holder");
    expect(burnt.text).to.not.include('name="new_password"');

    // Burnt: even the right answers do nothing now.
    const late = await postReset(agent, token, rightAnswers(NEW_PASSWORD));
    expect(late.status).to.equal(404);
    expect(late.text).to.include(INVALID);
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
    expect((await auditRows(t, "password.reset_answers_wrong")).map((r) => r.details.wrongAnswers)).to.deep.equal([1, 2]);
    expect(await auditRows(t, "password.reset_link_burnt")).to.have.length(1);
    expect(await t.leaks("Nowhere")).to.equal(false);
  });

  it("holds the new password to the policy and history, naming each problem; the link stays live", async () => {
    const token = await carolLink();
    const agent = browser(t.app);
    const hash = (await userRow(t, "carol")).password_hash;

    const weak = await postReset(agent, token, rightAnswers("short"));
    expect(weak.status).to.equal(400);
    expect(weak.text).to.include("Password must be at least 8 characters long.").and.include("field-new_password-problem").and.include("Your answers were right");
    const guessable = await postReset(agent, token, rightAnswers("Summer2024!"));
    expect(guessable.text).to.include("Password is too easy to guess");
    const reused = await postReset(agent, token, rightAnswers(DEMO_PASSWORD));
    expect(reused.status).to.equal(400);
    expect(reused.text).to.include("Password must not be one of your previous 7 passwords.");
    const mismatch = await postReset(agent, token, rightAnswers(NEW_PASSWORD, OTHER_PASSWORD));
    expect(mismatch.status).to.equal(400);
    expect(mismatch.text).to.include("The two new passwords do not match.").and.include("field-confirm_password-problem");

    expect((await userRow(t, "carol")).password_hash).to.equal(hash);
    expect(await auditRows(t, "password.reset_by_link")).to.have.length(0);
    expect(await auditRows(t, "password.reset_answers_wrong"), "right answers count no try").to.have.length(0);
    expect((await postReset(agent, token, rightAnswers(NEW_PASSWORD))).status).to.equal(303);
  });

  it("refuses missing fields with 400, naming each, and counts no try", async () => {
    const token = await carolLink();
    const agent = browser(t.app);
    const empty = await postReset(agent, token, {});
    expect(empty.status).to.equal(400);
    for (const problem of ["Answer the first question.", "Answer the second question.", "Enter a new password.", "Enter the new password again."]) expect(empty.text).to.include(problem);
    const long = await postReset(agent, token, { ...rightAnswers(NEW_PASSWORD), answer1: "x".repeat(201) });
    expect(long.status).to.equal(400);
    expect(long.text).to.include("Answers are at most 200 characters.");
    const row = (await t.db("reset_tokens").where({ purpose: "reset" }).first()) as Record<string, unknown>;
    expect(Number(row.failed_answers)).to.equal(0);
    expect(row.used_at).to.equal(null);
  });

  it("refuses a POST without the form's CSRF token with 403 and changes nothing", async () => {
    const token = await carolLink();
    const agent = browser(t.app);
    await agent.get(`/reset-password/${token}`).expect(200);
    await agent.post(`/reset-password/${token}`).type("form").send(rightAnswers(NEW_PASSWORD)).expect(403);
    await agent.post(`/reset-password/${token}`).type("form").send({ _csrf: "forged", ...rightAnswers(NEW_PASSWORD) }).expect(403);
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
    await agent.get(`/reset-password/${token}`).expect(200);
  });

  for (const [username, email, expected] of [
    ["dave", "dave@acme.example", "asks the primary login holder of its account"],
    ["ACM0001", "primary@acme.example", "Primary account password reset request"],
    ["alice", "alice@vouchdesk.example", "asks a desk administrator"],
  ] as const) {
    it(`without security questions, explains ${username}'s next step and changes nothing`, async () => {
      const token = await freshLink(t, browser(t.app), username, email);
      const agent = browser(t.app);
      const page = await agent.get(`/reset-password/${token}`).expect(200);
      expect(page.headers["referrer-policy"]).to.equal("no-referrer");
      expect(page.text).to.include(expected).and.include(username).and.not.include('name="new_password"');
      if (username === "ACM0001") expect(page.text).to.include('href="/reset-requests/new"');
      const posted = await postReset(agent, token, { answer1: "anything", answer2: "anything", new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
      expect(posted.status).to.equal(400);
      expect(posted.text).to.include(expected);
      await signInOk(browser(t.app), username, DEMO_PASSWORD);
    });
  }

  it("stops working when the login is disabled", async () => {
    const token = await carolLink();
    await t.db("users").where({ username: "carol" }).update({ disabled_at: t.clock.now() });
    expect((await browser(t.app).get(`/reset-password/${token}`)).status).to.equal(404);
    expect((await postReset(browser(t.app), token, rightAnswers(NEW_PASSWORD))).status).to.equal(404);
  });

  it(`limits posts to reset links per IP address (${IP_LIMITS.reset.limit} per 15 minutes)`, async () => {
    const agent = browser(t.app);
    for (let i = 0; i < IP_LIMITS.reset.limit; i++) expect((await postReset(agent, `A${"b".repeat(42)}${i}`, {})).status).to.equal(404);
    const limited = await postReset(agent, "A".repeat(43), {});
    expect(limited.status).to.equal(429);
    expect(await auditRows(t, "password.reset_rate_limited")).to.have.length(0);
    t.clock.advance(minutes(16));
    await t.auditRefusals();
    const audited = await auditRows(t, "password.reset_rate_limited");
    expect(audited).to.have.length(1);
    expect(audited[0]!.details).to.include({ form: "reset", refused: 1, limit: IP_LIMITS.reset.limit });
  });
});
