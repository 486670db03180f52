import { DEFAULT_SEND_CONCURRENCY } from "../../src/platform/mail/delivery.js";
import { expect } from "chai";
import knex from "knex";
import { testMessageMail } from "../../src/platform/mail/mailer.js";
import { enqueue } from "../../src/platform/mail/outbox-store.js";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { buildTestApp, type TestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait.js";
import { startWorkerProcess, workerEnvFor, type WorkerProcess } from "../support/worker-process.js";
import { count } from "../support/rows.js";
import { Cleanup } from "../support/cleanup.js";

/** Figures for the fault table, printed beside the test's name. */
const report = (line: string) => process.stdout.write(`      → ${line}\n`);

describe("worker processes under faults, on PostgreSQL", function () {
  let cluster: PostgresCluster;
  const cleanup = new Cleanup();

  before(async () => {
    cluster = await startPostgresCluster();
  });
  after(() => cluster?.remove());
  afterEach(() => cleanup.run());

  /** A new migrated database on the cluster, and the test's app on it (for its mailer and queries). */
  async function appOnCluster(name: string): Promise<TestApp> {
    const admin = knex({ client: "pg", connection: cluster.url, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const url = cluster.url.replace(/\/postgres$/, `/${name}`);
    const t = await buildTestApp({ database: { url, files: [], drop: () => Promise.resolve() } });
    cleanup.add(() => t.close());
    return t;
  }

  async function queueMails(t: TestApp, count: number): Promise<string[]> {
    const mails = await Promise.all(Array.from({ length: count }, (_, i) => testMessageMail(t.mailer, t.clock, `customer-${i}@example.com`, "admin")));
    const now = t.clock.now();
    await t.db.transaction(async (trx) => {
      for (const mail of mails) await enqueue(trx, mail, now);
    });
    return mails.map((m) => m.messageId);
  }

  const workerEnv = (t: TestApp, sink: SmtpSink) => workerEnvFor(t, sink, cleanup);

  function worker(env: Record<string, string>): WorkerProcess {
    const w = startWorkerProcess(env);
    cleanup.add(() => w.kill9());
    return w;
  }

  const statusCount = (t: TestApp, status: string) => count(t, "outbox", { status });

  /** Mails each worker process sent, by pid (worker ids are host:pid:random). */
  async function sentByPid(t: TestApp): Promise<Map<number, number>> {
    const rows = (await t.db("outbox_attempts").where({ outcome: "sent" }).select("worker").count({ n: "*" }).groupBy("worker")) as { worker: string; n: unknown }[];
    return new Map(rows.map((r) => [Number(/:(\d+):/.exec(r.worker)![1]), Number(r.n)]));
  }

  /** Connections PostgreSQL still holds for `applicationName`, across the cluster. */
  async function backendsNamed(t: TestApp, applicationName: string): Promise<number> {
    const result = (await t.db.raw("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ?", [applicationName])) as { rows: { n: unknown }[] };
    return Number(result.rows[0]!.n);
  }

  const copiesById = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

  it("after kill -9 of a worker mid-batch, another worker process delivers every remaining mail once the leases expire; only the mails in flight (one round) may arrive twice", async () => {
    const total = 60;
    // The sink keeps each mail and answers late: a kill then lands after the server accepted a mail.
    const sink = await new SmtpSink({ answerDelayMs: 150 }).start();
    cleanup.add(() => sink.stop());
    const t = await appOnCluster("vouchdesk_kill");
    const queued = await queueMails(t, total);
    const env = workerEnv(t, sink);

    // Named on its PostgreSQL connections, so the test can see when the server is done with them.
    const killed = "vouchdesk-killed-worker";
    const first = worker({ ...env, DATABASE_URL: `${env.DATABASE_URL}?application_name=${killed}` });
    await first.started();
    await waitFor("the first worker to be a few mails into its batch", () => sink.received.length >= 5, 60_000, 5);
    expect(await backendsNamed(t, killed), "the worker's connections carry its name").to.be.above(0);
    await first.kill9();
    // The process is gone, but its last COMMIT may still be running in its backend: read the queue after that.
    await waitFor("PostgreSQL to end the killed worker's backends", async () => (await backendsNamed(t, killed)) === 0, 60_000, 20);

    const sentBeforeKill = await statusCount(t, "sent");
    const inFlight = (await t.db("outbox").where({ status: "sending" }).whereNotNull("attempt_started_at").select("id", "message_id", "locked_by")) as { id: number; message_id: string; locked_by: string }[];
    expect(sentBeforeKill, "killed mid-batch").to.be.below(total);
    // A worker hands the server a round at a time, at most DEFAULT_SEND_CONCURRENCY mails (delivery.ts).
    expect(inFlight.length, "a worker hands at most one round to the server").to.be.at.most(DEFAULT_SEND_CONCURRENCY);
    for (const mail of inFlight) expect(mail.locked_by).to.include(`:${first.pid}:`);

    const second = worker(env);
    await waitFor("every mail to be sent", async () => (await statusCount(t, "sent")) === total, 120_000, 100);
    await second.stop();

    const received = copiesById(sink.messageIds());
    expect([...received.keys()].sort(), "every mail arrived").to.deep.equal([...queued].sort());
    const duplicated = [...received].filter(([, n]) => n > 1).map(([id]) => id);
    const interrupted = (await t.db("outbox_attempts").join("outbox", "outbox.id", "outbox_attempts.outbox_id").where({ outcome: "interrupted" }).select("outbox.message_id", "outbox_attempts.worker")) as { message_id: string; worker: string }[];
    expect(interrupted.map((a) => a.message_id).sort(), "the interrupted attempts are those of the mails in flight").to.deep.equal(inFlight.map((m) => m.message_id).sort());
    for (const attempt of interrupted) {
      expect(attempt.worker).to.include(`:${first.pid}:`);
      expect(second.logs()).to.include("mail attempt interrupted").and.include(JSON.stringify(attempt.message_id));
    }
    expect(duplicated, "a copy only of a mail whose attempt was interrupted").to.satisfy((ids: string[]) => ids.every((id) => inFlight.some((m) => m.message_id === id)));
    const shares = await sentByPid(t);
    expect(shares.get(second.pid), "the second worker sent the rest").to.equal(total - sentBeforeKill);
    report(`killed after ${sentBeforeKill} of ${total} sent with ${inFlight.length} in flight; the second worker sent ${shares.get(second.pid)}; mails received twice (by Message-ID): ${duplicated.length}`);
  });

  it("two worker processes share 1,000 queued mails: both send, none twice, all delivered", async () => {
    const total = 1000;
    // A few milliseconds per answer, so the queue outlasts the second worker's first tick.
    const sink = await new SmtpSink({ answerDelayMs: 5 }).start();
    cleanup.add(() => sink.stop());
    const t = await appOnCluster("vouchdesk_share");
    const env = workerEnv(t, sink);
    const a = worker(env);
    const b = worker(env);
    await Promise.all([a.started(), b.started()]);

    const queued = await queueMails(t, total);
    await waitFor("every mail to be sent", async () => (await statusCount(t, "sent")) === total, 150_000, 200);
    await Promise.all([a.stop(), b.stop()]);

    expect(sink.received, "no mail twice").to.have.length(total);
    expect([...copiesById(sink.messageIds()).keys()].sort()).to.deep.equal([...queued].sort());
    const shares = await sentByPid(t);
    expect([...shares.keys()].sort()).to.deep.equal([a.pid, b.pid].sort());
    expect(shares.get(a.pid)! + shares.get(b.pid)!).to.equal(total);
    expect(shares.get(a.pid), "worker A sent some").to.be.above(0);
    expect(shares.get(b.pid), "worker B sent some").to.be.above(0);
    expect(await statusCount(t, "sending")).to.equal(0);
    report(`worker A sent ${shares.get(a.pid)}, worker B sent ${shares.get(b.pid)} of ${total}`);
  });
});
