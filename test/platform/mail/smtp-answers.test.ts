import { expect } from "chai";
import { hours, minutes } from "../../../src/shared/clock.js";
import { createLogger } from "../../../src/shared/logger.js";
import { deliverDue, type FailedForGood } from "../../../src/platform/mail/delivery.js";
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

  it("marks each mail of a round handed to the server together by its own answer: one refused with 550, one answered 451, the rest sent", async () => {
    const { t, sink } = await appWithSink(cleanup);
    sink.refusals.set("gone@example.com", { code: 550, text: "5.1.1 <gone@example.com>: Recipient address rejected: User unknown" });
    sink.refusals.set("busy@example.com", { code: 451, text: "4.3.0 Mailbox temporarily unavailable, try again later" });
    // A run's rounds are 1, 2 and then 4 mails: the refused ones go in the round of four, among mails that are accepted.
    const recipients = ["one@example.com", "two@example.com", "three@example.com", "four@example.com", "gone@example.com", "busy@example.com", "seven@example.com"];
    const queued: { id: number; to: string }[] = [];
    for (const to of recipients) queued.push({ id: (await queueTestMessage(t, to)).id, to });
    const toldOf: FailedForGood[] = [];
    const deps = { db: t.db, clock: t.clock, transport: t.mailer.transport, deskKey: t.mailer.deskKey, from: t.config.mail.from, logger: createLogger("silent"), workerId: "A" };

    const run = await deliverDue({ ...deps, onFailedForGood: (failure) => Promise.resolve(toldOf.push(failure)) });

    expect(run).to.deep.equal({ sent: 5, failed: 2, dead: 0 });
    expect(sink.received.map((m) => m.to[0]).sort()).to.deep.equal(recipients.filter((r) => r !== "gone@example.com" && r !== "busy@example.com").sort());
    for (const { id, to } of queued) {
      const row = await outboxRow(t.db, id);
      const attempts = (await attemptRows(t.db, id)).map((a) => [Number(a.attempt), a.worker, a.outcome]);
      expect(Number(row.attempts), to).to.equal(1);
      expect(row.locked_by, to).to.equal(null);
      if (to === "gone@example.com") {
        expect([row.status, row.next_attempt_at], to).to.deep.equal(["failed", null]);
        expect(row.last_error).to.include("550").and.include("User unknown");
        expect(attempts, to).to.deep.equal([[1, "A", "failed"]]);
      } else if (to === "busy@example.com") {
        expect(row.status, to).to.equal("failed");
        expect(msOf(row.next_attempt_at)! - t.clock.now().getTime(), "retried in about a minute").to.be.within(0.8 * minutes(1), 1.2 * minutes(1));
        expect(row.last_error).to.include("451");
        expect(attempts, to).to.deep.equal([[1, "A", "failed"]]);
      } else {
        expect([row.status, row.last_error, row.next_attempt_at], to).to.deep.equal(["sent", null, null]);
        expect(attempts, to).to.deep.equal([[1, "A", "sent"]]);
      }
    }
    // Only the mail refused for good is given up on; the one answered 451 waits for its retry.
    expect(toldOf.map((f) => [f.outboxId, f.recipient, f.dead])).to.deep.equal([[queued[4]!.id, "gone@example.com", false]]);
    expect(toldOf[0]!.error).to.include("550 5.1.1");
  });
});
