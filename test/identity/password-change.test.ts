import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { postForm } from "../support/forms.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { userRow } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const P1 = "Tz4%nB8^xM1*cW6@";
const P2 = "Rk3&vQ9!hL5#dF2$";
const CHANGED_SUBJECT = "Your Vouchdesk password was changed";

/** POST /account/password as the signed-in browser. */
const changePassword = (agent: Agent, current: string, next: string, confirm = next) =>
  postForm(agent, "/account/password", { current_password: current, new_password: next, confirm_password: confirm }, "/account/password");

describe("change password (/account/password)", () => {
  const t = useTestApp();

  it("shows the form with the policy's requirements", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const page = await agent.get("/account/password").expect(200);
    expect(page.text).to.include('name="current_password"').and.include('name="new_password"').and.include('name="confirm_password"');
    expect(page.text).to.include("At least 8").and.include("previous 7");
  });

  it("refuses a wrong current password: 400 naming it, the hash unchanged, the refusal audited", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const before = await userRow(t, "carol");
    const res = await changePassword(agent, "Not-The-Current-9!", P1);
    expect(res.status).to.equal(400);
    expect(res.text).to.include("The current password is not right.").and.include("field-current_password-problem");
    const after = await userRow(t, "carol");
    expect(after.password_hash).to.equal(before.password_hash);
    expect(Number(after.session_epoch)).to.equal(Number(before.session_epoch));
    const refused = await auditRows(t, "password.change_refused");
    expect(refused).to.have.length(1);
    expect(refused[0]!.actor).to.equal("carol");
    expect(refused[0]!.subject).to.equal(`user:${Number(before.id)}`);
    expect(await auditRows(t, "password.changed")).to.have.length(0);

    // Every problem is named at once, not only the first.
    const all = await changePassword(agent, "Not-The-Current-9!", "short");
    expect(all.status).to.equal(400);
    expect(all.text).to.include("The current password is not right.").and.include("at least 8 characters");
    expect((await userRow(t, "carol")).password_hash).to.equal(before.password_hash);

    // Without the current password, the history rule stays silent: it would confirm a guess of the current one.
    const guess = await changePassword(agent, "Not-The-Current-9!", DEMO_PASSWORD);
    expect(guess.status).to.equal(400);
    expect(guess.text).to.include("The current password is not right.").and.not.include("must not be one of your previous");
    expect(await outboxTo(t, "carol@acme.example")).to.have.length(0);
    // Still signed in, and the old password still works.
    await agent.get("/").expect(200);
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
    expect(await t.leaks("Not-The-Current-9!")).to.equal(false);
  });

  it("names the broken policy rules, a mismatched confirmation, and a new password equal to the current one", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const hash = (await userRow(t, "carol")).password_hash;

    const short = await changePassword(agent, DEMO_PASSWORD, "short");
    expect(short.status).to.equal(400);
    expect(short.text).to.include("Password must be at least 8 characters long.").and.include("Password must contain an upper-case letter.").and.include("field-new_password-problem");

    const guessable = await changePassword(agent, DEMO_PASSWORD, "Summer2024!");
    expect(guessable.status).to.equal(400);
    expect(guessable.text).to.include("Password is too easy to guess");

    const mismatch = await changePassword(agent, DEMO_PASSWORD, P1, P2);
    expect(mismatch.status).to.equal(400);
    expect(mismatch.text).to.include("The two new passwords do not match.").and.include("field-confirm_password-problem");

    const same = await changePassword(agent, DEMO_PASSWORD, DEMO_PASSWORD);
    expect(same.status).to.equal(400);
    expect(same.text).to.include("field-new_password-problem");

    const empty = await changePassword(agent, "", "", "");
    expect(empty.status).to.equal(400);
    expect(empty.text).to.include("Enter your current password.").and.include("Enter a new password.").and.include("Enter the new password again.");

    expect((await userRow(t, "carol")).password_hash).to.equal(hash);
    expect(await auditRows(t, "password.changed")).to.have.length(0);
    expect(await outboxTo(t, "carol@acme.example")).to.have.length(0);
    await agent.get("/").expect(200);
  });

  it("changes the password: signed out everywhere, old password dead, new one works, notice mailed, audited, nothing secret kept", async () => {
    const agent = browser(t.app);
    const other = browser(t.app);
    await signInOk(other, "carol", DEMO_PASSWORD);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    await other.get("/").expect(200);
    const before = await userRow(t, "carol");

    const res = await changePassword(agent, DEMO_PASSWORD, P1);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal("/login");
    const login = await agent.get("/login").expect(200);
    expect(login.text).to.include("Your password was changed");

    // Both sessions have ended.
    await agent.get("/").expect(303).expect("location", "/login");
    await other.get("/").expect(303).expect("location", "/login");

    const after = await userRow(t, "carol");
    expect(after.password_hash).to.not.equal(before.password_hash);
    expect(Number(after.session_epoch)).to.be.greaterThan(Number(before.session_epoch));

    expect((await signIn(browser(t.app), "carol", DEMO_PASSWORD)).status).to.equal(401);
    const again = browser(t.app);
    await signInOk(again, "carol", P1);
    await again.get("/").expect(200);

    const mails = (await outboxTo(t)).filter((m) => m.subject === CHANGED_SUBJECT);
    expect(mails).to.have.length(1);
    expect(mails[0]!.recipient).to.equal("carol@acme.example");
    const text = await mailText(mails[0]!.message);
    expect(text).to.include("carol").and.include("was changed");
    for (const secret of [P1, DEMO_PASSWORD]) expect(mails[0]!.message).to.not.include(secret);
    for (const secret of [P1, DEMO_PASSWORD]) expect(text).to.not.include(secret);

    // The worker delivers it (file transport) and the delivered copy holds no secret either.
    await t.deliverMail();
    const files = readdirSync(t.mailDir).filter((f) => f.endsWith(".eml"));
    expect(files).to.have.length(1);
    const delivered = readFileSync(path.join(t.mailDir, files[0]!), "utf8");
    expect(delivered).to.include(CHANGED_SUBJECT).and.include("carol@acme.example");
    for (const secret of [P1, DEMO_PASSWORD]) expect(delivered).to.not.include(secret);

    const changed = await auditRows(t, "password.changed");
    expect(changed).to.have.length(1);
    expect(changed[0]!.actor).to.equal("carol");
    expect(changed[0]!.subject).to.equal(`user:${Number(before.id)}`);
    expect(changed[0]!.ip, "the audit row says from which IP").to.be.a("string").and.not.equal("");
    expect(JSON.stringify(changed[0]!.details)).to.not.include(P1);

    expect(await count(t, "password_history", { user_id: Number(before.id) })).to.equal(2);
    expect(await t.leaks(P1)).to.equal(false);
    expect(await t.leaks(DEMO_PASSWORD)).to.equal(false);
  });

  it("refuses any of the previous 7 passwords and accepts the 8th-last", async () => {
    // P0 is the demo password; change to P1 … P7, signing in again after each change.
    const passwords = [DEMO_PASSWORD, ...Array.from({ length: 7 }, (_, i) => `Hq${i + 1}#vZ${7 - i}!kWm${i + 3}$T`)];
    let agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);

    const back = await changePassword(agent, DEMO_PASSWORD, passwords[1]!).then(async (res) => {
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      agent = browser(t.app);
      await signInOk(agent, "carol", passwords[1]!);
      return changePassword(agent, passwords[1]!, DEMO_PASSWORD);
    });
    expect(back.status).to.equal(400);
    expect(back.text).to.include("Password must not be one of your previous 7 passwords.");

    for (let i = 2; i < passwords.length; i++) {
      const res = await changePassword(agent, passwords[i - 1]!, passwords[i]!);
      expect(res.status, `change to password ${i}: ${res.text.slice(0, 2000)}`).to.equal(303);
      agent = browser(t.app);
      await signInOk(agent, "carol", passwords[i]!);
    }
    // History now holds P7 … P0: the last 7 are P7 … P1.
    const current = passwords[7]!;
    const reuse = await changePassword(agent, current, passwords[1]!);
    expect(reuse.status).to.equal(400);
    expect(reuse.text).to.include("previous 7");
    const eighth = await changePassword(agent, current, DEMO_PASSWORD);
    expect(eighth.status, eighth.text.slice(0, 2000)).to.equal(303);
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
  });

  it("needs a CSRF token: without one, 403 and nothing changed", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const before = await userRow(t, "carol");
    const res = await agent.post("/account/password").type("form").send({ current_password: DEMO_PASSWORD, new_password: P1, confirm_password: P1 });
    expect(res.status).to.equal(403);
    const forged = await agent.post("/account/password").type("form").send({ _csrf: "forged-token", current_password: DEMO_PASSWORD, new_password: P1, confirm_password: P1 });
    expect(forged.status).to.equal(403);
    const after = await userRow(t, "carol");
    expect(after.password_hash).to.equal(before.password_hash);
    expect(Number(after.session_epoch)).to.equal(Number(before.session_epoch));
    expect(await outboxTo(t)).to.have.length(0);
    expect(await auditRows(t, "password.changed")).to.have.length(0);
    await agent.get("/").expect(200);
  });

  it("sends someone not signed in to the sign-in page", async () => {
    await browser(t.app).get("/account/password").expect(303).expect("location", "/login");
  });
});

describe("change password under PASSWORD_POLICY=nist", () => {
  const t = useTestApp({ once: true, env: { PASSWORD_POLICY: "nist" } });

  it("lists 15 characters, refuses 14 and accepts a long passphrase without composition", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const page = await agent.get("/account/password").expect(200);
    expect(page.text).to.include("At least 15").and.not.include("previous 7");

    const fourteen = await changePassword(agent, DEMO_PASSWORD, "plumorbitcactu");
    expect(fourteen.status).to.equal(400);
    expect(fourteen.text).to.include("Password must be at least 15 characters long.");

    // No history rule here: the current password is refused by its own rule.
    const same = await changePassword(agent, DEMO_PASSWORD, DEMO_PASSWORD);
    expect(same.status).to.equal(400);
    expect(same.text).to.include("The new password must differ from the current one.");

    const passphrase = "plum orbit cactus lantern";
    const res = await changePassword(agent, DEMO_PASSWORD, passphrase);
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    await signInOk(browser(t.app), "carol", passphrase);
    expect(await t.leaks(passphrase)).to.equal(false);
  });
});
