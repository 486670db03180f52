import { expect } from "chai";
import { Cleanup } from "../support/cleanup.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { startTestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait.js";
import { startWorkerProcess, workerEnvFor } from "../support/worker-process.js";
import { queueTestMessage } from "../platform/mail/outbox-helpers.js";

/**
 * Issue 18 item 5: a worker process told to stop (SIGTERM) while a mail is with a slow SMTP
 * server finishes that mail, hands back what it claimed but did not try, closes and exits 0.
 */
describe("a worker process stopped by SIGTERM during a slow delivery", function () {
  this.timeout(120_000);
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("delivers the mail in hand once (row sent), hands the rest of its batch back unclaimed, and exits 0", async () => {
    // The server keeps each message and answers 250 two seconds later: the stop comes in between.
    const sink = await new SmtpSink({ answerDelayMs: 2_000 }).start();
    cleanup.add(() => sink.stop());
    const t = await startTestApp({}, sink);
    cleanup.add(() => t.close());
    const ids: number[] = [];
    for (const to of ["first@example.com", "second@example.com", "third@example.com"]) ids.push((await queueTestMessage(t, to)).id);

    // A lease long enough for the slow answer (the send timeout is two thirds of it).
    const worker = startWorkerProcess({ ...workerEnvFor(t, sink, cleanup), MAIL_LEASE_SECONDS: "30" });
    cleanup.add(() => worker.kill9());
    await worker.started();
    await waitFor("the first mail at the SMTP server", () => sink.received.length === 1, 60_000);

    const exitCode = await worker.stop();

    expect(exitCode, worker.logs()).to.equal(0);
    expect(worker.logs()).to.include('"worker stopping"');
    expect(sink.received.map((m) => m.to), "delivered once, nothing else sent").to.deep.equal([["first@example.com"]]);
    const rows = (await t.db("outbox").whereIn("id", ids).orderBy("id").select("status", "locked_by", "attempts")) as { status: string; locked_by: string | null; attempts: number | string }[];
    expect(rows.map((r) => r.status)).to.deep.equal(["sent", "queued", "queued"]);
    expect(rows.map((r) => r.locked_by), "no lease left behind").to.deep.equal([null, null, null]);
    expect(rows.slice(1).map((r) => Number(r.attempts)), "the rest never tried").to.deep.equal([0, 0]);
  });
});
