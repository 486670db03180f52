import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { simpleParser, type AddressObject } from "mailparser";
import { hours, minutes } from "../../../src/shared/clock.js";
import { formatUtc } from "../../../src/shared/formatting.js";
import { MAX_ATTEMPTS, retryDelayMs } from "../../../src/platform/mail/delivery.js";
import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { enqueue, requeue } from "../../../src/platform/mail/outbox-store.js";
import { SmtpSink } from "../../support/smtp-sink.js";
import { startTestApp } from "../../support/test-app.js";
import { queueTestMessage } from "./outbox-helpers.js";
import { count, msOf } from "../../support/rows.js";
import { attemptRows, outboxRow } from "../../support/mail.js";
import { Cleanup } from "../../support/cleanup.js";

/** The bare addresses of a parsed To header. */
const addressesOf = (to: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(to) ? to : to ? [to] : []).flatMap((group) => group.value.map((a) => a.address));

/** Starts an SMTP sink and stops it again, leaving a closed port the app can be pointed at. */
async function closedSink(cleanup: Cleanup): Promise<{ sink: SmtpSink; port: number }> {
  const sink = await new SmtpSink().start();
  cleanup.add(() => sink.stop());
  const port = sink.port;
  await sink.stop();
  return { sink, port };
}

describe("mail outbox: delivery", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("delivers a queued mail through SMTP once, with the right envelope, headers, body and Message-ID, and records the attempt", async () => {
    const sink = await new SmtpSink().start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({}, sink);
    cleanup.add(() => t.close());
    const to = "helen.hughes@example.com";
    const composedAt = t.clock.now();

    const { id, mail } = await queueTestMessage(t, to);
    const queued = await outboxRow(t.db, id);
    expect(queued.status).to.equal("queued");
    expect(queued.message_id).to.equal(mail.messageId);
    expect(queued.message_id).to.match(/^<[0-9a-f]{32}@vouchdesk\.localhost>$/);

    await t.deliverMail();

    expect(sink.received).to.have.length(1);
    const received = sink.received[0]!;
    expect(received.to, "envelope recipient").to.deep.equal([to]);
    expect(received.from, "envelope sender").to.equal("no-reply@vouchdesk.localhost");
    const parsed = await sink.parsed(0);
    expect(addressesOf(parsed.to)).to.deep.equal([to]);
    expect(parsed.subject).to.equal("Vouchdesk test message");
    expect(parsed.messageId, "Message-ID header").to.equal(queued.message_id);
    expect(parsed.text).to.include("This is a test message from Vouchdesk.");
    expect(parsed.text).to.include(`It was requested by admin at ${formatUtc(composedAt)} and sent through the smtp transport.`);

    const sent = await outboxRow(t.db, id);
    expect(sent.status).to.equal("sent");
    expect(Number(sent.attempts)).to.equal(1);
    expect(msOf(sent.sent_at)).to.equal(t.clock.now().getTime());
    expect(sent.next_attempt_at).to.equal(null);
    expect(sent.locked_by).to.equal(null);
    expect(sent.locked_until).to.equal(null);
    expect(sent.last_error).to.equal(null);
    expect(sent.message_id, "Message-ID is stable from enqueue to delivery").to.equal(mail.messageId);

    const attempts = await attemptRows(t.db, id);
    expect(attempts).to.have.length(1);
    expect(Number(attempts[0]!.attempt)).to.equal(1);
    expect(attempts[0]!.outcome).to.equal("sent");
    // smtp-server accepts DATA with "250 OK: message queued".
    expect(attempts[0]!.detail).to.include("250");
    expect(attempts[0]!.detail).to.include("OK");

    await t.deliverMail();
    expect(sink.received, "a second run sends nothing more").to.have.length(1);
  });

  it("writes the message to <mailDir>/<id>.eml with the file transport, atomically and readable only by the desk", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const to = "file.reader@example.org";
    const { id } = await queueTestMessage(t, to);

    await t.deliverMail();

    expect(readdirSync(t.mailDir), "one .eml file and no leftover .tmp file").to.deep.equal([`${id}.eml`]);
    const file = path.join(t.mailDir, `${id}.eml`);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const row = await outboxRow(t.db, id);
    expect(readFileSync(file, "utf8"), "the file holds the stored message as is").to.equal(row.message);
    const parsed = await simpleParser(readFileSync(file));
    expect(parsed.subject).to.equal("Vouchdesk test message");
    expect(addressesOf(parsed.to)).to.deep.equal([to]);
    expect(parsed.messageId).to.equal(row.message_id);
    expect(parsed.text).to.include("sent through the file transport.");

    expect(row.status).to.equal("sent");
    expect(Number(row.attempts)).to.equal(1);
    const attempts = await attemptRows(t.db, id);
    expect(attempts.map((a) => a.outcome)).to.deep.equal(["sent"]);
    expect(attempts[0]!.detail).to.equal(`written to ${file}`);
  });

  it("keeps no mail from a transaction that rolled back, while a committed one is delivered", async () => {
    const sink = await new SmtpSink().start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({}, sink);
    cleanup.add(() => t.close());

    const doomed = await testMessageMail(t.mailer, t.clock, "rolled.back@example.com", "admin");
    let caught: unknown;
    try {
      await t.db.transaction(async (trx) => {
        await enqueue(trx, doomed, t.clock.now());
        throw new Error("the change that caused the mail failed");
      });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error | undefined)?.message).to.equal("the change that caused the mail failed");
    expect(await count(t.db, "outbox")).to.equal(0);

    await t.deliverMail();
    expect(sink.received).to.have.length(0);

    // The same path with a commit does deliver: the empty sink above is not for want of a working worker.
    await queueTestMessage(t, "committed@example.com");
    await t.deliverMail();
    expect(sink.received.map((m) => m.to)).to.deep.equal([["committed@example.com"]]);
  });

  it("marks a mail failed when the SMTP server is down, waits about a minute, and delivers it once the server is back", async () => {
    const { sink, port } = await closedSink(cleanup);
    const t = await startTestApp({}, sink);
    cleanup.add(() => t.close());
    const { id } = await queueTestMessage(t, "patient.customer@example.com");

    await t.deliverMail();

    const failed = await outboxRow(t.db, id);
    expect(failed.status).to.equal("failed");
    expect(Number(failed.attempts)).to.equal(1);
    expect(failed.last_error).to.include("ECONNREFUSED");
    expect(failed.locked_by).to.equal(null);
    const now = t.clock.now().getTime();
    const nextAttemptAt = msOf(failed.next_attempt_at)!;
    expect(nextAttemptAt - now, "first retry 1 min ±20%").to.be.within(48_000, 72_000);
    const firstAttempts = await attemptRows(t.db, id);
    expect(firstAttempts.map((a) => a.outcome)).to.deep.equal(["failed"]);
    expect(firstAttempts[0]!.detail).to.include("ECONNREFUSED");

    // Not due yet: no new attempt is made, let alone counted.
    await t.deliverMail();
    expect(Number((await outboxRow(t.db, id)).attempts)).to.equal(1);
    expect(await attemptRows(t.db, id)).to.have.length(1);

    // The server is back on the same port, but the retry is still a second away.
    await sink.start(port);
    expect(sink.port).to.equal(port);
    t.clock.advance(nextAttemptAt - now - 1000);
    await t.deliverMail();
    expect(sink.received, "nothing before next_attempt_at").to.have.length(0);
    expect((await outboxRow(t.db, id)).status).to.equal("failed");

    t.clock.advance(2000);
    await t.deliverMail();
    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.to).to.deep.equal(["patient.customer@example.com"]);
    const sent = await outboxRow(t.db, id);
    expect(sent.status).to.equal("sent");
    expect(Number(sent.attempts)).to.equal(2);
    expect(sent.last_error).to.equal(null);
    expect(sent.next_attempt_at).to.equal(null);
    expect((await attemptRows(t.db, id)).map((a) => [Number(a.attempt), a.outcome])).to.deep.equal([
      [1, "failed"],
      [2, "sent"],
    ]);

    await t.deliverMail();
    expect(sink.received, "delivered exactly once").to.have.length(1);
  });

  it(`gives up after ${MAX_ATTEMPTS} failures (dead), and a requeued mail is delivered with its history kept`, async () => {
    const { sink, port } = await closedSink(cleanup);
    const t = await startTestApp({}, sink);
    cleanup.add(() => t.close());
    const { id } = await queueTestMessage(t, "unlucky@example.com");

    for (let failure = 1; failure <= 8; failure += 1) {
      await t.deliverMail();
      const row = await outboxRow(t.db, id);
      expect(Number(row.attempts), `attempts after failure ${failure}`).to.equal(failure);
      if (failure < 8) {
        expect(row.status, `status after failure ${failure}`).to.equal("failed");
        const base = minutes(Math.min(2 ** (failure - 1), 60));
        const delay = msOf(row.next_attempt_at)! - t.clock.now().getTime();
        expect(delay, `wait after failure ${failure}`).to.be.within(0.8 * base, 1.2 * base);
      }
      t.clock.advance(hours(2));
    }

    const dead = await outboxRow(t.db, id);
    expect(dead.status).to.equal("dead");
    expect(Number(dead.attempts)).to.equal(8);
    expect(dead.next_attempt_at).to.equal(null);
    expect(dead.last_error).to.include("ECONNREFUSED");
    const history = await attemptRows(t.db, id);
    expect(history.map((a) => a.outcome)).to.deep.equal(Array(8).fill("failed"));
    expect(history.map((a) => Number(a.attempt))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);

    // A dead mail waits for an admin, however long.
    await t.deliverMail();
    expect(await attemptRows(t.db, id)).to.have.length(8);
    expect((await outboxRow(t.db, id)).status).to.equal("dead");

    const requeuedAt = t.clock.now();
    expect(await t.db.transaction((trx) => requeue(trx, id, requeuedAt))).to.equal(true);
    const queued = await outboxRow(t.db, id);
    expect(queued.status).to.equal("queued");
    expect(Number(queued.attempts)).to.equal(0);
    expect(queued.last_error).to.equal(null);
    expect(msOf(queued.next_attempt_at)).to.equal(requeuedAt.getTime());

    await sink.start(port);
    await t.deliverMail();
    expect(sink.received).to.have.length(1);
    const sent = await outboxRow(t.db, id);
    expect(sent.status).to.equal("sent");
    expect(Number(sent.attempts)).to.equal(1);
    const all = await attemptRows(t.db, id);
    expect(all, "the eight failures stay in the history").to.have.length(9);
    expect([Number(all[8]!.attempt), all[8]!.outcome]).to.deep.equal([1, "sent"]);

    expect(await t.db.transaction((trx) => requeue(trx, id, t.clock.now())), "a sent mail cannot be requeued").to.equal(false);
    expect((await outboxRow(t.db, id)).status).to.equal("sent");
  });

  it("records the SMTP server's own words when it refuses the desk's credentials, and never logs the password", async () => {
    const password = "S3cret-Smtp-Pass!";
    const sink = await new SmtpSink({ refuseAuthWith: "Authentication credentials invalid" }).start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({ SMTP_USER: "desk", SMTP_PASS: password }, sink);
    cleanup.add(() => t.close());
    const { id } = await queueTestMessage(t, "never.arrives@example.com");

    await t.deliverMail();

    expect(sink.received).to.have.length(0);
    const row = await outboxRow(t.db, id);
    expect(row.status).to.equal("failed");
    expect(Number(row.attempts)).to.equal(1);
    expect(row.last_error).to.include("Authentication credentials invalid");
    expect(row.last_error).to.include("535");
    expect(row.next_attempt_at, "a refused sign-in is the desk's setup, not this mail: it is retried").to.not.equal(null);
    const attempts = await attemptRows(t.db, id);
    expect(attempts).to.have.length(1);
    expect(attempts[0]!.outcome).to.equal("failed");
    expect(attempts[0]!.detail).to.include("Authentication credentials invalid");

    expect(t.logs(), "the failure is logged").to.include("Authentication credentials invalid");
    expect(t.logs()).to.not.include(password);
    expect(await t.leaks(password), "the password is neither logged nor stored").to.equal(false);
  });
});

describe("mail outbox: back-off schedule (retryDelayMs)", () => {
  const baseMinutes = [1, 2, 4, 8, 16, 32, 60, 60];

  it("waits 1, 2, 4, 8, 16, 32, 60, 60 minutes after failures 1 to 8 when the jitter is centred", () => {
    expect(baseMinutes.map((_, i) => retryDelayMs(i + 1, () => 0.5))).to.deep.equal(baseMinutes.map(minutes));
  });

  it("waits 80% of that with the lowest jitter and 120% with the highest", () => {
    expect(baseMinutes.map((_, i) => retryDelayMs(i + 1, () => 0))).to.deep.equal(baseMinutes.map((m) => 0.8 * minutes(m)));
    expect(baseMinutes.map((_, i) => retryDelayMs(i + 1, () => 1 - Number.EPSILON))).to.deep.equal(
      baseMinutes.map((m) => Math.round(1.2 * minutes(m))),
    );
  });

  it("never waits more than an hour and 20% however many failures there were", () => {
    expect(retryDelayMs(30, () => 0.5)).to.equal(hours(1));
    expect(retryDelayMs(30, () => 1 - Number.EPSILON)).to.equal(hours(1.2));
  });

  it("spreads retries with real randomness within ±20%", () => {
    const delays = Array.from({ length: 200 }, () => retryDelayMs(3));
    for (const d of delays) expect(d).to.be.within(0.8 * minutes(4), 1.2 * minutes(4));
    expect(new Set(delays).size, "mails that failed together do not retry together").to.be.greaterThan(100);
  });
});
