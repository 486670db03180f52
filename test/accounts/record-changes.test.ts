import { expect } from "chai";
import * as openpgp from "openpgp";
import { updateLogin } from "../../src/accounts/accounts-service.js";
import { findLoginById } from "../../src/identity/users-store.js";
import { hours } from "../../src/shared/clock.js";
import { addSecondAdmin } from "../resets/helpers.js";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD, keyDateFor } from "../support/test-app.js";
import { changeContactPhone, changeLoginEmail, recordChanges } from "./helpers.js";
import { signedIn, signInOk } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { count, type Row } from "../support/rows.js";
import { userId, userRow, actorFor } from "../support/users.js";
import { changeObjectionTokenTo, latestLinkTo, setPasswordByLink } from "../support/links.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_PASSWORD = "Gx8@pW3!mK7^qB2%";
const MALLORY = "mallory@elsewhere.example";

/** Issue 10 §1: nobody points a login at a new address and mails it a way in alone; every such change is told to the old address. */
describe("record changes: notices, objections and set-password links", () => {
  const t = useTestApp();
  let admin: Agent;
  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  const page = async (username: string) => `/admin/logins/${await userId(t, username)}`;
  const sendLink = async (who: Agent, username: string) => postForm(who, `${await page(username)}/send-link`, {}, await page(username));

  /** What a refused send-link must leave alone: the login's credentials, its links, and every mail. */
  async function linkState(username: string): Promise<Record<string, unknown>> {
    const login = await userRow(t, username);
    return {
      login: JSON.stringify([login.password_hash, login.session_epoch, login.email, login.must_change_password]),
      tokens: await count(t, "reset_tokens", { user_id: Number(login.id) }),
      outbox: await count(t, "outbox"),
      started: (await auditRows(t, "password.reset_started")).length,
    };
  }

  it("D1: edit ACM0001's email, remove its key, send-link: refused at send-link, nothing mailed to the new address, the old address told and able to object", async () => {
    // The state after a withdrawn or expired temporary password: no hash, but it has had passwords.
    await t.db("users").where({ username: "ACM0001" }).update({ password_hash: null });
    const acm = await page("ACM0001");

    expect((await changeLoginEmail(t, admin, "ACM0001", MALLORY)).status).to.equal(303);
    expect((await postForm(admin, `${acm}/key/remove`, { confirm: "yes" }, acm)).status).to.equal(303);
    const before = await linkState("ACM0001");
    const refused = await sendLink(admin, "ACM0001");
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("No link was sent").and.include("reset only through a primary account password reset request");
    expect(await linkState("ACM0001"), "nothing changed").to.deep.equal(before);
    expect((await outboxTo(t, MALLORY)).filter((m) => m.template === "set-password")).to.have.length(0);
    expect((await admin.get(acm).expect(200)).text).to.not.include(`action="${acm}/send-link"`);

    // The old address heard of the new address (with who and when); Paula and carol, the contacts, of both changes.
    const old = (await outboxTo(t, "primary@acme.example")).filter((m) => m.template === "record-change");
    expect(old.map((m) => m.subject)).to.deep.equal([
      "A change to your Vouchdesk records: the registered email address of the login ACM0001",
      "A change to your Vouchdesk records: the OpenPGP key of the login ACM0001",
    ]);
    expect(old.every((m) => m.sealed && !m.encrypted)).to.equal(true);
    const text = await mailText(old[0]!.message);
    expect(text).to.include("admin, of Vouchdesk support changed the registered email address of the login ACM0001").and.include(t.clock.now().toISOString().slice(0, 10));
    expect((await outboxTo(t, "carol@acme.example")).map((m) => m.template)).to.deep.equal(["record-change", "record-change"]);
    const changes = await recordChanges(t);
    expect(changes.map((c) => [c.what, c.before_value, c.after_value, c.changed_by_name])).to.deep.equal([
      ["email", "primary@acme.example", MALLORY, "admin"],
      ["key", (changes[1]!.before_value as string), null, "admin"],
    ]);
    expect((await auditRows(t, "record_change.noticed")).map((r) => r.details.notified)).to.deep.equal([
      ["primary@acme.example", "carol@acme.example"],
      [MALLORY, "primary@acme.example", "carol@acme.example"],
    ]);

    // The old address objects once.
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    const stranger = browser(t.app);
    const form = await stranger.get(`/objections/changes/${token}`).expect(200);
    expect(form.text).to.include("the OpenPGP key of the login ACM0001");
    expect(form.headers["referrer-policy"]).to.equal("no-referrer");
    expect((await postForm(stranger, `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).text).to.include("Objection recorded");
    expect((await stranger.get(`/objections/changes/${token}`)).status).to.equal(404);
    expect((await postForm(stranger, `/objections/changes/${token}`, {}, "/login")).status).to.equal(404);
    // The token is nowhere in the database or the logs, which show where it was.
    expect(await t.leaks(token)).to.equal(false);
    expect(t.logs()).to.include("/objections/changes/[token]");
    const objected = (await recordChanges(t)).filter((c) => c.objected_at !== null);
    expect(objected.map((c) => [c.what, c.objected_by])).to.deep.equal([["key", "primary@acme.example"]]);
    expect((await auditRows(t, "record_change.objected")).map((r) => r.details.recipient)).to.deep.equal(["primary@acme.example"]);
    expect((await admin.get(`/admin/accounts/${Number((await userRow(t, "ACM0001")).account_id)}`).expect(200)).text).to.include("objected");
  });

  it("sends a lost invitation to a customer login never activated, and never again once it has had a password", async () => {
    const accountId = Number((await userRow(t, "ACM0001")).account_id);
    expect((await postForm(admin, `/admin/accounts/${accountId}/logins`, { role: "secondary", username: "gus", display_name: "Gus", email: "gus@acme.example" }, `/admin/accounts/${accountId}`)).status).to.equal(303);
    expect((await userRow(t, "gus")).activated_at).to.equal(null);
    expect((await sendLink(admin, "gus")).status).to.equal(303);
    expect((await setPasswordByLink(browser(t.app), await latestLinkTo(t, "gus@acme.example"), NEW_PASSWORD)).status).to.equal(303);
    expect((await userRow(t, "gus")).activated_at).to.not.equal(null);

    await t.db("users").where({ username: "gus" }).update({ password_hash: null });
    const before = await linkState("gus");
    const refused = await sendLink(admin, "gus");
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("reset by its primary holder, never by support");
    expect(await linkState("gus"), "nothing changed").to.deep.equal(before);
  });

  it("records the demo logins as activated", async () => {
    for (const username of ["admin", "alice", "ACM0001", "carol"]) expect((await userRow(t, username)).activated_at, username).to.not.equal(null);
  });

  it("lets only another admin send a staff login a link to an address the sender set within 7 days; an objection stops every link until another admin clears it", async () => {
    expect((await changeLoginEmail(t, admin, "alice", MALLORY)).status).to.equal(303);
    const notices = await outboxTo(t, "alice@vouchdesk.example");
    expect(notices.map((m) => m.template)).to.deep.equal(["record-change"]);

    const before = await linkState("alice");
    const own = await sendLink(admin, "alice");
    expect(own.status).to.equal(400);
    expect(own.text).to.include("You changed alice&#39;s registered address").and.include("another admin must send the link");
    expect(await linkState("alice"), "nothing changed").to.deep.equal(before);

    const ada = await addSecondAdmin(t);
    // alice objects from her old address: now nobody sends a link until it is reviewed.
    const token = await changeObjectionTokenTo(t, "alice@vouchdesk.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    const blocked = await linkState("alice");
    const refused = await sendLink(ada, "alice");
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("Someone objected to the change of alice&#39;s registered address");
    expect(await linkState("alice"), "nothing changed").to.deep.equal(blocked);

    // The admin who made the change cannot clear the objection to it; a note is needed.
    const changeId = Number((await recordChanges(t))[0]!.id);
    const clear = (who: Agent, note: string) => postForm(who, `/admin/record-changes/${changeId}/clear`, { note }, `/admin/record-changes/${changeId}`);
    const self = await clear(admin, "Looked at it myself.");
    expect(self.status).to.equal(400);
    expect(self.text).to.include("You made this change: another admin must review the objection to it.");
    const empty = await clear(ada, "  ");
    expect(empty.status).to.equal(400);
    expect(empty.text).to.match(/id="field-note-problem">Write what you reviewed/);
    expect((await recordChanges(t))[0]!.objection_cleared_at).to.equal(null);
    expect(await auditRows(t, "record_change.objection_cleared")).to.have.length(0);
    expect((await postForm(await signedIn(t, "bob"), `/admin/record-changes/${changeId}/clear`, { note: "x" })).status).to.equal(403);

    const cleared = await clear(ada, "Called alice on her desk phone: she asked for the new address.");
    expect(cleared.status).to.equal(303);
    expect((await auditRows(t, "record_change.objection_cleared")).map((r) => [r.actor, r.details.note])).to.deep.equal([["ada", "Called alice on her desk phone: she asked for the new address."]]);
    expect((await sendLink(ada, "alice")).status).to.equal(303);
    expect((await outboxTo(t, MALLORY)).map((m) => m.template)).to.deep.equal(["set-password"]);
  });

  it("keeps an objected email change in sight however many later changes the login has (25 key add/remove pairs)", async () => {
    expect((await changeLoginEmail(t, admin, "alice", MALLORY)).status).to.equal(303);
    const token = await changeObjectionTokenTo(t, "alice@vouchdesk.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    const alice = await page("alice");
    const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: MALLORY }], format: "armored", date: keyDateFor(t.clock) });
    for (let i = 0; i < 25; i++) {
      expect((await postForm(admin, `${alice}/key`, { armored_key: publicKey }, alice)).status).to.equal(303);
      expect((await postForm(admin, `${alice}/key/remove`, { confirm: "yes" }, alice)).status).to.equal(303);
    }
    expect(await count(t, "record_changes")).to.equal(51);

    const ada = await addSecondAdmin(t);
    const before = await linkState("alice");
    const refused = await sendLink(ada, "alice");
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include("Someone objected to the change of alice&#39;s registered address");
    expect(await linkState("alice"), "nothing changed").to.deep.equal(before);
    expect((await outboxTo(t, MALLORY)).filter((m) => m.template === "set-password")).to.have.length(0);
  });

  it("spends the changed login's live set-password links when its holder objects to the change", async () => {
    const accountId = Number((await userRow(t, "ACM0001")).account_id);
    expect((await postForm(admin, `/admin/accounts/${accountId}/logins`, { role: "secondary", username: "gus", display_name: "Gus", email: "gus@acme.example" }, `/admin/accounts/${accountId}`)).status).to.equal(303);
    const invitation = await latestLinkTo(t, "gus@acme.example");
    expect((await changeLoginEmail(t, admin, "gus", MALLORY)).status).to.equal(303);
    expect((await sendLink(await addSecondAdmin(t), "gus")).status).to.equal(303);
    const mallorys = await latestLinkTo(t, MALLORY);
    await browser(t.app).get(`/set-password/${mallorys}`).expect(200);

    // The primary holder, who manages gus, objects from the notice.
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    for (const link of [mallorys, invitation]) await browser(t.app).get(`/set-password/${link}`).expect(404);
    expect(await count(t, "reset_tokens", { user_id: await userId(t, "gus"), used_at: null })).to.equal(0);
    const refused = await postForm(browser(t.app), `/set-password/${mallorys}`, { new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, "/login");
    expect(refused.status).to.equal(404);
    expect((await userRow(t, "gus")).password_hash).to.equal(null);
    expect((await auditRows(t, "record_change.objected")).map((r) => r.details.linksSpent)).to.deep.equal([1]);
  });

  it("decides whether the address changed from the login as it is in the transaction, not as the route read it", async () => {
    const stale = (await findLoginById(t.db, await userId(t, "carol")))!;
    expect((await changeLoginEmail(t, admin, "carol", MALLORY)).status).to.equal(303);
    // A second edit read before the first landed puts carol's old address back: that is a change too.
    const actor = await actorFor(t, "admin");
    await updateLogin(t, stale, { displayName: stale.displayName, email: stale.email!, canOpenCases: stale.canOpenCases }, actor);
    expect((await recordChanges(t)).map((c) => [c.before_value, c.after_value])).to.deep.equal([
      [stale.email, MALLORY],
      [MALLORY, stale.email],
    ]);
    expect((await auditRows(t, "record_change.noticed")).map((r) => (r.details.notified as string[])[0])).to.deep.equal([stale.email, MALLORY]);
  });

  it("tells a contact's old address and the account's records of a new phone number, and lets the window pass", async () => {
    expect((await changeContactPhone(t, admin, "Carol Jones", "+442079460055")).status).to.equal(303);
    const notified = (await auditRows(t, "record_change.noticed")).map((r) => r.details.notified);
    expect(notified).to.deep.equal([["primary@acme.example", "carol@acme.example"]]);
    expect((await mailText((await outboxTo(t, "carol@acme.example"))[0]!.message))).to.include("changed the phone number of Carol Jones");
    const unchanged = await count(t, "record_changes");
    expect((await changeContactPhone(t, admin, "Carol Jones", "+44 20 7946 0055")).status).to.equal(303);
    expect(await count(t, "record_changes"), "the same number written differently is no change").to.equal(unchanged);

    // After the window, the sender's own change no longer holds a staff link back.
    expect((await changeLoginEmail(t, admin, "bob", "bob@new.example")).status).to.equal(303);
    expect((await sendLink(admin, "bob")).status).to.equal(400);
    t.clock.advance(hours(24 * 7 + 1));
    expect((await sendLink(await signedIn(t, "admin"), "bob")).status).to.equal(303);
  });

  it("tells the primary's address and every contact when the holder replaces its own key", async () => {
    const primary = await signedIn(t, "ACM0001");
    const key = (await t.db("pgp_keys").where({ user_id: await userId(t, "ACM0001") }).whereNull("revoked_at").first("armored_key")) as Row;
    expect((await postForm(primary, "/account/key", { armored_key: key.armored_key as string }, "/account/key")).status).to.equal(303);
    expect((await auditRows(t, "record_change.noticed")).map((r) => [r.actor, r.details.notified])).to.deep.equal([["ACM0001", ["primary@acme.example", "carol@acme.example"]]]);
    expect(await mailText((await outboxTo(t, "carol@acme.example"))[0]!.message)).to.include("ACM0001, a login of your account changed the OpenPGP key");
  });

  it("answers 404 for an unknown objection link and an unknown change, and keeps the review page to admins", async () => {
    expect((await browser(t.app).get("/objections/changes/not-a-real-token-at-all-000000")).status).to.equal(404);
    expect((await admin.get("/admin/record-changes/999999")).status).to.equal(404);
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    expect((await carol.get("/admin/record-changes/1")).status).to.equal(403);
  });
});
