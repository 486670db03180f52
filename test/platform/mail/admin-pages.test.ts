import { randomBytes } from "node:crypto";
import { expect } from "chai";
import * as openpgp from "openpgp";
import { composeEncrypted, composePlain } from "../../../src/platform/mail/compose.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import { usableRecipientKey } from "../../../src/platform/mail/pgp.js";
import { browser, type Agent } from "../../support/http.js";
import { SmtpSink } from "../../support/smtp-sink.js";
import { type TestApp } from "../../support/test-app.js";
import { csrfToken } from "../../support/forms.js";
import { signedIn } from "../../support/sign-in.js";
import { auditRows } from "../../support/audit.js";
import { count, msOf } from "../../support/rows.js";
import { outboxRow, type OutboxRow } from "../../support/mail.js";
import { useTestApp } from "../../support/use-test-app.js";

interface TaskRow {
  name: string;
  status: string;
  last_started_at: unknown;
  last_finished_at: unknown;
  last_result: string | null;
  next_run_at: unknown;
}

const unique = () => randomBytes(6).toString("hex");

/** The session's CSRF token, from the sign-out form every signed-in page carries. */
const tokenOf = (agent: Agent) => csrfToken(agent, "/");

async function queuePlain(t: TestApp, to: string, subject: string): Promise<number> {
  const now = t.clock.now();
  const mail = await composePlain(t.mailer.sender, { to, subject, template: "test", text: "Hello from the admin pages test.\n", html: null }, now);
  return t.db.transaction((trx) => enqueue(trx, mail, now));
}

const mailRow = (t: TestApp, id: number) => outboxRow(t.db, id);
const taskRow = async (t: TestApp, name: string) => (await t.db("tasks").where({ name }).first()) as TaskRow;
const outboxCount = (t: TestApp) => count(t, "outbox");

async function makeDead(t: TestApp, id: number) {
  await t.db("outbox").where({ id }).update({ status: "dead", attempts: 8, last_error: "x", next_attempt_at: null });
}

describe("admin mail, tasks and settings pages: access", () => {
  const t = useTestApp({ once: true });
  let deadId: number;
  before(async () => {
    deadId = await queuePlain(t, "access-check@example.com", "Access check");
    await makeDead(t, deadId);
  });

  const pages = () => ["/admin/mail", `/admin/mail/${deadId}`, "/admin/tasks", "/admin/settings"];

  for (const username of ["carol", "alice"]) {
    it(`gives ${username} 403 on every admin mail, task and settings page`, async () => {
      const agent = await signedIn(t, username);
      for (const page of pages()) {
        const res = await agent.get(page);
        expect(res.status, `GET ${page}`).to.equal(403);
        expect(res.text, `GET ${page}`).to.not.include("access-check@example.com");
      }
    });

    it(`gives ${username} 403 on Retry, Run now and the test message, even with a valid token, and changes nothing`, async () => {
      const agent = await signedIn(t, username);
      const _csrf = await tokenOf(agent);
      const mailsBefore = await outboxCount(t);

      await agent.post(`/admin/mail/${deadId}/retry`).type("form").send({ _csrf }).expect(403);
      await agent.post("/admin/tasks/deliver-mail/run").type("form").send({ _csrf }).expect(403);
      await agent.post("/admin/settings/test-mail").type("form").send({ _csrf, to: "ops@example.com" }).expect(403);
      await agent.post("/admin/settings/verify").type("form").send({ _csrf }).expect(403);

      const mail = await mailRow(t, deadId);
      expect(mail.status).to.equal("dead");
      expect(Number(mail.attempts)).to.equal(8);
      expect((await taskRow(t, "deliver-mail")).last_started_at).to.equal(null);
      expect(await outboxCount(t)).to.equal(mailsBefore);
      for (const action of ["mail.retried", "task.run_requested", "mail.test_sent", "mail.settings_verified"]) {
        expect(await auditRows(t, action), action).to.have.length(0);
      }
      // The token was good: the same session may still sign out with it.
      await agent.post("/logout").type("form").send({ _csrf }).expect(303);
    });
  }

  it("sends someone not signed in to the sign-in page", async () => {
    const anonymous = browser(t.app);
    for (const page of pages()) {
      await anonymous.get(page).expect(303).expect("location", "/login");
    }
  });
});

describe("admin mail log and mail detail", () => {
  const t = useTestApp({ once: true });
  let admin: Agent;
  const tag = unique();
  const zebra = { to: `zebra.log-check-${tag}@example.org`, subject: `Mail log check ${tag}` };
  const other = { to: `other.person-${tag}@example.net`, subject: `Another subject ${tag}` };
  let zebraId: number;

  before(async () => {
    zebraId = await queuePlain(t, zebra.to, zebra.subject);
    await queuePlain(t, other.to, other.subject);
    admin = await signedIn(t, "admin");
  });

  it("lists queued mail with its recipient and subject", async () => {
    const res = await admin.get("/admin/mail").expect(200);
    for (const text of [zebra.to, zebra.subject, other.to, other.subject, "queued"]) expect(res.text).to.include(text);
  });

  it("filters by status", async () => {
    const sent = await admin.get("/admin/mail?status=sent").expect(200);
    expect(sent.text).to.not.include(zebra.to);
    expect(sent.text).to.not.include(zebra.subject);
    const queued = await admin.get("/admin/mail?status=queued").expect(200);
    expect(queued.text).to.include(zebra.to);
    expect(queued.text).to.include(zebra.subject);
  });

  it("filters by part of the recipient's address, ignoring case", async () => {
    const res = await admin.get(`/admin/mail?recipient=${encodeURIComponent(`LOG-CHECK-${tag.toUpperCase()}`)}`).expect(200);
    expect(res.text).to.include(zebra.to);
    expect(res.text).to.include(zebra.subject);
    expect(res.text).to.not.include(other.to);
    expect(res.text).to.not.include(other.subject);
  });

  it("takes LIKE wildcards in the recipient filter literally", async () => {
    for (const wildcard of ["%", "_"]) {
      const res = await admin.get(`/admin/mail?recipient=${encodeURIComponent(wildcard)}`).expect(200);
      expect(res.text, `recipient=${wildcard}`).to.not.include(zebra.to);
      expect(res.text, `recipient=${wildcard}`).to.not.include(other.to);
    }
  });

  it("ignores an unknown status instead of failing", async () => {
    const res = await admin.get("/admin/mail?status=bogus").expect(200);
    expect(res.text).to.include(zebra.to);
    expect(res.text).to.include(other.to);
  });

  it("ignores a page cursor beyond the largest row id instead of failing (PostgreSQL's integer would overflow)", async () => {
    for (const before of ["99999999999", "2147483648", "-3", "abc"]) {
      const res = await admin.get(`/admin/mail?before=${before}`).expect(200);
      expect(res.text, `before=${before}`).to.include(zebra.to);
    }
  });

  it("answers 404 for a mail that does not exist or a number that is not one", async () => {
    await admin.get("/admin/mail/999999").expect(404);
    await admin.get("/admin/mail/abc").expect(404);
    await admin.get("/admin/mail/0").expect(404);
  });

  it("shows one mail with its raw message", async () => {
    const row = await mailRow(t, zebraId);
    const res = await admin.get(`/admin/mail/${zebraId}`).expect(200);
    expect(res.text).to.include(zebra.to);
    expect(res.text).to.include(zebra.subject);
    expect(res.text).to.include(row.message_id.replace(/^<|>$/g, ""));
    expect(res.text).to.include("Hello from the admin pages test.");
  });

  it("shows an encrypted mail as ciphertext, never its secret", async () => {
    const to = "primary@acme.example";
    const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Acme primary", email: to }], format: "armored" });
    // The test clock stands still; bring it up to the real time so the new key is valid at `now`.
    t.clock.advance(Math.max(0, Date.now() - t.clock.now().getTime()));
    const now = t.clock.now();
    const secret = randomBytes(18).toString("hex");
    const mail = await composeEncrypted(
      t.mailer.sender,
      { to, subject: "Your temporary password", template: "test", text: `Temporary password: ${secret}\n` },
      await usableRecipientKey(to, publicKey, now),
      t.mailer.deskKey,
      now,
    );
    const id = await t.db.transaction((trx) => enqueue(trx, mail, now));
    const res = await admin.get(`/admin/mail/${id}`).expect(200);
    expect(res.text).to.include("BEGIN PGP MESSAGE");
    expect(res.text).to.include(mail.messageId.replace(/^<|>$/g, ""));
    expect(res.text).to.include("Your temporary password");
    expect(res.text).to.not.include(secret);
    const log = await admin.get("/admin/mail").expect(200);
    expect(log.text).to.not.include(secret);
  });
});

describe("admin mail Retry", () => {
  const t = useTestApp({ once: true, smtp: true });
  const sink = t.sink;
  let admin: Agent;
  let sentId: number;
  let deadId: number;

  before(async () => {
    sentId = await queuePlain(t, "already-sent@example.com", "Already sent");
    await t.deliverMail();
    deadId = await queuePlain(t, "gave-up@example.com", "Gave up");
    await makeDead(t, deadId);
    admin = await signedIn(t, "admin");
  });

  it("refuses a Retry without the CSRF token and leaves the mail dead", async () => {
    await admin.post(`/admin/mail/${deadId}/retry`).type("form").send({}).expect(403);
    await admin.post(`/admin/mail/${deadId}/retry`).type("form").send({ _csrf: "forged-token-value" }).expect(403);
    const row = await mailRow(t, deadId);
    expect(row.status).to.equal("dead");
    expect(Number(row.attempts)).to.equal(8);
    expect(await auditRows(t, "mail.retried")).to.have.length(0);
  });

  it("queues a dead mail again with a fresh run of attempts, audited", async () => {
    const _csrf = await tokenOf(admin);
    await admin.post(`/admin/mail/${deadId}/retry`).type("form").send({ _csrf }).expect(303).expect("location", `/admin/mail/${deadId}`);
    const row = await mailRow(t, deadId);
    expect(row.status).to.equal("queued");
    expect(Number(row.attempts)).to.equal(0);
    expect(row.next_attempt_at).to.not.equal(null);
    expect(row.last_error, "the old error is cleared").to.equal(null);
    const audit = await auditRows(t, "mail.retried");
    expect(audit).to.have.length(1);
    expect(audit[0]!.actor).to.equal("admin");
    expect(audit[0]!.subject).to.equal(`outbox:${deadId}`);
    expect(audit[0]!.details).to.include({ previousStatus: "dead", recipient: "gave-up@example.com" });

    const page = await admin.get(`/admin/mail/${deadId}`).expect(200);
    expect(page.text).to.include("queued");

    await t.deliverMail();
    expect((await mailRow(t, deadId)).status).to.equal("sent");
    expect(sink.received.map((m) => m.to[0])).to.include("gave-up@example.com");
  });

  it("does not queue a sent mail again, and says why", async () => {
    const received = sink.received.length;
    const retriedBefore = (await auditRows(t, "mail.retried")).length;
    const _csrf = await tokenOf(admin);
    await admin.post(`/admin/mail/${sentId}/retry`).type("form").send({ _csrf }).expect(303).expect("location", `/admin/mail/${sentId}`);
    const row = await mailRow(t, sentId);
    expect(row.status).to.equal("sent");
    expect(Number(row.attempts)).to.equal(1);
    expect(await auditRows(t, "mail.retried")).to.have.length(retriedBefore);
    const page = await admin.get(`/admin/mail/${sentId}`).expect(200);
    expect(page.text).to.match(/only failed or dead mail can be retried/i);
    await t.deliverMail();
    expect(sink.received).to.have.length(received);
  });

  it("answers 404 to a Retry of a mail that does not exist", async () => {
    const _csrf = await tokenOf(admin);
    await admin.post("/admin/mail/999999/retry").type("form").send({ _csrf }).expect(404);
  });
});

describe("admin tasks page and Run now", () => {
  const t = useTestApp({ once: true, smtp: true });
  const sink = t.sink;
  let admin: Agent;
  let mailId: number;

  before(async () => {
    mailId = await queuePlain(t, "run-now@example.com", "Run now check");
    admin = await signedIn(t, "admin");
  });

  it("lists both tasks", async () => {
    const res = await admin.get("/admin/tasks").expect(200);
    expect(res.text).to.include("deliver-mail");
    expect(res.text).to.include("purge-expired-sessions");
  });

  it("refuses Run now without the CSRF token and runs nothing", async () => {
    await admin.post("/admin/tasks/deliver-mail/run").type("form").send({}).expect(403);
    const task = await taskRow(t, "deliver-mail");
    expect(task.last_started_at).to.equal(null);
    expect(task.status).to.equal("waiting");
    expect(sink.received).to.have.length(0);
    expect((await mailRow(t, mailId)).status).to.equal("queued");
    expect(await auditRows(t, "task.run_requested")).to.have.length(0);
  });

  it("schedules deliver-mail (due now) and returns without sending anything, audited; the next worker tick delivers the mail", async () => {
    const _csrf = await tokenOf(admin);
    const asked = t.clock.now().getTime();
    await admin.post("/admin/tasks/deliver-mail/run").type("form").send({ _csrf }).expect(303).expect("location", "/admin/tasks");

    expect(sink.received, "the request does not deliver").to.have.length(0);
    expect((await mailRow(t, mailId)).status).to.equal("queued");
    const scheduled = await taskRow(t, "deliver-mail");
    expect([scheduled.status, scheduled.last_started_at]).to.deep.equal(["waiting", null]);
    expect(msOf(scheduled.next_run_at)).to.equal(asked);
    const audit = await auditRows(t, "task.run_requested");
    expect(audit).to.have.length(1);
    expect(audit[0]!.actor).to.equal("admin");
    expect(audit[0]!.subject).to.equal("task:deliver-mail");
    const flashed = await admin.get("/admin/tasks").expect(200);
    expect(flashed.text).to.include("deliver-mail is due now: the next worker tick runs it");
    expect(flashed.text).to.include("this page does not wait for it");

    await t.scheduler.runDue();

    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.to).to.deep.equal(["run-now@example.com"]);
    expect((await sink.parsed(0)).subject).to.equal("Run now check");
    expect((await mailRow(t, mailId)).status).to.equal("sent");
    const task = await taskRow(t, "deliver-mail");
    expect(task.status).to.equal("done");
    expect(task.last_result).to.equal("1 sent, 0 failed, 0 dead");
    const page = await admin.get("/admin/tasks").expect(200);
    expect(page.text).to.include("1 sent, 0 failed, 0 dead");
  });

  it("says a task another worker is running now runs again when that run ends, and runs nothing in the request", async () => {
    const name = "expire-temporary-passwords";
    const now = t.clock.now().getTime();
    const startedAt = new Date(now - 60_000);
    await t.db("tasks").where({ name }).update({ status: "running", last_started_at: startedAt, lease_owner: "other-host:42:abcdef", lease_expires_at: new Date(now + 60_000) });
    const _csrf = await tokenOf(admin);

    await admin.post(`/admin/tasks/${name}/run`).type("form").send({ _csrf }).expect(303);

    const row = await taskRow(t, name);
    expect([row.status, msOf(row.last_started_at), msOf(row.next_run_at)]).to.deep.equal(["running", startedAt.getTime(), now]);
    const page = await admin.get("/admin/tasks").expect(200);
    expect(page.text).to.include(`${name} is running now on other-host:42:abcdef`);
    expect(page.text).to.include("it runs again as soon as that run ends");
    expect(page.text).to.include("lease until");
  });

  it("answers 404 for a task that does not exist", async () => {
    const _csrf = await tokenOf(admin);
    await admin.post("/admin/tasks/no-such-task/run").type("form").send({ _csrf }).expect(404);
    const audit = await auditRows(t, "task.run_requested");
    expect(audit.map((a) => a.subject)).to.not.include("task:no-such-task");
  });
});

const SMTP_PASS = "Very-Secret-Smtp-9";

/** The configuration of an app that names the sink as its SMTP server, with a user and a password. */
const smtpEnv = (sink: SmtpSink) => ({ MAIL_TRANSPORT: "smtp", SMTP_HOST: "127.0.0.1", SMTP_PORT: String(sink.port), SMTP_USER: "desk", SMTP_PASS });

describe("admin mail settings and test message", () => {
  const t = useTestApp({ once: true, smtp: true, env: smtpEnv });
  const sink = t.sink;
  let admin: Agent;

  before(async () => {
    admin = await signedIn(t, "admin");
  });

  it("shows the transport and server, never the SMTP password", async () => {
    const res = await admin.get("/admin/settings").expect(200);
    expect(res.text).to.include("SMTP <span class=\"muted small\">set by the environment (MAIL_TRANSPORT)</span>");
    expect(res.text).to.include("127.0.0.1");
    expect(res.text).to.include(String(sink.port));
    expect(res.text).to.not.include(SMTP_PASS);
  });

  it("sends a test message through the outbox and the SMTP server, audited, and shows the answer once", async () => {
    const _csrf = await tokenOf(admin);
    await admin.post("/admin/settings/test-mail").type("form").send({ _csrf, to: "ops@example.com" }).expect(303).expect("location", "/admin/settings");

    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.to).to.deep.equal(["ops@example.com"]);
    expect((await sink.parsed(0)).subject).to.equal("Vouchdesk test message");

    const rows = (await t.db("outbox").where({ recipient: "ops@example.com" })) as OutboxRow[];
    expect(rows).to.have.length(1);
    expect(rows[0]!.status).to.equal("sent");
    expect(rows[0]!.subject).to.equal("Vouchdesk test message");

    const audit = await auditRows(t, "mail.test_sent");
    expect(audit).to.have.length(1);
    expect(audit[0]!.actor).to.equal("admin");
    expect(audit[0]!.subject).to.equal(`outbox:${rows[0]!.id}`);

    // The SMTP server's answer, as recorded for the attempt, is on the page after the redirect, once.
    const attempt = (await t.db("outbox_attempts").where({ outbox_id: rows[0]!.id }).first()) as { outcome: string; detail: string };
    expect(attempt.outcome).to.equal("sent");
    expect(attempt.detail).to.match(/^250 /);
    const page = await admin.get("/admin/settings").expect(200);
    expect(page.text).to.include(attempt.detail);
    expect(page.text).to.include(`/admin/mail/${rows[0]!.id}`);
    expect(page.text).to.not.include(SMTP_PASS);
    const again = await admin.get("/admin/settings").expect(200);
    expect(again.text).to.not.include(attempt.detail);
  });

  it("refuses an address that is not one with 400, sending nothing", async () => {
    const mails = await outboxCount(t);
    const received = sink.received.length;
    const _csrf = await tokenOf(admin);
    const res = await admin.post("/admin/settings/test-mail").type("form").send({ _csrf, to: "not-an-address" }).expect(400);
    expect(res.text).to.match(/valid email/i);
    expect(res.text).to.include("not-an-address");
    expect(res.text).to.not.include(SMTP_PASS);
    expect(await outboxCount(t)).to.equal(mails);
    expect(sink.received).to.have.length(received);
    expect(await auditRows(t, "mail.test_sent")).to.have.length(1);
  });

  it("refuses a test message without the CSRF token", async () => {
    const mails = await outboxCount(t);
    await admin.post("/admin/settings/test-mail").type("form").send({ to: "ops@example.com" }).expect(403);
    expect(await outboxCount(t)).to.equal(mails);
  });

  it("never puts the SMTP password in the logs or the database", async () => {
    expect(t.logs()).to.include("/admin/settings/test-mail");
    expect(await t.leaks(SMTP_PASS)).to.equal(false);
  });
});

describe("admin mail settings Verify", () => {
  const t = useTestApp({ once: true, smtp: true, env: smtpEnv });
  const sink = t.sink;
  let admin: Agent;

  before(async () => {
    admin = await signedIn(t, "admin");
  });

  const verifications = async () => (await auditRows(t, "mail.settings_verified")).map((r) => r.details as { ok: boolean; answer: string });

  it("refuses Verify without the CSRF token", async () => {
    await admin.post("/admin/settings/verify").type("form").send({}).expect(403);
    expect(await verifications()).to.have.length(0);
  });

  it("reports that the connection works while the SMTP server answers", async () => {
    const _csrf = await tokenOf(admin);
    await admin.post("/admin/settings/verify").type("form").send({ _csrf }).expect(303).expect("location", "/admin/settings");
    const res = await admin.get("/admin/settings").expect(200);
    expect(res.text).to.include(`connected to 127.0.0.1:${sink.port}`);
    expect(res.text).to.not.include("ECONNREFUSED");
    expect(res.text).to.not.include(SMTP_PASS);
    const audit = await verifications();
    expect(audit).to.have.length(1);
    expect(audit[0]!.ok).to.equal(true);
    expect(sink.received, "Verify sends nothing").to.have.length(0);
  });

  it("reports the failure once the SMTP server is gone", async () => {
    const port = sink.port;
    await sink.stop();
    const _csrf = await tokenOf(admin);
    await admin.post("/admin/settings/verify").type("form").send({ _csrf }).expect(303).expect("location", "/admin/settings");
    const res = await admin.get("/admin/settings").expect(200);
    expect(res.text).to.include("ECONNREFUSED");
    expect(res.text).to.not.include(`connected to 127.0.0.1:${port}`);
    expect(res.text).to.not.include(SMTP_PASS);
    const audit = await verifications();
    expect(audit).to.have.length(2);
    expect(audit[1]!.ok).to.equal(false);
    expect(audit[1]!.answer).to.include("ECONNREFUSED");
    expect(JSON.stringify(audit)).to.not.include(SMTP_PASS);
  });
});
