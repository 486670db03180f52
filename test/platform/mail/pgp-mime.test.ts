import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Express } from "express";
import { simpleParser } from "mailparser";
import * as openpgp from "openpgp";
import MimeNode from "nodemailer/lib/mime-node";
import request from "supertest";
import { composeEncrypted, writeMime, type ComposedMail } from "../../../src/platform/mail/compose.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import { NoUsableKeyError, usableRecipientKey } from "../../../src/platform/mail/pgp.js";
import { startTestApp, type TestApp } from "../../support/test-app.js";
import { count } from "../../support/rows.js";
import { useTestApp } from "../../support/use-test-app.js";

const RECIPIENT = "primary@acme.example";
const SUBJECT = "Your temporary password";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A fresh secret of letters and digits only, so no encoding of the mail changes it. */
const newSecret = () => Array.from(randomBytes(24), (b) => ALNUM[b % ALNUM.length]).join("");

const eccRecipientKey = (email = RECIPIENT, extra: { keyExpirationTime?: number; subkeys?: { sign?: boolean }[] } = {}) =>
  openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Acme primary", email }], format: "armored", ...extra });

// --- A small RFC 2045/2046 reader: enough to check the structure without a MIME library. ---

interface Entity {
  headers: [string, string][];
  body: string;
}

function splitEntity(raw: string): Entity {
  const end = raw.indexOf("\r\n\r\n");
  expect(end, "a blank line (CRLF CRLF) ends the header").to.be.greaterThan(0);
  const unfolded = raw.slice(0, end).replace(/\r\n[ \t]+/g, " ");
  const headers = unfolded.split("\r\n").map((line): [string, string] => {
    const colon = line.indexOf(":");
    expect(colon, `header line ${JSON.stringify(line)}`).to.be.greaterThan(0);
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  return { headers, body: raw.slice(end + 4) };
}

/** The one value of a header; fails when it is missing or repeated. */
function header(entity: Entity, name: string): string {
  const values = entity.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
  expect(values, `${name} header`).to.have.length(1);
  return values[0]!;
}

function contentType(value: string): { type: string; params: Record<string, string> } {
  const [type = ""] = value.split(";", 1);
  const params: Record<string, string> = {};
  for (const m of value.slice(type.length).matchAll(/;\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"]*)"|([^;\s]+))/g)) {
    params[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The body parts of a multipart body, split on the boundary's delimiter lines. */
function multipartParts(body: string, boundary: string): Entity[] {
  const pieces = `\r\n${body}`.split(`\r\n--${boundary}`);
  expect(pieces.length, "at least an opening and a closing delimiter").to.be.at.least(2);
  const closing = pieces[pieces.length - 1]!;
  expect(closing.startsWith("--"), "the last delimiter closes the multipart").to.equal(true);
  // pieces[0] is the preamble; every middle piece starts with the rest of its delimiter line.
  return pieces.slice(1, -1).map((piece) => {
    expect(piece.startsWith("--"), "no closing delimiter before the last part").to.equal(false);
    return splitEntity(piece.slice(piece.indexOf("\r\n") + 2));
  });
}

/** The armored OpenPGP message of a PGP/MIME mail, after checking its RFC 3156 structure. */
function pgpMimeArmor(raw: string): string {
  const message = splitEntity(raw);
  const { type, params } = contentType(header(message, "Content-Type"));
  expect(type).to.equal("multipart/encrypted");
  expect(params.protocol).to.equal("application/pgp-encrypted");
  expect(params.boundary, "a boundary").to.be.a("string").and.not.equal("");
  const parts = multipartParts(message.body, params.boundary!);
  expect(parts).to.have.length(2);
  const [control, encrypted] = parts as [Entity, Entity];
  expect(contentType(header(control, "Content-Type")).type).to.equal("application/pgp-encrypted");
  expect(control.body.trim()).to.equal("Version: 1");
  expect(contentType(header(encrypted, "Content-Type")).type).to.equal("application/octet-stream");
  const armored = encrypted.body.trim();
  expect(armored.startsWith("-----BEGIN PGP MESSAGE-----"), armored.slice(0, 80)).to.equal(true);
  expect(armored.endsWith("-----END PGP MESSAGE-----"), armored.slice(-80)).to.equal(true);
  return armored;
}

/** The desk's public key as anyone gets it: from GET /pgp-key.asc. */
async function fetchDeskKeyText(app: Express) {
  const res = await request(app)
    .get("/pgp-key.asc")
    .buffer(true)
    .parse((stream, callback) => {
      let text = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (text += chunk));
      stream.on("end", () => callback(null, text));
    });
  return { status: res.status, contentType: String(res.headers["content-type"]), text: res.body as string };
}

async function decryptWithOpenpgp(armoredMessage: string, armoredPrivateKey: string, deskPublic: openpgp.PublicKey) {
  const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: armoredPrivateKey });
  const message = await openpgp.readMessage({ armoredMessage });
  const result = await openpgp.decrypt({ message, decryptionKeys, verificationKeys: deskPublic, expectSigned: true, format: "binary" });
  return { data: Buffer.from(result.data), signatures: result.signatures };
}

/**
 * The test clock stands still from the app's start, and keys generated since (the recipient's
 * here, the shared desk key in the first app of a run) carry a later creation time: move the
 * clock up to the real time so they are valid at `now`, without going past it.
 */
function catchUp(t: TestApp): void {
  t.clock.advance(Math.max(0, Date.now() - t.clock.now().getTime()));
}

function gpg(home: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync("gpg", ["--batch", "--no-tty", ...args], {
    env: { ...process.env, GNUPGHOME: home, LC_ALL: "C", LANG: "C", LANGUAGE: "C" },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("PGP/MIME mail", () => {
  const t = useTestApp({ once: true, smtp: true });
  const sink = t.sink;
  let recipient: { privateKey: string; publicKey: string };
  let secret: string;
  let outboxId: number;
  let composed: ComposedMail;

  before(async () => {
    recipient = await eccRecipientKey();
    secret = newSecret();
    catchUp(t);
    const now = t.clock.now();
    composed = await composeEncrypted(
      t.mailer.sender,
      { to: RECIPIENT, subject: SUBJECT, template: "test", text: `Temporary password: ${secret}\nSign in and choose your own password within 24 hours.\n` },
      await usableRecipientKey(RECIPIENT, recipient.publicKey, now),
      t.mailer.deskKey,
      now,
    );
    outboxId = await t.db.transaction((trx) => enqueue(trx, composed, now));
    await t.deliverMail();
  });


  const delivered = () => {
    expect(sink.received, "messages the SMTP sink received").to.have.length(1);
    return sink.received[0]!;
  };

  it("is sent as multipart/encrypted (RFC 3156) with a clean subject and no secret in clear anywhere", async () => {
    const mail = delivered();
    expect(mail.to).to.deep.equal([RECIPIENT]);
    const armored = pgpMimeArmor(mail.raw);
    expect(armored.length).to.be.greaterThan(200);
    expect(header(splitEntity(mail.raw), "Subject")).to.equal(SUBJECT);
    expect(header(splitEntity(mail.raw), "Message-ID")).to.equal(composed.messageId);

    expect(mail.raw).to.not.include(secret);
    const row = (await t.db("outbox").where({ id: outboxId }).first()) as { message: string; encrypted: unknown; status: string; sent_sha256: string };
    expect(row.status).to.equal("sent");
    expect(row.encrypted).to.be.ok;
    // Sent: the outbox keeps the headers and the digest of what the server received, not the message.
    expect(row.message).to.equal(mail.raw.split("\r\n\r\n")[0]);
    expect(row.message).to.not.include("-----BEGIN PGP MESSAGE-----");
    expect(row.sent_sha256).to.equal(createHash("sha256").update(mail.raw, "utf8").digest("hex"));
    expect(t.logs()).to.not.include(secret);
    expect(await t.leaks(secret), "the secret is nowhere in the database or the logs").to.equal(false);
  });

  it("decrypts with openpgp to a text/plain part holding the secret, signed by the desk key", async () => {
    const served = await fetchDeskKeyText(t.app);
    expect(served.status).to.equal(200);
    const deskPublic = await openpgp.readKey({ armoredKey: served.text });
    expect(deskPublic.getFingerprint().toUpperCase()).to.equal(t.mailer.deskKey.fingerprint.toUpperCase());

    const { data, signatures } = await decryptWithOpenpgp(pgpMimeArmor(delivered().raw), recipient.privateKey, deskPublic);
    const inner = data.toString("utf8");
    expect(inner).to.match(/^Content-Type: text\/plain; charset=utf-8\r\n/im);
    expect(inner).to.match(/^Content-Transfer-Encoding: 8bit\r\n/im);
    const parsed = await simpleParser(data);
    expect(parsed.text).to.include(`Temporary password: ${secret}`);

    expect(signatures).to.have.length(1);
    expect(await signatures[0]!.verified).to.equal(true);
    const signingKey = await deskPublic.getSigningKey();
    expect(signatures[0]!.keyID.toHex()).to.equal(signingKey.getKeyID().toHex());
    expect(deskPublic.getKeyIDs().map((id) => id.toHex())).to.include(signatures[0]!.keyID.toHex());
  });

  it("refuses to decrypt with the wrong private key", async () => {
    const other = await eccRecipientKey("someone.else@example.com");
    const deskPublic = await openpgp.readKey({ armoredKey: t.mailer.deskKey.publicArmored });
    let error: unknown;
    try {
      await decryptWithOpenpgp(pgpMimeArmor(delivered().raw), other.privateKey, deskPublic);
    } catch (err) {
      error = err;
    }
    expect(error, "decryption with another key must fail").to.be.instanceOf(Error);
  });

  it("decrypts with GnuPG, which reports a good signature from the desk key", () => {
    const version = spawnSync("gpg", ["--version"], { encoding: "utf8" });
    expect(version.error, "the gpg binary must be installed").to.equal(undefined);
    expect(version.status, version.stderr).to.equal(0);
    expect(version.stdout).to.match(/^gpg \(GnuPG\) 2\./);

    const home = mkdtempSync(path.join(tmpdir(), "vd-gpg-"));
    try {
      chmodSync(home, 0o700);
      const deskFile = path.join(home, "desk.asc");
      const recipientFile = path.join(home, "recipient-secret.asc");
      const messageFile = path.join(home, "message.asc");
      writeFileSync(deskFile, t.mailer.deskKey.publicArmored);
      writeFileSync(recipientFile, recipient.privateKey, { mode: 0o600 });
      writeFileSync(messageFile, pgpMimeArmor(delivered().raw));

      const importDesk = gpg(home, ["--import", deskFile]);
      expect(importDesk.status, importDesk.stderr).to.equal(0);
      const importRecipient = gpg(home, ["--import", recipientFile]);
      expect(importRecipient.status, importRecipient.stderr).to.equal(0);

      const decrypted = gpg(home, ["--decrypt", messageFile]);
      expect(decrypted.status, decrypted.stderr).to.equal(0);
      expect(decrypted.stdout).to.match(/^Content-Type: text\/plain; charset=utf-8/im);
      expect(decrypted.stdout).to.include(`Temporary password: ${secret}`);
      expect(decrypted.stdout, "plain text, as the holder reads it: no quoted-printable soft line breaks").to.not.match(/=\r?\n/);
      expect(decrypted.stderr).to.include("Good signature");
      expect(decrypted.stderr.toUpperCase()).to.include(t.mailer.deskKey.fingerprint.toUpperCase());
    } finally {
      spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home } });
      rmSync(home, { recursive: true, force: true });
    }
    expect(existsSync(home)).to.equal(false);
  });

  it("works with an RSA-3072 recipient key too", async function () {
    this.timeout(120_000);
    const rsa = await openpgp.generateKey({ type: "rsa", rsaBits: 3072, userIDs: [{ name: "Acme primary", email: RECIPIENT }], format: "armored" });
    const rsaSecret = newSecret();
    catchUp(t);
    const now = t.clock.now();
    const mail = await composeEncrypted(
      t.mailer.sender,
      { to: RECIPIENT, subject: SUBJECT, template: "test", text: `Temporary password: ${rsaSecret}\n` },
      await usableRecipientKey(RECIPIENT, rsa.publicKey, now),
      t.mailer.deskKey,
      now,
    );
    expect(mail.encrypted).to.equal(true);
    expect(mail.raw).to.not.include(rsaSecret);
    const deskPublic = await openpgp.readKey({ armoredKey: t.mailer.deskKey.publicArmored });
    const { data, signatures } = await decryptWithOpenpgp(pgpMimeArmor(mail.raw), rsa.privateKey, deskPublic);
    expect((await simpleParser(data)).text).to.include(`Temporary password: ${rsaSecret}`);
    expect(await signatures[0]!.verified).to.equal(true);
  });
});

describe("PGP/MIME refusals", () => {
  const t = useTestApp({ once: true });

  const outboxCount = () => count(t, "outbox");

  /** The caller's pattern: check the key, compose, enqueue, all in one transaction. */
  async function sendSecretMail(armoredKey: string | null, now: Date): Promise<unknown> {
    try {
      await t.db.transaction(async (trx) => {
        const key = await usableRecipientKey(RECIPIENT, armoredKey, now);
        const mail = await composeEncrypted(t.mailer.sender, { to: RECIPIENT, subject: SUBJECT, template: "test", text: "Temporary password: x\n" }, key, t.mailer.deskKey, now);
        await enqueue(trx, mail, now);
      });
    } catch (err) {
      return err;
    }
    return undefined;
  }

  async function expectRefused(armoredKey: string | null, now: Date, reason: RegExp) {
    const before = await outboxCount();
    const error = await sendSecretMail(armoredKey, now);
    expect(error, "the mail must be refused").to.be.instanceOf(NoUsableKeyError);
    expect((error as NoUsableKeyError).recipient).to.equal(RECIPIENT);
    expect((error as NoUsableKeyError).reason).to.match(reason);
    expect(await outboxCount(), "nothing enqueued").to.equal(before);
    expect(before).to.equal(0);
  }

  it("refuses when there is no key on file", async () => {
    await expectRefused(null, t.clock.now(), /no key on file/);
    await expectRefused("", t.clock.now(), /no key on file/);
  });

  it("refuses a key that cannot be read", async () => {
    await expectRefused("this is not an OpenPGP key", t.clock.now(), /cannot be read/);
  });

  it("refuses an expired key, which was usable before it expired", async () => {
    const { publicKey } = await eccRecipientKey(RECIPIENT, { keyExpirationTime: 3600 });
    catchUp(t);
    const now = t.clock.now();
    // The same key is accepted while valid, so the refusal below is about expiry.
    expect((await usableRecipientKey(RECIPIENT, publicKey, now)).isPrivate()).to.equal(false);
    await expectRefused(publicKey, new Date(now.getTime() + 2 * 3600_000), /no valid encryption key/);
  });

  it("refuses a revoked key", async () => {
    const { privateKey } = await eccRecipientKey();
    const revoked = await openpgp.revokeKey({ key: await openpgp.readPrivateKey({ armoredKey: privateKey }), format: "armored" });
    expect((await openpgp.readKey({ armoredKey: revoked.publicKey })).isPrivate()).to.equal(false);
    catchUp(t);
    // Before revocation the key was usable: the refusal is about the revocation.
    await usableRecipientKey(RECIPIENT, (await openpgp.readPrivateKey({ armoredKey: privateKey })).toPublic().armor(), t.clock.now());
    await expectRefused(revoked.publicKey, t.clock.now(), /no valid encryption key/);
  });

  it("refuses a signing-only key", async () => {
    const { publicKey } = await eccRecipientKey(RECIPIENT, { subkeys: [{ sign: true }] });
    catchUp(t);
    const key = await openpgp.readKey({ armoredKey: publicKey });
    expect(key.subkeys).to.have.length(1);
    expect(await key.getSigningKey(undefined, t.clock.now()), "the key is valid for signing").to.be.ok;
    await expectRefused(publicKey, t.clock.now(), /no valid encryption key/);
  });

  it("enqueues through the same pattern when the key is usable", async () => {
    const { publicKey } = await eccRecipientKey();
    catchUp(t);
    expect(await sendSecretMail(publicKey, t.clock.now())).to.equal(undefined);
    expect(await outboxCount()).to.equal(1);
  });
});

describe("the PGP/MIME envelope written in one go (writeMime)", () => {
  /** A tree like composeEncrypted's, with a non-ASCII subject, long lines and LF line ends to fold and convert. */
  function envelope(part: string): MimeNode {
    const root = new MimeNode('multipart/encrypted; protocol="application/pgp-encrypted"', { hostname: "desk.example", newline: "win", baseBoundary: "fixed-for-the-test" });
    const subject = `Ihr vorläufiges Passwort — ${"lange Betreffzeile ".repeat(6)}`;
    root.setHeader({ From: "Vouchdesk Überall <no-reply@desk.example>", To: RECIPIENT, Subject: subject, Date: new Date("2026-12-01T10:00:00Z"), "Message-ID": "<fixed@desk.example>" });
    root.createChild("application/pgp-encrypted").setHeader({ "Content-Transfer-Encoding": "7bit" }).setContent("Version: 1\r\n");
    root.createChild("application/octet-stream", { filename: "encrypted.asc" }).setHeader({ "Content-Disposition": 'inline; filename="encrypted.asc"', "Content-Transfer-Encoding": "7bit" }).setContent(part);
    return root;
  }

  it("gives the very bytes nodemailer's build() gives for the same tree", async () => {
    const armored = `-----BEGIN PGP MESSAGE-----\n\n${"wcBMA0x1c2VyS2V5AQf/Yq3k".repeat(40).match(/.{1,64}/g)!.join("\n")}\n=AbCd\n-----END PGP MESSAGE-----\n`;
    const built = (await envelope(armored).build()).toString("utf8");

    expect(writeMime(envelope(armored))).to.equal(built);
    expect(built).to.include("=?UTF-8?").and.include("fixed-for-the-test-Part_").and.not.match(/[^\r]\n/);
  });

  it("refuses a part it would have to encode, rather than write it wrong", () => {
    const root = new MimeNode("multipart/mixed", { newline: "win" });
    root.createChild("text/plain; charset=utf-8").setHeader("Content-Transfer-Encoding", "quoted-printable").setContent("Grüße");
    expect(() => writeMime(root)).to.throw("7bit text parts only");
  });
});

describe("the desk key", () => {
  it("is published at /pgp-key.asc as a public key with the desk's fingerprint, never the private half", async () => {
    const t = await startTestApp();
    try {
      const served = await fetchDeskKeyText(t.app);
      expect(served.status).to.equal(200);
      expect(served.contentType).to.match(/^application\/pgp-keys\b/);
      expect(served.text).to.include("-----BEGIN PGP PUBLIC KEY BLOCK-----");
      expect(served.text).to.not.include("PRIVATE KEY");
      const key = await openpgp.readKey({ armoredKey: served.text });
      expect(key.isPrivate()).to.equal(false);
      expect(key.getFingerprint().toLowerCase()).to.equal(t.mailer.deskKey.fingerprint.toLowerCase());
    } finally {
      await t.close();
    }
  });
});
