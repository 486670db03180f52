import { expect } from "chai";
import { createLogger } from "../../src/shared/logger.js";
import { deliverDue } from "../../src/platform/mail/delivery.js";
import type { MailTransport } from "../../src/platform/mail/transports.js";
import { browser, type Agent } from "../support/http.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { approve, callBack, deskPage, openRequest, snapshot, temporaryPasswordFrom } from "./helpers.js";
import { csrfToken, postForm } from "../support/forms.js";
import { signIn, signInOk, signedIn } from "../support/sign-in.js";
import { auditActions, auditRows } from "../support/audit.js";
import { userId } from "../support/users.js";
import type { Row } from "../support/rows.js";
import { changeObjectionTokenTo } from "../support/links.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const WITHDRAW_REASON = "Paula rang from the number on file: she found her password after all.";
const OBJECTION_LINK = /\/objections\/([A-Za-z0-9_-]{40,})/;

describe("primary reset: withdrawing a delivered temporary password", () => {
  const t = useTestApp({ smtp: true });
  const sink = t.sink;

  const request = async (ticketId: number) => (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const ticketStatus = async (ticketId: number) => ((await t.db("tickets").where({ id: ticketId }).first("status")) as Row).status;
  const withdraw = (agent: Agent, ticketId: number, reason: string) => postForm(agent, `${deskPage(ticketId)}/withdraw`, { reason }, deskPage(ticketId));

  /** carol asks, alice calls back, bob approves: the temporary password is out; returns it with the ticket. */
  async function delivered(): Promise<{ ticketId: number; password: string }> {
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    await t.deliverMail();
    return { ticketId, password: (await temporaryPasswordFrom(t, sink)).password };
  }

  it("lets an agent withdraw it with a reason: it stops working, the holder's session ends, the ticket closes, both are told", async function () {
    this.timeout(30_000);
    const { ticketId, password } = await delivered();
    const alice = await signedIn(t, "alice");
    const panel = await alice.get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("Withdraw the temporary password").and.include(`action="${deskPage(ticketId)}/withdraw"`);
    // The holder has signed in with it but not yet chosen a new password.
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);

    const res = await withdraw(alice, ticketId, WITHDRAW_REASON);
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    const row = await request(ticketId);
    expect(row).to.include({ state: "withdrawn", withdrawal_reason: WITHDRAW_REASON });
    expect(Number(row.withdrawn_by)).to.equal(await userId(t, "alice"));
    expect(row.withdrawn_at).to.not.equal(null);
    expect(await ticketStatus(ticketId)).to.equal("closed");
    expect(((await t.db("users").where({ username: "ACM0001" }).first("password_hash")) as Row).password_hash).to.equal(null);

    expect((await signIn(browser(t.app), "ACM0001", password)).status).to.not.equal(303);
    const ended = await holder.get("/account/password");
    expect(ended.status).to.equal(303);
    expect(ended.headers.location).to.match(/^\/login/);

    const notices = (await outboxTo(t)).filter((m) => m.template === "reset-withdrawn");
    expect(notices.map((m) => m.recipient).sort()).to.deep.equal(["carol@acme.example", "primary@acme.example"]);
    expect(await mailText(notices[0]!.message)).to.include(WITHDRAW_REASON).and.include("no longer works");
    const [audit] = await auditRows(t, "reset.withdrawn");
    expect(audit!.actor).to.equal("alice");

    // The requester sees why on the public timeline; the panel no longer offers the form.
    const carolView = await (await signedIn(t, "carol")).get(`/tickets/${ticketId}`).expect(200);
    expect(carolView.text).to.include("withdrawn before it was used").and.include(WITHDRAW_REASON);
    expect((await alice.get(deskPage(ticketId))).text).to.not.include(`${deskPage(ticketId)}/withdraw`);
    const twice = await withdraw(alice, ticketId, WITHDRAW_REASON);
    expect(twice.status).to.equal(400);
    expect(twice.text).to.include("The request is withdrawn: there is no unused temporary password to withdraw.");
    // The account may ask again.
    expect(await openRequest(t)).to.be.greaterThan(ticketId);
  });

  it("refuses without a reason, before delivery and after redemption, naming why and changing nothing", async function () {
    this.timeout(30_000);
    const alice = await signedIn(t, "alice");
    const pendingTicket = await openRequest(t);
    let before = await snapshot(t);
    const early = await withdraw(alice, pendingTicket, "Changed our minds.");
    expect(early.status).to.equal(400);
    expect(early.text).to.include("The request is pending: there is no unused temporary password to withdraw.");
    expect(early.text, "listed in the summary at the top").to.include('href="#field-withdraw-reason"');
    expect(early.text, "the summary's link lands on the panel").to.include('<span id="field-withdraw-reason"></span>');
    expect(await snapshot(t)).to.deep.equal(before);
    await postForm(alice, `${deskPage(pendingTicket)}/reject`, { reason: "Opened by mistake." }, deskPage(pendingTicket));

    const { ticketId, password } = await delivered();
    before = await snapshot(t);
    for (const reason of ["", "   "]) {
      const res = await withdraw(alice, ticketId, reason);
      expect(res.status).to.equal(400);
      expect(res.text).to.include("Give the reason for withdrawing.");
      // The ticket page comes back with the problem under the withdraw form itself.
      expect(res.text).to.include('id="field-withdraw-reason-problem"').and.include("Primary reset verification");
    }
    expect((await withdraw(alice, ticketId, "x".repeat(2001))).text).to.include("Keep the reason under 2,000 characters.");
    expect(await snapshot(t)).to.deep.equal(before);

    // Redeemed: the holder chose a new password; there is nothing left to withdraw.
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    const fresh = "Saffron-Lantern-42!";
    expect((await postForm(holder, "/account/password", { current_password: password, new_password: fresh, confirm_password: fresh }, "/account/password")).status).to.equal(303);
    before = await snapshot(t);
    const late = await withdraw(alice, ticketId, WITHDRAW_REASON);
    expect(late.status).to.equal(400);
    expect(late.text).to.include("The request is redeemed");
    expect(await snapshot(t)).to.deep.equal(before);
    await signInOk(browser(t.app), "ACM0001", fresh);
  });

  it("is for agents with a CSRF token, and only on reset tickets", async () => {
    const { ticketId } = await delivered();
    const before = await snapshot(t);
    const carol = await signedIn(t, "carol");
    expect((await postForm(carol, `${deskPage(ticketId)}/withdraw`, { reason: WITHDRAW_REASON }, "/")).status).to.equal(403);
    const alice = await signedIn(t, "alice");
    expect((await alice.post(`${deskPage(ticketId)}/withdraw`).type("form").send({ reason: WITHDRAW_REASON })).status).to.equal(403);
    expect((await postForm(alice, "/desk/tickets/999999/withdraw", { reason: WITHDRAW_REASON }, deskPage(ticketId))).status).to.equal(404);
    expect((await postForm(alice, "/desk/tickets/abc/withdraw", { reason: WITHDRAW_REASON }, deskPage(ticketId))).status).to.equal(404);
    expect(await snapshot(t)).to.deep.equal(before);
    expect((await request(ticketId)).state).to.equal("delivered");
  });

  it("never lets a withdrawal and the holder's own change both win: a withdrawn password cannot become a working one", async function () {
    this.timeout(30_000);
    const { ticketId, password } = await delivered();
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    const alice = await signedIn(t, "alice");
    const [holderToken, aliceToken] = [await csrfToken(holder, "/account/password"), await csrfToken(alice, deskPage(ticketId))];
    const fresh = "Saffron-Lantern-42!";
    // The change hashes its new password (slow) while the withdrawal commits.
    const change = holder.post("/account/password").type("form").send({ _csrf: holderToken, current_password: password, new_password: fresh, confirm_password: fresh }).then((r) => r);
    const withdrawal = await alice.post(`${deskPage(ticketId)}/withdraw`).type("form").send({ _csrf: aliceToken, reason: WITHDRAW_REASON });
    const changed = await change;

    const state = (await request(ticketId)).state;
    const freshWorks = (await signIn(browser(t.app), "ACM0001", fresh)).status === 303;
    if (state === "withdrawn") {
      expect(withdrawal.status).to.equal(303);
      // Refused whichever way the timing fell: withdrawn before the holder's session was read (it
      // has ended: 401 or 403), before the current password was checked (not right any more), or
      // while the new one was being hashed (stopped working).
      expect([400, 401, 403], "the change must be refused").to.include(changed.status);
      if (changed.status === 400) expect(changed.text).to.match(/stopped working a moment ago|The current password is not right/);
      expect(freshWorks, "the holder's new password must not work after a withdrawal").to.equal(false);
    } else {
      expect(state).to.equal("redeemed");
      expect(withdrawal.status).to.equal(400);
      expect(freshWorks).to.equal(true);
    }
  });

  it("cancels the temporary password's mail when it has not gone out yet, so it is never sent nor retried", async function () {
    this.timeout(30_000);
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    const [mail] = (await outboxTo(t, "primary@acme.example")).filter((m) => m.template === "temporary-password");
    expect(((await t.db("outbox").where({ id: mail!.id }).first("status")) as Row).status).to.equal("queued");
    expect((await withdraw(await signedIn(t, "alice"), ticketId, WITHDRAW_REASON)).status).to.equal(303);
    const row = (await t.db("outbox").where({ id: mail!.id }).first("status", "last_error")) as Row;
    expect(row).to.deep.equal({ status: "cancelled", last_error: "Not sent: the temporary password in it no longer works." });
    await t.deliverMail();
    expect(sink.received.some((m) => /multipart\/encrypted/.test(m.raw)), "no temporary password mail was sent").to.equal(false);
    const admin = await signedIn(t, "admin");
    await postForm(admin, `/admin/mail/${mail!.id}/retry`, {}, `/admin/mail/${mail!.id}`);
    expect(((await t.db("outbox").where({ id: mail!.id }).first("status")) as Row).status).to.equal("cancelled");
  });

  it("cancels the temporary password's mail still waiting in a worker's claimed batch, so the worker never sends it", async function () {
    this.timeout(30_000);
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    const [mail] = (await outboxTo(t, "primary@acme.example")).filter((m) => m.template === "temporary-password");
    const alice = await signedIn(t, "alice");
    // The worker claims its batch (the temporary password's mail among the rest); while it sends
    // the first of them, the agent withdraws the password.
    let withdrawnWhileClaimed: Row | undefined;
    const transport = t.mailer.transport;
    const sendsWithdrawingFirst: MailTransport = {
      ...transport,
      async send(message) {
        if (!withdrawnWhileClaimed && message.id !== mail!.id) {
          withdrawnWhileClaimed = (await t.db("outbox").where({ id: mail!.id }).first("status", "attempt_started_at")) as Row;
          expect((await withdraw(alice, ticketId, WITHDRAW_REASON)).status).to.equal(303);
        }
        return transport.send(message);
      },
    };

    await deliverDue({ db: t.db, clock: t.clock, transport: sendsWithdrawingFirst, deskKey: t.mailer.deskKey, from: t.config.mail.from, logger: createLogger("silent"), workerId: "batch-worker" });

    expect(withdrawnWhileClaimed, "claimed, not yet handed over, when withdrawn").to.deep.equal({ status: "sending", attempt_started_at: null });
    const row = (await t.db("outbox").where({ id: mail!.id }).first("status", "last_error", "locked_by")) as Row;
    expect(row).to.deep.equal({ status: "cancelled", last_error: "Not sent: the temporary password in it no longer works.", locked_by: null });
    expect(await t.db("outbox_attempts").where({ outbox_id: mail!.id })).to.have.length(0);
    expect(sink.received.some((m) => /multipart\/encrypted/.test(m.raw)), "no temporary password mail was sent").to.equal(false);
    expect(sink.received.length, "the rest of the batch went out").to.be.greaterThan(0);
    await t.deliverMail();
    expect(sink.received.some((m) => /multipart\/encrypted/.test(m.raw))).to.equal(false);
  });

  it("withdraws it at once when someone on the records objects after delivery", async function () {
    this.timeout(30_000);
    const { ticketId, password } = await delivered();
    // The alert as it reached the primary: once sent, the outbox keeps only its headers.
    const alert = sink.received.find((m) => m.to.includes("primary@acme.example") && m.raw.includes("Subject: Password reset requested"))!;
    const token = OBJECTION_LINK.exec(await mailText(alert.raw))![1]!;
    const stranger = browser(t.app);
    expect((await stranger.get(`/objections/${token}`)).text).to.include("cancelled at once");

    const recorded = await postForm(stranger, `/objections/${token}`, {}, `/objections/${token}`);
    expect(recorded.status).to.equal(200);
    expect(recorded.text).to.include("no longer works");
    const row = await request(ticketId);
    expect(row).to.include({ state: "withdrawn", objected_by: "primary@acme.example", withdrawn_by: null });
    expect(await ticketStatus(ticketId)).to.equal("closed");
    expect((await signIn(browser(t.app), "ACM0001", password)).status).to.not.equal(303);
    expect(await auditActions(t)).to.include.members(["reset.objected", "reset.withdrawn"]);
    expect((await outboxTo(t)).filter((m) => m.template === "reset-withdrawn")).to.have.length(2);
    const panel = await (await signedIn(t, "alice")).get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("An objection was raised from the link mailed to primary@acme.example").and.not.include("Clear the objection");
  });

  it("withdraws it at once when someone objects to a change of the account's records after delivery", async function () {
    this.timeout(30_000);
    const { ticketId, password } = await delivered();
    expect((await changeContactPhone(t, await signedIn(t, "admin"), "Paula Primary", "+442079460099")).status).to.equal(303);
    const token = await changeObjectionTokenTo(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/changes/${token}`, {}, `/objections/changes/${token}`)).text).to.include("Objection recorded");

    const row = await request(ticketId);
    expect(row).to.include({ state: "withdrawn", withdrawal_reason: "someone on the account's records objected to a change of its records", withdrawn_by: null });
    expect(await ticketStatus(ticketId)).to.equal("closed");
    expect((await signIn(browser(t.app), "ACM0001", password)).status).to.not.equal(303);
    expect((await auditRows(t, "reset.withdrawn")).map((r) => r.details.reason)).to.deep.equal(["someone on the account's records objected to a change of its records"]);
    expect((await outboxTo(t)).filter((m) => m.template === "reset-withdrawn").map((m) => m.recipient).sort()).to.deep.equal(["carol@acme.example", "primary@acme.example"]);
  });
});
