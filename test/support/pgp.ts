/**
 * Reading PGP/MIME mail the way its holder would: with the demo private key of ACM0001 (the
 * primary), in openpgp.js or in GnuPG.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { simpleParser } from "mailparser";
import * as openpgp from "openpgp";
import { demoDir } from "../../src/shared/paths.js";
import type { TestApp } from "./test-app.js";

export const PRIMARY_PRIVATE_KEY = readFileSync(path.join(demoDir, "ACM0001-private.asc"), "utf8");

/** The armoured OpenPGP message of a PGP/MIME mail (RFC 3156: the second part). */
export function pgpMessageOf(raw: string): string {
  const match = /-----BEGIN PGP MESSAGE-----[\s\S]+?-----END PGP MESSAGE-----/.exec(raw);
  expect(match, "an OpenPGP message in the mail").to.not.equal(null);
  return match![0].replace(/\r\n/g, "\n");
}

/** Decrypts a PGP/MIME mail with a private key (by default the primary's); returns the inner MIME message. */
export async function decryptPgpMime(raw: string, armoredKey = PRIMARY_PRIVATE_KEY): Promise<string> {
  const decrypted = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: pgpMessageOf(raw) }),
    decryptionKeys: await openpgp.readPrivateKey({ armoredKey }),
    format: "binary",
  });
  return Buffer.from(decrypted.data as Uint8Array).toString("utf8");
}

/** Decrypts a PGP/MIME mail with the primary's private key and checks the desk's signature; returns the inner text. */
export async function decryptForPrimary(t: TestApp, raw: string): Promise<string> {
  const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: PRIMARY_PRIVATE_KEY });
  const verificationKeys = await openpgp.readKey({ armoredKey: t.mailer.deskKey.publicArmored });
  const message = await openpgp.readMessage({ armoredMessage: pgpMessageOf(raw) });
  // Checked at the test clock's time: the desk signed at it, and a test may have moved it on (a TOTP step).
  const result = await openpgp.decrypt({ message, decryptionKeys, verificationKeys, format: "binary", expectSigned: true, date: t.clock.now() });
  const inner = Buffer.from(result.data as Uint8Array).toString("utf8");
  return (await simpleParser(inner)).text ?? "";
}

type GnupgRun = { stdout: string; stderr: string; status: number | null };

/** Runs `steps` with GnuPG in a throwaway home that holds the desk's public key; the home is removed after. */
function inGnupgHome<T>(t: TestApp, steps: (gpg: (args: string[], input?: string) => GnupgRun, home: string) => T): T {
  const home = mkdtempSync(path.join(tmpdir(), "vd-gpg-"));
  const gpg = (args: string[], input?: string): GnupgRun => {
    const out = spawnSync("gpg", ["--batch", "--no-tty", ...args], { env: { ...process.env, GNUPGHOME: home, LC_ALL: "C", LANG: "C", LANGUAGE: "C" }, encoding: "utf8", input });
    return { stdout: out.stdout, stderr: out.stderr, status: out.status };
  };
  try {
    chmodSync(home, 0o700);
    writeFileSync(path.join(home, "desk.asc"), t.mailer.deskKey.publicArmored);
    expect(gpg(["--import", path.join(home, "desk.asc")]).status).to.equal(0);
    return steps(gpg, home);
  } finally {
    spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home } });
    rmSync(home, { recursive: true, force: true });
  }
}

/** Decrypts the same mail with GnuPG in a throwaway home; returns stdout and stderr. */
export function decryptWithGnupg(t: TestApp, raw: string): GnupgRun {
  return inGnupgHome(t, (gpg, home) => {
    writeFileSync(path.join(home, "primary.asc"), PRIMARY_PRIVATE_KEY, { mode: 0o600 });
    writeFileSync(path.join(home, "message.asc"), pgpMessageOf(raw));
    expect(gpg(["--import", path.join(home, "primary.asc")]).status).to.equal(0);
    return gpg(["--decrypt", path.join(home, "message.asc")]);
  });
}

/**
 * Opens a passphrase-locked message as a holder with GnuPG would (the passphrase on stdin, no
 * agent prompt); `packets` is `gpg --list-packets` of it, to see what it is made of.
 */
export function decryptLockedWithGnupg(t: TestApp, armored: string, passphrase: string): GnupgRun & { packets: string } {
  return inGnupgHome(t, (gpg, home) => {
    const file = path.join(home, "message.asc");
    writeFileSync(file, armored);
    // No symmetric-key cache: each run is told the passphrase afresh, as a holder would type it.
    const withPassphrase = ["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--no-symkey-cache"];
    const packets = gpg([...withPassphrase, "--list-packets", file], `${passphrase}\n`).stdout;
    return { ...gpg([...withPassphrase, "--decrypt", file], `${passphrase}\n`), packets };
  });
}

/** Opens a passphrase-locked message with openpgp.js, requiring the desk's signature; returns the text inside. */
export async function openLocked(t: TestApp, armored: string, passphrase: string): Promise<string> {
  const verificationKeys = await openpgp.readKey({ armoredKey: t.mailer.deskKey.publicArmored });
  const message = await openpgp.readMessage({ armoredMessage: armored });
  const result = await openpgp.decrypt({ message, passwords: [passphrase], verificationKeys, expectSigned: true });
  return result.data as string;
}
