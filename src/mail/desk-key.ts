import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as openpgp from "openpgp";

/** The desk's own OpenPGP key pair: it signs every encrypted mail; its public half is published. */
export interface DeskKey {
  privateKey: openpgp.PrivateKey;
  publicArmored: string;
  fingerprint: string;
}

/**
 * Reads the desk key from `file`, or generates one there on first start (Ed25519/X25519),
 * written with mode 0600: the private half never leaves the server.
 */
export async function loadOrCreateDeskKey(file: string, identity: { name: string; email: string }): Promise<DeskKey> {
  if (!existsSync(file)) {
    const { privateKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [identity], format: "armored" });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, privateKey, { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  const privateKey = await openpgp.readPrivateKey({ armoredKey: readFileSync(file, "utf8") });
  if (!privateKey.isDecrypted()) throw new Error(`The desk key in ${file} is passphrase-protected; store it unprotected with mode 0600.`);
  return { privateKey, publicArmored: privateKey.toPublic().armor(), fingerprint: privateKey.getFingerprint().toUpperCase() };
}
