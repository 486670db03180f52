/**
 * Mail settings in the console (issue 18 item 1): saved in the database (the password sealed),
 * the environment winning field by field, used by the next delivery without a restart. The
 * SMTP sink requires AUTH and takes one password only, as a real server does.
 */
import { expect } from "chai";
import { auditRows } from "../../support/audit.js";
import { databaseRows } from "../../support/database.js";
import { csrfToken } from "../../support/forms.js";
import type { Agent } from "../../support/http.js";
import type { Row } from "../../support/rows.js";
import { signedIn } from "../../support/sign-in.js";
import { useTestApp } from "../../support/use-test-app.js";
import { codeAt, enrolTotp } from "../../identity/two-factor-helpers.js";

const RIGHT = "Right-Smtp-Pass-42";
const WRONG = "Wrong-Smtp-Pass-17";
const login = { user: "desk", pass: RIGHT };
const SAVED = "Saved. The next delivery uses them.";

/** Posts a form with the session's CSRF token and checks the status. */
const post = async (agent: Agent, path: string, form: Record<string, string>, status: number) => agent.post(path).type("form").send({ _csrf: await csrfToken(agent, "/"), ...form }).expect(status);
const save = (agent: Agent, form: Record<string, string>, status: number) => post(agent, "/admin/settings", form, status);
const settingsRow = async (t: { db: (table: string) => { where(w: Row): { first(): Promise<unknown> } } }) => (await t.db("mail_settings").where({ id: 1 }).first()) as Row;

describe("mail settings saved in the console and used by the next delivery", () => {
  const t = useTestApp({ smtp: { login }, mailSettings: true });
  let admin: Agent;
  const smtpForm = (password: string) => ({ sendingEnabled: "1", transport: "smtp", host: "127.0.0.1", port: String(t.sink.port), security: "none", auth: "1", user: "desk", password, from: "Support <support@desk.example>" });

  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  it("fails delivery with the server's answer on a wrong password; fixed in the console, Run now delivers; the password is never in clear", async () => {
    expect((await save(admin, smtpForm(WRONG), 303)).headers.location).to.equal("/admin/settings");
    expect((await admin.get("/admin/settings").expect(200)).text).to.include(SAVED);

    await post(admin, "/admin/settings/test-mail", { to: "ops@example.com" }, 303);
    const [mail] = (await t.db("outbox").where({ recipient: "ops@example.com" })) as Row[];
    expect(mail!.status).to.equal("failed");
    expect(mail!.last_error).to.include("535 Authentication failed");
    expect(t.sink.received).to.have.length(0);
    const log = await admin.get("/admin/mail").expect(200);
    expect(log.text).to.include("535 Authentication failed").and.include('<a href="/admin/settings" class="small">Check the mail settings</a>');
    expect((await admin.get(`/admin/mail/${String(mail!.id)}`).expect(200)).text).to.include('<a href="/admin/settings">Check the mail settings</a>');

    // The admin types the right password, keeps everything else, and runs delivery now.
    await save(admin, smtpForm(RIGHT), 303);
    expect((await admin.get("/admin/settings").expect(200)).text).to.include(`${SAVED} 1 mail waiting for another attempt goes with it.`);
    const page = await admin.get("/admin/settings").expect(200);
    expect(page.text).to.include('action="/admin/tasks/deliver-mail/run"').and.include("A password is saved (it is never shown).");
    await post(admin, "/admin/tasks/deliver-mail/run", {}, 303);
    await t.scheduler.runDue();

    const [after] = (await t.db("outbox").where({ id: mail!.id })) as Row[];
    expect(after!.status).to.equal("sent");
    expect(t.sink.received).to.have.length(1);
    expect(t.sink.received[0]!.from, "the envelope is from the saved From").to.equal("support@desk.example");

    const row = await settingsRow(t);
    expect(row.version).to.equal(2);
    expect(String(row.password_sealed)).to.match(/^v1:/);
    for (const secret of [RIGHT, WRONG]) {
      expect(await t.leaks(secret), `${secret} in the database or the logs`).to.equal(false);
      expect(page.text).to.not.include(secret);
    }
    const audit = await auditRows(t, "mail.settings_changed");
    expect(audit.map((a) => a.details)).to.deep.equal([
      { changed: ["transport", "host", "port", "security", "auth", "user", "from"], passwordChanged: "yes", retriesDue: 0 },
      { changed: [], passwordChanged: "yes", retriesDue: 1 },
    ]);
    expect(audit[0]!.actor).to.equal("admin");
  });

  it("keeps the password when the field is left blank, and clears it with Remove the password", async () => {
    await save(admin, smtpForm(RIGHT), 303);
    const sealed = (await settingsRow(t)).password_sealed;
    await save(admin, { ...smtpForm(""), from: "Desk <desk@desk.example>" }, 303);
    expect((await settingsRow(t)).password_sealed, "blank keeps it").to.equal(sealed);

    await save(admin, { ...smtpForm(""), from: "Desk <desk@desk.example>", removePassword: "1" }, 303);
    expect((await settingsRow(t)).password_sealed).to.equal(null);
    expect((await admin.get("/admin/settings").expect(200)).text).to.include("No password is saved.");
    expect((await auditRows(t, "mail.settings_changed")).map((a) => a.details.passwordChanged)).to.deep.equal(["yes", "no", "yes"]);
  });

  it("keeps mail in the outbox, with no attempt spent, while sending is turned off", async () => {
    // An unticked checkbox is not sent at all.
    const off: Record<string, string> = smtpForm(RIGHT);
    delete off.sendingEnabled;
    await save(admin, off, 303);
    await post(admin, "/admin/settings/test-mail", { to: "ops@example.com" }, 303);
    const [mail] = (await t.db("outbox").where({ recipient: "ops@example.com" })) as Row[];
    expect(mail!.status).to.equal("queued");
    expect(mail!.attempts).to.equal(0);
    expect(t.sink.received).to.have.length(0);

    await save(admin, smtpForm(""), 303);
    await t.deliverMail();
    expect(t.sink.received).to.have.length(1);
  });

  it("asks for the saved password again before it goes to another host, port, security or user, nothing changed until then", async () => {
    await save(admin, smtpForm(RIGHT), 303);
    const row = await settingsRow(t);
    for (const change of [{ host: "mail.elsewhere.example" }, { port: "2526" }, { security: "tls" }, { user: "someone" }]) {
      const res = await save(admin, { ...smtpForm(""), ...change }, 400);
      expect(res.text, JSON.stringify(change)).to.include('id="field-password-problem">Type the password again');
      expect(await settingsRow(t), "nothing changed").to.deep.equal(row);
    }
    // Typed again, it goes; and a change of From alone keeps the saved one.
    await save(admin, { ...smtpForm(RIGHT), host: "localhost" }, 303);
    await save(admin, { ...smtpForm(""), host: "localhost", from: "Desk <desk@desk.example>" }, 303);
    expect((await settingsRow(t)).host).to.equal("localhost");
  });

  it("refuses a bad port, host or From, and SMTP without a host, with 400 named at the field and nothing changed", async () => {
    const before = await databaseRows(t.db, ["sessions"]);
    const cases: [Record<string, string>, string, string][] = [
      [{ port: "0" }, "port", "Enter a port from 1 to 65535."],
      [{ port: "70000" }, "port", "Enter a port from 1 to 65535."],
      [{ port: "25a" }, "port", "Enter a port from 1 to 65535."],
      [{ host: "smtp example.com" }, "host", "Enter a host name such as smtp.example.com, or an IP address."],
      [{ from: "not an address" }, "from", "Enter an address such as desk@example.com or Support &lt;desk@example.com&gt;."],
      [{ host: "" }, "host", "Enter the SMTP server&#39;s host name: SMTP needs one."],
      [{ user: "" }, "user", "Enter the user name to sign in with, or turn authentication off."],
    ];
    for (const [change, field, problem] of cases) {
      const res = await save(admin, { ...smtpForm(WRONG), ...change }, 400);
      expect(res.text, JSON.stringify(change)).to.include(`id="field-${field}-problem">${problem}</p>`);
      expect(res.text).to.not.include(WRONG);
    }
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);
  });

  it("refuses an agent (403) and a post without the CSRF token (403), nothing changed", async () => {
    const alice = await signedIn(t, "alice");
    const before = await databaseRows(t.db, ["sessions"]);
    await alice.get("/admin/settings").expect(403);
    await post(alice, "/admin/settings", smtpForm(WRONG), 403);
    await admin.post("/admin/settings").type("form").send(smtpForm(WRONG)).expect(403);
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);
  });

  it("asks an admin with a second factor for it again before saving, nothing changed until then", async () => {
    const { secret } = await enrolTotp(t, admin);
    t.clock.advance(6 * 60_000);
    const before = await databaseRows(t.db, ["sessions"]);
    const refused = await save(admin, smtpForm(RIGHT), 403);
    expect(refused.text).to.include("This step needs your second factor again").and.include('name="return_to" value="/admin/settings"');
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);

    t.clock.advance(30_000);
    await post(admin, "/confirm-identity", { code: codeAt(t, secret), return_to: "/admin/settings" }, 303);
    await save(admin, smtpForm(RIGHT), 303);
    expect((await settingsRow(t)).host).to.equal("127.0.0.1");
  });
});

describe("mail settings the environment sets", () => {
  const t = useTestApp({ smtp: { login }, mailSettings: true, env: (sink) => ({ MAIL_TRANSPORT: "smtp", SMTP_HOST: "127.0.0.1", SMTP_PORT: String(sink.port), SMTP_PASS: RIGHT }) });

  it("shows them read-only with their variable, never the password, and ignores a post that names them (the stored value stays)", async () => {
    const admin = await signedIn(t, "admin");
    const page = await admin.get("/admin/settings").expect(200);
    expect(page.text).to.include("127.0.0.1 <span class=\"muted small\">set by the environment (SMTP_HOST)</span>");
    expect(page.text).to.include(`${t.sink.port} <span class="muted small">set by the environment (SMTP_PORT)</span>`);
    expect(page.text).to.include('set <span class="muted small">set by the environment (SMTP_PASS)</span>');
    expect(page.text).to.not.include('name="host"').and.not.include('name="password"').and.not.include(RIGHT);
    expect(page.text).to.include('name="user"');

    await save(admin, { sendingEnabled: "1", host: "mail.elsewhere.example", port: "2525", password: WRONG, removePassword: "1", security: "none", auth: "1", user: "desk", from: "desk@desk.example" }, 303);
    const row = await settingsRow(t);
    expect([row.host, row.port, row.password_sealed, row.transport]).to.deep.equal([null, null, null, null]);
    expect(row.username).to.equal("desk");
    expect((await auditRows(t, "mail.settings_changed"))[0]!.details).to.deep.equal({ changed: ["security", "auth", "user", "from"], passwordChanged: "no", retriesDue: 0 });

    // Sent with the environment's host, port and password and the console's user.
    await post(admin, "/admin/settings/test-mail", { to: "ops@example.com" }, 303);
    expect(t.sink.received).to.have.length(1);
    expect(await t.leaks(WRONG)).to.equal(false);
  });
});
