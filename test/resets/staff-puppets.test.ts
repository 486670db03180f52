import { expect } from "chai";
import * as openpgp from "openpgp";
import { browser } from "../support/http.js";
import { keyDateFor } from "../support/test-app.js";
import { changeContactPhone, changeLoginEmail, recordChanges } from "../accounts/helpers.js";
import { approve, callBack, confirmStaff, deskPage, expectRefusedIn, openRequest, requestReset, staffByConsole, STAFF_PASSWORD } from "./helpers.js";
import { postForm } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import { userRow } from "../support/users.js";
import type { Row } from "../support/rows.js";
import { changeObjectionTokenTo, latestLinkTo, setPasswordByLink } from "../support/links.js";
import { outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const MALLORY = "mallory@evil.example";
const UNCONFIRMED = "Your staff login is not yet confirmed by a second admin";

/**
 * Review of issue 10, finding 1a: one admin mints the "other people" every check of the reset
 * compares ids with. Staff made in the console take no part in a reset decision until a second
 * confirmed admin confirms them, so the sequence ends refused with nothing delivered.
 */
describe("primary reset: one admin's console-made staff cannot decide a reset", () => {
  const t = useTestApp();

  const expectRefused = (step: () => Promise<{ status: number; text: string }>, status: number, reason: string) => expectRefusedIn(t, step, status, reason);
  const state = async (ticketId: number) => ((await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")) as Row).state;
  const ticketOf = (location: string) => Number(/\/tickets\/(\d+)/.exec(location)![1]);

  /** admin's puppets: ghost1 (agent) to call back, ghost2 (admin) to approve, ghost3 (admin) to clear objections. */
  const puppets = async (admin: ReturnType<typeof browser>) => ({
    caller: await staffByConsole(t, admin, "agent", "ghost1", "ghost1@evil.example"),
    approver: await staffByConsole(t, admin, "admin", "ghost2", "ghost2@evil.example"),
    clearer: await staffByConsole(t, admin, "admin", "ghost3", "ghost3@evil.example"),
  });

  it("the reviewer's takeover: new email and key for ACM0001, a mole secondary, puppets clear, call back and approve: each refused, nothing delivered", async () => {
    const admin = await signedIn(t, "admin");
    const acm = Number(((await t.db("accounts").where({ code: "ACM" }).first("id")) as Row).id);
    const primaryId = Number((await userRow(t, "ACM0001")).id);
    expect((await changeLoginEmail(t, admin, "ACM0001", MALLORY)).status).to.equal(303);
    const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: MALLORY }], format: "armored", date: keyDateFor(t.clock) });
    expect((await postForm(admin, `/admin/logins/${primaryId}/key`, { armored_key: publicKey }, `/admin/logins/${primaryId}`)).status).to.equal(303);
    const mole = { role: "secondary", username: "mole", display_name: "Mole", email: "mole@evil.example", can_open_cases: "1" };
    expect((await postForm(admin, `/admin/accounts/${acm}/logins`, mole, `/admin/accounts/${acm}`)).status).to.equal(303);
    expect((await setPasswordByLink(browser(t.app), await latestLinkTo(t, "mole@evil.example"), STAFF_PASSWORD)).status).to.be.oneOf([302, 303]);
    const moleId = Number((await userRow(t, "mole")).id);
    const contact = { name: "Mole", kind: "secondary", email: "", phone: "", authorised_for_support: "1", user_id: String(moleId) };
    expect((await postForm(admin, `/admin/accounts/${acm}/contacts`, contact, `/admin/accounts/${acm}`)).status).to.equal(303);
    // The real holder objects to the email change, from the notice sent to the old address.
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);

    const { caller, approver, clearer } = await puppets(admin);
    const primaryBefore = (await t.db("users").where({ id: primaryId }).first("password_hash", "session_epoch", "must_change_password")) as Row;
    const objected = (await recordChanges(t)).filter((r) => r.objected_at !== null);
    expect(objected).to.have.length(1);
    const changeId = Number(objected[0]!.id);
    const clear = await postForm(clearer, `/admin/record-changes/${changeId}/clear`, { note: "ok" }, `/admin/record-changes/${changeId}`);
    expect(clear.status).to.equal(400);
    expect(clear.text).to.include(UNCONFIRMED);
    expect((await recordChanges(t)).find((r) => Number(r.id) === changeId)!.objection_cleared_at, "the objection stands").to.equal(null);

    const filed = await requestReset(await signedIn(t, "mole", STAFF_PASSWORD));
    expect(filed.status, filed.text.slice(0, 300)).to.equal(303);
    const ticketId = ticketOf(filed.headers.location as string);
    await expectRefused(() => callBack(t, caller, ticketId, "confirmed"), 400, UNCONFIRMED);
    await expectRefused(() => approve(approver, ticketId), 400, "The approver&#39;s staff login is confirmed by a second admin");
    // Nor can the admin, or one puppet, confirm the others.
    await expectRefused(() => confirmStaff(t, admin, "ghost2"), 400, "You created ghost2: another admin must confirm it.");
    await expectRefused(() => confirmStaff(t, approver, "ghost1"), 400, UNCONFIRMED);

    expect(await state(ticketId)).to.equal("pending");
    expect((await outboxTo(t, MALLORY)).map((m) => m.template), "no temporary password, no link").to.not.include.members(["temporary-password", "set-password"]);
    expect(await t.db("users").where({ id: primaryId }).first("password_hash", "session_epoch", "must_change_password"), "ACM0001's credentials untouched").to.deep.equal(primaryBefore);
  });

  it("D2 with puppets: admin changes Paula's phone, a puppet clears the objection, another calls back, a third approves: each refused", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+442079460077")).status).to.equal(303);
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    const { caller, approver, clearer } = await puppets(admin);
    const changeId = Number((await recordChanges(t))[0]!.id);
    const clear = await postForm(clearer, `/admin/record-changes/${changeId}/clear`, { note: "fine" }, `/admin/record-changes/${changeId}`);
    expect(clear.status).to.equal(400);
    expect(clear.text).to.include(UNCONFIRMED);

    const ticketId = await openRequest(t);
    await expectRefused(() => callBack(t, caller, ticketId, "confirmed"), 400, UNCONFIRMED);
    expect((await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed")).status, "a confirmed agent may").to.equal(303);
    const panel = await approver.get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("The approver&#39;s staff login is confirmed by a second admin");
    await expectRefused(() => approve(approver, ticketId), 400, "The approver&#39;s staff login is confirmed by a second admin");
    expect(await state(ticketId)).to.equal("pending");
  });

  it("lets an unconfirmed agent work ordinary tickets and reject a reset (a rejection only stops one)", async () => {
    const caller = await staffByConsole(t, await signedIn(t, "admin"), "agent", "gina");
    const ticketId = await openRequest(t);
    expect((await postForm(caller, `${deskPage(ticketId)}/notes`, { body: "Looking at it." }, deskPage(ticketId))).status).to.equal(303);
    expect((await postForm(caller, `${deskPage(ticketId)}/reject`, { reason: "carol is not who she says" }, deskPage(ticketId))).status).to.equal(303);
    expect(await state(ticketId)).to.equal("rejected");
  });
});
