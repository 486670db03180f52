import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { signedIn, signIn, signInOk } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { msOf, count, type Row } from "../support/rows.js";
import { auditRows } from "../support/audit.js";
import { userId, userRow } from "../support/users.js";
import { latestLinkTo, setPasswordByLink } from "../support/links.js";
import { outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_PASSWORD = "Gx8@pW3!mK7^qB2%";

describe("admin console: accounts, logins, contacts, staff", () => {
  const t = useTestApp();
  let admin: Agent;
  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  const post = (path: string, form: Record<string, string> = {}) => postForm(admin, path, form);
  const accountRow = async (code: string) => (await t.db("accounts").where({ code }).first()) as Row | undefined;

  /** Creates BET through the console and returns its id. */
  async function createBeta(): Promise<number> {
    const res = await post("/admin/accounts", { code: "bet", name: "Beta Ltd" });
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    const id = Number((await accountRow("BET"))!.id);
    expect(res.headers.location).to.equal(`/admin/accounts/${id}`);
    return id;
  }

  const addLogin = (accountId: number, form: Record<string, string>) => post(`/admin/accounts/${accountId}/logins`, form);
  const addContact = (accountId: number, form: Record<string, string>) => post(`/admin/accounts/${accountId}/contacts`, form);
  const contactRow = async (name: string) => (await t.db("contacts").where({ name }).first()) as Row;

  it("creates an account with its code upper-cased, and refuses a duplicate or malformed code", async () => {
    const id = await createBeta();
    const row = (await accountRow("BET"))!;
    expect(row.name).to.equal("Beta Ltd");
    expect(row.status).to.equal("active");
    const created = await auditRows(t, "account.created");
    expect(created).to.have.length(1);
    expect(created[0]!.actor).to.equal("admin");
    expect(created[0]!.subject).to.equal(`account:${id}`);
    expect(created[0]!.details).to.include({ code: "BET", name: "Beta Ltd" });

    const accounts = await count(t, "accounts");
    for (const [form, message] of [
      [{ code: "BET", name: "Beta again" }, "An account with the code BET exists already."],
      [{ code: "bEt", name: "Beta again" }, "An account with the code BET exists already."],
      [{ code: "acm", name: "Acme again" }, "An account with the code ACM exists already."],
      [{ code: "B1", name: "Bad" }, "The code is 3 letters"],
      [{ code: "BETA", name: "Bad" }, "The code is 3 letters"],
      [{ code: "B3T", name: "Bad" }, "The code is 3 letters"],
      [{ code: "GAM", name: "" }, "Enter the account&#39;s name."],
    ] as const) {
      const res = await post("/admin/accounts", form);
      expect(res.status, JSON.stringify(form)).to.equal(400);
      expect(res.text, JSON.stringify(form)).to.include(message);
    }
    expect(await count(t, "accounts")).to.equal(accounts);

    const page = await admin.get(`/admin/accounts/${id}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include("BET").and.include("Beta Ltd");
    const list = await admin.get("/admin/accounts?q=beta").expect(200);
    expect(list.text).to.include("Beta Ltd").and.not.include("Acme Corp");
  });

  it("adds exactly one primary login of the primary form, and secondaries not of that form", async () => {
    const betId = await createBeta();
    const logins = await count(t, "users");

    const malformed = await addLogin(betId, { role: "primary", username: "beta-1", display_name: "Beta primary", email: "primary@beta.example" });
    expect(malformed.status).to.equal(400);
    expect(malformed.text).to.include("A primary login&#39;s username is 3 letters and 4 digits");
    expect(await count(t, "users")).to.equal(logins);

    const primary = await addLogin(betId, { role: "primary", username: "BET0001", display_name: "Beta primary", email: "primary@beta.example" });
    expect(primary.status, primary.text.slice(0, 2000)).to.equal(303);
    expect(primary.headers.location).to.equal(`/admin/accounts/${betId}`);
    const bet0001 = await userRow(t, "BET0001");
    expect(bet0001.role).to.equal("primary");
    expect(Number(bet0001.account_id)).to.equal(betId);
    expect(bet0001.password_hash).to.equal(null);
    const invitation = await outboxTo(t, "primary@beta.example");
    expect(invitation).to.have.length(1);
    expect(invitation[0]!.template).to.equal("set-password");

    const secondary = await addLogin(betId, { role: "secondary", username: "erin", display_name: "Erin Beta", email: "erin@beta.example", can_open_cases: "1" });
    expect(secondary.status).to.equal(303);
    const erin = await userRow(t, "erin");
    expect(erin.role).to.equal("secondary");
    expect(Boolean(erin.can_open_cases)).to.equal(true);

    const refused: [Record<string, string>, string][] = [
      [{ role: "primary", username: "BET0002", display_name: "Second primary", email: "p2@beta.example" }, "This account already has its primary login."],
      [{ role: "secondary", username: "BET0003", display_name: "Looks primary", email: "p3@beta.example" }, "Usernames of 3 letters and 4 digits are kept for primary logins."],
      [{ role: "secondary", username: "Erin", display_name: "Erin again", email: "erin2@beta.example" }, "That username is taken."],
      [{ role: "agent", username: "sneaky", display_name: "Sneaky", email: "sneaky@beta.example" }, "Accounts have primary and secondary logins"],
      [{ role: "secondary", username: "fay", display_name: "Fay", email: "fay-at-beta" }, "Enter a valid email address."],
    ];
    for (const [form, message] of refused) {
      const res = await addLogin(betId, form);
      expect(res.status, JSON.stringify(form)).to.equal(400);
      expect(res.text, JSON.stringify(form)).to.include(message);
    }
    expect(await count(t, "users", { account_id: betId })).to.equal(2);
    expect(await count(t, "users", { account_id: betId, role: "primary" })).to.equal(1);

    // The invited primary chooses its own password through the mailed link.
    const token = await latestLinkTo(t, "primary@beta.example");
    expect((await setPasswordByLink(browser(t.app), token, NEW_PASSWORD)).status).to.equal(303);
    await signInOk(browser(t.app), "BET0001", NEW_PASSWORD);
  });

  it("adds contacts with the phone normalised, names a bad phone, and records phone changes only", async () => {
    const betId = await createBeta();
    const added = await addContact(betId, { name: "Bea Beta", kind: "primary", email: "bea@beta.example", phone: " +44 (20) 7946-0003 ", authorised_for_support: "1" });
    expect(added.status, added.text.slice(0, 2000)).to.equal(303);
    expect(added.headers.location).to.equal(`/admin/accounts/${betId}`);
    let bea = await contactRow("Bea Beta");
    expect(bea.phone).to.equal("+442079460003");
    expect(Number(bea.account_id)).to.equal(betId);
    expect(Boolean(bea.authorised_for_support)).to.equal(true);
    expect(msOf(bea.phone_changed_at)).to.equal(t.clock.now().getTime());
    const addedAudit = await auditRows(t, "contact.added");
    expect(addedAudit).to.have.length(1);
    expect(addedAudit[0]!.details).to.include({ phone: "+442079460003", name: "Bea Beta" });

    const contacts = await count(t, "contacts");
    for (const [phone, problem] of [
      ["abc", "Start the number with + and its country code"],
      ["12345", "Start the number with + and its country code"],
      ["+0 20 7946 0003", "That is not a phone number"],
    ] as const) {
      const res = await addContact(betId, { name: "Bad Phone", kind: "secondary", phone });
      expect(res.status, phone).to.equal(400);
      expect(res.text, phone).to.include(problem);
    }
    const noKind = await addContact(betId, { name: "No Kind", kind: "tertiary" });
    expect(noKind.status).to.equal(400);
    expect(noKind.text).to.include("Choose primary or secondary contact.");
    expect(await count(t, "contacts")).to.equal(contacts);

    const edit = (form: Record<string, string>) => post(`/admin/contacts/${Number(bea.id)}`, { kind: "primary", email: "bea@beta.example", authorised_for_support: "1", ...form });
    const firstChange = msOf(bea.phone_changed_at);

    t.clock.advance(60_000);
    const phoneEdit = await edit({ name: "Bea Beta", phone: "+44 20 7946 0004" });
    expect(phoneEdit.status, phoneEdit.text.slice(0, 2000)).to.equal(303);
    bea = await contactRow("Bea Beta");
    expect(bea.phone).to.equal("+442079460004");
    const secondChange = msOf(bea.phone_changed_at);
    expect(secondChange).to.equal(t.clock.now().getTime()).and.not.equal(firstChange);
    const updated = await auditRows(t, "contact.updated");
    expect(updated).to.have.length(1);
    expect((updated[0]!.details.before as Row).phone).to.equal("+442079460003");
    expect((updated[0]!.details.after as Row).phone).to.equal("+442079460004");

    t.clock.advance(60_000);
    // The same number written differently is not a change of phone.
    const nameEdit = await edit({ name: "Beatrice Beta", phone: "+44 (20) 7946-0004" });
    expect(nameEdit.status).to.equal(303);
    const renamed = await contactRow("Beatrice Beta");
    expect(renamed.phone).to.equal("+442079460004");
    expect(msOf(renamed.phone_changed_at)).to.equal(secondChange);

    const badEdit = await edit({ name: "Beatrice Beta", phone: "abc" });
    expect(badEdit.status).to.equal(400);
    expect(badEdit.text).to.include("Start the number with + and its country code");
    expect((await contactRow("Beatrice Beta")).phone).to.equal("+442079460004");
  });

  it("refuses to link a contact to a login of another account", async () => {
    const betId = await createBeta();
    expect((await addLogin(betId, { role: "secondary", username: "erin", display_name: "Erin Beta", email: "erin@beta.example" })).status).to.equal(303);
    const carolId = await userId(t, "carol");
    const erinId = await userId(t, "erin");

    const foreign = await addContact(betId, { name: "Linked Wrongly", kind: "secondary", user_id: String(carolId) });
    expect(foreign.status).to.equal(400);
    expect(foreign.text).to.include("Choose a login of this account, or none.");
    expect(await count(t, "contacts", { name: "Linked Wrongly" })).to.equal(0);
    // An id past the largest row id is refused before any query (PostgreSQL would fail on it).
    const huge = await addContact(betId, { name: "Linked Wrongly", kind: "secondary", user_id: "9999999999" });
    expect(huge.status).to.equal(400);
    expect(huge.text).to.include("Choose a login of this account, or none.");
    expect(await count(t, "contacts", { name: "Linked Wrongly" })).to.equal(0);

    expect((await addContact(betId, { name: "Erin Contact", kind: "secondary", user_id: String(erinId) })).status).to.equal(303);
    const contact = await contactRow("Erin Contact");
    expect(Number(contact.user_id)).to.equal(erinId);

    const relink = await post(`/admin/contacts/${Number(contact.id)}`, { name: "Erin Contact", kind: "secondary", user_id: String(carolId) });
    expect(relink.status).to.equal(400);
    expect(relink.text).to.include("Choose a login of this account, or none.");
    expect(Number((await contactRow("Erin Contact")).user_id)).to.equal(erinId);

    // ACM's contact cannot be linked to BET's login either.
    const paula = await contactRow("Paula Primary");
    const cross = await post(`/admin/contacts/${Number(paula.id)}`, { name: "Paula Primary", kind: "primary", user_id: String(erinId) });
    expect(cross.status).to.equal(400);
    expect(Number((await contactRow("Paula Primary")).user_id)).to.equal(await userId(t, "ACM0001"));
  });

  it("records when a login's registered email changes, with before and after in the audit", async () => {
    const carolId = await userId(t, "carol");
    const before = await userRow(t, "carol");
    t.clock.advance(60_000);
    const res = await post(`/admin/logins/${carolId}`, { display_name: "Carol Jones", email: "carol.jones@acme.example", can_open_cases: "1" });
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    expect(res.headers.location).to.equal(`/admin/logins/${carolId}`);
    const after = await userRow(t, "carol");
    expect(after.email).to.equal("carol.jones@acme.example");
    expect(msOf(after.email_changed_at)).to.equal(t.clock.now().getTime()).and.not.equal(msOf(before.email_changed_at));
    const audit = await auditRows(t, "login.updated");
    expect(audit).to.have.length(1);
    expect(audit[0]!.actor).to.equal("admin");
    expect(audit[0]!.subject).to.equal(`user:${carolId}`);
    expect((audit[0]!.details.before as Row).email).to.equal("carol@acme.example");
    expect((audit[0]!.details.after as Row).email).to.equal("carol.jones@acme.example");
    expect(JSON.stringify(audit[0]!.details)).to.not.include("argon2");

    // A new name only (and the same address in another case) does not count as an email change.
    const changedAt = msOf(after.email_changed_at);
    t.clock.advance(60_000);
    expect((await post(`/admin/logins/${carolId}`, { display_name: "Carol J. Jones", email: "Carol.Jones@acme.example", can_open_cases: "1" })).status).to.equal(303);
    const renamed = await userRow(t, "carol");
    expect(renamed.display_name).to.equal("Carol J. Jones");
    expect(msOf(renamed.email_changed_at)).to.equal(changedAt);

    const bad = await post(`/admin/logins/${carolId}`, { display_name: "Carol", email: "nope" });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.include("Enter a valid email address.");
    expect((await userRow(t, "carol")).display_name).to.equal("Carol J. Jones");
  });

  it("suspends an account: its logins are signed out and cannot sign in until it is reactivated", async () => {
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    const alice = browser(t.app);
    await signInOk(alice, "alice", DEMO_PASSWORD);

    const suspended = await post("/admin/accounts/1/suspend", { confirm: "yes" });
    expect(suspended.status).to.equal(303);
    expect((await accountRow("ACM"))!.status).to.equal("suspended");
    await carol.get("/").expect(303).expect("location", "/login");
    for (const username of ["carol", "ACM0001", "dave"]) expect((await signIn(browser(t.app), username, DEMO_PASSWORD)).status, username).to.equal(401);
    await alice.get("/").expect(200); // staff are not in the account
    expect((await auditRows(t, "account.suspended")).map((r) => r.actor)).to.deep.equal(["admin"]);

    expect((await post("/admin/accounts/1/reactivate")).status).to.equal(303);
    expect((await accountRow("ACM"))!.status).to.equal("active");
    for (const username of ["carol", "ACM0001"]) await signInOk(browser(t.app), username, DEMO_PASSWORD);
    expect(await auditRows(t, "account.reactivated")).to.have.length(1);
  });

  it("never shows one account's contacts and logins on another account's page", async () => {
    const betId = await createBeta();
    expect((await addLogin(betId, { role: "primary", username: "BET0001", display_name: "Beta primary", email: "primary@beta.example" })).status).to.equal(303);
    expect((await addLogin(betId, { role: "secondary", username: "erin", display_name: "Erin Beta", email: "erin@beta.example" })).status).to.equal(303);
    expect((await addContact(betId, { name: "Bea Beta", kind: "primary", email: "bea@beta.example", phone: "+44 20 7946 0003" })).status).to.equal(303);

    const beta = await admin.get(`/admin/accounts/${betId}`);
    expect(beta.status).to.equal(200);
    for (const shown of ["BET0001", "erin", "Bea Beta", "+442079460003"]) expect(beta.text, shown).to.include(shown);
    for (const hidden of ["ACM0001", "carol", "dave", "Paula Primary", "Carol Jones", "acme.example", "+442079460001", "+442079460002"]) {
      expect(beta.text, hidden).to.not.include(hidden);
    }

    const acme = await admin.get("/admin/accounts/1");
    expect(acme.status).to.equal(200);
    for (const shown of ["ACM0001", "carol", "dave", "Paula Primary", "+442079460001"]) expect(acme.text, shown).to.include(shown);
    for (const hidden of ["BET0001", "erin", "Bea Beta", "beta.example", "+442079460003"]) expect(acme.text, hidden).to.not.include(hidden);

    // A contact's page offers only its own account's logins to link to.
    const bea = await contactRow("Bea Beta");
    const contactPage = await admin.get(`/admin/contacts/${Number(bea.id)}`);
    expect(contactPage.status).to.equal(200);
    expect(contactPage.text).to.include("erin").and.not.include("carol").and.not.include("ACM0001");
    expect(acme.text).to.not.include("$argon2");
    expect(beta.text).to.not.include("$argon2");
  });

  it("is for admins only: customers and agents get 403", async () => {
    for (const username of ["carol", "ACM0001", "alice"]) {
      const agent = browser(t.app);
      await signInOk(agent, username, DEMO_PASSWORD);
      for (const path of ["/admin/accounts", "/admin/accounts/1", "/admin/staff", `/admin/logins/${await userId(t, "dave")}`]) {
        expect((await agent.get(path)).status, `${username} GET ${path}`).to.equal(403);
      }
      expect((await postForm(agent, "/admin/accounts", { code: "EVL", name: "Evil" })).status).to.equal(403);
      expect((await postForm(agent, "/admin/accounts/1/suspend")).status).to.equal(403);
      expect((await postForm(agent, "/admin/staff", { role: "admin", username: "evil", display_name: "Evil", email: "evil@example.com" })).status).to.equal(403);
    }
    expect(await accountRow("EVL")).to.equal(undefined);
    expect((await accountRow("ACM"))!.status).to.equal("active");
    expect(await count(t, "users", { username: "evil" })).to.equal(0);
    await browser(t.app).get("/admin/accounts").expect(303).expect("location", "/login");
  });

  it("creates an agent under Staff, who chooses a password through the mailed link", async () => {
    const res = await post("/admin/staff", { role: "agent", username: "gina", display_name: "Gina Agent", email: "gina@vouchdesk.example" });
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    expect(res.headers.location).to.equal("/admin/staff");
    const gina = await userRow(t, "gina");
    expect(gina.role).to.equal("agent");
    expect(gina.account_id).to.equal(null);
    expect(gina.password_hash).to.equal(null);
    const mails = await outboxTo(t, "gina@vouchdesk.example");
    expect(mails).to.have.length(1);
    expect(mails[0]!.subject).to.equal("Your new Vouchdesk login");
    expect((await auditRows(t, "login.created")).map((r) => r.subject)).to.deep.equal([`user:${Number(gina.id)}`]);
    expect((await admin.get("/admin/staff").expect(200)).text).to.include("gina");

    const token = await latestLinkTo(t, "gina@vouchdesk.example");
    expect((await setPasswordByLink(browser(t.app), token, NEW_PASSWORD)).status).to.equal(303);
    const agent = browser(t.app);
    await signInOk(agent, "gina", NEW_PASSWORD);
    await agent.get("/desk").expect(200);

    for (const [form, message] of [
      [{ role: "primary", username: "hal", display_name: "Hal", email: "hal@vouchdesk.example" }, "Staff are agents or admins."],
      [{ role: "agent", username: "HAL0001", display_name: "Hal", email: "hal@vouchdesk.example" }, "Usernames of 3 letters and 4 digits are kept for primary logins."],
      [{ role: "agent", username: "alice", display_name: "Alice 2", email: "alice2@vouchdesk.example" }, "That username is taken."],
    ] as const) {
      const refused = await post("/admin/staff", form);
      expect(refused.status, JSON.stringify(form)).to.equal(400);
      expect(refused.text, JSON.stringify(form)).to.include(message);
    }
    expect(await count(t, "users", { username: "hal" })).to.equal(0);
  });

  it("never sends a set-password link for a customer login that has a password; does for an agent, whose old password stops", async () => {
    const carolId = await userId(t, "carol");
    const carolHash = (await userRow(t, "carol")).password_hash;
    const refused = await post(`/admin/logins/${carolId}/send-link`);
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("No link was sent").and.include("reset by its primary holder, never by support");
    expect((await userRow(t, "carol")).password_hash).to.equal(carolHash);
    expect(await outboxTo(t, "carol@acme.example")).to.have.length(0);
    const page = await admin.get(`/admin/logins/${carolId}`).expect(200);
    expect(page.text).to.include("reset by its primary holder");
    await signInOk(browser(t.app), "carol", DEMO_PASSWORD);

    const acmId = await userId(t, "ACM0001");
    const primaryRefused = await post(`/admin/logins/${acmId}/send-link`);
    expect(primaryRefused.status).to.equal(400);
    expect(primaryRefused.text).to.include("reset only through a primary account password reset request");
    expect((await userRow(t, "ACM0001")).password_hash).to.not.equal(null);
    expect(await outboxTo(t, "primary@acme.example")).to.have.length(0);
    expect(await auditRows(t, "password.reset_started")).to.have.length(0);

    const alice = browser(t.app);
    await signInOk(alice, "alice", DEMO_PASSWORD);
    const aliceId = await userId(t, "alice");
    const sent = await post(`/admin/logins/${aliceId}/send-link`);
    expect(sent.status).to.equal(303);
    expect((await userRow(t, "alice")).password_hash).to.equal(null);
    await alice.get("/").expect(303).expect("location", "/login");
    expect((await signIn(browser(t.app), "alice", DEMO_PASSWORD)).status).to.equal(401);
    const mails = await outboxTo(t, "alice@vouchdesk.example");
    expect(mails).to.have.length(1);
    expect(mails[0]!.subject).to.equal("Choose a new Vouchdesk password");
    const started = await auditRows(t, "password.reset_started");
    expect(started.map((r) => [r.actor, r.subject])).to.deep.equal([["admin", `user:${aliceId}`]]);

    const token = await latestLinkTo(t, "alice@vouchdesk.example");
    expect((await setPasswordByLink(browser(t.app), token, NEW_PASSWORD)).status).to.equal(303);
    await signInOk(browser(t.app), "alice", NEW_PASSWORD);
  });

  it("lets an admin disable and enable a login, but not disable itself", async () => {
    const dave = browser(t.app);
    await signInOk(dave, "dave", DEMO_PASSWORD);
    const daveId = await userId(t, "dave");
    expect((await post(`/admin/logins/${daveId}/disable`, { confirm: "yes" })).status).to.equal(303);
    await dave.get("/").expect(303).expect("location", "/login");
    expect((await signIn(browser(t.app), "dave", DEMO_PASSWORD)).status).to.equal(401);
    expect((await post(`/admin/logins/${daveId}/enable`)).status).to.equal(303);
    await signInOk(browser(t.app), "dave", DEMO_PASSWORD);

    const adminId = await userId(t, "admin");
    expect((await post(`/admin/logins/${adminId}/disable`, { confirm: "yes" })).status).to.equal(303);
    expect((await userRow(t, "admin")).disabled_at).to.equal(null);
    await admin.get("/admin/accounts").expect(200);
  });
});
