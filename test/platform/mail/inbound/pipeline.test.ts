import { expect } from "chai";
import type { Knex } from "knex";
import nodemailer from "nodemailer";
import { processInbound } from "../../../../src/platform/mail/inbound/pipeline.js";
import { findInbound, listInbound } from "../../../../src/platform/mail/inbound/inbound-store.js";
import { startReceiver, type Receiver } from "../../../../src/platform/mail/inbound/receiver.js";
import { enqueue, findMail } from "../../../../src/platform/mail/outbox-store.js";
import { composePlain } from "../../../../src/platform/mail/compose.js";
import { hours, minutes } from "../../../../src/shared/clock.js";
import { createLogger } from "../../../../src/shared/logger.js";
import type { InboundRouter } from "../../../../src/platform/mail/inbound/types.js";
import { Cleanup } from "../../../support/cleanup.js";
import { tinyPng } from "../../../support/files.js";
import { dkim, inboundTestBed, recordingRouter, sendTo, SENDER_DOMAIN, type InboundTestBed } from "./helpers.js";

describe("inbound mail: receiver and pipeline", function () {
  this.timeout(30_000);
  const cleanup = new Cleanup();
  let bed: InboundTestBed;
  let receiver: Receiver;

  beforeEach(async () => {
    bed = await inboundTestBed(cleanup);
    receiver = await startReceiver(bed.db, bed.clock, createLogger("silent"), { host: "127.0.0.1", port: 0, lmtp: false, sizeLimit: 25 * 1024 * 1024 });
    cleanup.add(() => receiver.close());
  });
  afterEach(() => cleanup.run());

  const outboxRows = async () => (await bed.db("outbox").select("recipient", "template", "message")) as { recipient: string; template: string; message: string }[];

  it("stores the raw message before answering 250, and a second copy of the same Message-ID once", async () => {
    await sendTo(receiver.port, { messageId: "<one@customer.test>", text: "First copy" });
    const stored = await listInbound(bed.db, 10);
    expect(stored).to.have.length(1);
    expect(stored[0]!.status).to.equal("received");
    expect(stored[0]!.dedupKey).to.equal("one@customer.test ann@customer.test");
    expect(stored[0]!.envelopeTo).to.deep.equal(["help@in.vouchdesk.test"]);
    expect(stored[0]!.raw.toString()).to.include("First copy");

    await sendTo(receiver.port, { messageId: "<ONE@customer.test>", text: "Second copy" });
    const again = await listInbound(bed.db, 10);
    expect(again).to.have.length(1);
    expect(again[0]!.raw.toString()).to.include("First copy");
  });

  it("takes mail by LMTP too (INBOUND_PROTOCOL=lmtp), stored before the 250 like SMTP", async () => {
    const lmtp = await startReceiver(bed.db, bed.clock, createLogger("silent"), { host: "127.0.0.1", port: 0, lmtp: true, sizeLimit: 25 * 1024 * 1024 });
    cleanup.add(() => lmtp.close());
    const transport = nodemailer.createTransport({ lmtp: true, host: "127.0.0.1", port: lmtp.port });
    try {
      await transport.sendMail({ from: `Ann <ann@${SENDER_DOMAIN}>`, to: "help@in.vouchdesk.test", subject: "By LMTP", text: "Handed over by LMTP", messageId: "<lmtp-1@customer.test>" });
    } finally {
      transport.close();
    }
    const [stored] = await listInbound(bed.db, 1);
    expect(stored).to.include({ status: "received", via: "smtp", dedupKey: "lmtp-1@customer.test ann@customer.test" });
    expect(stored!.raw.toString()).to.include("Handed over by LMTP");
  });

  it("routes a DKIM-signed mail whose From: domain passes DMARC, once", async () => {
    const { router, got } = recordingRouter(() => ({ kind: "ticket", ticketId: 42 }));
    await sendTo(receiver.port, { dkim, subject: "Printer", text: "It is on fire" });
    expect(await processInbound(bed.deps(router))).to.equal(1);
    expect(got).to.have.length(1);
    expect(got[0]).to.include({ from: `ann@${SENDER_DOMAIN}`, fromName: "Ann", subject: "Printer", authenticated: true });
    expect(got[0]!.text.trim()).to.equal("It is on fire");
    const [row] = await listInbound(bed.db, 1);
    expect(row).to.include({ status: "routed", ticketId: 42, outcome: "New ticket #42", fromAddress: `ann@${SENDER_DOMAIN}` });
    expect(row!.authResults).to.include({ dmarc: "pass", dkim: `pass (${SENDER_DOMAIN})` });

    expect(await processInbound(bed.deps(router))).to.equal(0);
    expect(got).to.have.length(1);
  });

  it("hands the router a mail's attached files, and not the images embedded in its HTML", async () => {
    const { router, got } = recordingRouter(() => ({ kind: "ticket", ticketId: 1 }));
    await sendTo(receiver.port, {
      dkim,
      text: "See the file.",
      html: '<p>See the file.</p><img src="cid:logo@customer.test">',
      attachments: [
        { filename: "report.txt", content: "Line one\n" },
        { filename: "logo.png", content: tinyPng(), cid: "logo@customer.test" },
      ],
    });
    await processInbound(bed.deps(router));
    expect(got[0]!.attachments.map((a) => [a.filename, a.content.toString()])).to.deep.equal([["report.txt", "Line one\n"]]);
  });

  it("quarantines a mail that fails DMARC without calling the router", async () => {
    const { router, got } = recordingRouter(() => ({ kind: "ticket", ticketId: 1 }));
    await sendTo(receiver.port, { subject: "Forged", text: "Not signed" });
    await processInbound(bed.deps(router));
    expect(got).to.have.length(0);
    const [row] = await listInbound(bed.db, 1);
    expect(row).to.include({ status: "quarantined", ticketId: null });
    expect(row!.outcome).to.match(/DMARC fail/);
    expect(await outboxRows()).to.have.length(0);
  });

  for (const [name, headers, from] of [
    ["Auto-Submitted", { "Auto-Submitted": "auto-replied" }, undefined],
    ["Precedence: bulk", { Precedence: "bulk" }, undefined],
    ["MAILER-DAEMON", {}, `MAILER-DAEMON@${SENDER_DOMAIN}`],
    ["our own address", {}, "desk@vouchdesk.test"],
  ] as const) {
    it(`ignores noise (${name}): not routed, no auto-reply`, async () => {
      const { router, got } = recordingRouter(() => ({ kind: "auto-reply", reply: "unknown-sender", reason: "Unknown sender" }));
      await sendTo(receiver.port, { dkim, headers, ...(from ? { from } : {}) });
      await processInbound(bed.deps(router));
      expect(got).to.have.length(0);
      const [row] = await listInbound(bed.db, 1);
      expect(row!.status).to.equal("ignored");
      expect(await outboxRows()).to.have.length(0);
    });
  }

  it("auto-replies at most once an hour to one sender, marked auto-replied", async () => {
    const { router, got } = recordingRouter(() => ({ kind: "auto-reply", reply: "unknown-sender", reason: "Unknown sender" }));
    await sendTo(receiver.port, { dkim, text: "one" });
    await processInbound(bed.deps(router));
    bed.clock.advance(minutes(30));
    await sendTo(receiver.port, { dkim, text: "two" });
    await processInbound(bed.deps(router));
    expect(got).to.have.length(2);
    let sent = await outboxRows();
    expect(sent).to.have.length(1);
    expect(sent[0]).to.include({ recipient: `ann@${SENDER_DOMAIN}`, template: "auto-reply" });
    expect(sent[0]!.message).to.include("Auto-Submitted: auto-replied").and.include("https://desk.vouchdesk.test/tickets/new");
    const rows = await listInbound(bed.db, 2);
    expect(rows.map((r) => r.status)).to.deep.equal(["auto-replied", "auto-replied"]);
    expect(rows[0]!.outcome).to.match(/no auto-reply/);

    bed.clock.advance(hours(1));
    await sendTo(receiver.port, { dkim, text: "three" });
    await processInbound(bed.deps(router));
    sent = await outboxRows();
    expect(sent).to.have.length(2);
  });

  it("marks the outbox mail a DSN names failed, with its reason", async () => {
    const now = bed.clock.now();
    const mail = await composePlain({ from: "desk@vouchdesk.test", hostname: "vouchdesk.test" }, { to: "gone@elsewhere.test", subject: "Your ticket", template: "new-ticket", text: "Hi", html: null }, now);
    const outboxId = await bed.db.transaction((trx) => enqueue(trx, mail, now));
    const { router, got } = recordingRouter(() => ({ kind: "ticket", ticketId: 1 }));
    const dsn = [
      `From: Mail Delivery System <MAILER-DAEMON@${SENDER_DOMAIN}>`,
      "To: desk@vouchdesk.test",
      "Subject: Undelivered Mail Returned to Sender",
      "Message-ID: <dsn-1@customer.test>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain",
      "",
      "Your mail could not be delivered.",
      "--b1",
      "Content-Type: message/delivery-status",
      "",
      "Reporting-MTA: dns; mx.customer.test",
      "",
      "Final-Recipient: rfc822; gone@elsewhere.test",
      "Action: failed",
      "Status: 5.1.1",
      "Diagnostic-Code: smtp; 550 5.1.1 <gone@elsewhere.test>: Recipient address rejected",
      "--b1",
      "Content-Type: text/rfc822-headers",
      "",
      `Message-ID: ${mail.messageId}`,
      "Subject: Your ticket",
      "--b1--",
      "",
    ].join("\r\n");
    await sendTo(receiver.port, { envelope: { from: "", to: ["desk@in.vouchdesk.test"] }, raw: dsn });
    await processInbound(bed.deps(router));
    expect(got).to.have.length(0);
    const [row] = await listInbound(bed.db, 1);
    expect(row!.status).to.equal("bounce");
    expect(row!.outcome).to.include(`#${outboxId}`);
    const failed = await findMail(bed.db, outboxId);
    expect(failed).to.include({ status: "failed", nextAttemptAt: null });
    expect(failed!.lastError).to.equal("Bounced: smtp; 550 5.1.1 <gone@elsewhere.test>: Recipient address rejected");
  });

  it("leaves a message whose worker died mid-way 'received', and processes it once the lease runs out", async () => {
    const { router, got } = recordingRouter(() => ({ kind: "reply", ticketId: 7 }));
    await sendTo(receiver.port, { dkim });
    const [stored] = await listInbound(bed.db, 1);
    // Another worker claimed it and died: its lease stands for now.
    await bed.db("inbound_messages").where({ id: stored!.id }).update({ locked_by: "dead-worker", locked_until: new Date(bed.clock.now().getTime() + minutes(5)) });
    expect(await processInbound(bed.deps(router))).to.equal(0);
    bed.clock.advance(minutes(6));
    expect(await processInbound(bed.deps(router))).to.equal(1);
    expect(got).to.have.length(1);
    expect(await findInbound(bed.db, stored!.id)).to.include({ status: "routed", ticketId: 7 });
  });

  describe("what a router does commits with the record of the message, or not at all", () => {
    /** A router that writes a row in its transaction, then fails when told to (a worker dying before the record). */
    function writingRouter(fail: { now: boolean }, alsoInTrx?: (trx: Knex.Transaction) => Promise<unknown>): InboundRouter {
      return async (mail, trx) => {
        await trx("router_writes").insert({ text: mail.text.trim() });
        if (alsoInTrx) await alsoInTrx(trx);
        if (fail.now) throw new Error("the worker died here");
        return { kind: "reply", ticketId: 9 };
      };
    }
    const writes = async () => ((await bed.db("router_writes").select("text")) as { text: string }[]).map((r) => r.text);

    beforeEach(() => bed.db.schema.createTable("router_writes", (t) => t.string("text")));

    it("a failure after the router's writes undoes them: the retry after the lease writes once", async () => {
      const fail = { now: true };
      await sendTo(receiver.port, { dkim, text: "Once only" });
      expect(await processInbound(bed.deps(writingRouter(fail)))).to.equal(1);
      expect(await writes(), "the failed attempt's write").to.deep.equal([]);
      expect((await listInbound(bed.db, 1))[0]).to.include({ status: "received", ticketId: null });

      fail.now = false;
      bed.clock.advance(minutes(6));
      expect(await processInbound(bed.deps(writingRouter(fail)))).to.equal(1);
      expect(await writes()).to.deep.equal(["Once only"]);
      expect((await listInbound(bed.db, 1))[0]).to.include({ status: "routed", ticketId: 9 });
    });

    it("a worker whose lease was taken over undoes what it did, and leaves the message to the new holder", async () => {
      await sendTo(receiver.port, { dkim, text: "Taken over" });
      const takeOver = (trx: Knex.Transaction) => trx("inbound_messages").update({ locked_by: "other-worker" });
      expect(await processInbound(bed.deps(writingRouter({ now: false }, takeOver)))).to.equal(1);
      expect(await writes()).to.deep.equal([]);
      expect((await listInbound(bed.db, 1))[0]).to.include({ status: "received", ticketId: null });
    });
  });

  describe("copies: the Message-ID with its From:", () => {
    it("stores a mail with another mail's Message-ID but another From: on its own", async () => {
      await sendTo(receiver.port, { messageId: "<shared@customer.test>", from: "Mallory <mallory@elsewhere.test>", text: "Forged first" });
      await sendTo(receiver.port, { dkim, messageId: "<shared@customer.test>", text: "The real one" });
      const stored = await listInbound(bed.db, 10);
      expect(stored.map((r) => r.dedupKey)).to.deep.equal(["shared@customer.test ann@customer.test", "shared@customer.test mallory@elsewhere.test"]);
    });

    it("stores a copy anew when the first holder of its key was quarantined, and routes the authentic one", async () => {
      const { router, got } = recordingRouter(() => ({ kind: "reply", ticketId: 5 }));
      await sendTo(receiver.port, { messageId: "<reply-1@customer.test>", text: "Forged with Ann's From:, unsigned" });
      await processInbound(bed.deps(router));
      expect((await listInbound(bed.db, 1))[0]!.status).to.equal("quarantined");

      await sendTo(receiver.port, { dkim, messageId: "<reply-1@customer.test>", text: "Ann's real reply" });
      // Handed over again by another relay: the same mail, other bytes.
      await sendTo(receiver.port, { dkim, messageId: "<reply-1@customer.test>", headers: { "X-Relayed-By": "mx2.customer.test" }, text: "Ann's real reply" });
      const stored = await listInbound(bed.db, 10);
      expect(stored.map((r) => r.dedupKey), "the forged row and one copy of the real one").to.deep.equal(["reply-1@customer.test ann@customer.test #2", "reply-1@customer.test ann@customer.test"]);
      await processInbound(bed.deps(router));
      expect(got.map((m) => m.text.trim())).to.deep.equal(["Ann's real reply"]);
      expect((await listInbound(bed.db, 1))[0]).to.include({ status: "routed", ticketId: 5 });
    });
  });
});
