/**
 * 1,000 encrypted reset mails through the outbox to a local SMTP server (DESIGN §9), against
 * as many plain ones through the same path: the project's own compose, enqueue and delivery
 * code, a fresh migrated SQLite database per kind, a real SMTP server in this process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as openpgp from "openpgp";
import { SmtpSink } from "../../test/support/smtp-sink.js";
import { currentKey, replaceKey } from "../../src/identity/keys-store.js";
import { checkPublicKey } from "../../src/identity/pgp-key-check.js";
import { insertLogin } from "../../src/identity/users-store.js";
import { generateRandomPassword } from "../../src/identity/random-password.js";
import { hours, systemClock } from "../../src/shared/clock.js";
import { migrate, openDatabase, type Db } from "../../src/shared/db.js";
import { createLogger } from "../../src/shared/logger.js";
import type { ComposedMail } from "../../src/platform/mail/compose.js";
import { deliverDue } from "../../src/platform/mail/delivery.js";
import { deskKeyOf, generateDeskKey } from "../../src/platform/mail/desk-key.js";
import type { Mailer } from "../../src/platform/mail/mailer.js";
import { enqueue } from "../../src/platform/mail/outbox-store.js";
import { usableRecipientKey } from "../../src/platform/mail/pgp.js";
import { smtpTransport } from "../../src/platform/mail/transports.js";
import { deliveryFailedMail, temporaryPasswordMail } from "../../src/resets/reset-mails.js";
import type { BenchOptions } from "./options.js";
import { formatMailReport, type MailRun } from "./report.js";

type Log = (line: string) => void;

const SENDER = { from: "Vouchdesk <no-reply@vouchdesk.localhost>", hostname: "vouchdesk.localhost" };
const PRIMARY = { username: "BENCH0001", displayName: "Bench primary login", email: "primary@bench.example" };
const WARMUP_MAILS = 20;
const RESET = { ticketId: 1, accountName: "Bench Ltd", primaryUsername: PRIMARY.username };

/** The primary's key pair, made once per run, dated a minute back so it is valid at once. */
async function recipientKey(): Promise<string> {
  const { publicKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ name: PRIMARY.displayName, email: PRIMARY.email }],
    date: new Date(Date.now() - 60_000),
    format: "armored",
  });
  return publicKey;
}

/** A migrated database with the primary login and its key on file; returns the login's id. */
async function prepare(db: Db, armoredKey: string): Promise<number> {
  await migrate(db);
  const now = systemClock.now();
  const checked = await checkPublicKey(armoredKey, PRIMARY.email, now);
  if (!checked.ok) throw new Error(`the bench key was refused: ${checked.problems.join(" ")}`);
  return db.transaction(async (trx) => {
    const id = await insertLogin(trx, { accountId: null, role: "primary", ...PRIMARY, passwordHash: null }, now);
    await replaceKey(trx, id, checked.key, null, now);
    return id;
  });
}

/**
 * Encrypted: the temporary-password mail as an approval writes it (the key on file read and
 * checked, a fresh password, PGP/MIME encrypted and signed). Plain: a reset notice in clear, text and HTML
 * (the reset-received confirmation is sealed now: it carries an objection link).
 */
function composer(kind: MailRun["kind"], db: Db, mailer: Mailer, primaryId: number): () => Promise<ComposedMail> {
  if (kind === "plain") return () => deliveryFailedMail(mailer, systemClock, RESET, PRIMARY, { outboxId: 1, recipient: PRIMARY.email, error: "bench", attempts: 1, dead: false });
  return async () => {
    const now = systemClock.now();
    const stored = await currentKey(db, primaryId);
    const key = await usableRecipientKey(PRIMARY.email, stored?.armoredKey, now);
    return temporaryPasswordMail(mailer, systemClock, RESET, { ...PRIMARY, key }, generateRandomPassword(), new Date(now.getTime() + hours(24)));
  };
}

const messageIdOf = (raw: string) => /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? "";
const PGP_MIME = /^Content-Type: multipart\/encrypted;[^]*-----BEGIN PGP MESSAGE-----/im;

async function throughOutbox(kind: MailRun["kind"], mails: number, mailer: Mailer, armoredKey: string, sink: SmtpSink, log: Log): Promise<MailRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-bench-mail-"));
  const db = openDatabase(`sqlite:${path.join(dir, "mail.sqlite")}`);
  try {
    const compose = composer(kind, db, mailer, await prepare(db, armoredKey));
    const queued = new Set<string>();
    const receivedBefore = sink.received.length;

    log(`${kind}: composing and queueing ${mails.toLocaleString("en")} mails`);
    let started = performance.now();
    for (let i = 0; i < mails; i++) {
      const mail = await compose();
      await db.transaction((trx) => enqueue(trx, mail, systemClock.now()));
      queued.add(mail.messageId);
    }
    const composeMs = performance.now() - started;

    log(`${kind}: delivering`);
    started = performance.now();
    const deps = { db, clock: systemClock, transport: mailer.transport, from: mailer.sender.from, deskKey: mailer.deskKey, logger: createLogger("warn") };
    const delivery = await deliverDue(deps);
    const deliverMs = performance.now() - started;

    // A mail counts as arrived when its Message-ID was queued here and it is of its kind (PGP/MIME or not).
    const received = sink.received.slice(receivedBefore).map((m) => ({ id: messageIdOf(m.raw), encrypted: PGP_MIME.test(m.raw) }));
    const arrived = new Set(received.filter((m) => queued.has(m.id) && m.encrypted === (kind === "encrypted")).map((m) => m.id)).size;
    return { kind, mails, composeMs, deliverMs, arrived, extra: received.length - arrived, failed: delivery.failed + delivery.dead };
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function mailSuite(options: BenchOptions, log: Log): Promise<string> {
  const sink = await new SmtpSink().start();
  const transport = smtpTransport({ host: "127.0.0.1", port: sink.port, secure: false });
  try {
    const deskKey = deskKeyOf(await generateDeskKey({ name: "Vouchdesk", email: `desk@${SENDER.hostname}` }));
    const mailer: Mailer = { sender: SENDER, deskKey, transport, baseUrl: "https://vouchdesk.localhost", timeZone: "UTC" };
    log("generating the recipient's key (curve25519)");
    const armoredKey = await recipientKey();
    if (options.warmup) {
      log(`warming up: ${WARMUP_MAILS} mails of each kind, not counted`);
      for (const kind of ["plain", "encrypted"] as const) await throughOutbox(kind, WARMUP_MAILS, mailer, armoredKey, sink, () => {});
    }
    const plain = await throughOutbox("plain", options.mails, mailer, armoredKey, sink, log);
    const encrypted = await throughOutbox("encrypted", options.mails, mailer, armoredKey, sink, log);
    const title = `${options.mails.toLocaleString("en")} reset mails of each kind composed, queued (one transaction each) and delivered by the outbox worker code to an SMTP server on loopback; fresh SQLite database per kind`;
    return `${title}\n\n${formatMailReport(plain, encrypted)}`;
  } finally {
    transport.close();
    await sink.stop();
  }
}
