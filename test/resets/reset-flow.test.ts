import { expect } from "chai";
import { simpleParser } from "mailparser";
import { browser } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { approve, callBack, deskPage, openRequest, temporaryPasswordFrom } from "./helpers.js";
import { signIn, signInOk, signedIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditActions } from "../support/audit.js";
import type { Row } from "../support/rows.js";
import { outboxTo } from "../support/mail.js";
import { decryptWithGnupg } from "../support/pgp.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";

describe("primary reset: the whole path", () => {
  const t = useTestApp({ smtp: true });
  const sink = t.sink;

  const request = async (ticketId: number) => (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const ticket = async (ticketId: number) => (await t.db("tickets").where({ id: ticketId }).first()) as Row;

  it("goes from carol's request to ACM0001's own new password, and nobody at the desk ever sees the temporary one", async function () {
    this.timeout(60_000);
    // 1. carol asks. The ticket and request exist together; alerts and a confirmation are queued.
    const ticketId = await openRequest(t);
    expect(await ticket(ticketId)).to.include({ type: "primary_reset", subject: "Primary account password reset request", status: "new" });
    expect((await request(ticketId)).state).to.equal("pending");
    const alerts = (await outboxTo(t)).filter((m) => m.template === "reset-alert");
    // carol, on the records too, gets her confirmation (with its own objection link) instead of the alert.
    expect(alerts.map((m) => m.recipient)).to.deep.equal(["primary@acme.example"]);
    expect(alerts.every((m) => m.sealed)).to.equal(true);
    await t.deliverMail();
    const alert = sink.received.find((m) => m.to.includes("primary@acme.example"))!;
    const alertText = (await simpleParser(alert.raw)).text!;
    expect(alertText).to.include(`ticket #${ticketId}`).and.include("carol").and.match(/\/objections\/[A-Za-z0-9_-]{40,}/);
    expect(sink.received.some((m) => m.to.includes("carol@acme.example") && /reset request \(ticket/.test(m.raw))).to.equal(true);

    // 2. alice verifies: the panel shows the records, and she records a confirmed callback.
    const alice = await signedIn(t, "alice");
    const panel = await alice.get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("Primary reset verification").and.include("+442079460001").and.include("primary@acme.example");
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    expect((await ticket(ticketId)).status).to.equal("open");

    // 3. bob approves (alice may not: she did the callback).
    const bob = await signedIn(t, "bob");
    expect((await approve(bob, ticketId)).status).to.equal(303);
    const approved = await request(ticketId);
    expect(approved.state).to.equal("delivered");
    expect((await ticket(ticketId)).status).to.equal("pending_customer");

    // 4. The mail is PGP/MIME, signed by the desk, and decrypts with the primary's key (openpgp and GnuPG).
    await t.deliverMail();
    const { password, raw } = await temporaryPasswordFrom(t, sink);
    expect(raw).to.match(/Content-Type: multipart\/encrypted;[\s\S]*protocol="application\/pgp-encrypted"/);
    expect(raw).to.not.include(password);
    expect((await simpleParser(raw)).subject).to.equal("Your Vouchdesk temporary password");
    expect(password.length).to.be.at.least(20);
    const gpg = decryptWithGnupg(t, raw);
    expect(gpg.status, gpg.stderr).to.equal(0);
    expect((await simpleParser(gpg.stdout)).text).to.include(`Temporary password: ${password}`);
    expect(gpg.stderr).to.include("Good signature");

    // 5. The old password no longer works; the temporary one signs in to the forced change only.
    expect((await signIn(browser(t.app), "ACM0001", DEMO_PASSWORD)).status).to.not.equal(303);
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    const gated = await holder.get("/tickets");
    expect(gated.status).to.equal(303);
    expect(gated.headers.location).to.equal("/account/password");
    const changed = await postForm(holder, "/account/password", { current_password: password, new_password: NEW_PRIMARY_PASSWORD, confirm_password: NEW_PRIMARY_PASSWORD }, "/account/password");
    expect(changed.status, changed.text.slice(0, 400)).to.equal(303);

    // 6. The new password works, the temporary one does not; the request is redeemed and the ticket closed.
    await signInOk(browser(t.app), "ACM0001", NEW_PRIMARY_PASSWORD);
    expect((await signIn(browser(t.app), "ACM0001", password)).status).to.not.equal(303);
    const redeemed = await request(ticketId);
    expect(redeemed.state).to.equal("redeemed");
    expect(redeemed.redeemed_at).to.not.equal(null);
    expect((await ticket(ticketId)).status).to.equal("closed");
    const timeline = (await t.db("ticket_events").where({ ticket_id: ticketId }).orderBy("id")) as Row[];
    expect(timeline.map((e) => e.kind)).to.include.members(["callback", "approval", "system"]);
    expect(String(timeline[timeline.length - 1]!.body)).to.include("chose a new password");
    expect((await outboxTo(t, "primary@acme.example")).some((m) => m.template === "password-changed")).to.equal(true);
    expect(await auditActions(t)).to.include.members(["reset.requested", "reset.callback_recorded", "reset.approved", "reset.redeemed"]);

    // 7. The temporary password is nowhere: database file and rows (outbox, audit), logs, pages agents see.
    expect(await t.leaks(password), "the temporary password leaked into the database or the logs").to.equal(false);
    const admin = await signedIn(t, "admin");
    const mailId = Number(((await request(ticketId)).outbox_id as number));
    const pages = [await alice.get(deskPage(ticketId)), await bob.get(deskPage(ticketId)), await admin.get(`/admin/mail/${mailId}`), await admin.get("/admin/audit")];
    for (const page of pages) expect(page.text).to.not.include(password);
  });

  it("shows the requester a plain public timeline, without the internal callback details", async () => {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    await callBack(t, alice, ticketId, "confirmed");
    const carol = await signedIn(t, "carol");
    const page = await carol.get(`/tickets/${ticketId}`).expect(200);
    expect(page.text).to.include("confirmed the request");
    expect(page.text).to.not.include("+442079460001").and.not.include("7946 0001");
    expect(page.text).to.not.include("Spoke to the contact");
  });
});
