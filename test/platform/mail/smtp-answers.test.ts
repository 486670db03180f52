import { expect } from "chai";
import { hours, minutes } from "../../../src/shared/clock.js";
import { browser } from "../../support/http.js";
import { DEMO_PASSWORD } from "../../support/test-app.js";
import { appWithSink, queueTestMessage } from "./outbox-helpers.js";
import { signInOk } from "../../support/sign-in.js";
import { postForm } from "../../support/forms.js";
import { msOf } from "../../support/rows.js";
import { attemptRows, outboxRow } from "../../support/mail.js";
import { Cleanup } from "../../support/cleanup.js";

describe("mail outbox: SMTP answers are classified", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("marks a mail refused with 550 failed at once, with the server's words and one attempt, and never retries it by itself", async () => {
    const { t, sink } = await appWithSink(cleanup);
    sink.refusals.set("gone@example.com", { code: 550, text: "5.1.1 <gone@example.com>: Recipient address rejected: User unknown" });
    const { id } = await queueTestMessage(t, "gone@example.com");

    await t.deliverMail();

    const row = await outboxRow(t.db, id);
    expect(row.status).to.equal("failed");
    expect(Number(row.attempts)).to.equal(1);
    expect(row.next_attempt_at, "no next attempt").to.equal(null);
    expect(row.last_error).to.include("550").and.include("User unknown");
    const attempts = await attemptRows(t.db, id);
    expect(attempts.map((a) => [Number(a.attempt), a.outcome])).to.deep.equal([[1, "failed"]]);
    expect(attempts[0]!.detail).to.include("550 5.1.1");

    // Hours later, with the address accepted again, the worker still leaves it alone.
    sink.refusals.clear();
    t.clock.advance(hours(3));
    await t.deliverMail();
    expect(sink.received).to.have.length(0);
    expect(await attemptRows(t.db, id)).to.have.length(1);

    // The admin's mail page says why and still offers Retry; Retry sends it.
    const admin = browser(t.app);
    await signInOk(admin, "admin", DEMO_PASSWORD);
    const page = await admin.get(`/admin/mail/${id}`).expect(200);
    expect(page.text).to.include("refused this mail for good").and.include(`action="/admin/mail/${id}/retry"`);
    expect((await postForm(admin, `/admin/mail/${id}/retry`, {}, `/admin/mail/${id}`)).status).to.equal(303);
    await t.deliverMail();
    expect(sink.received.map((m) => m.to)).to.deep.equal([["gone@example.com"]]);
    expect((await outboxRow(t.db, id)).status).to.equal("sent");
  });

  it("retries a mail answered 451 with back-off, and sends it once the server takes it", async () => {
    const { t, sink } = await appWithSink(cleanup);
    sink.refusals.set("busy@example.com", { code: 451, text: "4.3.0 Mailbox temporarily unavailable, try again later" });
    const { id } = await queueTestMessage(t, "busy@example.com");

    await t.deliverMail();
    const first = await outboxRow(t.db, id);
    expect(first.status).to.equal("failed");
    expect(first.last_error).to.include("451");
    const wait = msOf(first.next_attempt_at)! - t.clock.now().getTime();
    expect(wait, "first retry 1 min ±20%").to.be.within(0.8 * minutes(1), 1.2 * minutes(1));

    t.clock.advance(minutes(2));
    await t.deliverMail();
    const second = await outboxRow(t.db, id);
    expect([second.status, Number(second.attempts)]).to.deep.equal(["failed", 2]);
    expect(second.next_attempt_at, "still retried").to.not.equal(null);

    sink.refusals.clear();
    t.clock.advance(minutes(5));
    await t.deliverMail();
    expect((await outboxRow(t.db, id)).status).to.equal("sent");
    expect((await attemptRows(t.db, id)).map((a) => a.outcome)).to.deep.equal(["failed", "failed", "sent"]);
  });
});
