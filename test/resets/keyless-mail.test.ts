import { expect } from "chai";
import { simpleParser } from "mailparser";
import { newDeliveryPassphrase } from "../../src/resets/delivery-passphrase.js";
import { keylessTemporaryPasswordMail } from "../../src/resets/keyless-mail.js";
import { enqueue } from "../../src/platform/mail/outbox-store.js";
import { generateRandomPassword } from "../../src/identity/index.js";
import { decryptLockedWithGnupg, openLocked } from "../support/pgp.js";
import { useTestApp } from "../support/use-test-app.js";

const PRIMARY = { email: "primary@acme.example", displayName: "Paula Primary" };
const CTX = { ticketId: 42, accountName: "Acme Ltd", primaryUsername: "ACM0001" };
const ARMOURED = /-----BEGIN PGP MESSAGE-----[\s\S]+?-----END PGP MESSAGE-----\r?\n/;

describe("the key-less temporary password mail (DESIGN §3 step 4b)", () => {
  const t = useTestApp({ once: true, smtp: true });
  const password = generateRandomPassword();
  const passphrase = newDeliveryPassphrase();
  let raw = "";

  before(async () => {
    const expiresAt = new Date(t.clock.now().getTime() + 24 * 3600_000);
    const composed = await keylessTemporaryPasswordMail(t.mailer, t.clock, CTX, PRIMARY, password, passphrase, expiresAt);
    expect(composed.sealed, "sealed to the desk in the outbox").to.equal(true);
    for (const secret of [password, passphrase]) expect(composed.raw, "the outbox copy").to.not.include(secret);
    await enqueue(t.db, composed, t.clock.now());
    await t.deliverMail();
    expect(t.sink.received).to.have.length(1);
    raw = t.sink.received[0]!.raw;
  });

  const lockedOf = async () => {
    const mail = await simpleParser(raw);
    expect(mail.attachments.map((a) => a.filename)).to.deep.equal(["vouchdesk-message.asc"]);
    const attached = mail.attachments[0]!.content.toString("utf8");
    const inline = ARMOURED.exec(mail.text ?? "")?.[0];
    return { mail, attached, inline };
  };

  it("carries the same locked message inline in the text and as a .asc attachment, kept verbatim in the raw mail", async () => {
    const { attached, inline } = await lockedOf();
    expect(attached).to.match(/^-----BEGIN PGP MESSAGE-----/);
    expect(inline?.replace(/\r\n/g, "\n")).to.equal(attached.replace(/\r\n/g, "\n"));
    // A saved .eml holds it as is: the attachment is 7bit, so the browser finds it in the file.
    expect(raw.replace(/\r\n/g, "\n")).to.include(attached.replace(/\r\n/g, "\n"));
  });

  it("opens in openpgp.js with the passphrase, signed by the desk key, and holds the temporary password", async () => {
    const text = await openLocked(t, (await lockedOf()).attached, passphrase);
    expect(text).to.include(`Temporary password: ${password}`).and.include("Login:              ACM0001");
  });

  it("opens in GnuPG with the passphrase on --passphrase-fd, the desk's signature good; AES-256, iterated S2K, MDC and no AEAD", async () => {
    const gpg = decryptLockedWithGnupg(t, (await lockedOf()).attached, passphrase);
    expect(gpg.status, gpg.stderr).to.equal(0);
    expect(gpg.stdout).to.include(`Temporary password: ${password}`);
    expect(gpg.stderr).to.include('Good signature from "Vouchdesk test desk <desk@vouchdesk.test>"');
    expect(gpg.packets).to.match(/symkey enc packet: version 4, cipher 9, aead 0,\s*s2k 3, hash 8, seskey 256 bits\s+salt [0-9A-F]{16}, count 65011712/);
    expect(gpg.packets).to.match(/encrypted data packet:\s+length: \w+\s+mdc_method: 2/);
  });

  it("does not open with a wrong passphrase, in either", async () => {
    const { attached } = await lockedOf();
    const wrong = newDeliveryPassphrase();
    const gpg = decryptLockedWithGnupg(t, attached, wrong);
    expect(gpg.status).to.not.equal(0);
    expect(gpg.stderr).to.include("decryption failed: Bad session key");
    expect(gpg.stdout).to.not.include(password);
    let refusal: unknown;
    await openLocked(t, attached, wrong).catch((err: unknown) => (refusal = err));
    expect(String(refusal)).to.include("Error decrypting message");
  });

  it("tells a holder with no OpenPGP software what to do, and the expiry, in clear", async () => {
    const { mail } = await lockedOf();
    const text = mail.text ?? "";
    expect(text).to.include(`Go to ${t.config.baseUrl}/open-message`);
    expect(text).to.include("gpg --decrypt vouchdesk-message.asc");
    expect(text).to.include("passphrase the support agent read to you on the phone");
    expect(text).to.match(/valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });

  it("holds no secret in the subject, in any header or anywhere in clear", async () => {
    const { mail } = await lockedOf();
    expect(mail.subject).to.equal("Your Vouchdesk temporary password");
    const headers = raw.split(/\r\n\r\n/)[0]!;
    expect(headers).to.include("Subject: Your Vouchdesk temporary password");
    for (const secret of [password, passphrase, passphrase.replace(/-/g, "")]) {
      expect(raw, "the mail as sent").to.not.include(secret);
      expect(await t.leaks(secret), "the database or the logs").to.equal(false);
    }
  });
});
