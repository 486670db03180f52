import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { addSecondAdmin, confirmStaff, staffByConsole } from "../resets/helpers.js";
import { changeLoginEmail } from "./helpers.js";
import { signedIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { userId, userRow } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

/** Review of issue 10, finding 1a: four eyes on staff identity. */
describe("admin console: a second admin confirms staff logins", () => {
  const t = useTestApp();
  let admin: Agent;
  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  const confirmation = async (username: string) => {
    const row = await userRow(t, username);
    return { confirmedAt: row.confirmed_at ?? null, confirmedBy: row.confirmed_by ?? null, audited: (await auditRows(t, "login.confirmed")).length };
  };
  /** A confirm that must be refused: its status and reason, and the login's confirmation unchanged. */
  const expectNotConfirmed = async (who: Agent, username: string, status: number, reason: string) => {
    const before = await confirmation(username);
    const res = await confirmStaff(t, who, username);
    expect(res.status, res.text.slice(0, 400)).to.equal(status);
    expect(res.text).to.include(reason);
    expect(await confirmation(username), "nothing changed").to.deep.equal(before);
  };

  it("keeps the demo staff confirmed; a console-made login is unconfirmed, listed and badged, and every confirmed admin is told who made it for which address", async () => {
    for (const name of ["admin", "alice", "bob"]) expect((await userRow(t, name)).confirmed_at, name).to.not.equal(null);
    await addSecondAdmin(t);
    await staffByConsole(t, admin, "agent", "gina", "gina@elsewhere.example");
    const gina = await userRow(t, "gina");
    expect(gina.confirmed_at).to.equal(null);
    expect(Number(gina.created_by)).to.equal(await userId(t, "admin"));

    const staff = await admin.get("/admin/staff").expect(200);
    expect(staff.text).to.include("Waiting for a second admin's confirmation").and.include("created by admin").and.include("unconfirmed");
    const page = await admin.get(`/admin/logins/${Number(gina.id)}`).expect(200);
    expect(page.text).to.include("unconfirmed").and.include("You created gina: another admin must confirm it.");

    const notices = (await outboxTo(t)).filter((m) => m.template === "staff-created" && m.subject === "New staff login gina, created by admin");
    expect(notices.map((m) => m.recipient).sort()).to.deep.equal(["ada@vouchdesk.example", "admin@vouchdesk.example"]);
    const text = await mailText(notices[0]!.message);
    expect(text).to.include("admin created the staff login gina").and.include("gina@elsewhere.example");
  });

  it("refuses the creator, the login itself, an unconfirmed admin, an agent and a post without CSRF, with nothing changed; a second confirmed admin confirms, audited", async () => {
    await staffByConsole(t, admin, "agent", "gina");
    const ghost = await staffByConsole(t, admin, "admin", "ghost");
    await expectNotConfirmed(admin, "gina", 400, "You created gina: another admin must confirm it.");
    await expectNotConfirmed(ghost, "ghost", 400, "Nobody confirms their own login: another admin must.");
    await expectNotConfirmed(ghost, "gina", 400, "Your staff login is not yet confirmed by a second admin");
    const before = await confirmation("gina");
    // An agent gets a 403 (its CSRF token from its own home page: the login page is not its to see).
    expect((await postForm(await signedIn(t, "alice"), `/admin/logins/${await userId(t, "gina")}/confirm`, {}, "/")).status).to.equal(403);
    const ada = await addSecondAdmin(t);
    expect((await ada.post(`/admin/logins/${await userId(t, "gina")}/confirm`).type("form").send({})).status).to.equal(403);
    expect(await confirmation("gina"), "nothing changed by an agent or without CSRF").to.deep.equal(before);

    const res = await confirmStaff(t, ada, "gina");
    expect(res.status).to.equal(303);
    const gina = await userRow(t, "gina");
    expect(gina.confirmed_at).to.not.equal(null);
    expect(Number(gina.confirmed_by)).to.equal(await userId(t, "ada"));
    expect((await auditRows(t, "login.confirmed")).map((r) => [r.actor, r.details.username])).to.deep.equal([["ada", "gina"]]);
    await expectNotConfirmed(ada, "gina", 400, "gina is confirmed already.");
  });

  it("unconfirms a staff login when another admin changes its email or sends it a set-password link; that admin may not confirm it again", async () => {
    const ada = await addSecondAdmin(t);
    expect((await changeLoginEmail(t, admin, "alice", "alice@elsewhere.example")).status).to.equal(303);
    const alice = await userRow(t, "alice");
    expect(alice.confirmed_at).to.equal(null);
    expect(Number(alice.unconfirmed_by)).to.equal(await userId(t, "admin"));
    expect((await auditRows(t, "login.unconfirmed")).map((r) => [r.actor, r.details.username, r.details.why])).to.deep.equal([["admin", "alice", "email_changed"]]);
    await expectNotConfirmed(admin, "alice", 400, "You changed alice&#39;s address or sent it a link: another admin must confirm it.");
    expect((await confirmStaff(t, ada, "alice")).status).to.equal(303);

    const bobPage = `/admin/logins/${await userId(t, "bob")}`;
    expect((await postForm(ada, `${bobPage}/send-link`, {}, bobPage)).status).to.equal(303);
    expect((await userRow(t, "bob")).confirmed_at).to.equal(null);
    expect((await auditRows(t, "login.unconfirmed")).map((r) => [r.actor, r.details.username, r.details.why]).slice(-1)).to.deep.equal([["ada", "bob", "link_sent"]]);
  });
});
