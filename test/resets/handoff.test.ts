import { expect } from "chai";
import { hours, seconds } from "../../src/shared/clock.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { addSecondAdmin, approve, callBack, deskPage, openRequest, temporaryPasswordFrom } from "./helpers.js";
import { browser, type Agent } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { auditActions } from "../support/audit.js";
import { mailText, outboxTo } from "../support/mail.js";
import { resetObjectionTokenFor } from "../support/links.js";
import { count, type Row } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

const BOB = "bob@vouchdesk.example";
const ALICE = "alice@vouchdesk.example";
const ADMIN = "admin@vouchdesk.example";
const ADA = "ada@vouchdesk.example";
const VIEW = "/desk?view=awaiting-my-approval";

describe("primary reset: the hand-off to whoever may approve", () => {
  const t = useTestApp({ smtp: true });

  const mailsTo = async (address: string, template: string) => (await outboxTo(t, address)).filter((m) => m.template === template);
  const handOffsTo = (address: string) => mailsTo(address, "reset-handoff");
  /** The nav's count and whether the view lists the ticket, as this person's desk shows them. */
  const awaiting = async (agent: Agent, ticketId: number) => {
    const page = await agent.get(VIEW).expect(200);
    const n = Number(/Awaiting my approval \((\d+)\)/.exec(page.text)?.[1]);
    return { n, listed: page.text.includes(`href="/desk/tickets/${ticketId}"`) };
  };
  const ticket = async (ticketId: number) => (await t.db("tickets").where({ id: ticketId }).first()) as Row;

  it("after alice's confirmed callback mails bob with the desk link and lists it in his view and count; alice and the admin are not mailed", async () => {
    const ticketId = await openRequest(t);
    const [alice, bob, admin] = [await signedIn(t, "alice"), await signedIn(t, "bob"), await signedIn(t, "admin")];
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 0, listed: false });
    expect((await callBack(t, alice, ticketId, "no_answer")).status).to.equal(303);
    expect(await handOffsTo(BOB), "a callback that confirms nothing hands nothing off").to.have.length(0);

    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    const [mail, ...more] = await handOffsTo(BOB);
    expect(mail, "one hand-off mail to bob").to.not.equal(undefined);
    expect(more).to.have.length(0);
    expect(mail!.subject).to.equal(`[#${ticketId}] A primary reset awaits your approval`);
    const text = await mailText(mail!.message);
    expect(text).to.include(`${t.config.baseUrl}/desk/tickets/${ticketId}`).and.include("ACM · Acme Corp").and.include("ACM0001").and.include("you did not take part");
    const phones = ((await t.db("contacts").select("phone")) as Row[]).map((r) => String(r.phone));
    for (const phone of phones) expect(text, "no customer number in the mail").to.not.include(phone);
    expect(await handOffsTo(ALICE), "never to the callback's agent").to.have.length(0);
    expect(await handOffsTo(ADMIN), "no admin is needed: no mail to the admin").to.have.length(0);

    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await awaiting(alice, ticketId)).to.deep.equal({ n: 0, listed: false });
    // The checklist lets an admin approve any request: the view follows it, the mail does not.
    expect(await awaiting(admin, ticketId)).to.deep.equal({ n: 1, listed: true });

    // A later callback changes nothing for bob: he is not mailed twice.
    expect((await callBack(t, alice, ticketId, "confirmed", "Carol Jones")).status).to.equal(303);
    expect(await handOffsTo(BOB)).to.have.length(1);

    expect((await approve(bob, ticketId)).status).to.equal(303);
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 0, listed: false });
    expect(await awaiting(admin, ticketId)).to.deep.equal({ n: 0, listed: false });
    expect(await count(t, "reset_approvers")).to.equal(0);
  });

  it("mails only an admin who may approve when a recent change to the records needs one, and no agent", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+442079460077")).status).to.equal(303);
    const ada = await addSecondAdmin(t);
    const ticketId = await openRequest(t);
    const bob = await signedIn(t, "bob");
    expect((await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed")).status).to.equal(303);

    const [mail] = await handOffsTo(ADA);
    expect(mail, "ada, an admin who made no change, is asked").to.not.equal(undefined);
    expect(await mailText(mail!.message)).to.include("needs an admin");
    expect(await handOffsTo(BOB), "an agent may not approve it").to.have.length(0);
    expect(await handOffsTo(ADMIN), "the admin who changed the number may not approve it").to.have.length(0);
    expect(await awaiting(ada, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 0, listed: false });
    expect(await awaiting(admin, ticketId)).to.deep.equal({ n: 0, listed: false });
  });

  it("catches up with a change of the records made after the hand-off when the ticket's page is opened", async () => {
    const ticketId = await openRequest(t);
    const bob = await signedIn(t, "bob");
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    const ada = await addSecondAdmin(t);
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await handOffsTo(ADA), "no admin needed yet").to.have.length(0);

    // accounts/ never calls resets: the stored list is behind until a page evaluates the checklist.
    expect((await changeContactPhone(t, await signedIn(t, "admin"), "Carol Jones", "+442079460078")).status).to.equal(303);
    const page = await bob.get(deskPage(ticketId)).expect(200);
    expect(page.text).to.include("An admin approves, because of a recent change to the records");
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 0, listed: false });
    expect(await awaiting(ada, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await handOffsTo(ADA), "now an admin is needed: ada is told").to.have.length(1);

    // Nothing is written when the page and the stored list agree.
    const rows = JSON.stringify(await t.db("reset_approvers").orderBy("user_id"));
    await bob.get(deskPage(ticketId)).expect(200);
    expect(JSON.stringify(await t.db("reset_approvers").orderBy("user_id"))).to.equal(rows);
  });

  it("catches up within one run of the scheduled refresh, with no page opened: a change of the records, then the 7-day window running out", async () => {
    const ticketId = await openRequest(t);
    const bob = await signedIn(t, "bob");
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    const ada = await addSecondAdmin(t);
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });

    expect((await changeContactPhone(t, await signedIn(t, "admin"), "Carol Jones", "+442079460078")).status).to.equal(303);
    await t.scheduler.run("refresh-reset-approvers");
    expect(await awaiting(await signedIn(t, "bob"), ticketId)).to.deep.equal({ n: 0, listed: false });
    expect(await awaiting(ada, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await handOffsTo(ADA), "an admin is needed now: ada is told, once").to.have.length(1);
    await t.scheduler.run("refresh-reset-approvers");
    expect(await handOffsTo(ADA), "a second run tells nobody again").to.have.length(1);

    // Eight days on the change no longer needs an admin: bob may approve again and is told.
    const before = (await handOffsTo(BOB)).length;
    t.clock.advance(hours(24 * 8));
    await t.scheduler.run("refresh-reset-approvers");
    expect(await awaiting(await signedIn(t, "bob"), ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await handOffsTo(BOB)).to.have.length(before + 1);
  });

  it("lists the request but sends no mail to an agent who turned the hand-off mail off under Notifications", async () => {
    const bob = await signedIn(t, "bob");
    const page = await bob.get("/account/notifications").expect(200);
    expect(page.text, "on by default").to.match(/name="awaiting_approval" value="1" checked/);
    const off = await postForm(bob, "/account/notifications", {}, "/account/notifications");
    expect(off.status).to.equal(303);
    expect((await bob.get("/account/notifications")).text).to.include("neither new tickets nor requests awaiting your approval").and.not.match(/name="awaiting_approval" value="1" checked/);

    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect(await handOffsTo(BOB)).to.have.length(0);
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });

    const on = await postForm(bob, "/account/notifications", { awaiting_approval: "1" }, "/account/notifications");
    expect(on.status).to.equal(303);
    expect((await bob.get("/account/notifications")).text).to.include("each reset request that awaits your approval").and.match(/name="awaiting_approval" value="1" checked/);
  });

  it("refuses a tampered notifications value with a 400 naming it, and changes nothing", async () => {
    const bob = await signedIn(t, "bob");
    const flags = async () => (await t.db("users").where({ username: "bob" }).first("notify_new_tickets", "notify_awaiting_approval")) as Row;
    const before = await flags();
    const bad = await postForm(bob, "/account/notifications", { awaiting_approval: "always" }, "/account/notifications");
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/id="field-awaiting_approval-problem">Tick the box or leave it empty\./);
    expect(await flags()).to.deep.equal(before);
    expect((await bob.post("/account/notifications").type("form").send({ awaiting_approval: "1" })).status, "no CSRF token").to.equal(403);
  });

  it("names a bad view in a 400", async () => {
    const bob = await signedIn(t, "bob");
    const res = await bob.get("/desk?view=everything");
    expect(res.status).to.equal(400);
    expect(res.text).to.include("Choose a view from the list.");
    expect(res.text).to.include("No tickets match.");
  });

  it("assigns an unassigned ticket to the agent who records a callback, on the timeline; an assigned one keeps its assignee", async () => {
    const first = await openRequest(t);
    const alice = await signedIn(t, "alice");
    await callBack(t, alice, first, "no_answer");
    expect(Number((await ticket(first)).assignee_id)).to.equal(Number(((await t.db("users").where({ username: "alice" }).first("id")) as Row).id));
    const events = (await t.db("ticket_events").where({ ticket_id: first, kind: "assignment" })) as Row[];
    expect(events).to.have.length(1);
    expect(await auditActions(t)).to.include("ticket.assigned");
    expect((await alice.get(deskPage(first))).text).to.include("alice");

    // A second request (the first rejected, so the account may open one), assigned to bob first.
    expect((await postForm(alice, `${deskPage(first)}/reject`, { reason: "Test over." }, deskPage(first))).status).to.be.oneOf([303, 302]);
    const second = await openRequest(t);
    const bobId = Number(((await t.db("users").where({ username: "bob" }).first("id")) as Row).id);
    expect((await postForm(alice, `${deskPage(second)}/assign`, { assignee_id: String(bobId) }, deskPage(second))).status).to.equal(303);
    await callBack(t, alice, second, "confirmed");
    expect(Number((await ticket(second)).assignee_id)).to.equal(bobId);
    expect(await t.db("ticket_events").where({ ticket_id: second, kind: "assignment" })).to.have.length(1);
  });

  it("mails an objection to the assignee and the admins, takes the request out of every view until it is cleared, then hands it off again", async () => {
    const ticketId = await openRequest(t);
    const bob = await signedIn(t, "bob");
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });

    const token = await resetObjectionTokenFor(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
    const notices = (await outboxTo(t)).filter((m) => m.template === "reset-objection-notice");
    expect(notices.map((m) => m.recipient).sort(), "the assignee (alice, by her callback) and the admin").to.deep.equal([ADMIN, ALICE]);
    expect(await mailText(notices[0]!.message)).to.include(`/desk/tickets/${ticketId}`).and.include("Approval is blocked");
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 0, listed: false });

    const admin = await signedIn(t, "admin");
    const cleared = await postForm(admin, `${deskPage(ticketId)}/objection/clear`, { note: "Called Paula on the number on file: she did ask." }, deskPage(ticketId));
    expect(cleared.status).to.equal(303);
    expect(await awaiting(bob, ticketId)).to.deep.equal({ n: 1, listed: true });
    expect(await handOffsTo(BOB), "ready again: bob is told again").to.have.length(2);
    // The admin who cleared the objection may no longer approve it (the checklist says so).
    expect(await awaiting(admin, ticketId)).to.deep.equal({ n: 0, listed: false });
  });

  it("tells the assignee and the admins once when a delivered temporary password is two hours from expiring unused", async () => {
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    await t.deliverMail();
    const { password } = await temporaryPasswordFrom(t, t.sink);
    const notices = async () => (await outboxTo(t)).filter((m) => m.template === "reset-expiring-notice");

    t.clock.advance(hours(22) - seconds(1));
    await t.scheduler.run("notice-expiring-temporary-passwords");
    expect(await notices(), "more than two hours left").to.have.length(0);

    t.clock.advance(seconds(2));
    await t.scheduler.run("notice-expiring-temporary-passwords");
    const sent = await notices();
    expect(sent.map((m) => m.recipient).sort()).to.deep.equal([ADMIN, ALICE]);
    const text = await mailText(sent[0]!.message);
    expect(text).to.include(`/desk/tickets/${ticketId}`).and.include("has not been used");
    expect(text).to.not.include(password);
    expect(await auditActions(t)).to.include("reset.expiry_noticed");

    await t.scheduler.run("notice-expiring-temporary-passwords");
    expect(await notices(), "once").to.have.length(2);
    t.clock.advance(hours(3));
    await t.scheduler.run("expire-temporary-passwords");
    await t.scheduler.run("notice-expiring-temporary-passwords");
    expect(await notices()).to.have.length(2);
  });
});
