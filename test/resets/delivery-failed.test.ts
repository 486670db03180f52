import { expect } from "chai";
import { hours } from "../../src/shared/clock.js";
import { MAX_ATTEMPTS } from "../../src/platform/mail/delivery.js";
import { browser, type Agent } from "../support/http.js";
import { approve, callBack, deskPage, openRequest, TEMP_PASSWORD, temporaryPasswordFrom } from "./helpers.js";
import { signInOk, signedIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { userId } from "../support/users.js";
import type { Row } from "../support/rows.js";
import { mailText, outboxTo, outboxRow } from "../support/mail.js";
import { decryptForPrimary } from "../support/pgp.js";
import { useTestApp } from "../support/use-test-app.js";

const PRIMARY = "primary@acme.example";
const REFUSED = { code: 550, text: "5.7.1 <primary@acme.example>: Relay access denied by policy" };

describe("primary reset: the temporary password's mail fails", () => {
  const t = useTestApp({ smtp: true });
  const sink = t.sink;

  const request = async (ticketId: number) => (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const tempMailId = async (ticketId: number) => Number((await request(ticketId)).outbox_id);
  const notices = async () => (await outboxTo(t)).filter((m) => m.template === "reset-delivery-failed");
  /** The queue's row for one ticket, as an agent sees it. */
  const queueRow = async (agent: Agent, ticketId: number) => {
    const html = (await agent.get("/desk").expect(200)).text;
    return html.split("<tr>").find((chunk) => chunk.includes(`href="/desk/tickets/${ticketId}"`)) ?? "";
  };

  /** carol asks, alice calls back, bob approves, and the worker tries the mail once. */
  async function approvedAndTried(assignee?: string): Promise<number> {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    if (assignee) expect((await postForm(alice, `${deskPage(ticketId)}/assign`, { assignee_id: String(await userId(t, assignee)) }, deskPage(ticketId))).status).to.equal(303);
    await callBack(t, alice, ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    await t.deliverMail();
    return ticketId;
  }

  it("says delivery failed on the panel and the queue when the server answers 550, tells the assignee and the admins, and a retry that goes through clears it", async function () {
    this.timeout(40_000);
    sink.refusals.set(PRIMARY, REFUSED);
    const ticketId = await approvedAndTried("alice");

    // Failed at once, with the server's words, after one attempt.
    const mailId = await tempMailId(ticketId);
    const mail = await outboxRow(t.db, mailId);
    expect([mail.status, Number(mail.attempts), mail.next_attempt_at]).to.deep.equal(["failed", 1, null]);
    expect(mail.last_error).to.include("550 5.7.1").and.include("Relay access denied by policy");
    expect((await request(ticketId)).state, "the request itself stays delivered").to.equal("delivered");

    const alice = await signedIn(t, "alice");
    const panel = (await alice.get(deskPage(ticketId)).expect(200)).text;
    expect(panel).to.include("delivery failed").and.include("Delivery failed: the temporary password&#39;s mail could not be delivered");
    expect(panel).to.include(`mail #${mailId} to ${PRIMARY}`).and.include("Relay access denied by policy");
    expect(panel, "the options are named").to.include("Fix the cause and retry").and.include("an admin retries mail").and.include("Withdraw the temporary password");
    expect(panel).to.not.include("Temporary password sent");
    expect(await queueRow(alice, ticketId)).to.include("delivery failed");

    // Told in the desk: an internal event on the ticket and the audit; never on the customer's page.
    const [event] = (await t.db("ticket_events").where({ ticket_id: ticketId, visibility: "internal" }).where("body", "like", "%refused the temporary password%")) as Row[];
    expect(event!.body).to.include(`mail #${mailId}`).and.include("Told: alice, admin");
    const [audit] = await auditRows(t, "reset.delivery_failed");
    expect(audit!.subject).to.equal(`ticket:${ticketId}`);
    const carolView = (await (await signedIn(t, "carol")).get(`/tickets/${ticketId}`).expect(200)).text;
    expect(carolView).to.not.include("refused the temporary password");

    // Told by mail: the assignee and the admin, plainly, and they get it.
    const told = await notices();
    expect(told.map((m) => m.recipient).sort()).to.deep.equal(["admin@vouchdesk.example", "alice@vouchdesk.example"]);
    const text = await mailText(told[0]!.message);
    expect(told[0]!.subject).to.equal(`[#${ticketId}] Temporary password not delivered for ACM0001`);
    expect(text).to.include("Relay access denied by policy").and.include(`/admin/mail/${mailId}`).and.include("withdraw the temporary password");
    await t.deliverMail();
    expect(sink.received.flatMap((m) => m.to).sort()).to.include.members(["admin@vouchdesk.example", "alice@vouchdesk.example"]);

    // Nothing secret in any of it: the temporary password is only in the refused, encrypted mail.
    const secret = TEMP_PASSWORD.exec(await decryptForPrimary(t, mail.message))![1]!;
    for (const m of told) expect(await mailText(m.message)).to.not.include(secret);
    expect(panel).to.not.include(secret);
    expect(await t.leaks(secret), "nowhere in the database or the logs").to.equal(false);

    // The admin fixes the cause and retries from the mail log: the panel and the queue say sent again.
    sink.refusals.delete(PRIMARY);
    const admin = await signedIn(t, "admin");
    expect((await admin.get(deskPage(ticketId)).expect(200)).text).to.include(`href="/admin/mail/${mailId}"`);
    expect((await postForm(admin, `/admin/mail/${mailId}/retry`, {}, `/admin/mail/${mailId}`)).status).to.equal(303);
    await t.deliverMail();
    expect((await outboxRow(t.db, mailId)).status).to.equal("sent");
    const after = (await alice.get(deskPage(ticketId)).expect(200)).text;
    expect(after).to.include("Temporary password sent; waiting for the holder to sign in").and.not.include("delivery failed");
    expect(await queueRow(alice, ticketId)).to.not.include("delivery failed");
    expect(await notices(), "no new notice").to.have.length(2);
    // And it is the holder's way in.
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", (await temporaryPasswordFrom(t, sink)).password);
  });

  it("keeps retrying a mail answered 451 without alarm, says delivery failed once it is dead, and a withdrawal then stops it for good", async function () {
    this.timeout(40_000);
    sink.refusals.set(PRIMARY, { code: 451, text: "4.7.1 Greylisted, please try again later" });
    const ticketId = await approvedAndTried();
    const mailId = await tempMailId(ticketId);

    const retrying = await outboxRow(t.db, mailId);
    expect(retrying.status).to.equal("failed");
    expect(retrying.next_attempt_at, "a 4xx is retried").to.not.equal(null);
    const alice = await signedIn(t, "alice");
    const panel = (await alice.get(deskPage(ticketId)).expect(200)).text;
    expect(panel).to.include("is being retried").and.include("Greylisted").and.not.include("delivery failed");
    expect(await queueRow(alice, ticketId)).to.not.include("delivery failed");
    expect(await notices()).to.have.length(0);

    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt += 1) {
      t.clock.advance(hours(2));
      await t.deliverMail();
    }
    const dead = await outboxRow(t.db, mailId);
    expect([dead.status, Number(dead.attempts)]).to.deep.equal(["dead", MAX_ATTEMPTS]);
    // Hours later: a fresh session (the old one timed out).
    const bob = await signedIn(t, "bob");
    const failedPanel = (await bob.get(deskPage(ticketId)).expect(200)).text;
    expect(failedPanel).to.include("delivery failed").and.include(`after ${MAX_ATTEMPTS} attempts`);
    expect(await queueRow(bob, ticketId)).to.include("delivery failed");
    // The callback assigned the ticket to alice (issue 15 item 3): she and the admin are told.
    const told = await notices();
    expect(told.map((m) => m.recipient)).to.deep.equal(["alice@vouchdesk.example", "admin@vouchdesk.example"]);
    expect(await mailText(told[0]!.message)).to.include(`gave up after ${MAX_ATTEMPTS} attempts`).and.include("Greylisted");

    // Withdrawn: the mail is cancelled and can no longer be retried by hand.
    const withdrawn = await postForm(bob, `${deskPage(ticketId)}/withdraw`, { reason: "The mail never arrived; Paula's address is being checked." }, deskPage(ticketId));
    expect(withdrawn.status).to.equal(303);
    expect((await outboxRow(t.db, mailId)).status).to.equal("cancelled");
    const admin = await signedIn(t, "admin");
    await postForm(admin, `/admin/mail/${mailId}/retry`, {}, `/admin/mail/${mailId}`);
    expect((await admin.get(`/admin/mail/${mailId}`).expect(200)).text).to.include("only failed or dead mail can be retried");
    expect((await outboxRow(t.db, mailId)).status).to.equal("cancelled");
  });
});
