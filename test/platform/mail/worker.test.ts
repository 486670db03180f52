import { expect } from "chai";
import { createServer, type AddressInfo } from "node:net";
import { minutes, seconds } from "../../../src/shared/clock.js";
import { openDatabase } from "../../../src/shared/db.js";
import { createLogger } from "../../../src/shared/logger.js";
import { deliverDue, type DeliveryDeps } from "../../../src/platform/mail/delivery.js";
import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { claimDue, enqueue, recordAttempt, renewLease } from "../../../src/platform/mail/outbox-store.js";
import { smtpTransport, type MailTransport } from "../../../src/platform/mail/transports.js";
import { DELIVERY_RUN_BUDGET_MS, deskTasks } from "../../../src/main/jobs.js";
import { Scheduler, type TaskDefinition } from "../../../src/platform/tasks/scheduler.js";
import { SmtpSink } from "../../support/smtp-sink.js";
import { startTestApp, type TestApp } from "../../support/test-app.js";
import { waitFor } from "../../support/wait.js";
import { appWithSink, queueTestMessage } from "./outbox-helpers.js";
import { count, msOf } from "../../support/rows.js";
import { attemptRows, outboxRow, type OutboxRow } from "../../support/mail.js";
import { Cleanup } from "../../support/cleanup.js";

const silent = createLogger("silent");

interface TaskRow {
  name: string;
  status: string;
  last_started_at: unknown;
  last_finished_at: unknown;
  last_error: string | null;
  last_result: string | null;
  next_run_at: unknown;
  lease_owner: string | null;
  lease_expires_at: unknown;
}

const taskRow = async (t: TestApp, name: string) => (await t.db("tasks").where({ name }).first()) as TaskRow;

/** A pooled SMTP transport to the sink of its own, closed after the test. */
function ownTransport(cleanup: Cleanup, sink: SmtpSink): MailTransport {
  const transport = smtpTransport({ host: "127.0.0.1", port: sink.port, secure: false });
  cleanup.add(() => transport.close());
  return transport;
}

const workerDeps = (t: TestApp, transport: MailTransport, workerId: string, db = t.db): DeliveryDeps => ({
  db,
  clock: t.clock,
  transport,
  deskKey: t.mailer.deskKey,
  from: t.config.mail.from,
  logger: silent,
  workerId,
  leaseMs: t.config.leases.mailMs,
  // Leases run on the test's clock, the send timeout on the real one: the gated sends here wait for real heartbeats.
  sendTimeoutMs: minutes(1),
});

const messageIdsOf = async (sink: SmtpSink) => Promise.all(sink.received.map(async (_, i) => (await sink.parsed(i)).messageId));

describe("mail worker: leases", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("leaves a mail claimed by a worker that died alone until its lease runs out, then delivers it once", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const { id } = await queueTestMessage(t, "leased@example.com");
    const claimedAt = t.clock.now();
    const leaseMs = t.config.leases.mailMs;

    const claimed = await claimDue(t.db, "dead-worker", claimedAt, new Date(claimedAt.getTime() + leaseMs), 10);
    expect(claimed.map((m) => m.id)).to.deep.equal([id]);
    const leased = await outboxRow(t.db, id);
    expect(leased.status).to.equal("sending");
    expect(leased.locked_by).to.equal("dead-worker");
    expect(msOf(leased.locked_until)).to.equal(claimedAt.getTime() + leaseMs);

    await t.deliverMail();
    expect(sink.received, "still leased").to.have.length(0);
    t.clock.advance(leaseMs - seconds(1));
    await t.deliverMail();
    expect(sink.received, "a second before the lease runs out").to.have.length(0);
    const stillLeased = await outboxRow(t.db, id);
    expect([stillLeased.status, stillLeased.locked_by, Number(stillLeased.attempts)]).to.deep.equal(["sending", "dead-worker", 0]);

    t.clock.advance(seconds(2));
    await t.deliverMail();
    expect(sink.received).to.have.length(1);
    const sent = await outboxRow(t.db, id);
    expect(sent.status).to.equal("sent");
    expect(Number(sent.attempts)).to.equal(1);
    expect(sent.locked_by).to.equal(null);
    const attempts = await attemptRows(t.db, id);
    expect(attempts).to.have.length(1);
    expect(attempts[0]!.worker).to.not.equal("dead-worker");

    // The dead worker coming back late cannot record anything over the mail it lost.
    const late = t.clock.now();
    const recorded = await recordAttempt(
      t.db,
      claimed[0]!,
      { attempt: 1, worker: "dead-worker", startedAt: claimedAt, finishedAt: late, outcome: "failed", detail: "too late" },
      { status: "failed", nextAttemptAt: late, lastError: "too late" },
    );
    expect(recorded).to.equal(false);
    expect((await outboxRow(t.db, id)).status).to.equal("sent");
    expect(await attemptRows(t.db, id)).to.have.length(1);
    await t.deliverMail();
    expect(sink.received).to.have.length(1);
  });

  // Reveals a bug in src/platform/mail/delivery.ts: deliverDue sends every mail of its batch without
  // checking that its lease on that mail still holds, so a mail another worker took over
  // after the lease ran out is sent twice.
  it("does not send a mail whose lease ran out while the worker was busy with the rest of its batch", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const first = await queueTestMessage(t, "first.in.batch@example.com");
    const second = await queueTestMessage(t, "second.in.batch@example.com");
    const smtp = ownTransport(cleanup, sink);
    const leaseMs = t.config.leases.mailMs;
    // Real SMTP delivery for worker A; the clock shows the server took longer than a lease over
    // the first mail, and worker B runs whenever A is about to hand the second one to the server.
    const slowServer: MailTransport = {
      name: "smtp",
      async send(message) {
        if (message.id === second.id) await deliverDue(workerDeps(t, smtp, "B"));
        const answer = await smtp.send(message);
        if (message.id === first.id) t.clock.advance(leaseMs + seconds(1));
        return answer;
      },
      verify: () => smtp.verify(),
      close: () => smtp.close(),
    };

    await deliverDue(workerDeps(t, slowServer, "A"), undefined, 20);
    // Whatever A handed back or left is B's to send now.
    await deliverDue(workerDeps(t, smtp, "B"));

    const ids = await messageIdsOf(sink);
    expect(ids.filter((m) => m === first.mail.messageId), "copies of the first mail").to.have.length(1);
    expect(ids.filter((m) => m === second.mail.messageId), "copies of the second mail").to.have.length(1);
    expect((await outboxRow(t.db, first.id)).status).to.equal("sent");
    expect((await outboxRow(t.db, second.id)).status).to.equal("sent");
  });
});

describe("mail worker: no copies behind the desk's back", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("does not let the SMTP client resend a mail on its own when the server drops the connection before answering: one copy, a failed attempt to retry", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const { id, mail } = await queueTestMessage(t, "dropped.answer@example.com");
    sink.dropNextAnswers = 1;

    await t.deliverMail();

    expect(await messageIdsOf(sink), "the server kept one copy").to.deep.equal([mail.messageId]);
    const row = await outboxRow(t.db, id);
    expect([row.status, Number(row.attempts)]).to.deep.equal(["failed", 1]);
    expect((await attemptRows(t.db, id)).map((a) => a.outcome)).to.deep.equal(["failed"]);
  });

  it("makes one connection per attempt to a server that hangs up before its greeting: the desk's back-off, not the SMTP client, decides when to try again", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    let connections = 0;
    const hangsUp = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => hangsUp.listen(0, "127.0.0.1", resolve));
    cleanup.add(() => new Promise((resolve) => hangsUp.close(resolve)));
    const { id } = await queueTestMessage(t, "hung.up@example.com");
    const smtp = smtpTransport({ host: "127.0.0.1", port: (hangsUp.address() as AddressInfo).port, secure: false });
    cleanup.add(() => smtp.close());

    const run = await deliverDue(workerDeps(t, smtp, "A"));

    expect(run).to.deep.equal({ sent: 0, failed: 1, dead: 0 });
    expect(connections).to.equal(1);
    const row = await outboxRow(t.db, id);
    expect([row.status, Number(row.attempts)]).to.deep.equal(["failed", 1]);
    expect(row.last_error).to.match(/^ECONNECTION: /);
  });
});

describe("mail worker: interrupted attempts and heartbeats", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** Worker "dead-worker" claims the mail and hands it to the server, then its process ends. */
  async function handedOverByDeadWorker(t: TestApp, id: number): Promise<Date> {
    const handedAt = t.clock.now();
    const until = new Date(handedAt.getTime() + t.config.leases.mailMs);
    expect((await claimDue(t.db, "dead-worker", handedAt, until, 10)).map((m) => m.id)).to.deep.equal([id]);
    expect(await renewLease(t.db, "dead-worker", id, handedAt, until)).to.equal(true);
    return handedAt;
  }

  it("records the attempt of a worker that died after handing a mail to the server as interrupted, logs it, and sends the mail again with the same Message-ID", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const { id, mail } = await queueTestMessage(t, "in.doubt@example.com");
    const handedAt = await handedOverByDeadWorker(t, id);

    await t.deliverMail();
    expect(sink.received, "while the lease runs").to.have.length(0);
    expect(await attemptRows(t.db, id)).to.have.length(0);
    expect((await outboxRow(t.db, id)).locked_by).to.equal("dead-worker");

    t.clock.advance(t.config.leases.mailMs + seconds(1));
    await t.deliverMail();

    expect(sink.received).to.have.length(1);
    expect((await sink.parsed(0)).messageId).to.equal(mail.messageId);
    const attempts = await attemptRows(t.db, id);
    expect(attempts.map((a) => [Number(a.attempt), a.outcome])).to.deep.equal([
      [1, "interrupted"],
      [2, "sent"],
    ]);
    expect(attempts[0]!.worker).to.equal("dead-worker");
    expect(attempts[0]!.detail).to.include(handedAt.toISOString()).and.include("the server may have accepted it").and.include("same Message-ID");
    expect(attempts[1]!.worker).to.not.equal("dead-worker");
    const row = await outboxRow(t.db, id);
    expect([row.status, Number(row.attempts), row.locked_by]).to.deep.equal(["sent", 2, null]);
    const warning = t.logs().split("\n").find((line) => line.includes("mail attempt interrupted"));
    expect(warning, "a log line before the resend").to.be.a("string");
    expect(warning).to.include(JSON.stringify(mail.messageId)).and.include("dead-worker");
  });

  it("makes a mail dead, not sent again, when its last allowed attempt was interrupted", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const { id } = await queueTestMessage(t, "poison@example.com");
    await t.db("outbox").where({ id }).update({ attempts: 7 });
    await handedOverByDeadWorker(t, id);

    t.clock.advance(t.config.leases.mailMs + seconds(1));
    await t.deliverMail();

    expect(sink.received).to.have.length(0);
    const row = await outboxRow(t.db, id);
    expect([row.status, Number(row.attempts), row.next_attempt_at]).to.deep.equal(["dead", 8, null]);
    expect(row.last_error).to.include("no more retries");
    expect((await attemptRows(t.db, id)).map((a) => a.outcome)).to.deep.equal(["interrupted"]);
  });

  it("keeps the leases of its whole batch alive with a heartbeat while a send takes long, so another worker takes none of it", async () => {
    const sink = await new SmtpSink().start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({ MAIL_LEASE_SECONDS: "2" }, sink);
    cleanup.add(() => t.close());
    const first = await queueTestMessage(t, "slow.first@example.com");
    const second = await queueTestMessage(t, "slow.second@example.com");
    const smtp = ownTransport(cleanup, sink);
    const leaseMs = t.config.leases.mailMs;
    const leasesUntil = async () => [msOf((await outboxRow(t.db, first.id)).locked_until), msOf((await outboxRow(t.db, second.id)).locked_until)];
    let takenByB: number | undefined;
    const slowServer: MailTransport = {
      name: "smtp",
      async send(message) {
        if (message.id === first.id) {
          const claimedUntil = t.clock.now().getTime() + leaseMs;
          expect(await leasesUntil()).to.deep.equal([claimedUntil, claimedUntil]);
          // Half a lease passes with the server still busy; the next beat extends both leases.
          t.clock.advance(leaseMs / 2);
          const extendedUntil = t.clock.now().getTime() + leaseMs;
          await waitFor("the heartbeat to extend both leases", async () => (await leasesUntil()).every((ms) => ms === extendedUntil));
          // Past the first claim's end: B finds nothing to take.
          t.clock.advance(leaseMs / 2 + 100);
          takenByB = (await deliverDue(workerDeps(t, smtp, "B"))).sent;
        }
        return smtp.send(message);
      },
      verify: () => smtp.verify(),
      close: () => smtp.close(),
    };

    const run = await deliverDue(workerDeps(t, slowServer, "A"));

    expect(takenByB).to.equal(0);
    expect(run).to.deep.equal({ sent: 2, failed: 0, dead: 0 });
    expect(sink.received).to.have.length(2);
    for (const mail of [first, second]) expect((await attemptRows(t.db, mail.id)).map((a) => [a.worker, a.outcome])).to.deep.equal([["A", "sent"]]);
  });
});

describe("mail worker: sends that take too long or outlive their lease", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("gives up on a send the server never answers before the lease runs out: the attempt failed, the mail is free again and retried later", async () => {
    const sink = await new SmtpSink({ answerDelayMs: minutes(10) }).start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({ MAIL_LEASE_SECONDS: "2" }, sink);
    cleanup.add(() => t.close());
    const { id } = await queueTestMessage(t, "never.answered@example.com");

    await t.deliverMail();

    const row = await outboxRow(t.db, id);
    expect([row.status, Number(row.attempts), row.locked_by]).to.deep.equal(["failed", 1, null]);
    expect(row.last_error).to.include("No answer from the mail server within 1 s").and.include("may have accepted");
    expect(msOf(row.next_attempt_at)).to.be.greaterThan(t.clock.now().getTime());
    expect((await attemptRows(t.db, id)).map((a) => a.outcome)).to.deep.equal(["failed"]);
    expect(sink.received, "the server got the message before it went silent").to.have.length(1);
  });

  it("records a send the server accepted after the worker lost the mail as sent-late with a warning, and stops the batch there", async () => {
    const sink = await new SmtpSink().start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({ MAIL_LEASE_SECONDS: "2" }, sink);
    cleanup.add(() => t.close());
    const first = await queueTestMessage(t, "lost.lease@example.com");
    const second = await queueTestMessage(t, "next.in.batch@example.com");
    const smtp = ownTransport(cleanup, sink);
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    const loseLeaseMidSend: MailTransport = {
      ...smtp,
      async send(message, signal) {
        if (message.id === first.id) {
          // While the server is busy, the lease goes to worker B (A's heartbeats had failed and it ran out).
          await t.db("outbox").where({ id: first.id }).update({ locked_by: "B" });
          await waitFor("a heartbeat to find the lease gone", () => lines.join("").includes("mail lease lost"));
        }
        return smtp.send(message, signal);
      },
    };

    const run = await deliverDue({ ...workerDeps(t, loseLeaseMidSend, "A"), logger });

    expect(run).to.deep.equal({ sent: 0, failed: 0, dead: 0 });
    expect(await messageIdsOf(sink)).to.deep.equal([first.mail.messageId]);
    const attempts = await attemptRows(t.db, first.id);
    expect(attempts.map((a) => [a.worker, a.outcome])).to.deep.equal([["A", "sent-late"]]);
    expect(attempts[0]!.detail).to.include("after worker A had lost the mail").and.include("same Message-ID");
    const firstRow = await outboxRow(t.db, first.id);
    expect([firstRow.status, firstRow.locked_by], "B's to record").to.deep.equal(["sending", "B"]);
    const warning = lines.find((line) => line.includes("mail sent after its lease ran out"));
    expect(warning).to.include(JSON.stringify(first.mail.messageId));
    expect(lines.join("")).to.not.include('"mail sent"');
    const secondRow = await outboxRow(t.db, second.id);
    expect([secondRow.status, secondRow.locked_by, Number(secondRow.attempts)], "handed back untried").to.deep.equal(["queued", null, 0]);
  });
});

describe("mail worker: two workers on one database", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("delivers each of 200 mails exactly once when two workers with their own connections run at the same time", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const now = t.clock.now();
    const mails = await Promise.all(Array.from({ length: 200 }, (_, i) => testMessageMail(t.mailer, t.clock, `customer-${i}@example.com`, "admin")));
    await t.db.transaction(async (trx) => {
      for (const mail of mails) await enqueue(trx, mail, now);
    });
    const otherDb = openDatabase(t.config.databaseUrl);
    cleanup.add(() => otherDb.destroy());

    const [a, b] = await Promise.all([
      deliverDue(workerDeps(t, ownTransport(cleanup, sink), "A")),
      deliverDue(workerDeps(t, ownTransport(cleanup, sink), "B", otherDb)),
    ]);

    expect(a.sent + b.sent).to.equal(200);
    expect(a.failed + b.failed + a.dead + b.dead).to.equal(0);
    expect(sink.received).to.have.length(200);
    const received = await Promise.all(sink.received.map(async (m, i) => ({ envelopeTo: m.to, parsed: await sink.parsed(i) })));
    for (const { envelopeTo, parsed } of received) expect(envelopeTo).to.deep.equal([parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]!.address : null]);
    const receivedIds = new Set(received.map((r) => r.parsed.messageId));
    expect(receivedIds.size).to.equal(200);
    const rows = (await t.db("outbox").select("message_id", "status", "attempts")) as Pick<OutboxRow, "message_id" | "status" | "attempts">[];
    expect([...receivedIds].sort()).to.deep.equal(rows.map((r) => r.message_id).sort());
    expect(rows.filter((r) => r.status === "sent" && Number(r.attempts) === 1)).to.have.length(200);
    expect(await count(t.db, "outbox_attempts")).to.equal(200);

    const byWorker = (await t.db("outbox_attempts").select("worker").count({ n: "*" }).groupBy("worker")) as { worker: string; n: number | string }[];
    const split = Object.fromEntries(byWorker.map((r) => [r.worker, Number(r.n)]));
    expect(Object.keys(split)).to.satisfy((workers: string[]) => workers.every((w) => w === "A" || w === "B"));
    expect((split.A ?? 0) + (split.B ?? 0)).to.equal(200);
    expect(split.A ?? 0, "A's attempts match A's count").to.equal(a.sent);
    expect(split.B ?? 0, "B's attempts match B's count").to.equal(b.sent);
  });
});

describe("mail worker: several mails with the server at once", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** The transport, noting at each send how many of its sends are then unanswered, that one included. */
  function counting(transport: MailTransport): { transport: MailTransport; atEachSend: number[] } {
    const atEachSend: number[] = [];
    let unanswered = 0;
    const send: MailTransport["send"] = async (message, signal) => {
      atEachSend.push(++unanswered);
      try {
        return await transport.send(message, signal);
      } finally {
        unanswered -= 1;
      }
    };
    return { transport: { ...transport, send }, atEachSend };
  }

  const rounds = (...sizes: number[]) => sizes.flatMap((n) => Array.from({ length: n }, (_, i) => i + 1));

  it("hands a run's first mail to the server alone, then rounds that double up to the concurrency, each mail once over the pooled connection", async () => {
    const { t, sink } = await appWithSink(cleanup);
    for (let i = 0; i < 20; i += 1) await queueTestMessage(t, `round-${i}@example.com`);
    const smtp = counting(ownTransport(cleanup, sink));

    expect(await deliverDue(workerDeps(t, smtp.transport, "A"))).to.deep.equal({ sent: 20, failed: 0, dead: 0 });
    expect(smtp.atEachSend).to.deep.equal(rounds(1, 2, 4, 8, 5));
    expect(new Set(await messageIdsOf(sink)).size).to.equal(20);
    expect(await count(t.db, "outbox_attempts")).to.equal(20);

    for (let i = 0; i < 9; i += 1) await queueTestMessage(t, `limited-${i}@example.com`);
    const limited = counting(ownTransport(cleanup, sink));
    expect(await deliverDue({ ...workerDeps(t, limited.transport, "B"), concurrency: 3 })).to.deep.equal({ sent: 9, failed: 0, dead: 0 });
    expect(limited.atEachSend, "a new run starts with one mail again").to.deep.equal(rounds(1, 2, 3, 3));
    expect(sink.received).to.have.length(29);
  });
});

describe("mail worker: clean shutdown", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function queueFive(t: TestApp): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 1; i <= 5; i += 1) ids.push((await queueTestMessage(t, `batch-${i}@example.com`)).id);
    return ids;
  }

  /** The app's transport, and a stop that is asked for while the first mail is with the server. */
  function stopDuringFirstSend(t: TestApp): { transport: MailTransport; asked: () => boolean } {
    let stopping = false;
    const transport: MailTransport = {
      ...t.mailer.transport,
      send(message, signal) {
        stopping = true;
        return t.mailer.transport.send(message, signal);
      },
    };
    return { transport, asked: () => stopping };
  }

  it("hands the mail it claimed but did not try back to the queue when told to stop", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const ids = await queueFive(t);
    const stop = stopDuringFirstSend(t);

    const run = await deliverDue(workerDeps(t, stop.transport, "stopping-worker"), stop.asked, 5);

    expect(run).to.deep.equal({ sent: 1, failed: 0, dead: 0 });
    expect(sink.received.map((m) => m.to)).to.deep.equal([["batch-1@example.com"]]);
    const rows = await Promise.all(ids.map((id) => outboxRow(t.db, id)));
    expect(rows.map((r) => r.status)).to.deep.equal(["sent", "queued", "queued", "queued", "queued"]);
    for (const row of rows.slice(1)) {
      expect(row.locked_by, `mail ${row.id}`).to.equal(null);
      expect(row.locked_until, `mail ${row.id}`).to.equal(null);
      expect(Number(row.attempts), `mail ${row.id}`).to.equal(0);
    }
    expect(await t.db("outbox").where({ status: "sending" })).to.have.length(0);

    // The next run delivers what was handed back, each once.
    await t.deliverMail();
    expect(sink.received).to.have.length(5);
    expect(new Set(await messageIdsOf(sink)).size).to.equal(5);
    expect(await count(t.db, "outbox_attempts")).to.equal(5);
  });

  it("claims nothing when told to stop before it starts, nor another batch once stopped after one", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const ids = await queueFive(t);
    const queuedAt = t.clock.now().getTime();
    const untouched = async () => (await t.db("outbox").whereIn("id", ids.slice(1)).select("status", "locked_by", "updated_at")).map((r: Record<string, unknown>) => [r.status, r.locked_by, msOf(r.updated_at)]);
    t.clock.advance(seconds(1));

    expect(await deliverDue(workerDeps(t, t.mailer.transport, "stopping-worker"), () => true, 5)).to.deep.equal({ sent: 0, failed: 0, dead: 0 });
    expect(sink.received).to.have.length(0);
    expect((await outboxRow(t.db, ids[0]!)).status).to.equal("queued");
    expect(await untouched(), "not even claimed and handed back").to.deep.equal(Array(4).fill(["queued", null, queuedAt]));

    // Batches of one: the stop comes while the first mail is with the server.
    const stop = stopDuringFirstSend(t);
    const run = await deliverDue(workerDeps(t, stop.transport, "stopping-worker"), stop.asked, 1);

    expect(run).to.deep.equal({ sent: 1, failed: 0, dead: 0 });
    expect(sink.received).to.have.length(1);
    expect(await untouched()).to.deep.equal(Array(4).fill(["queued", null, queuedAt]));
  });
});

describe("scheduler", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("runs deliver-mail, records the run and its summary, and schedules the next one 5 seconds later", async () => {
    const { t, sink } = await appWithSink(cleanup);
    await queueTestMessage(t, "scheduled@example.com");
    const now = t.clock.now().getTime();

    const outcome = await t.scheduler.run("deliver-mail");

    expect(outcome).to.deep.equal({ ran: true, status: "done", result: "1 sent, 0 failed, 0 dead" });
    expect(sink.received).to.have.length(1);
    const row = await taskRow(t, "deliver-mail");
    expect(row.status).to.equal("done");
    expect(msOf(row.last_started_at)).to.equal(now);
    expect(msOf(row.last_finished_at)).to.equal(now);
    expect(msOf(row.next_run_at)).to.equal(msOf(row.last_finished_at)! + seconds(5));
    expect(row.last_result).to.equal("1 sent, 0 failed, 0 dead");
    expect(row.last_error).to.equal(null);
  });

  const EXPIRE = "expire-temporary-passwords";

  /** The task's row as another worker's run leaves it: started a minute ago, its lease until `leaseUntil`. */
  async function heldBy(t: TestApp, owner: string, leaseUntil: Date | null): Promise<void> {
    const minuteAgo = new Date(t.clock.now().getTime() - minutes(1));
    await t.db("tasks").where({ name: EXPIRE }).update({ status: "running", last_started_at: minuteAgo, next_run_at: minuteAgo, lease_owner: owner, lease_expires_at: leaseUntil });
  }

  it("does not run a task whose lease another worker holds, from run or runDue, and changes nothing", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    await heldBy(t, "live-worker", new Date(t.clock.now().getTime() + seconds(1)));
    const before = await taskRow(t, EXPIRE);

    expect(await t.scheduler.run(EXPIRE)).to.deep.equal({ ran: false, reason: "it is already running" });
    await t.scheduler.runDue();

    expect(await taskRow(t, EXPIRE)).to.deep.equal(before);
    expect(t.logs()).to.not.include("task lease expired");
  });

  it("takes over a task whose worker died once its lease has expired, at the next runDue, and logs whose it was", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const now = t.clock.now().getTime();
    await heldBy(t, "dead-worker", new Date(now - seconds(1)));

    await t.scheduler.runDue();

    const row = await taskRow(t, EXPIRE);
    expect([row.status, row.last_result, row.lease_owner, row.lease_expires_at]).to.deep.equal(["done", "0 temporary passwords expired", null, null]);
    expect(msOf(row.last_started_at)).to.equal(now);
    expect(msOf(row.next_run_at)).to.equal(now + minutes(5));
    const warning = t.logs().split("\n").find((line) => line.includes("task lease expired"));
    expect(warning).to.include("dead-worker").and.include(EXPIRE);
  });

  it("takes over a task whose holder left no lease end (a row half written by hand or an old version)", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    await heldBy(t, "dead-worker", null);

    await t.scheduler.runDue();

    const row = await taskRow(t, EXPIRE);
    expect([row.status, row.last_result, row.lease_owner, row.lease_expires_at]).to.deep.equal(["done", "0 temporary passwords expired", null, null]);
    expect(t.logs()).to.include("task lease expired").and.include("dead-worker");
  });

  it("runs deliver-mail in every worker: a run of it marked running elsewhere does not hold this one back", async () => {
    const { t, sink } = await appWithSink(cleanup);
    await queueTestMessage(t, "every.worker@example.com");
    await t.db("tasks").where({ name: "deliver-mail" }).update({ status: "running", last_started_at: new Date(t.clock.now().getTime() - seconds(3)) });

    await t.scheduler.runDue();

    expect(sink.received).to.have.length(1);
    expect((await taskRow(t, "deliver-mail")).status).to.equal("done");
  });

  /** A task that runs until the test releases it, and the shouldStop its run was given. */
  function gatedTask(): { task: TaskDefinition; release: () => void; shouldStop: () => (() => boolean) | undefined } {
    let release = () => {};
    let stop: (() => boolean) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const task: TaskDefinition = {
      name: "long-job",
      description: "Runs until released.",
      everyMs: minutes(10),
      async run(shouldStop) {
        stop = shouldStop;
        await gate;
        return "finished";
      },
    };
    return { task, release: () => release(), shouldStop: () => stop };
  }

  it("extends a running task's lease with heartbeats, so another worker does not take it over past the first lease's end", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const leaseMs = 1500;
    const job = gatedTask();
    const a = new Scheduler(t.db, t.clock, silent, [job.task], { owner: "worker-a", leaseMs });
    const b = new Scheduler(t.db, t.clock, silent, [job.task], { owner: "worker-b", leaseMs });
    await a.register();
    const started = t.clock.now().getTime();

    const running = a.run("long-job");
    await waitFor("the run to start", () => job.shouldStop() !== undefined);
    expect(msOf((await taskRow(t, "long-job")).lease_expires_at)).to.equal(started + leaseMs);
    t.clock.advance(1000);
    await waitFor("a heartbeat", async () => msOf((await taskRow(t, "long-job")).lease_expires_at) === started + 1000 + leaseMs);
    t.clock.advance(1000);

    expect(await b.run("long-job")).to.deep.equal({ ran: false, reason: "it is already running" });
    expect((await taskRow(t, "long-job")).lease_owner).to.equal("worker-a");
    expect(job.shouldStop()!()).to.equal(false);

    job.release();
    expect(await running).to.deep.equal({ ran: true, status: "done", result: "finished" });
    const row = await taskRow(t, "long-job");
    expect([row.status, row.last_result, row.lease_owner, row.lease_expires_at]).to.deep.equal(["done", "finished", null, null]);
  });

  it("keeps a Run now asked during a run: the task is due again as soon as the run ends", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const job = gatedTask();
    const a = new Scheduler(t.db, t.clock, silent, [job.task], { owner: "worker-a", leaseMs: minutes(1) });
    await a.register();
    const started = t.clock.now().getTime();
    const running = a.run("long-job");
    await waitFor("the run to start", () => job.shouldStop() !== undefined);
    t.clock.advance(seconds(5));

    expect(await a.schedule("long-job")).to.deep.equal({ runningSince: new Date(started), runningOn: "worker-a" });
    job.release();
    await running;

    expect(msOf((await taskRow(t, "long-job")).next_run_at), "not 10 minutes later").to.equal(started + seconds(5));
    expect(await a.schedule("no-such-task")).to.equal(null);
  });

  it("tells a run that lost its lease to stop, and records nothing over the worker that took the task", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const job = gatedTask();
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    const a = new Scheduler(t.db, t.clock, logger, [job.task], { owner: "worker-a", leaseMs: 600 });
    await a.register();
    const running = a.run("long-job");
    await waitFor("the run to start", () => job.shouldStop() !== undefined);
    await t.db("tasks").where({ name: "long-job" }).update({ lease_owner: "worker-b" });
    const taken = await taskRow(t, "long-job");

    await waitFor("the lost lease to stop the run", () => job.shouldStop()!());
    job.release();
    await running;

    expect(await taskRow(t, "long-job")).to.deep.equal(taken);
    expect(lines.join("")).to.include("task lease lost").and.include("its result is not recorded");
  });

  it("records a task that throws as failed, with its error, and schedules it again", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const scheduler = new Scheduler(t.db, t.clock, silent, [{ name: "explodes", description: "Always fails.", everyMs: minutes(10), run: () => Promise.reject(new Error("boom")) }], {
      owner: "test-worker",
      leaseMs: minutes(1),
    });
    await scheduler.register();
    const now = t.clock.now().getTime();

    const outcome = await scheduler.run("explodes");

    expect(outcome).to.deep.equal({ ran: true, status: "failed", result: "boom" });
    const row = await taskRow(t, "explodes");
    expect(row.status).to.equal("failed");
    expect(row.last_error).to.equal("boom");
    expect(row.last_result).to.equal(null);
    expect(msOf(row.last_finished_at)).to.equal(now);
    expect(msOf(row.next_run_at)).to.equal(now + minutes(10));
    expect(await scheduler.run("no-such-task")).to.deep.equal({ ran: false, reason: "no such task" });
  });

  it("ends a deliver-mail run once its time budget is spent, handing the rest back, so the other due tasks run; the next run sends the rest", async () => {
    const { t, sink } = await appWithSink(cleanup);
    const ids: number[] = [];
    for (let i = 1; i <= 3; i += 1) ids.push((await queueTestMessage(t, `long.drain-${i}@example.com`)).id);
    // The first send takes longer than the whole budget.
    const slowFirst: MailTransport = {
      ...t.mailer.transport,
      async send(message, signal) {
        if (message.id === ids[0]) t.clock.advance(DELIVERY_RUN_BUDGET_MS + seconds(1));
        return t.mailer.transport.send(message, signal);
      },
    };
    const tasks = deskTasks({ ...workerDeps(t, slowFirst, "budget-worker"), auditAnchorFile: t.auditAnchorFile, approvalPolicy: { twoPerson: true, keylessDelivery: true }, attachmentMaxBytes: t.config.attachmentMaxBytes }, t.mailer);
    const scheduler = new Scheduler(t.db, t.clock, silent, tasks, { owner: "budget-worker", leaseMs: minutes(1) });

    await scheduler.runDue();

    expect(sink.received.map((m) => m.to)).to.deep.equal([["long.drain-1@example.com"]]);
    const rest = await Promise.all(ids.slice(1).map((id) => outboxRow(t.db, id)));
    expect(rest.map((r) => [r.status, r.locked_by, Number(r.attempts)])).to.deep.equal(Array(2).fill(["queued", null, 0]));
    const deliver = await taskRow(t, "deliver-mail");
    expect([deliver.status, deliver.last_result]).to.deep.equal(["done", "1 sent, 0 failed, 0 dead"]);
    const others = await Promise.all(tasks.filter((task) => task.name !== "deliver-mail").map((task) => taskRow(t, task.name)));
    expect(others.map((r) => [r.name, r.status]), "every other due task ran in the same pass").to.deep.equal(others.map((r) => [r.name, "done"]));
    expect(others.length).to.be.greaterThan(0);

    t.clock.advance(seconds(5));
    await scheduler.runDue();
    expect(sink.received).to.have.length(3);
  });

  it("runs only the tasks whose next_run_at has come when asked to run what is due", async () => {
    const { t, sink } = await appWithSink(cleanup);
    await queueTestMessage(t, "due.later@example.com");
    const first = t.clock.now().getTime();
    await t.db("tasks").where({ name: "deliver-mail" }).update({ next_run_at: new Date(first + minutes(1)) });

    await t.scheduler.runDue();

    const purge = await taskRow(t, "purge-expired-sessions");
    expect(purge.status).to.equal("done");
    expect(msOf(purge.last_started_at)).to.equal(first);
    const deliver = await taskRow(t, "deliver-mail");
    expect(deliver.status).to.equal("waiting");
    expect(deliver.last_started_at).to.equal(null);
    expect(sink.received).to.have.length(0);

    t.clock.advance(minutes(1));
    await t.scheduler.runDue();

    expect((await taskRow(t, "deliver-mail")).status).to.equal("done");
    expect(sink.received).to.have.length(1);
    expect(msOf((await taskRow(t, "purge-expired-sessions")).last_started_at), "purge is not due again for an hour").to.equal(first);
  });

  it("purges ended sessions and spent rate-limit counters, and keeps live ones", async () => {
    const t = await startTestApp();
    cleanup.add(() => t.close());
    const now = t.clock.now().getTime();
    await t.db("sessions").insert([
      { sid: "x".repeat(64), sess: JSON.stringify({ cookie: {} }), expired: new Date(Date.now() - 60_000).toISOString() },
      { sid: "y".repeat(64), sess: JSON.stringify({ cookie: {} }), expired: new Date(Date.now() + minutes(30)).toISOString() },
    ]);
    await t.db("rate_limits").insert([
      { key: "spent-counter", hits: 3, reset_at_ms: now - 1000 },
      { key: "live-counter", hits: 1, reset_at_ms: now + minutes(15) },
    ]);

    const outcome = await t.scheduler.run("purge-expired-sessions");

    expect(outcome).to.deep.equal({ ran: true, status: "done", result: "1 sessions and 1 rate-limit counters removed" });
    expect(((await t.db("sessions").select("sid")) as { sid: string }[]).map((r) => r.sid)).to.deep.equal(["y".repeat(64)]);
    expect(((await t.db("rate_limits").select("key")) as { key: string }[]).map((r) => r.key)).to.deep.equal(["live-counter"]);
  });
});
