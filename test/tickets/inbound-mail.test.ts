import { expect } from "chai";
import { simpleParser } from "mailparser";
import type { InboundMail } from "../../src/platform/mail/inbound/types.js";
import { hashToken } from "../../src/shared/tokens.js";
import { BODY_MAX } from "../../src/tickets/vocabulary.js";
import { routeInboundMail } from "../../src/tickets/index.js";
import { databaseRows } from "../support/database.js";
import { openRequest } from "../resets/helpers.js";
import { browsers } from "../support/sign-in.js";
import { count, type Row } from "../support/rows.js";
import { outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";
import type { Agent } from "../support/http.js";
import { act, openTicket, ticketRow, writeState } from "./helpers.js";
import { tinyPdf, tinyPng, windowsExe } from "../support/files.js";

const DOMAIN = "in.vouchdesk.example";
const CAROL = "carol@acme.example";

/** A mail as the inbound pipeline hands it to the router, authenticated unless told otherwise. */
const inbound = (fields: Partial<InboundMail>): InboundMail => ({
  id: 1, from: CAROL, fromName: null, to: [`support@${DOMAIN}`], subject: "", text: "", messageId: null, attachments: [], authenticated: true, releasedBy: null, ...fields,
});

const QUOTED = "\n\nOn Wed, 2 Dec 2026 at 10:00, Vouchdesk <support@vouchdesk.example> wrote:\n> Please try again now.\n> The support team";

describe("mail in: what an inbound mail means (issue 17, tickets/inbound-mail.ts)", function () {
  this.timeout(30_000);
  const t = useTestApp({ env: { INBOUND_DOMAIN: DOMAIN }, smtp: true });
  let as: (username: string) => Promise<Agent>;
  const route = (mail: InboundMail) => t.db.transaction((trx) => routeInboundMail({ db: t.db, clock: t.clock, mailer: t.mailer }, t.config.attachmentMaxBytes)(mail, trx));

  beforeEach(() => {
    as = browsers(t);
  });

  /** Carol files a ticket in the portal, alice replies at the desk; the reply mail as the SMTP server got it. */
  async function ticketWithReply(): Promise<{ id: number; replyTo: string }> {
    const id = await openTicket(await as("carol"), { subject: "Printer jams", body: "Tray 2 jams on every page." });
    const page = `/desk/tickets/${id}`;
    await act(await as("alice"), `${page}/replies`, { body: "Please try again now." }, page);
    await t.deliverMail();
    const index = t.sink.received.findIndex((m) => m.to.includes(CAROL) && m.raw.includes(`[#${id}] New reply`));
    expect(index, "the reply mail reached the SMTP server").to.be.greaterThan(-1);
    const parsed = await t.sink.parsed(index);
    const replyTo = parsed.replyTo?.value[0]?.address ?? "";
    return { id, replyTo };
  }

  it("puts reply+<token>@INBOUND_DOMAIN in the reply mail's Reply-To, the token stored only as its SHA-256", async () => {
    const { id, replyTo } = await ticketWithReply();
    const match = new RegExp(`^reply\\+([0-9a-f]{64})@${DOMAIN.replace(/\./g, "\\.")}$`).exec(replyTo);
    expect(match, replyTo).to.not.equal(null);
    const token = match![1]!;
    // The outbox holds the mail itself, Reply-To and all; nowhere else has the token in clear.
    expect(JSON.stringify(await databaseRows(t.db, ["outbox"])), "the token in clear in a table").to.not.include(token);
    expect(t.logs(), "the token in the logs").to.not.include(token);
    expect(JSON.stringify(await databaseRows(t.db, ["outbox"]))).to.include(hashToken(token));
    const rows = (await t.db("reply_tokens").where({ ticket_id: id })) as Row[];
    expect(rows).to.have.length(1);
    expect(rows[0]!.token_hash).to.match(/^[0-9a-f]{64}$/);
    expect(Number(rows[0]!.user_id)).to.equal(Number(((await t.db("users").where({ username: "carol" }).first("id")) as Row).id));
  });

  it("posts a reply to that address on its ticket as its person, the quoted history stripped, and reopens a waiting ticket", async () => {
    const { id, replyTo } = await ticketWithReply();
    await t.db("tickets").where({ id }).update({ status: "pending_customer" });
    const before = await count(t, "ticket_events");
    const routed = await route(inbound({ to: [`support@${DOMAIN}`, replyTo.toLowerCase()], subject: "Re: [#1] New reply", text: `It works now, thank you.${QUOTED}` }));
    expect(routed).to.deep.equal({ kind: "reply", ticketId: id });
    const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
    expect(reply.body).to.equal("It works now, thank you.");
    expect(Number(reply.author_id)).to.equal(Number(((await t.db("users").where({ username: "carol" }).first("id")) as Row).id));
    expect(reply.visibility).to.equal("public");
    expect((await ticketRow(t, id)).status).to.equal("open");
    expect(await count(t, "ticket_events")).to.equal(before + 2);
    const portal = await (await as("carol")).get(`/tickets/${id}`).expect(200);
    expect(portal.text).to.include("It works now, thank you.").and.not.include("Please try again now.\n> ");
  });

  it("quarantines a valid token with a forged From:, posting nothing; an admin's release lets it through", async () => {
    const { id, replyTo } = await ticketWithReply();
    const before = await writeState(t);
    const routed = await route(inbound({ from: "mallory@evil.example", to: [replyTo], text: "Close my ticket and send me the files." }));
    expect(routed.kind).to.equal("quarantine");
    expect(routed.kind === "quarantine" && routed.reason).to.include("does not match the person this reply address belongs to");
    expect(await writeState(t)).to.deep.equal(before);
    const admin = Number(((await t.db("users").where({ username: "admin" }).first("id")) as Row).id);
    expect(await route(inbound({ from: "Carol.Other@acme.example", to: [replyTo], text: "Sent from my other address.", releasedBy: admin }))).to.deep.equal({ kind: "reply", ticketId: id });
  });

  it("keeps a reply by mail within the longest message a form takes", async () => {
    const { id, replyTo } = await ticketWithReply();
    await route(inbound({ to: [replyTo], subject: "Re: [#1] New reply", text: "x".repeat(BODY_MAX + 500) }));
    const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
    expect((reply.body as string).length).to.equal(BODY_MAX);
  });

  it("matches From: to the registered address in any case; quarantines a reply from a disabled login", async () => {
    const { id, replyTo } = await ticketWithReply();
    expect(await route(inbound({ from: "CAROL@ACME.EXAMPLE", to: [replyTo], text: "Upper case." }))).to.deep.equal({ kind: "reply", ticketId: id });
    await t.db("users").where({ username: "carol" }).update({ disabled_at: t.clock.now() });
    const before = await writeState(t);
    const routed = await route(inbound({ to: [replyTo], text: "Still there?" }));
    expect(routed.kind === "quarantine" && routed.reason).to.include("disabled");
    expect(await writeState(t)).to.deep.equal(before);
  });

  it("answers a reply to a closed ticket with the ticket-closed auto-reply (closed is final), posting nothing", async () => {
    const { id, replyTo } = await ticketWithReply();
    const page = `/desk/tickets/${id}`;
    await act(await as("alice"), `${page}/status`, { status: "closed" }, page);
    const before = await writeState(t);
    expect(await route(inbound({ to: [replyTo], text: "One more thing." }))).to.deep.include({ kind: "auto-reply", reply: "ticket-closed" });
    expect(await writeState(t)).to.deep.equal(before);
  });

  it("ignores a reply with nothing above the quoted history", async () => {
    const { replyTo } = await ticketWithReply();
    const before = await count(t, "ticket_events");
    expect((await route(inbound({ to: [replyTo], text: QUOTED.trim() }))).kind).to.equal("ignored");
    expect(await count(t, "ticket_events")).to.equal(before);
  });

  it("opens a general ticket for a mail from an active customer login's address, requester that login", async () => {
    const tickets = await count(t, "tickets");
    const routed = await route(inbound({ from: "dave@acme.example", subject: "  ", text: `The VPN drops every hour.${QUOTED}` }));
    expect(routed.kind).to.equal("ticket");
    const row = await ticketRow(t, (routed as { ticketId: number }).ticketId);
    expect(row).to.include({ type: "general", subject: "(no subject)" });
    expect(Number(row.requester_id)).to.equal(Number(((await t.db("users").where({ username: "dave" }).first("id")) as Row).id));
    const first = (await t.db("ticket_events").where({ ticket_id: row.id }).first()) as Row;
    expect(first.body).to.equal("The VPN drops every hour.");
    expect(await count(t, "tickets")).to.equal(tickets + 1);
  });

  describe("attachments of a mail (issue 17 item 6)", () => {
    const attachmentsOf = async (ticketId: number) => (await t.db("attachments").where({ ticket_id: ticketId }).orderBy("id").select("filename", "content_type", "internal", "event_id")) as Row[];

    it("keeps a reply's accepted files on its message, typed by content; one it does not take is left off and named under the message", async () => {
      const { id, replyTo } = await ticketWithReply();
      const routed = await route(inbound({
        to: [replyTo], subject: "Re: [#1] New reply", text: `Here is the invoice.${QUOTED}`,
        attachments: [
          { filename: "invoice.pdf", declaredType: "application/pdf", content: tinyPdf("Invoice") },
          { filename: "photo.pdf", declaredType: "application/pdf", content: tinyPng() },
          { filename: "setup.pdf", declaredType: "application/pdf", content: windowsExe() },
        ],
      }));
      expect(routed).to.deep.equal({ kind: "reply", ticketId: id });
      const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
      expect(reply.body).to.match(/^Here is the invoice\.\n\n\[Attachments not kept: setup\.pdf is not a type/);
      const files = await attachmentsOf(id);
      expect(files.map((f) => [f.filename, f.content_type, Boolean(f.internal), Number(f.event_id)])).to.deep.equal([
        ["invoice.pdf", "application/pdf", false, Number(reply.id)],
        ["photo.pdf", "image/png", false, Number(reply.id)],
      ]);
      const portal = await (await as("carol")).get(`/tickets/${id}`).expect(200);
      expect(portal.text).to.include("invoice.pdf").and.include("photo.pdf").and.not.include(">setup.pdf<");
    });

    it("opens a new ticket with the mail's files, and keeps at most five", async () => {
      const six = Array.from({ length: 6 }, (_, i) => ({ filename: `page-${i + 1}.png`, declaredType: "image/png", content: tinyPng() }));
      const routed = await route(inbound({ from: "dave@acme.example", subject: "Screenshots", text: "The VPN error, page by page.", attachments: six }));
      expect(routed.kind).to.equal("ticket");
      const ticketId = (routed as { ticketId: number }).ticketId;
      expect((await attachmentsOf(ticketId)).map((f) => f.filename)).to.deep.equal(["page-1.png", "page-2.png", "page-3.png", "page-4.png", "page-5.png"]);
      const first = (await t.db("ticket_events").where({ ticket_id: ticketId }).first()) as Row;
      expect(first.body).to.equal("The VPN error, page by page.\n\n[Attachments not kept: page-6.png: at most 5 files are kept from one mail.]");
    });
  });

  it("never opens a ticket or a reset for a mail asking for a password reset: the reset-by-mail auto-reply", async () => {
    const before = await writeState(t);
    const resets = await count(t, "reset_requests");
    for (const mail of [{ subject: "Password reset", text: "Please." }, { subject: "Help", text: "Paula forgot her password, can you reset my password?" }, { subject: "Locked out", text: "" }]) {
      expect(await route(inbound(mail))).to.deep.include({ kind: "auto-reply", reply: "reset-by-mail" });
    }
    expect(await writeState(t)).to.deep.equal(before);
    expect(await count(t, "reset_requests")).to.equal(resets);
  });

  it("answers an unknown sender, and an unknown reply token, with the unknown-sender auto-reply", async () => {
    const before = await writeState(t);
    expect(await route(inbound({ from: "stranger@example.com", subject: "Hello", text: "Who are you?" }))).to.deep.include({ kind: "auto-reply", reply: "unknown-sender" });
    expect(await route(inbound({ from: "stranger@example.com", to: [`reply+${"ab".repeat(32)}@${DOMAIN}`], text: "Guessing." }))).to.deep.include({ kind: "auto-reply", reply: "unknown-sender" });
    expect(await route(inbound({ from: null, text: "No From: at all." }))).to.deep.include({ kind: "auto-reply", reply: "unknown-sender" });
    expect(await writeState(t)).to.deep.equal(before);
  });

  it("gives a reset ticket's mail no Reply-To and makes it no reply token", async () => {
    const id = await openRequest(t);
    const page = `/desk/tickets/${id}`;
    await act(await as("alice"), `${page}/replies`, { body: "We are calling the primary." }, page);
    await t.deliverMail();
    const mails = await Promise.all(t.sink.received.map((_, i) => t.sink.parsed(i)));
    const ofTicket = mails.filter((m) => (m.subject ?? "").includes(`#${id}`));
    expect(ofTicket.length, "mails about the reset ticket").to.be.greaterThan(0);
    expect(ofTicket.filter((m) => m.replyTo !== undefined).map((m) => m.subject)).to.deep.equal([]);
    expect(await count(t, "reply_tokens")).to.equal(0);
  });
});

describe("ticket mail without INBOUND_DOMAIN", () => {
  const t = useTestApp();

  it("carries no Reply-To and makes no reply token", async () => {
    const as = browsers(t);
    const id = await openTicket(await as("carol"));
    const page = `/desk/tickets/${id}`;
    await act(await as("alice"), `${page}/replies`, { body: "Please try again now." }, page);
    const [mail] = await outboxTo(t, CAROL);
    expect(mail, "the reply mail").to.not.equal(undefined);
    expect((await simpleParser(mail!.message)).replyTo).to.equal(undefined);
    expect(await count(t, "reply_tokens")).to.equal(0);
  });
});
