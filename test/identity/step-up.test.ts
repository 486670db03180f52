/**
 * Step-up before the dangerous steps (issue 13 item 6, ASVS v5 7.5): a login with a second factor
 * must have proved it within STEP_UP_MINUTES (5 here, the default), or the step is refused with
 * nothing changed and the page asks for the code, then sends the user back to repeat the step.
 */
import { expect } from "chai";
import * as openpgp from "openpgp";
import { auditRows } from "../support/audit.js";
import { databaseRows } from "../support/database.js";
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";
import { keyDateFor } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { userId, userRow } from "../support/users.js";
import { changeContactPhone, changeLoginEmail } from "../accounts/helpers.js";
import { approve, callBack, contactId, deskPage, expectRefusedIn, openRequest, snapshot } from "../resets/helpers.js";
import { answered, codeAt, enrolTotp } from "./two-factor-helpers.js";

const STALE_MS = 6 * 60_000;
const ASKED = "This step needs your second factor again";
const NOTHING = "Nothing was changed.";
const WRONG = "That code is not right, or it was already used.";
const LOCKED = "Too many wrong passwords or codes: your login is locked for a while, and nothing was changed.";

describe("step-up before the dangerous steps (STEP_UP_MINUTES=5, LOGIN_MAX_FAILURES=3)", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "3" } });

  /** A demo login's browser with an authenticator app enrolled (enrolment counts as a check of the factor). */
  async function withFactor(username: string): Promise<{ agent: Agent; secret: string }> {
    const agent = await signedIn(t, username);
    const { secret } = await enrolTotp(t, agent);
    return { agent, secret };
  }

  /** Types `code()` on the step-up page with the page to come back to; the clock moves a step on first, so the app's code is a new one. */
  function stepUp(agent: Agent, code: () => string, back: string) {
    t.clock.advance(30_000);
    return postForm(agent, "/confirm-identity", { code: code(), return_to: back }, "/confirm-identity");
  }

  /** carol's request with alice's confirmed callback: bob (or an admin) may approve it. */
  async function readyToApprove(): Promise<number> {
    const ticketId = await openRequest(t);
    expect((await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed")).status).to.equal(303);
    return ticketId;
  }

  const checklistLine = (html: string) => /<li class="(\w+)">(?:(?!<li)[^])*?The approver confirmed a second factor<\/strong> — ([^<]*)<\/li>/.exec(html);
  const wrongFor = (secret: string) => (codeAt(t, secret) === "000000" ? "111111" : "000000");

  it("refuses an approval without a recent check (403, nothing changed), and after a code on the step-up page sends the agent back to the ticket, where it goes through", async () => {
    const ticketId = await readyToApprove();
    const bob = await withFactor("bob");
    t.clock.advance(STALE_MS);

    const panel = await bob.agent.get(deskPage(ticketId)).expect(200);
    expect(checklistLine(panel.text)?.[1]).to.equal("met");
    await expectRefusedIn(t, () => approve(bob.agent, ticketId), 403, ASKED);
    const refused = await answered(approve(bob.agent, ticketId), 403);
    expect(refused.text).to.include(NOTHING).and.include(`name="return_to" value="${deskPage(ticketId)}"`).and.include('name="code"');
    expect(await auditRows(t, "reset.approved")).to.deep.equal([]);
    expect((await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")) as Row).to.deep.equal({ state: "pending" });

    await answered(stepUp(bob.agent, () => codeAt(t, bob.secret), deskPage(ticketId)), 303, deskPage(ticketId));
    const back = await bob.agent.get(deskPage(ticketId)).expect(200);
    expect(back.text).to.include("Confirmed. For the next 5 minutes the desk will not ask again");
    expect((await auditRows(t, "step_up.confirmed")).map((r) => [r.actor, r.details.method])).to.deep.equal([["bob", "totp"]]);

    t.clock.advance(20_000);
    await answered(approve(bob.agent, ticketId), 303, deskPage(ticketId));
    expect((await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")) as Row).to.deep.equal({ state: "delivered" });
    const [approval] = await auditRows(t, "reset.approved");
    expect(approval!.details.approverFactor).to.deep.equal({ proved: true, secondsBefore: 20 });
  });

  it("counts a wrong code toward the lockout and changes nothing; once locked, even the right code is refused and the step stays refused", async () => {
    const ticketId = await readyToApprove();
    const bob = await withFactor("bob");
    t.clock.advance(STALE_MS);
    const before = await snapshot(t);

    for (const n of [1, 2]) {
      const wrong = await answered(stepUp(bob.agent, () => wrongFor(bob.secret), deskPage(ticketId)), 400);
      expect(wrong.text).to.include(WRONG).and.include('id="field-code-problem"').and.include(`name="return_to" value="${deskPage(ticketId)}"`);
      expect(Number((await userRow(t, "bob")).failed_sign_ins)).to.equal(n);
    }
    expect((await answered(stepUp(bob.agent, () => wrongFor(bob.secret), deskPage(ticketId)), 400)).text).to.include(LOCKED);
    expect((await answered(stepUp(bob.agent, () => codeAt(t, bob.secret), deskPage(ticketId)), 400)).text).to.include(LOCKED);

    expect((await answered(approve(bob.agent, ticketId), 403)).text).to.include(ASKED);
    expect(await snapshot(t), "nothing of the request changed").to.deep.equal(before);
    expect(await auditRows(t, "step_up.confirmed")).to.deep.equal([]);
    expect((await auditRows(t, "step_up.refused")).map((r) => r.details.reason)).to.deep.equal(["wrong_code", "wrong_code", "locked"]);
    expect((await auditRows(t, "sign_in.locked")).map((r) => [r.actor, r.details.reason])).to.deep.equal([["bob", "wrong_code"]]);
    expect(await auditRows(t, "reset.approved")).to.deep.equal([]);
  });

  it("never sends the user off the desk: another origin, a scheme, a backslash or a tab in `return_to` means home", async () => {
    const admin = await withFactor("admin");
    for (const back of ["//evil.example", "https://evil.example/x", "/\\evil.example", "/\t/evil.example", "/\\/evil.example"]) {
      const page = await admin.agent.get(`/confirm-identity?return_to=${encodeURIComponent(back)}`).expect(200);
      expect(page.text).to.include('name="return_to" value="/"').and.not.include("evil.example");
      await answered(stepUp(admin.agent, () => codeAt(t, admin.secret), back), 303, "/");
    }
    // A path on the desk, with its query, is kept.
    await answered(stepUp(admin.agent, () => codeAt(t, admin.secret), "/desk?view=resets"), 303, "/desk?view=resets");
    // A repeated `return_to` field is no problem of the form: it means home too.
    t.clock.advance(30_000);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await admin.agent.get("/confirm-identity").expect(200)).text)![1]!;
    await answered(admin.agent.post("/confirm-identity").type("form").send(`_csrf=${encodeURIComponent(csrf)}&code=${codeAt(t, admin.secret)}&return_to=/admin&return_to=//evil.example`), 303, "/");
  });

  it("does not ask a staff login without a factor (STAFF_SECOND_FACTOR=optional), names it on the checklist and records the approval as made without one", async () => {
    const ticketId = await readyToApprove();
    const bob = await signedIn(t, "bob");
    t.clock.advance(STALE_MS);

    const panel = await bob.get(deskPage(ticketId)).expect(200);
    const line = checklistLine(panel.text);
    expect(line?.[1]).to.equal("advisory");
    expect(line?.[2]).to.include("Your login has no second factor: the approval will be recorded as made without one.");
    expect(panel.text).to.include("Not met (approval is allowed, and records it):");
    expect(panel.text).to.not.include("Approval will be refused until every condition above is met.");

    await answered(approve(bob, ticketId), 303, deskPage(ticketId));
    const [approval] = await auditRows(t, "reset.approved");
    expect(approval!.details.approverFactor).to.deep.equal({ proved: false, secondsBefore: null });
    const notes = (await t.db("ticket_events").where({ ticket_id: ticketId, visibility: "internal" }).whereNotNull("body").pluck("body")) as string[];
    expect(notes.some((n) => n.startsWith("Approved by bob without a second factor;"))).to.equal(true);
  });

  it("asks an admin again before changing a login's email (nothing changed until then), then lets the repeated change through", async () => {
    const admin = await withFactor("admin");
    t.clock.advance(STALE_MS);
    const page = `/admin/logins/${await userId(t, "carol")}`;
    const before = await databaseRows(t.db, ["sessions"]);

    const refused = await answered(changeLoginEmail(t, admin.agent, "carol", "carol.new@acme.example"), 403);
    expect(refused.text).to.include(ASKED).and.include(NOTHING).and.include(`name="return_to" value="${page}"`);
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);

    await answered(stepUp(admin.agent, () => codeAt(t, admin.secret), page), 303, page);
    await answered(changeLoginEmail(t, admin.agent, "carol", "carol.new@acme.example"), 303, page);
    expect((await userRow(t, "carol")).email).to.equal("carol.new@acme.example");
  });

  it("asks a primary holder with a factor again before changing its own key, then lets the repeated change through", async () => {
    const primary = await withFactor("ACM0001");
    t.clock.advance(STALE_MS);
    const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Paula Primary", email: "primary@acme.example" }], date: keyDateFor(t.clock), format: "armored" });
    const paste = () => postForm(primary.agent, "/account/key", { armored_key: publicKey }, "/account/key");
    const keyRows = async () => (await t.db("pgp_keys").where({ user_id: await userId(t, "ACM0001") }).orderBy("id").select("fingerprint", "revoked_at")) as Row[];
    const before = await databaseRows(t.db, ["sessions"]);

    const refused = await answered(paste(), 403);
    expect(refused.text).to.include(ASKED).and.include('name="return_to" value="/account/key"');
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);

    await answered(stepUp(primary.agent, () => codeAt(t, primary.secret), "/account/key"), 303, "/account/key");
    const keysBefore = await keyRows();
    await answered(paste(), 303, "/account/key");
    const keysAfter = await keyRows();
    expect(keysAfter).to.have.length(keysBefore.length + 1);
    expect(keysAfter.filter((k) => k.revoked_at === null)).to.have.length(1);
  });

  it("lets a step through without asking within STEP_UP_MINUTES of the last check, and asks once it is older", async () => {
    const admin = await withFactor("admin");
    const newAgent = (username: string) => postForm(admin.agent, "/admin/staff", { role: "agent", username, display_name: `${username} (staff)`, email: `${username}@vouchdesk.example` }, "/admin/staff");
    t.clock.advance(4 * 60_000);
    await answered(newAgent("dora"), 303, "/admin/staff");
    t.clock.advance(2 * 60_000);
    expect((await answered(newAgent("ed"), 403)).text).to.include(ASKED).and.include('name="return_to" value="/admin/staff"');
    expect(await t.db("users").where({ username: "ed" }).first()).to.equal(undefined);
  });

  it("guards every listed admin and desk step, and the primary's console; unlock and a callback are not asked", async () => {
    const ticketId = await readyToApprove();
    const admin = await withFactor("admin");
    // Within the window: a change that leaves a record change to clear later.
    await answered(changeContactPhone(t, admin.agent, "Paula Primary", "+442079460999"), 303);
    const changeId = Number(((await t.db("record_changes").orderBy("id", "desc").first("id")) as Row).id);
    const primary = await withFactor("ACM0001");
    t.clock.advance(STALE_MS);

    const carol = await userId(t, "carol");
    const account = Number((await userRow(t, "carol")).account_id);
    const contact = await contactId(t, "Paula Primary");
    const desk = deskPage(ticketId);
    const adminSteps: [string, Record<string, string>, string][] = [
      [`/admin/logins/${carol}`, { display_name: "Carol", email: "x@acme.example" }, `/admin/logins/${carol}`],
      ...["enable", "send-link", "confirm"].map((s): [string, Record<string, string>, string] => [`/admin/logins/${carol}/${s}`, {}, `/admin/logins/${carol}`]),
      // Destructive steps come back to their confirmation page, one press from done.
      ...["disable", "key/remove", "remove-factors"].map((s): [string, Record<string, string>, string] => [`/admin/logins/${carol}/${s}`, { confirm: "yes" }, `/admin/logins/${carol}/${s}`]),
      [`/admin/logins/${carol}/key`, { armored_key: "not a key" }, `/admin/logins/${carol}`],
      ["/admin/staff", { role: "agent", username: "fay", display_name: "Fay", email: "fay@vouchdesk.example" }, "/admin/staff"],
      ["/admin/accounts", { code: "ZED", name: "Zed Ltd", primary_display_name: "Zed", primary_email: "zed@zed.example" }, "/admin/accounts/new"],
      [`/admin/accounts/${account}`, { name: "Acme Renamed" }, `/admin/accounts/${account}`],
      [`/admin/accounts/${account}/suspend`, { confirm: "yes" }, `/admin/accounts/${account}/suspend`],
      [`/admin/accounts/${account}/reactivate`, {}, `/admin/accounts/${account}`],
      [`/admin/accounts/${account}/logins`, { role: "secondary", username: "gil.acm", display_name: "Gil", email: "gil@acme.example" }, `/admin/accounts/${account}`],
      [`/admin/accounts/${account}/contacts`, { name: "Hal", kind: "technical", phone: "+442079460123", email: "" }, `/admin/accounts/${account}`],
      [`/admin/contacts/${contact}`, { name: "Paula Primary", kind: "primary", phone: "+442079460111", email: "" }, `/admin/contacts/${contact}`],
      [`/admin/contacts/${contact}/delete`, { confirm: "yes" }, `/admin/contacts/${contact}/delete`],
      [`/admin/record-changes/${changeId}/clear`, { note: "Reviewed." }, `/admin/record-changes/${changeId}`],
      [`${desk}/approve`, {}, desk],
      [`${desk}/reject`, { reason: "No." }, desk],
      [`${desk}/withdraw`, { reason: "No." }, desk],
      [`${desk}/objection/clear`, { note: "Reviewed." }, desk],
    ];
    const consoleSteps: [string, Record<string, string>][] = [
      ["/account/users", { username: "ivy", display_name: "Ivy", email: "ivy@acme.example" }],
      ...["reset", "disable", "enable", "authorise", "unauthorise", "remove-factors"].map((s): [string, Record<string, string>] => [`/account/users/${carol}/${s}`, { confirm: "yes" }]),
      ["/account/key", { armored_key: "not a key" }],
    ];
    const before = await databaseRows(t.db, ["sessions"]);
    for (const [path, form, back] of adminSteps) {
      const res = await answered(postForm(admin.agent, path, form, "/admin"), 403);
      expect(res.text, path).to.include(ASKED).and.include(`name="return_to" value="${back}"`);
    }
    for (const [path, form] of consoleSteps) {
      const res = await answered(postForm(primary.agent, path, form, "/account/users"), 403);
      expect(res.text, path).to.include(ASKED);
    }
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);

    await answered(postForm(admin.agent, `/admin/logins/${carol}/unlock`, {}, "/admin"), 303, `/admin/logins/${carol}`);
    await answered(callBack(t, admin.agent, ticketId, "no_answer"), 303, desk);
  });
});
