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
import { auditRows } from "../support/audit.js";
import { postForm } from "../support/forms.js";
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

  it("an admin sees the quarantine and releases a message (routed on their word) or discards one, audited; agents cannot", async () => {
    const { id, replyTo } = await replyAddress();
    const unsigned = (n: number) => ({ from: `Carol Jones <${CAROL}>`, to: replyTo, subject: `Re: try ${n}`, text: `Sent from my phone, try ${n}.`, messageId: `<phone-${n}@customer.test>` });
    await sendTo(receiver.port, unsigned(1));
    await sendTo(receiver.port, unsigned(2));
    expect(await pipeline()).to.equal(2);
    const [first, second] = ((await t.db("inbound_messages").orderBy("id")) as Row[]).map((r) => Number(r.id));
    const as = browsers(t);
    const alice = await as("alice");
    await alice.get("/admin/mail/inbound").expect(403);
    expect((await postForm(alice, `/admin/mail/inbound/${first}/release`, {}, "/desk")).status).to.equal(403);

    const admin = await as("admin");
    const list = (await admin.get("/admin/mail/inbound?status=quarantined").expect(200)).text;
    expect(list).to.include("Re: try 1").and.include("Re: try 2").and.include("DMARC");
    // The status is the query's filter, not a filter of the newest page.
    expect((await admin.get("/admin/mail/inbound?status=routed").expect(200)).text).to.include("No inbound mail is routed").and.not.include("Re: try 1");
    const detail = (await admin.get(`/admin/mail/inbound/${first}`).expect(200)).text;
    expect(detail).to.include("DMARC fail").and.include(`Release #${first}`).and.include("Message-ID: &lt;phone-1@customer.test&gt;");
    // Without the form's token nothing changes.
    await admin.post(`/admin/mail/inbound/${first}/release`).type("form").send({}).expect(403);
    expect(((await t.db("inbound_messages").where({ id: first }).first()) as Row).status).to.equal("quarantined");

    const events = await count(t, "ticket_events");
    expect((await postForm(admin, `/admin/mail/inbound/${first}/release`, {}, `/admin/mail/inbound/${first}`)).status).to.equal(303);
    expect(await pipeline()).to.equal(1);
    const released = (await t.db("inbound_messages").where({ id: first }).first()) as Row;
    expect(released.status, String(released.outcome)).to.equal("routed");
    expect(await count(t, "ticket_events")).to.be.greaterThan(events);
    const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
    expect(reply.body).to.equal("Sent from my phone, try 1.");

    expect((await postForm(admin, `/admin/mail/inbound/${second}/discard`, {}, `/admin/mail/inbound/${second}`)).status).to.equal(303);
    expect(((await t.db("inbound_messages").where({ id: second }).first()) as Row).status).to.equal("discarded");
    // A decided message takes no second decision.
    const again = await postForm(admin, `/admin/mail/inbound/${second}/release`, {}, `/admin/mail/inbound/${second}`);
    expect(again.status).to.equal(303);
    expect((await admin.get(`/admin/mail/inbound/${second}`).expect(200)).text).to.include("is discarded, not quarantined");
    expect(((await t.db("inbound_messages").where({ id: second }).first()) as Row).status).to.equal("discarded");
    expect((await auditRows(t, "mail.inbound_released")).map((r) => r.subject)).to.deep.equal([`inbound:${first}`]);
    expect((await auditRows(t, "mail.inbound_discarded")).map((r) => r.subject)).to.deep.equal([`inbound:${second}`]);
  });
});
