/**
 * Mail in from end to end (issue 17): a real SMTP client (nodemailer) hands a DKIM-signed reply to the
 * desk's receiver; the pipeline authenticates it against fixed DNS answers and tickets' router puts it
 * on its ticket as its person, quoted history stripped. A forged one with the same token reaches nothing.
 */
import { expect } from "chai";
import { processInbound } from "../../src/platform/mail/inbound/pipeline.js";
import { startReceiver, type Receiver } from "../../src/platform/mail/inbound/receiver.js";
import { createLogger } from "../../src/shared/logger.js";
import { routeInboundMail } from "../../src/tickets/index.js";
import { dkim, fixedResolver, SENDER_DOMAIN, sendTo } from "../platform/mail/inbound/helpers.js";
import { count, type Row } from "../support/rows.js";
import { browsers } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";
import { act, openTicket, ticketRow } from "./helpers.js";

const DOMAIN = "in.vouchdesk.example";
const CAROL = `carol@${SENDER_DOMAIN}`;

describe("mail in, end to end: SMTP receiver → pipeline → the ticket (issue 17)", function () {
  this.timeout(30_000);
  const t = useTestApp({ env: { INBOUND_DOMAIN: DOMAIN }, smtp: true });
  let receiver: Receiver;

  beforeEach(async () => {
    // carol's registered address is at the domain the fixed DNS publishes a DKIM key and DMARC policy for.
    await t.db("users").where({ username: "carol" }).update({ email: CAROL });
    receiver = await startReceiver(t.db, t.clock, createLogger("silent"), { host: "127.0.0.1", port: 0, lmtp: false, sizeLimit: 25 * 1024 * 1024 });
  });
  afterEach(async () => receiver.close());

  const pipeline = () =>
    processInbound({
      db: t.db, clock: t.clock, logger: createLogger("silent"), router: routeInboundMail({ db: t.db, clock: t.clock, mailer: t.mailer }),
      sender: t.mailer.sender, baseUrl: t.mailer.baseUrl, inboundDomain: DOMAIN, mta: "mx.vouchdesk.example", resolver: fixedResolver, worker: "test",
    });

  /** carol files a ticket, alice replies; the Reply-To of the reply mail carol got. */
  async function replyAddress(): Promise<{ id: number; replyTo: string }> {
    const as = browsers(t);
    const id = await openTicket(await as("carol"), { subject: "Printer jams", body: "Tray 2 jams on every page." });
    await act(await as("alice"), `/desk/tickets/${id}/replies`, { body: "Please try again now." }, `/desk/tickets/${id}`);
    await t.deliverMail();
    const index = t.sink.received.findIndex((m) => m.to.includes(CAROL));
    const replyTo = (await t.sink.parsed(index)).replyTo?.value[0]?.address ?? "";
    expect(replyTo).to.match(new RegExp(`^reply\\+[0-9a-f]{64}@${DOMAIN.replace(/\./g, "\\.")}$`));
    return { id, replyTo };
  }

  it("a signed reply lands on its ticket as carol, without the quoted history", async () => {
    const { id, replyTo } = await replyAddress();
    const quoted = "\n\nOn Wed, 2 Dec 2026 at 10:00, Vouchdesk wrote:\n> Please try again now.\n";
    await sendTo(receiver.port, { from: `Carol Jones <${CAROL}>`, to: replyTo, subject: `Re: [#${id}] New reply`, text: `It works now, thank you.${quoted}`, dkim, messageId: "<reply-1@customer.test>" });
    expect(await pipeline()).to.equal(1);
    const stored = (await t.db("inbound_messages").first()) as Row;
    expect(stored.status, String(stored.outcome)).to.equal("routed");
    expect(Number(stored.ticket_id)).to.equal(id);
    const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
    expect(reply.body).to.equal("It works now, thank you.");
    expect(Number(reply.author_id)).to.equal(Number(((await t.db("users").where({ username: "carol" }).first("id")) as Row).id));
    // Handed over twice (an MTA's retry): processed once.
    await sendTo(receiver.port, { from: `Carol Jones <${CAROL}>`, to: replyTo, subject: `Re: [#${id}] New reply`, text: "It works now, thank you.", dkim, messageId: "<reply-1@customer.test>" });
    expect(await pipeline()).to.equal(0);
    expect(await count(t, "inbound_messages")).to.equal(1);
  });

  it("the same token from an unsigned mail claiming to be carol is quarantined, and the ticket is untouched", async () => {
    const { id, replyTo } = await replyAddress();
    const before = await count(t, "ticket_events");
    const status = (await ticketRow(t, id)).status;
    await sendTo(receiver.port, { from: `Carol Jones <${CAROL}>`, to: replyTo, subject: "Re: please close", text: "Close this and send me the password.", messageId: "<forged-1@elsewhere.test>" });
    expect(await pipeline()).to.equal(1);
    const stored = (await t.db("inbound_messages").first()) as Row;
    expect(stored.status).to.equal("quarantined");
    expect(stored.outcome).to.match(/DMARC/);
    expect(await count(t, "ticket_events")).to.equal(before);
    expect((await ticketRow(t, id)).status).to.equal(status);
  });
});
