import { expect } from "chai";
import { enqueue } from "../../src/mail/outbox-store.js";
import { testMessageMail } from "../../src/mail/mailer.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { startTestApp } from "../support/test-app.js";

describe("mail smoke", () => {
  it("delivers one queued mail to the SMTP sink", async () => {
    const sink = await new SmtpSink().start();
    const t = await startTestApp({}, sink);
    try {
      const mail = await testMessageMail(t.mailer, t.clock, "x@example.com", "admin");
      await t.db.transaction((trx) => enqueue(trx, mail, t.clock.now()));
      await t.deliverMail();
      expect(sink.received).to.have.length(1);
      const parsed = await sink.parsed(0);
      expect(parsed.subject).to.equal("Vouchdesk test message");
      const row = await t.db("outbox").first();
      expect(row.status).to.equal("sent");
    } finally {
      await t.close();
      await sink.stop();
    }
  });
});
