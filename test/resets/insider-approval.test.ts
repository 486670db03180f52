import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { hours } from "../../src/shared/clock.js";
import { changeContactPhone, recordChanges } from "../accounts/helpers.js";
import { addSecondAdmin, approve, callBack, deskPage, expectRefusedIn, openRequest } from "./helpers.js";
import { postForm } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { userId } from "../support/users.js";
import type { Row } from "../support/rows.js";
import { changeObjectionTokenTo, resetObjectionTokenFor } from "../support/links.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_NUMBER = "+442079460077";

/** Issue 10 §2: whoever prepared the records, or cleared an objection, never approves the reset alone. */
describe("primary reset: the approver differs from who changed the records", () => {
  const t = useTestApp();

  const expectRefused = (step: () => Promise<{ status: number; text: string }>, status: number, reason: string) => expectRefusedIn(t, step, status, reason);
  const state = async (ticketId: number) => ((await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")) as Row).state;

  it("D2: admin changes Paula Primary's phone, carol files, alice confirms on the new number, admin approves: refused, the condition named", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", NEW_NUMBER)).status).to.equal(303);
    const ticketId = await openRequest(t);
    expect((await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed")).status).to.equal(303);
    expect(((await t.db("callbacks").first("phone_dialled")) as Row).phone_dialled).to.equal(NEW_NUMBER);

    const panel = await admin.get(deskPage(ticketId)).expect(200);
    for (const label of ["No open objection to a change of the account&#39;s records", "The approver made none of the recent changes", "The approver cleared no objection on this request"]) {
      expect(panel.text).to.include(label);
    }
    expect(panel.text).to.include("The phone number of Paula Primary on the account&#39;s contacts changed on");
    await expectRefused(() => approve(admin, ticketId), 400, "You changed the phone number of Paula Primary on the account&#39;s contacts within the last 7 days: another admin must approve.");
    expect(await state(ticketId)).to.equal("pending");

    expect((await approve(await addSecondAdmin(t), ticketId)).status).to.equal(303);
    expect(await state(ticketId)).to.equal("delivered");
  });

  it("blocks approval while an objection to a record change is open; the changer cannot clear it, and its clearer cannot approve", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", NEW_NUMBER)).status).to.equal(303);
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");

    const ada = await addSecondAdmin(t);
    await expectRefused(() => approve(ada, ticketId), 400, "Someone objected, from the link mailed to primary@acme.example, to the change of the phone number of Paula Primary");
    const changeId = Number((await recordChanges(t))[0]!.id);
    expect((await postForm(ada, `/admin/record-changes/${changeId}/clear`, { note: "Called Paula on her old number: she changed phones." }, `/admin/record-changes/${changeId}`)).status).to.equal(303);
    await expectRefused(() => approve(ada, ticketId), 400, "You cleared the objection to the change of the phone number of Paula Primary");
    expect((await approve(await addSecondAdmin(t, "cy"), ticketId)).status).to.equal(303);
  });

  it("refuses the admin who cleared the objection to this request", async () => {
    const ticketId = await openRequest(t);
    const token = await resetObjectionTokenFor(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
    const admin = await signedIn(t, "admin");
    expect((await postForm(admin, `${deskPage(ticketId)}/objection/clear`, { note: "Paula confirmed on the phone she asked carol to file it." }, deskPage(ticketId))).status).to.equal(303);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    await expectRefused(() => approve(admin, ticketId), 400, "You cleared the objection to this request: another admin must approve.");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
  });

  it("keeps every clearance: an objection raised again is open again, and whoever cleared one within 7 days cannot approve, however old the change", async () => {
    expect((await changeContactPhone(t, await signedIn(t, "admin"), "Paula Primary", NEW_NUMBER)).status).to.equal(303);
    t.clock.advance(hours(24 * 8)); // the change itself is out of the recent-change window
    const changeId = Number((await recordChanges(t))[0]!.id);
    const object = async (address: string) => {
      const token = await changeObjectionTokenTo(t, address);
      expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).status).to.equal(200);
    };
    const clear = async (who: Agent, note: string) => expect((await postForm(who, `/admin/record-changes/${changeId}/clear`, { note }, `/admin/record-changes/${changeId}`)).status).to.equal(303);

    await object("primary@acme.example");
    const ada = await addSecondAdmin(t);
    await clear(ada, "Called Paula on her old number: she changed phones.");
    await object("carol@acme.example");
    const page = await ada.get(`/admin/record-changes/${changeId}`).expect(200);
    expect(page.text, "open again, the earlier clearance kept").to.include("raised from the link mailed to carol@acme.example").and.include("Cleared by ada").and.include("Clear the objection");

    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    const bob = await signedIn(t, "bob");
    await expectRefused(() => approve(bob, ticketId), 400, "Someone objected, from the link mailed to carol@acme.example");
    const cy = await addSecondAdmin(t, "cy");
    await clear(cy, "Carol says she had not heard of it; Paula confirmed again.");
    expect((await t.db("record_change_clearances").orderBy("id").select("cleared_by")).map((r: Row) => Number(r.cleared_by))).to.deep.equal([await userId(t, "ada"), await userId(t, "cy")]);
    for (const clearer of [ada, cy]) await expectRefused(() => approve(clearer, ticketId), 400, "You cleared the objection to the change of the phone number of Paula Primary");
    expect((await approve(bob, ticketId)).status).to.equal(303);
  });

  it("counts a change of a contact's standing and a contact's removal as record changes: told to the records, and the changer does not approve", async () => {
    const admin = await signedIn(t, "admin");
    const paula = (await t.db("contacts").where({ name: "Paula Primary" }).first()) as Row;
    const form = { name: "Paula Primary", kind: "secondary", email: (paula.email as string | null) ?? "", phone: paula.phone as string, authorised_for_support: "1", user_id: String(Number(paula.user_id)) };
    expect((await postForm(admin, `/admin/contacts/${Number(paula.id)}`, form, `/admin/contacts/${Number(paula.id)}`)).status).to.equal(303);
    const extra = (await t.db("contacts").where({ name: "Carol Jones" }).first()) as Row;
    const accountId = Number(extra.account_id);
    expect((await postForm(admin, `/admin/accounts/${accountId}/contacts`, { name: "Temp Contact", kind: "secondary", email: "temp@acme.example", phone: "" }, `/admin/accounts/${accountId}`)).status).to.equal(303);
    const temp = (await t.db("contacts").where({ name: "Temp Contact" }).first()) as Row;
    expect((await postForm(admin, `/admin/contacts/${Number(temp.id)}/delete`, { confirm: "yes" }, `/admin/accounts/${accountId}`)).status).to.equal(303);

    const changes = await recordChanges(t);
    expect(changes.map((c) => [c.what, c.subject_name, c.after_value])).to.deep.equal([
      ["contact_standing", "Paula Primary", `secondary, authorised for support, login ${Number(paula.user_id)}`],
      ["contact_removed", "Temp Contact", null],
    ]);
    const removal = (await auditRows(t, "record_change.noticed")).map((r) => r.details.notified as string[])[1]!;
    expect(removal, "the removed contact hears of it too").to.include("temp@acme.example").and.include("primary@acme.example");

    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    await expectRefused(() => approve(admin, ticketId), 400, "You changed the account&#39;s contacts, by removing Temp Contact and the kind, support authorisation or login of Paula Primary on the account&#39;s contacts within the last 7 days");
    expect((await approve(await addSecondAdmin(t), ticketId)).status).to.equal(303);
  });
});
