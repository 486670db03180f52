import { createHash } from "node:crypto";
import { expect } from "chai";
import { simpleParser } from "mailparser";
import * as openpgp from "openpgp";
import { SECURITY_QUESTIONS } from "../../src/identity/security-questions.js";
import { hours } from "../../src/shared/clock.js";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD, keyDateFor } from "../support/test-app.js";
import { csrfToken, postForm } from "../support/forms.js";
import { signedIn, signIn, signInOk } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count, type Row } from "../support/rows.js";
import { userId, userRow } from "../support/users.js";
import { latestLinkTo, setPasswordByLink, tokenIn } from "../support/links.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";
import { addBetaAccount } from "./helpers.js";

const FRANK_PASSWORD = "Tz4%nB8^xM1*cW6@";
const CAROL_NEW_PASSWORD = "Rk3&vQ9!hL5#dF2$";
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

describe("primary holder's console (/account/users)", () => {
  const t = useTestApp({ smtp: true });
  const sink = t.sink;
  let primary: Agent;
  let beta: Awaited<ReturnType<typeof addBetaAccount>>;

  beforeEach(async () => {
    beta = await addBetaAccount(t);
    primary = await signedIn(t, "ACM0001");
  });

  const act = (path: string, form: Record<string, string> = {}) => postForm(primary, path, form, "/account/users");
  const createSecondary = (form: Record<string, string>) => act("/account/users", form);

  it("lists the account's own logins only, and never a password or hash", async () => {
    const page = await primary.get("/account/users").expect(200);
    for (const shown of ["ACM0001", "carol", "Carol Jones", "carol@acme.example", "dave", "Dave Smith"]) expect(page.text).to.include(shown);
    for (const hidden of ["erin", "BET0001", "beta.example", "alice", "admin@vouchdesk"]) expect(page.text).to.not.include(hidden);
    expect(page.text).to.not.include("$argon2").and.not.include(DEMO_PASSWORD);
    expect(page.text).to.not.match(/name="(new_)?password"/);
  });

  it("creates a secondary login with no password and mails it a single-use link, stored only as a hash", async () => {
    const res = await createSecondary({ username: "frank", display_name: "Frank Field", email: "frank@acme.example", can_open_cases: "1" });
    expect(res.status, res.text.slice(0, 3000)).to.equal(303);
    expect(res.headers.location).to.equal("/account/users");
    const page = await primary.get("/account/users").expect(200);
    expect(page.text).to.include("frank.acm").and.include("waiting for a password");

    const frank = await userRow(t, "frank.acm");
    expect(frank.password_hash).to.equal(null);
    expect(frank.role).to.equal("secondary");
    expect(Number(frank.account_id)).to.equal(Number((await userRow(t, "ACM0001")).account_id));
    expect(Boolean(frank.can_open_cases)).to.equal(true);
    expect(frank.email).to.equal("frank@acme.example");

    const queued = await outboxTo(t, "frank@acme.example");
    expect(queued).to.have.length(1);
    expect(queued[0]!.template).to.equal("set-password");
    expect(queued[0]!.subject).to.equal("Your new Vouchdesk login");
    expect(queued[0]!.subject).to.not.include("set-password");

    // Through the real SMTP path: the worker delivers it to the sink, and the link is read from there.
    await t.deliverMail();
    const mails = sink.received.filter((m) => m.to.includes("frank@acme.example"));
    expect(mails).to.have.length(1);
    const parsed = await simpleParser(mails[0]!.raw);
    expect(parsed.html, "the link is sent as plain text only").to.equal(false);
    const token = await tokenIn(mails[0]!.raw);
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(parsed.text).to.include(`${t.config.baseUrl}/set-password/${token}`);

    const tokens = (await t.db("reset_tokens").where({ user_id: Number(frank.id) })) as Row[];
    expect(tokens).to.have.length(1);
    expect(tokens[0]!.purpose).to.equal("set_password");
    expect(tokens[0]!.token_hash).to.equal(sha256(token));
    expect(tokens[0]!.used_at).to.equal(null);
    expect(await t.leaks(token)).to.equal(false);

    const visitor = browser(t.app);
    const form = await visitor.get(`/set-password/${token}`).expect(200);
    expect(form.headers["referrer-policy"]).to.equal("no-referrer");
    expect(form.text).to.include("frank").and.include('name="new_password"').and.include("At least 8");
    const set = await setPasswordByLink(visitor, token, FRANK_PASSWORD);
    expect(set.status, set.text.slice(0, 3000)).to.equal(303);
    expect(set.headers.location).to.equal("/login");
    const spent = (await t.db("reset_tokens").where({ user_id: Number(frank.id) }).first()) as Row;
    expect(spent.used_at).to.not.equal(null);

    const signedIn = browser(t.app);
    await signInOk(signedIn, "frank.acm", FRANK_PASSWORD);
    await signedIn.get("/").expect(200);

    const again = await browser(t.app).get(`/set-password/${token}`);
    expect(again.status).to.equal(404);
    expect(again.text).to.include("no longer valid");
    // Posting to it, with a token of a fresh session, is refused too.
    const other = browser(t.app);
    const _csrf = await csrfToken(other, "/login");
    const post = await other.post(`/set-password/${token}`).type("form").send({ _csrf, new_password: "Qw9!eR4#tY7$uI2%", confirm_password: "Qw9!eR4#tY7$uI2%" });
    expect(post.status).to.equal(404);
    await signInOk(browser(t.app), "frank.acm", FRANK_PASSWORD);

    const frankId = Number(frank.id);
    const actions = (await auditRows(t)).filter((r) => r.subject === `user:${frankId}`).map((r) => r.action);
    expect(actions).to.include.members(["login.created", "password.link_sent", "password.set_by_link"]);
    const created = (await auditRows(t, "login.created")).find((r) => r.subject === `user:${frankId}`)!;
    expect(created.actor).to.equal("ACM0001");
    expect(created.ip).to.be.a("string").and.not.equal("");
    expect(created.details).to.include({ username: "frank.acm", email: "frank@acme.example", role: "secondary" });
    expect(JSON.stringify(await auditRows(t))).to.not.include(token).and.not.include(FRANK_PASSWORD);
    expect(await t.leaks(FRANK_PASSWORD)).to.equal(false);
  });

  it("refuses a username of the primary form, a taken username and a bad email, naming each, creating nothing", async () => {
    expect((await createSecondary({ username: "gus", display_name: "Gus", email: "gus@acme.example" })).status).to.equal(303);
    const users = await count(t, "users");
    const mails = await count(t, "outbox");
    const tokens = await count(t, "reset_tokens");
    const cases: [Record<string, string>, string][] = [
      [{ username: "ZZZ9999", display_name: "Zed", email: "zed@acme.example" }, "Usernames of 3 letters and 4 digits are kept for primary logins."],
      [{ username: "acm0002", display_name: "Zed", email: "zed@acme.example" }, "Usernames of 3 letters and 4 digits are kept for primary logins."],
      [{ username: "gus", display_name: "Another Gus", email: "gus2@acme.example" }, "That username is taken."],
      [{ username: "GUS", display_name: "Another Gus", email: "gus2@acme.example" }, "That username is taken."],
      [{ username: "gus.acm", display_name: "Another Gus", email: "gus2@acme.example" }, "That username is taken."],
      [{ username: "zed", display_name: "Zed", email: "not-an-email" }, "Enter a valid email address."],
      [{ username: "zed", display_name: "Zed", email: "" }, "Enter an email address."],
      [{ username: "zed", display_name: "", email: "zed@acme.example" }, "Enter a name."],
      [{ username: "zed zed", display_name: "Zed", email: "zed@acme.example" }, "Usernames use letters, digits"],
      // Named together with the other fields' problems, not only once they are right.
      [{ username: "ACM0002", display_name: "", email: "" }, "Usernames of 3 letters and 4 digits are kept for primary logins."],
    ];
    for (const [form, message] of cases) {
      const res = await createSecondary(form);
      expect(res.status, `${JSON.stringify(form)}: ${res.text.slice(0, 500)}`).to.equal(400);
      expect(res.text, JSON.stringify(form)).to.include(message);
    }
    expect(await count(t, "users")).to.equal(users);
    expect(await count(t, "outbox")).to.equal(mails);
    expect(await count(t, "reset_tokens")).to.equal(tokens);
  });

  it("names the holder's new logins in the account's namespace, so no answer tells whether a staff or another account's username exists", async () => {
    // erin (BET), alice and admin (staff) exist: the holder's frank-like names never meet them.
    for (const username of ["erin", "alice", "admin"]) {
      const res = await createSecondary({ username, display_name: `Our ${username}`, email: `${username}@acme.example` });
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      const row = await userRow(t, `${username}.acm`);
      expect(Number(row.account_id)).to.equal(Number((await userRow(t, "ACM0001")).account_id));
    }
    // Nobody else may take a name in ACM's namespace, so it stays the holder's to see whole.
    const admin = browser(t.app);
    await signInOk(admin, "admin", DEMO_PASSWORD);
    const users = await count(t, "users");
    const betId = Number((await userRow(t, "BET0001")).account_id);
    for (const [path, form] of [
      ["/admin/staff", { role: "agent", username: "spy.acm", display_name: "Spy", email: "spy@vouchdesk.example" }],
      [`/admin/accounts/${betId}/logins`, { role: "secondary", username: "spy.acm", display_name: "Spy", email: "spy@beta.example" }],
    ] as const) {
      const refused = await postForm(admin, path, form, "/admin/staff");
      expect(refused.status).to.equal(400);
      expect(refused.text).to.include("Usernames ending in .acm are kept for the logins of account ACM.");
    }
    expect(await count(t, "users")).to.equal(users);
    const accounts = await count(t, "accounts");
    const squatted = await postForm(admin, "/admin/accounts", { code: "ACM", name: "Acme" }, "/admin/staff");
    expect(squatted.text).to.include("exists already");
    await t.db("users").where({ username: "erin" }).update({ username: "erin.gam" });
    const gam = await postForm(admin, "/admin/accounts", { code: "gam", name: "Gamma" }, "/admin/staff");
    expect(gam.status).to.equal(400);
    expect(gam.text).to.include("Logins ending in .gam exist already: choose another code.");
    expect(await count(t, "accounts")).to.equal(accounts);
  });

  it("resets carol: her old password stops at once, her session ends, a link is mailed", async () => {
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    await carol.get("/").expect(200);
    const carolId = await userId(t, "carol");

    const res = await act(`/account/users/${carolId}/reset`, { confirm: "yes" });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal("/account/users");
    const page = await primary.get("/account/users").expect(200);
    expect(page.text).to.include("password no longer works");

    await carol.get("/").expect(303).expect("location", "/login");
    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(401);
    expect((await userRow(t, "carol")).password_hash).to.equal(null);

    const mails = await outboxTo(t, "carol@acme.example");
    expect(mails).to.have.length(1);
    expect(mails[0]!.subject).to.equal("Choose a new Vouchdesk password");
    expect(await mailText(mails[0]!.message)).to.include("has been reset by ACM0001");
    const token = await tokenIn(mails[0]!.message);
    expect(await t.leaks(token)).to.equal(false);
    const started = await auditRows(t, "password.reset_started");
    expect(started).to.have.length(1);
    expect(started[0]!.actor).to.equal("ACM0001");
    expect(started[0]!.subject).to.equal(`user:${carolId}`);

    const visitor = browser(t.app);
    await visitor.get(`/set-password/${token}`).expect(200);
    expect((await setPasswordByLink(visitor, token, CAROL_NEW_PASSWORD)).status).to.equal(303);
    await signInOk(browser(t.app), "carol", CAROL_NEW_PASSWORD);
    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(401);
  });

  it("lets a reset link live 24 hours and no longer", async () => {
    const carolId = await userId(t, "carol");
    expect((await act(`/account/users/${carolId}/reset`, { confirm: "yes" })).status).to.equal(303);
    const token = await latestLinkTo(t, "carol@acme.example");
    t.clock.advance(hours(24) - 1000);
    await browser(t.app).get(`/set-password/${token}`).expect(200);
    t.clock.advance(2000);
    const expired = await browser(t.app).get(`/set-password/${token}`);
    expect(expired.status).to.equal(404);
    expect(expired.text).to.include("no longer valid");
    const visitor = browser(t.app);
    const _csrf = await csrfToken(visitor, "/login");
    await visitor.post(`/set-password/${token}`).type("form").send({ _csrf, new_password: CAROL_NEW_PASSWORD, confirm_password: CAROL_NEW_PASSWORD }).expect(404);
    expect((await userRow(t, "carol")).password_hash).to.equal(null);
  });

  it("makes the first link invalid when a second reset is started", async () => {
    const carolId = await userId(t, "carol");
    expect((await act(`/account/users/${carolId}/reset`, { confirm: "yes" })).status).to.equal(303);
    const first = await latestLinkTo(t, "carol@acme.example");
    expect((await act(`/account/users/${carolId}/reset`, { confirm: "yes" })).status).to.equal(303);
    const second = await latestLinkTo(t, "carol@acme.example");
    expect(second).to.not.equal(first);
    expect((await browser(t.app).get(`/set-password/${first}`)).status).to.equal(404);
    await browser(t.app).get(`/set-password/${second}`).expect(200);
    expect(await count(t, "reset_tokens", { user_id: carolId })).to.equal(2);
    expect(((await t.db("reset_tokens").where({ user_id: carolId }).whereNull("used_at")) as Row[]).map((r) => r.token_hash)).to.deep.equal([sha256(second)]);
  });

  it("mails the link PGP/MIME-encrypted when the login has a key on file", async () => {
    const { publicKey } = await openpgp.generateKey({
      type: "ecc",
      curve: "curve25519Legacy",
      userIDs: [{ name: "Carol", email: "carol@acme.example" }],
      format: "armored",
      date: keyDateFor(t.clock),
    });
    const admin = browser(t.app);
    await signInOk(admin, "admin", DEMO_PASSWORD);
    const carolId = await userId(t, "carol");
    expect((await postForm(admin, `/admin/logins/${carolId}/key`, { armored_key: publicKey })).status).to.equal(303);

    expect((await act(`/account/users/${carolId}/reset`, { confirm: "yes" })).status).to.equal(303);
    const mails = (await outboxTo(t, "carol@acme.example")).filter((m) => m.template === "set-password");
    expect(mails).to.have.length(1);
    expect(mails[0]!.encrypted).to.equal(true);
    expect(mails[0]!.message).to.include("multipart/encrypted").and.include("BEGIN PGP MESSAGE").and.not.include("set-password");
  });

  it("disables dave (his session ends, he cannot sign in) and enables him again", async () => {
    const dave = browser(t.app);
    await signInOk(dave, "dave", DEMO_PASSWORD);
    const daveId = await userId(t, "dave");

    expect((await act(`/account/users/${daveId}/disable`, { confirm: "yes" })).status).to.equal(303);
    expect((await userRow(t, "dave")).disabled_at).to.not.equal(null);
    await dave.get("/").expect(303).expect("location", "/login");
    expect((await signIn(browser(t.app), "dave", DEMO_PASSWORD)).status).to.equal(401);
    expect((await primary.get("/account/users").expect(200)).text).to.include("disabled");

    expect((await act(`/account/users/${daveId}/enable`)).status).to.equal(303);
    expect((await userRow(t, "dave")).disabled_at).to.equal(null);
    await signInOk(browser(t.app), "dave", DEMO_PASSWORD);

    const actions = (await auditRows(t)).filter((r) => r.subject === `user:${daveId}` && r.action.startsWith("login.")).map((r) => `${r.action}:${r.actor}`);
    expect(actions).to.deep.equal(["login.disabled:ACM0001", "login.enabled:ACM0001"]);
  });

  it("does not let a disabled login use its set-password link", async () => {
    expect((await createSecondary({ username: "frank", display_name: "Frank Field", email: "frank@acme.example" })).status).to.equal(303);
    const frankId = await userId(t, "frank.acm");
    const token = await latestLinkTo(t, "frank@acme.example");
    expect((await act(`/account/users/${frankId}/disable`, { confirm: "yes" })).status).to.equal(303);
    expect((await browser(t.app).get(`/set-password/${token}`)).status).to.equal(404);
    expect((await act(`/account/users/${frankId}/enable`)).status).to.equal(303);
    await browser(t.app).get(`/set-password/${token}`).expect(200);
  });

  it("authorises and unauthorises a secondary to open cases, audited with before and after", async () => {
    const daveId = await userId(t, "dave");
    expect(Boolean((await userRow(t, "dave")).can_open_cases)).to.equal(false);
    expect((await act(`/account/users/${daveId}/authorise`)).status).to.equal(303);
    expect(Boolean((await userRow(t, "dave")).can_open_cases)).to.equal(true);
    expect((await act(`/account/users/${daveId}/unauthorise`, { confirm: "yes" })).status).to.equal(303);
    expect(Boolean((await userRow(t, "dave")).can_open_cases)).to.equal(false);
    const audit = await auditRows(t, "login.cases_authorisation");
    expect(audit.map((r) => [r.subject, r.actor, r.details.before, r.details.after])).to.deep.equal([
      [`user:${daveId}`, "ACM0001", false, true],
      [`user:${daveId}`, "ACM0001", true, false],
    ]);
  });

  it("answers 404 for another account's login, for the primary itself and for a non-numeric id, and changes nothing", async () => {
    const acmId = await userId(t, "ACM0001");
    const erin = await userRow(t, "erin");
    const before = await auditRows(t);
    for (const id of [String(beta.erinId), String(beta.bet0001Id), String(acmId), "abc", "0", "99999", "1e3"]) {
      for (const action of ["reset", "disable", "enable", "authorise", "unauthorise"]) {
        const res = await act(`/account/users/${id}/${action}`);
        expect(res.status, `${action} ${id}`).to.equal(404);
      }
    }
    const after = await userRow(t, "erin");
    expect(after.password_hash).to.equal(erin.password_hash);
    expect(after.disabled_at).to.equal(null);
    expect(Boolean(after.can_open_cases)).to.equal(true);
    expect((await userRow(t, "ACM0001")).password_hash).to.not.equal(null);
    expect((await auditRows(t)).length).to.equal(before.length);
    expect(await outboxTo(t, "erin@beta.example")).to.have.length(1); // only her invitation from the setup
  });

  it("is for primary holders only: a secondary and an agent get 403", async () => {
    for (const username of ["carol", "alice"]) {
      const agent = browser(t.app);
      await signInOk(agent, username, DEMO_PASSWORD);
      await agent.get("/account/users").expect(403);
      const daveId = await userId(t, "dave");
      expect((await postForm(agent, `/account/users/${daveId}/disable`)).status).to.equal(403);
      expect((await postForm(agent, "/account/users", { username: "zed", display_name: "Zed", email: "zed@acme.example" })).status).to.equal(403);
    }
    expect((await userRow(t, "dave")).disabled_at).to.equal(null);
    expect(await count(t, "users", { username: "zed" })).to.equal(0);
  });

  it("applies the password policy on the set-password link; the token stays usable after a refusal", async () => {
    expect((await createSecondary({ username: "frank", display_name: "Frank Field", email: "frank@acme.example" })).status).to.equal(303);
    const token = await latestLinkTo(t, "frank@acme.example");
    const visitor = browser(t.app);

    const weak = await setPasswordByLink(visitor, token, "short");
    expect(weak.status).to.equal(400);
    expect(weak.text).to.include("Password must be at least 8 characters long.").and.include("field-new_password-problem");
    const named = await setPasswordByLink(visitor, token, "Frank#Field9x");
    expect(named.status).to.equal(400);
    expect(named.text).to.include("Password must not contain your username, name or email name.");
    const mismatch = await setPasswordByLink(visitor, token, FRANK_PASSWORD, CAROL_NEW_PASSWORD);
    expect(mismatch.status).to.equal(400);
    expect(mismatch.text).to.include("The two new passwords do not match.");
    expect((await userRow(t, "frank.acm")).password_hash).to.equal(null);

    const good = await setPasswordByLink(visitor, token, FRANK_PASSWORD);
    expect(good.status).to.equal(303);
    await signInOk(browser(t.app), "frank.acm", FRANK_PASSWORD);
  });

  it("needs a CSRF token on the set-password form", async () => {
    expect((await createSecondary({ username: "frank", display_name: "Frank Field", email: "frank@acme.example" })).status).to.equal(303);
    const token = await latestLinkTo(t, "frank@acme.example");
    const visitor = browser(t.app);
    await visitor.get(`/set-password/${token}`).expect(200);
    await visitor.post(`/set-password/${token}`).type("form").send({ new_password: FRANK_PASSWORD, confirm_password: FRANK_PASSWORD }).expect(403);
    expect((await userRow(t, "frank.acm")).password_hash).to.equal(null);
    await visitor.get(`/set-password/${token}`).expect(200);
  });
});

describe("secrets at rest, and security questions", () => {
  const t = useTestApp({ once: true });

  const ANSWERS = ["Hillside Primary", "Biscuit The Dog"];
  const secrets: string[] = [DEMO_PASSWORD];
  const tokens: string[] = [];

  it("stores two different questions with their answers hashed (normalised), never in clear", async () => {
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    const page = await carol.get("/account/security-questions").expect(200);
    for (const q of SECURITY_QUESTIONS) expect(page.text).to.include(q.replace(/'/g, "&#39;"));

    const res = await postForm(carol, "/account/security-questions", { question1: SECURITY_QUESTIONS[0], answer1: ANSWERS[0]!, question2: SECURITY_QUESTIONS[2], answer2: `  ${ANSWERS[1]!.toUpperCase()}  ` }, "/account/security-questions");
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    const rows = (await t.db("security_questions").where({ user_id: await userId(t, "carol") }).orderBy("position")) as Row[];
    expect(rows.map((r) => r.question)).to.deep.equal([SECURITY_QUESTIONS[0], SECURITY_QUESTIONS[2]]);
    for (const row of rows) expect(row.answer_hash as string).to.match(/^\$argon2id\$/);
    for (const answer of [...ANSWERS, ...ANSWERS.map((a) => a.toLowerCase()), ANSWERS[1]!.toUpperCase()]) {
      expect(await t.leaks(answer), answer).to.equal(false);
    }
    const audit = await auditRows(t, "security_questions.set");
    expect(audit).to.have.length(1);
    expect(JSON.stringify(audit[0]!.details).toLowerCase()).to.not.include("hillside").and.not.include("biscuit");
    secrets.push(...ANSWERS, ...ANSWERS.map((a) => a.toLowerCase()));
  });

  it("refuses the same question twice, an unknown question, and too short an answer, naming each, storing nothing", async () => {
    const dave = browser(t.app);
    await signInOk(dave, "dave", DEMO_PASSWORD);
    const post = (form: Record<string, string>) => postForm(dave, "/account/security-questions", form, "/account/security-questions");

    const twice = await post({ question1: SECURITY_QUESTIONS[1], answer1: "Leeds city", question2: SECURITY_QUESTIONS[1], answer2: "Other answer" });
    expect(twice.status).to.equal(400);
    expect(twice.text).to.include("Question 2: choose a different question from question 1.");
    const unknown = await post({ question1: "What is your password?", answer1: "Leeds city", question2: SECURITY_QUESTIONS[1], answer2: "Other answer" });
    expect(unknown.status).to.equal(400);
    expect(unknown.text).to.include("Question 1: choose a question from the list.");
    const short = await post({ question1: SECURITY_QUESTIONS[0], answer1: "ab", question2: SECURITY_QUESTIONS[1], answer2: "Other answer" });
    expect(short.status).to.equal(400);
    expect(short.text).to.include("Answer 1: answers need at least 3 characters.");
    expect(await count(t, "security_questions", { user_id: await userId(t, "dave") })).to.equal(0);
    expect(await t.leaks("Leeds city")).to.equal(false);
  });

  it("is for customers: an agent gets 403", async () => {
    const alice = browser(t.app);
    await signInOk(alice, "alice", DEMO_PASSWORD);
    await alice.get("/account/security-questions").expect(403);
  });

  it("keeps no password or set-password token in clear after logins are created, reset and set", async () => {
    const primary = browser(t.app);
    await signInOk(primary, "ACM0001", DEMO_PASSWORD);
    expect((await postForm(primary, "/account/users", { username: "frank", display_name: "Frank Field", email: "frank@acme.example" })).status).to.equal(303);
    const frankToken = await latestLinkTo(t, "frank@acme.example");
    expect((await setPasswordByLink(browser(t.app), frankToken, FRANK_PASSWORD)).status).to.equal(303);
    expect((await postForm(primary, `/account/users/${await userId(t, "dave")}/reset`, { confirm: "yes" })).status).to.equal(303);
    const daveToken = await latestLinkTo(t, "dave@acme.example");
    // A weak try, then a good one: neither is kept.
    expect((await setPasswordByLink(browser(t.app), daveToken, "Weak-but-secret")).status).to.equal(400);
    expect((await setPasswordByLink(browser(t.app), daveToken, CAROL_NEW_PASSWORD)).status).to.equal(303);
    await signInOk(browser(t.app), "dave", CAROL_NEW_PASSWORD);
    const admin = browser(t.app);
    await signInOk(admin, "admin", DEMO_PASSWORD);
    expect((await postForm(admin, "/admin/staff", { role: "agent", username: "gina", display_name: "Gina Agent", email: "gina@vouchdesk.example" })).status).to.equal(303);
    tokens.push(frankToken, daveToken, await latestLinkTo(t, "gina@vouchdesk.example"));
    secrets.push(FRANK_PASSWORD, CAROL_NEW_PASSWORD, "Weak-but-secret");
    await t.deliverMail();

    for (const secret of secrets) expect(await t.leaks(secret), `secret ${secret}`).to.equal(false);
    for (const token of tokens) {
      // Visiting /set-password/<token> must not write the token to the request log.
      expect(t.logs().includes(token), `token ${token} in the logs`).to.equal(false);
      expect(await t.leaks(token), `token ${token}`).to.equal(false);
      expect(await t.leaks(sha256(token))).to.equal(true); // what is kept instead
    }
  });

  it("does not let an admin read a usable set-password link in the mail log", async () => {
    // The outbox keeps each mail's full message after delivery, and /admin/mail/:id shows it.
    // A set-password link is a credential: whoever holds it chooses the login's password
    // (DESIGN §8: nobody but the holder knows a reset password; admins never see them).
    const admin = browser(t.app);
    await signInOk(admin, "admin", DEMO_PASSWORD);
    expect((await postForm(admin, "/admin/staff", { role: "agent", username: "hank", display_name: "Hank Agent", email: "hank@vouchdesk.example" })).status).to.equal(303);
    await t.deliverMail();
    const mail = (await outboxTo(t, "hank@vouchdesk.example"))[0]!;
    const page = await admin.get(`/admin/mail/${mail.id}`).expect(200);
    // What the admin sees, with quoted-printable undone as any reader would.
    const seen = page.text.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const token = /\/set-password\/([A-Za-z0-9_-]{20,})/.exec(seen)?.[1];
    const usable = token ? (await browser(t.app).get(`/set-password/${token}`)).status === 200 : false;
    expect(usable, "the mail log shows hank's live set-password link to the admin").to.equal(false);
  });
});
