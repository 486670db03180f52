/**
 * IMAP fetching (issue 17) against a real Dovecot started by the test: a round stores what the mailbox
 * holds and only then flags it, a second round takes nothing, a copy is stored once, a wrong password
 * fails loudly without the password, and a fetched reply is routed onto its ticket by the pipeline.
 * Each test has a mailbox of its own on the one server, named in IMAP_URL's path.
 */
import { expect } from "chai";
import { ImapFlow } from "imapflow";
import { deskTasks } from "../../../../src/main/jobs.js";
import { imapFetchTask } from "../../../../src/main/inbound.js";
import { storeReceived } from "../../../../src/platform/mail/inbound/inbound-store.js";
import { fetchImapRound, imapMailboxOf, STORED_KEYWORD } from "../../../../src/platform/mail/inbound/imap-fetcher.js";
import { Scheduler } from "../../../../src/platform/tasks/scheduler.js";
import { createLogger, type Logger } from "../../../../src/shared/logger.js";
import { processWithFixedDns, replyAddressOf } from "../../../tickets/helpers.js";
import { Cleanup } from "../../../support/cleanup.js";
import { KEYWORDLESS, READ_ONLY, startDovecot, type Dovecot } from "../../../support/dovecot.js";
import type { Row } from "../../../support/rows.js";
import { useTestApp } from "../../../support/use-test-app.js";
import { composeRaw, dkim, inboundTestBed, SENDER_DOMAIN, type InboundTestBed } from "./helpers.js";

let dovecot: Dovecot;
let mailboxes = 0;

/** A fresh mailbox on the server, and its IMAP_URL. */
async function newMailbox(prefix = "Test"): Promise<{ name: string; url: string }> {
  const name = `${prefix}${++mailboxes}`;
  await asOwner((client) => client.mailboxCreate(name));
  return { name, url: dovecot.url({ mailbox: name }) };
}

/** Runs `work` as the mailbox's owner in a mail client of its own (not the fetcher's code). */
async function asOwner<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: "127.0.0.1", port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout();
  }
}

const append = (mailbox: string, raw: Buffer) => asOwner((client) => client.append(mailbox, raw));

/** The stored flags of each message in the mailbox, in UID order (not \Recent, which only says which session saw it first). */
const flagsIn = (mailbox: string) =>
  asOwner(async (client) => {
    const lock = await client.getMailboxLock(mailbox);
    try {
      return (await client.fetchAll("1:*", { flags: true })).map((m) => [...(m.flags ?? [])].filter((flag) => flag !== "\\Recent").sort());
    } finally {
      lock.release();
    }
  });

const message = (n: number, messageId = `<imap-${n}@${SENDER_DOMAIN}>`) => composeRaw({ subject: `Question ${n}`, text: `Question number ${n}.`, messageId });
const TAKEN = [STORED_KEYWORD, "\\Seen"].sort();

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(() => null, (err: unknown) => err);
  expect(error, "the round should have failed").to.be.instanceOf(Error);
  expect((error as Error).message).to.match(message);
}

function capturingLogger(): { logger: Logger; lines: () => string } {
  const lines: string[] = [];
  return { logger: createLogger("info", { write: (line: string) => void lines.push(line) }), lines: () => lines.join("") };
}

describe("IMAP fetching from a real Dovecot (issue 17)", function () {
  this.timeout(60_000);
  before(async () => {
    dovecot = await startDovecot();
  });
  after(async () => dovecot?.stop());

  describe("a fetch round", () => {
    const cleanup = new Cleanup();
    let bed: InboundTestBed;
    beforeEach(async () => {
      bed = await inboundTestBed(cleanup);
    });
    afterEach(() => cleanup.run());
    /** The receiver's limit (25 MB); one test lowers it. */
    const deps = (maxMessageBytes = 25 * 1024 * 1024) => ({ db: bed.db, clock: bed.clock, logger: createLogger("silent"), maxMessageBytes });
    const rows = async () => (await bed.db("inbound_messages").orderBy("id")) as Row[];

    it("reads user, password and mailbox from IMAP_URL, percent-decoded, with the default ports and INBOX", () => {
      expect(imapMailboxOf(dovecot.url({ mailbox: "Support/Mail in" }))).to.deep.equal({ host: "127.0.0.1", port: dovecot.port, secure: false, user: dovecot.user, password: dovecot.password, mailbox: "Support/Mail in" });
      expect(imapMailboxOf("imaps://desk:secret@mail.example.test")).to.include({ port: 993, secure: true, mailbox: "INBOX" });
      expect(imapMailboxOf("imap://desk:secret@mail.example.test/")).to.include({ port: 143, secure: false, mailbox: "INBOX" });
    });

    it("stores both messages of the mailbox as received by IMAP, then flags them taken; nothing is deleted", async () => {
      const box = await newMailbox();
      const raws = [await message(1), await message(2)];
      for (const raw of raws) await append(box.name, raw);
      expect(await flagsIn(box.name)).to.deep.equal([[], []]);

      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 2, duplicates: 0, tooLarge: 0 });
      const stored = await rows();
      expect(stored.map((r) => [r.via, r.status, r.dedup_key, JSON.parse(r.envelope_to as string) as string[]])).to.deep.equal([
        ["imap", "received", `imap-1@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`, [dovecot.user]],
        ["imap", "received", `imap-2@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`, [dovecot.user]],
      ]);
      expect(stored.map((r) => Buffer.from(r.raw as Buffer).equals(raws[stored.indexOf(r)]!))).to.deep.equal([true, true]);
      expect(await flagsIn(box.name)).to.deep.equal([TAKEN, TAKEN]);
    });

    it("a second round finds nothing new and stores nothing", async () => {
      const box = await newMailbox();
      await append(box.name, await message(1));
      await append(box.name, await message(2));
      await fetchImapRound(deps(), imapMailboxOf(box.url));
      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 0, duplicates: 0, tooLarge: 0 });
      expect((await rows()).length).to.equal(2);
    });

    it("takes a message read in a mail client before the round: \\Seen is not what decides", async () => {
      const box = await newMailbox();
      await asOwner((client) => message(3).then((raw) => client.append(box.name, raw, ["\\Seen"])));
      expect(await flagsIn(box.name)).to.deep.equal([["\\Seen"]]);
      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 1, duplicates: 0, tooLarge: 0 });
      expect((await rows()).map((r) => r.dedup_key)).to.deep.equal([`imap-3@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`]);
      expect(await flagsIn(box.name)).to.deep.equal([TAKEN]);
    });

    it("a mailbox that keeps no keywords is read by UNSEEN instead and marked \\Seen, with a warning", async () => {
      const box = await newMailbox(KEYWORDLESS);
      await append(box.name, await message(1));
      const { logger, lines } = capturingLogger();
      expect(await fetchImapRound({ ...deps(), logger }, imapMailboxOf(box.url))).to.deep.equal({ stored: 1, duplicates: 0, tooLarge: 0 });
      expect(await flagsIn(box.name)).to.deep.equal([["\\Seen"]]);
      expect(lines()).to.include(`does not keep the keyword ${STORED_KEYWORD}`);
      await append(box.name, await message(2));
      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 1, duplicates: 0, tooLarge: 0 });
      expect((await rows()).map((r) => r.dedup_key)).to.deep.equal([`imap-1@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`, `imap-2@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`]);
    });

    it("a message larger than the desk takes is not downloaded or stored: flagged taken, left unread, named in a warning; the others are stored", async () => {
      const box = await newMailbox();
      const small = await message(1);
      const large = Buffer.concat([await message(2), Buffer.from(`${"x".repeat(76)}\r\n`.repeat(200))]);
      await append(box.name, small);
      await append(box.name, large);
      const { logger, lines } = capturingLogger();
      const limit = small.length + 1000;
      expect(await fetchImapRound({ ...deps(limit), logger }, imapMailboxOf(box.url))).to.deep.equal({ stored: 1, duplicates: 0, tooLarge: 1 });
      expect((await rows()).map((r) => r.dedup_key)).to.deep.equal([`imap-1@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`]);
      expect(await flagsIn(box.name)).to.deep.equal([TAKEN, [STORED_KEYWORD]]);
      expect(lines()).to.include("larger than the desk takes").and.include(`"bytes":${large.length}`).and.include(`"limit":${limit}`);
      // Not fetched again by the next round.
      expect(await fetchImapRound(deps(limit), imapMailboxOf(box.url))).to.deep.equal({ stored: 0, duplicates: 0, tooLarge: 0 });
    });

    it("a copy with the same Message-ID appended again is stored once, and flagged too", async () => {
      const box = await newMailbox();
      await append(box.name, await message(1));
      await fetchImapRound(deps(), imapMailboxOf(box.url));
      await append(box.name, await composeRaw({ subject: "Question 1 (resent)", text: "Question number 1, again.", messageId: `<imap-1@${SENDER_DOMAIN}>` }));
      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 0, duplicates: 1, tooLarge: 0 });
      const stored = await rows();
      expect(stored.length).to.equal(1);
      expect(String(Buffer.from(stored[0]!.raw as Buffer))).to.include("Question 1").and.not.include("resent");
      expect(await flagsIn(box.name)).to.deep.equal([TAKEN, TAKEN]);
    });

    it("a message stored by a round that died before flagging it is taken again by the next round, and stored once", async () => {
      // What a round killed between storeReceived and the flag leaves: the row committed, the message unflagged.
      const box = await newMailbox();
      const raw = await message(1);
      await append(box.name, raw);
      await storeReceived(bed.db, raw, { via: "imap", envelopeFrom: null, envelopeTo: [], remoteIp: null, helo: null }, bed.clock.now());
      expect(await flagsIn(box.name)).to.deep.equal([[]]);

      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 0, duplicates: 1, tooLarge: 0 });
      expect((await rows()).length).to.equal(1);
      expect(await flagsIn(box.name)).to.deep.equal([TAKEN]);
    });

    it("messages the round stored but could not flag (a read-only mailbox) fail the round, all stored once, and the next round stores them no second time", async () => {
      const box = await newMailbox(READ_ONLY);
      await append(box.name, await message(1));
      await append(box.name, await message(2));
      const round = () => fetchImapRound(deps(), imapMailboxOf(box.url));
      await expectRejection(round(), /2 messages were stored but could not be flagged as taken/);
      expect((await rows()).map((r) => r.dedup_key)).to.deep.equal([`imap-1@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`, `imap-2@${SENDER_DOMAIN} ann@${SENDER_DOMAIN}`]);
      expect(await flagsIn(box.name)).to.deep.equal([[], []]);
      await expectRejection(round(), /2 messages were stored but could not be flagged/);
      expect((await rows()).length).to.equal(2);
    });

    it("with a wrong password the task fails, logs why without the password, stores and flags nothing; the next round with the right one takes the mail", async () => {
      const box = await newMailbox();
      await append(box.name, await message(1));
      const wrong = "Wrong pass/word%1";
      const { logger, lines } = capturingLogger();
      const source = { url: dovecot.url({ mailbox: box.name, password: wrong }), pollMs: 60_000 };
      const scheduler = new Scheduler(bed.db, bed.clock, logger, [imapFetchTask({ ...deps(), logger, attachmentMaxBytes: 10 * 1024 * 1024 }, source)], { owner: "test-worker", leaseMs: 60_000 });
      await scheduler.register();

      const outcome = await scheduler.run("fetch-imap-mail");
      expect(outcome).to.deep.include({ ran: true, status: "failed" });
      expect(outcome.ran && outcome.result).to.match(/^IMAP fetch from 127\.0\.0\.1:\d+\/Test\d+ failed: .*Authentication failed/);
      expect(lines()).to.include("IMAP fetch failed: the next round tries again").and.include("Authentication failed");
      for (const secret of [wrong, encodeURIComponent(wrong), dovecot.password, encodeURIComponent(dovecot.password)]) expect(lines()).to.not.include(secret);
      const [state] = await scheduler.states();
      expect(state!.lastError ?? state!.lastResult).to.not.include(wrong);
      expect((await rows()).length).to.equal(0);
      expect(await flagsIn(box.name)).to.deep.equal([[]]);

      expect(await fetchImapRound(deps(), imapMailboxOf(box.url))).to.deep.equal({ stored: 1, duplicates: 0, tooLarge: 0 });
    });

    it("a mailbox that does not exist fails the round with the server's reason, and stores nothing", async () => {
      await expectRejection(fetchImapRound(deps(), imapMailboxOf(dovecot.url({ mailbox: "No such box" }))), /\/No such box failed: .*Mailbox doesn't exist/);
      expect((await rows()).length).to.equal(0);
    });
  });

  describe("with the desk's tasks", () => {
    const DOMAIN = "in.vouchdesk.example";
    const CAROL = `carol@${SENDER_DOMAIN}`;
    const t = useTestApp({ env: { INBOUND_DOMAIN: DOMAIN }, smtp: true });

    it("fetch-imap-mail exists only with IMAP_URL, runs in one process under its lease, and the pipeline routes the fetched reply onto its ticket", async () => {
      await t.db("users").where({ username: "carol" }).update({ email: CAROL });
      const { id, replyTo } = await replyAddressOf(t, CAROL, DOMAIN);
      const box = await newMailbox();
      await append(box.name, await composeRaw({ from: `Carol Jones <${CAROL}>`, to: replyTo, subject: `Re: [#${id}] New reply`, text: "Fetched by IMAP, thank you.", dkim, messageId: "<imap-reply-1@customer.test>" }));

      expect(t.scheduler.has("fetch-imap-mail")).to.equal(false);
      const deps = { db: t.db, clock: t.clock, logger: createLogger("silent"), transport: t.mailer.transport, deskKey: t.mailer.deskKey, from: t.config.mail.from, workerId: "imap-worker", leaseMs: t.config.leases.mailMs, auditAnchorFile: t.auditAnchorFile, approvalPolicy: { twoPerson: true, keylessDelivery: true }, attachmentMaxBytes: t.config.attachmentMaxBytes };
      const tasks = deskTasks({ ...deps, imap: { url: box.url, pollMs: 30_000 } }, t.mailer);
      const scheduler = new Scheduler(t.db, t.clock, createLogger("silent"), tasks, { owner: "imap-worker", leaseMs: t.config.leases.taskMs });
      const fetchTask = tasks.find((task) => task.name === "fetch-imap-mail")!;
      expect(fetchTask).to.include({ everyMs: 30_000 });
      expect(fetchTask.everyWorker ?? false).to.equal(false);
      expect(fetchTask.description).to.include(box.name).and.not.include(dovecot.password);

      await scheduler.register();
      expect(await scheduler.run("fetch-imap-mail")).to.deep.equal({ ran: true, status: "done", result: "1 mails fetched, 0 already stored" });
      expect(await processWithFixedDns(t, DOMAIN)).to.equal(1);
      const stored = (await t.db("inbound_messages").first()) as Row;
      expect([stored.via, stored.status, Number(stored.ticket_id)], String(stored.outcome)).to.deep.equal(["imap", "routed", id]);
      const reply = (await t.db("ticket_events").where({ ticket_id: id, kind: "reply" }).orderBy("id", "desc").first()) as Row;
      expect(reply.body).to.equal("Fetched by IMAP, thank you.");
    });
  });
});
